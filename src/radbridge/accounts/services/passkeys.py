"""A person's passkeys: list them and remove one (audited). Adding one is a WebAuthn
ceremony run by django-otp-webauthn's views with accounts.passkeys.PasskeyHelper."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django_otp_webauthn.models import WebAuthnCredential

from radbridge.core import audit

from ..permissions import requires_two_factor
from .errors import AccountsError
from .twofactor import has_authenticator_app


def passkeys_of(user) -> QuerySet[WebAuthnCredential]:
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at")


def has_passkey(user) -> bool:
    return passkeys_of(user).exists()


@transaction.atomic
def remove_passkey(user, passkey_id: int) -> None:
    """Remove one of the user's own passkeys. Staff and physicians keep at least one second
    factor: their last passkey goes only once they have an authenticator app. Raises
    WebAuthnCredential.DoesNotExist for someone else's passkey. Audited as
    auth.passkey_removed."""
    passkey = WebAuthnCredential.objects.select_for_update().get(pk=passkey_id, user=user)
    others = passkeys_of(user).exclude(pk=passkey.pk).exists()
    if requires_two_factor(user) and not others and not has_authenticator_app(user):
        raise AccountsError(
            "your role requires a second factor: set up an authenticator app or add another "
            "passkey before removing this one"
        )
    passkey.delete()
    audit.record("auth.passkey_removed", "user", user.pk, device=passkey_id)
