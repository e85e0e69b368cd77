"""Credentials besides the password: API tokens for integration accounts, and backup codes
as a django-otp device.

django-otp's own static-token device keeps backup codes in clear text; ours keeps only their
SHA-256, so a copy of the database does not hand out second factors.
"""

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django_otp.models import Device, ThrottlingMixin

from radbridge.clinical.models import Patient
from radbridge.core.models import TimeStampedModel

from ..secrets import digest, normalize_code


class ApiToken(TimeStampedModel):
    """A bearer token of an integration account: scoped per resource type, expiring,
    revocable, stored as a SHA-256 of the token (which has 256 bits of randomness)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)  # shown in lists so people can tell tokens apart
    # "Patient.read", "DiagnosticReport.write", "*.read": resource type (or *) and access.
    scopes = models.JSONField(default=list)
    # A token limited to one patient's records (a patient app, a personal health record).
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="api_tokens"
    )
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class BackupCodeDevice(ThrottlingMixin, Device):
    """One-time backup codes, each usable once, for when the phone is lost."""

    def verify_token(self, token) -> bool:
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        with transaction.atomic():
            code = (
                self.codes.select_for_update()
                .filter(code_hash=digest(normalize_code(str(token))), used_at__isnull=True)
                .first()
            )
            if code is None:
                self.throttle_increment()
                return False
            code.used_at = timezone.now()
            code.save(update_fields=["used_at"])
        self.throttle_reset()
        return True

    def get_throttle_factor(self) -> int:
        return 1

    def remaining(self) -> int:
        return self.codes.filter(used_at__isnull=True).count()


class BackupCode(models.Model):
    device = models.ForeignKey(BackupCodeDevice, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"backup code {self.id}"
