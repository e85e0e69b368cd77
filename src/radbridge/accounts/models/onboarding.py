"""How patients get an account: an invitation tied to a study, then a one-time code.

Secrets (the link's token, the code) are stored only as hashes; the clear values go out in
the outbox event that the notify app turns into an SMS or email.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from radbridge.clinical.models import Order, Patient
from radbridge.core.models import TimeStampedModel

from ..choices import CodePurpose, InvitationSource


class Invitation(TimeStampedModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="invitations")
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.PROTECT, related_name="invitations"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    to_phone = models.CharField(max_length=50, blank=True)
    to_email = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=10, choices=InvitationSource)
    # The outbox event that caused an automatic invitation: one invitation per event, ever.
    source_event_id = models.BigIntegerField(null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    failed_attempts = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"invitation of patient {self.patient_id}"

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and self.expires_at > timezone.now()


class OneTimeCode(TimeStampedModel):
    purpose = models.CharField(max_length=20, choices=CodePurpose)
    code_hash = models.CharField(max_length=64)
    invitation = models.ForeignKey(
        Invitation, null=True, blank=True, on_delete=models.CASCADE, related_name="codes"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.purpose} code {self.id}"

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.expires_at > timezone.now()
