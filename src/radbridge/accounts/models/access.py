"""What patients (or staff on their behalf) grant: proxy access, consent, share codes.

Each grant is time-limited and revocable; nothing is deleted, so the audit trail can always
say who could see what, and when.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from radbridge.clinical.models import Order, Patient
from radbridge.core.models import TimeStampedModel

from ..choices import ConsentSource, ProxyRelationship


class GrantQuerySet(models.QuerySet):
    def active(self, at=None):
        at = at or timezone.now()
        return self.filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=at),
            revoked_at__isnull=True,
            starts_at__lte=at,
        )


class Grant(TimeStampedModel):
    starts_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    objects = GrantQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return (
            self.revoked_at is None
            and self.starts_at <= now
            and (self.expires_at is None or self.expires_at > now)
        )


class ProxyGrant(Grant):
    """A parent or carer who may see (and act on) a patient's records."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="proxy_grants")
    proxy = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="proxy_grants"
    )
    relationship = models.CharField(max_length=10, choices=ProxyRelationship)

    def __str__(self) -> str:
        return f"{self.proxy} for patient {self.patient_id} ({self.relationship})"


class Consent(Grant):
    """A patient's consent that one physician sees their whole record, reports of other
    providers included."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents")
    physician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consents_received"
    )
    source = models.CharField(max_length=20, choices=ConsentSource)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["physician", "revoked_at"])]

    def __str__(self) -> str:
        return f"consent of patient {self.patient_id} for {self.physician}"


class ShareCode(Grant):
    """One study shared by its patient with a doctor: the code is given once and kept hashed;
    the recipient must also know the patient's date of birth."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="share_codes")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="share_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=100, blank=True)  # "for Dr Jones", as the patient put it
    max_views = models.PositiveIntegerField(null=True, blank=True)
    view_count = models.PositiveIntegerField(default=0)
    failed_attempts = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"share of order {self.order_id}"

    @property
    def is_active(self) -> bool:
        exhausted = self.max_views is not None and self.view_count >= self.max_views
        return super().is_active and not exhausted
