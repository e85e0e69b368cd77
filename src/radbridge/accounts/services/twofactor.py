"""Second factors: TOTP enrolment (QR code) and one-time backup codes, with django-otp.
Passkeys (services/passkeys.py) count as a second factor too."""

from __future__ import annotations

import segno
from django.db import transaction
from django.utils.safestring import SafeString, mark_safe
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from radbridge.core import audit

from ..models import BackupCode, BackupCodeDevice
from ..secrets import digest, new_code, normalize_code
from .errors import AccountsError

BACKUP_CODES = 10


def has_two_factor(user) -> bool:
    return has_authenticator_app(user) or WebAuthnCredential.objects.filter(
        user=user, confirmed=True
    ).exists()


def has_authenticator_app(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@transaction.atomic
def start_totp_enrolment(user) -> TOTPDevice:
    """A fresh, unconfirmed authenticator for this user (an earlier unconfirmed one goes)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def qr_code_svg(device: TOTPDevice) -> SafeString:
    """The otpauth:// URL as an inline SVG QR code, drawn here: no outside service sees it."""
    svg = segno.make(device.config_url, error="m").svg_inline(
        scale=5, dark="#000", light="#fff", title="QR code for your authenticator app"
    )
    return mark_safe(svg)  # noqa: S308 - segno's own markup, no user input in it


@transaction.atomic
def confirm_totp(user, device: TOTPDevice, token: str) -> list[str]:
    """Confirm enrolment with a first code from the app; returns new backup codes (shown
    once). Audited as auth.2fa_enrolled."""
    if device.user_id != user.pk or device.confirmed:
        raise AccountsError("this enrolment is no longer valid: start again", "token")
    if not device.verify_token(token.strip().replace(" ", "")):
        raise AccountsError(
            "that code is not right: check the time on your phone and type the current "
            "6-digit code",
            "token",
        )
    TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit.record("auth.2fa_enrolled", "user", user.pk, method="totp")
    return new_backup_codes(user)


@transaction.atomic
def new_backup_codes(user) -> list[str]:
    """Replace the user's backup codes; the clear codes are returned once, never stored."""
    BackupCodeDevice.objects.filter(user=user).delete()
    device = BackupCodeDevice.objects.create(user=user, name="Backup codes", confirmed=True)
    codes = [new_code(groups=2, size=5) for _ in range(BACKUP_CODES)]
    BackupCode.objects.bulk_create(
        BackupCode(device=device, code_hash=digest(normalize_code(code))) for code in codes
    )
    audit.record("auth.backup_codes_created", "user", user.pk, count=len(codes))
    return codes


@transaction.atomic
def remove_two_factor(user) -> None:
    """A patient turns their optional second factor off. Audited as auth.2fa_removed."""
    TOTPDevice.objects.filter(user=user).delete()
    WebAuthnCredential.objects.filter(user=user).delete()
    BackupCodeDevice.objects.filter(user=user).delete()
    audit.record("auth.2fa_removed", "user", user.pk)


def verify_second_factor(user, token: str):
    """The device that accepts this code (an authenticator code or a backup code), or None."""
    token = token.strip()
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        if device.verify_token(token.replace(" ", "")):
            return device
    for device in BackupCodeDevice.objects.filter(user=user, confirmed=True):
        if device.verify_token(token):
            return device
    return None
