"""Passkeys (WebAuthn) as a second factor, through django-otp-webauthn (which uses Duo's
py_webauthn for the ceremonies). This helper ties the relying party to RADBRIDGE_PUBLIC_URL,
read at each request so that one setting names where people reach RadBridge, and audits
each passkey added."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential

from radbridge.core import audit


def public_origin() -> str:
    parts = urlsplit(settings.PUBLIC_URL)
    return f"{parts.scheme}://{parts.netloc}"


class PasskeyHelper(WebAuthnHelper):
    def get_relying_party_domain(self) -> str:
        return urlsplit(settings.PUBLIC_URL).hostname or "localhost"

    def get_allowed_origins(self) -> list[str]:
        return [public_origin()]

    def get_credential_name(self, user) -> str:
        return user.get_username()

    def create_credential(self, user, response, parsed_credential, original_data):
        device = super().create_credential(user, response, parsed_credential, original_data)
        device.name = f"Passkey {WebAuthnCredential.objects.filter(user=user).count() + 1}"
        return device

    def register_complete(self, user, state: dict, data: dict):
        device = super().register_complete(user=user, state=state, data=data)
        audit.record("auth.2fa_enrolled", "user", user.pk, method="passkey", device=device.pk)
        return device
