"""Account settings: password, second factor, backup codes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from radbridge.accounts.models import BackupCodeDevice
from radbridge.accounts.permissions import requires_two_factor
from radbridge.accounts.services import passkeys, twofactor

from .passkey_config import ceremony_config


@login_required
def account(request):
    backup = BackupCodeDevice.objects.filter(user=request.user).first()
    return render(request, "portal/account/settings.html", {
        "has_two_factor": twofactor.has_two_factor(request.user),
        "two_factor_required": requires_two_factor(request.user),
        "backup_left": backup.remaining() if backup else 0,
        "has_authenticator": twofactor.has_authenticator_app(request.user),
        "passkeys": passkeys.passkeys_of(request.user),
        "passkey_config": ceremony_config(request),
    })


@require_POST
@login_required
def remove_two_factor(request):
    """Patients may turn their optional second factor off; staff and physicians may not."""
    if requires_two_factor(request.user):
        messages.error(request, "Your role requires two-step sign-in: it cannot be turned off.")
    else:
        twofactor.remove_two_factor(request.user)
        messages.success(request, "Two-step sign-in is off.")
    return redirect("portal:account")
