"""What django-otp-webauthn's scripts read from a page: our ceremony URLs and the CSRF token,
rendered as a JSON data block (not a script, so the CSP allows it)."""

from __future__ import annotations

from django.middleware.csrf import get_token
from django.urls import reverse


def ceremony_config(request) -> dict:
    """What the library's scripts read from the page (a JSON data block, not a script)."""
    return {
        "autocompleteLoginFieldSelector": None,
        "nextFieldSelector": "input[name='next']",
        "csrfToken": get_token(request),
        "beginAuthenticationUrl": reverse("portal:passkey_auth_begin"),
        "completeAuthenticationUrl": reverse("portal:passkey_auth_complete"),
        "beginRegistrationUrl": reverse("portal:passkey_register_begin"),
        "completeRegistrationUrl": reverse("portal:passkey_register_complete"),
    }
