"""Passkeys in the portal: the WebAuthn ceremony endpoints of django-otp-webauthn (called by
its JavaScript, served from our static files), wrapped to fit RadBridge's sign-in (reachable
before the second factor, audited, backup codes on a first factor), and removal from the
account page."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import exceptions as webauthn_errors
from django_otp_webauthn import views as webauthn_views
from django_otp_webauthn.models import WebAuthnCredential

from radbridge.accounts.middleware import SECOND_FACTOR_PENDING, allow_without_second_factor
from radbridge.accounts.models import BackupCodeDevice
from radbridge.accounts.services import passkeys, twofactor
from radbridge.accounts.services.errors import AccountsError
from radbridge.core import audit

from .auth import BACKUP_CODES_SESSION


class RegisterComplete(webauthn_views.CompleteCredentialRegistrationView):
    """A first second factor also gets backup codes, shown once on the next page."""

    def post(self, *args, **kwargs):
        first_factor = not BackupCodeDevice.objects.filter(user=self.request.user).exists()
        response = super().post(*args, **kwargs)
        redirect_url = ""
        if first_factor:
            self.request.session[BACKUP_CODES_SESSION] = twofactor.new_backup_codes(
                self.request.user
            )
            redirect_url = reverse("portal:backup_codes")
        self.request.session.pop(SECOND_FACTOR_PENDING, None)
        passkey_id = json.loads(response.content)["id"]
        return JsonResponse({"id": passkey_id, "redirect_url": redirect_url})


class AuthComplete(webauthn_views.CompleteCredentialAuthenticationView):
    """The second step of signing in with a passkey instead of a code."""

    def complete_auth(self, device):
        super().complete_auth(device)
        self.request.session.pop(SECOND_FACTOR_PENDING, None)
        audit.record("auth.2fa_passed", "user", self.request.user.pk, device=device.name,
                     method="passkey")

    def handle_exception(self, exc):
        if isinstance(exc, webauthn_errors.OTPWebAuthnApiError) and (
            self.request.user.is_authenticated
        ):
            audit.record("auth.2fa_failed", "user", self.request.user.pk, outcome="denied",
                         method="passkey", reason=exc.code)
        return super().handle_exception(exc)


passkey_register_begin = allow_without_second_factor(
    webauthn_views.BeginCredentialRegistrationView.as_view()
)
passkey_register_complete = allow_without_second_factor(RegisterComplete.as_view())
passkey_auth_begin = allow_without_second_factor(
    webauthn_views.BeginCredentialAuthenticationView.as_view()
)
passkey_auth_complete = allow_without_second_factor(AuthComplete.as_view())
passkey_script_catalog = allow_without_second_factor(
    JavaScriptCatalog.as_view(packages=["django_otp_webauthn"])
)


@require_POST
@login_required
def passkey_remove(request, passkey_id: int):
    try:
        passkeys.remove_passkey(request.user, passkey_id)
    except WebAuthnCredential.DoesNotExist:
        raise Http404("no such passkey") from None
    except AccountsError as error:
        messages.error(request, f"The passkey was not removed: {error}.")
    else:
        messages.success(request, "The passkey was removed: it no longer signs you in.")
    return redirect("portal:account")
