"""Signing in and out, the second factor (challenge and TOTP enrolment, backup codes),
lockout, and password reset by email (Django's views, our templates, audited)."""

from __future__ import annotations

from base64 import b32encode
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from radbridge.accounts.middleware import SECOND_FACTOR_PENDING, allow_without_second_factor
from radbridge.accounts.permissions import requires_two_factor
from radbridge.accounts.services import passkeys, twofactor
from radbridge.accounts.services.errors import AccountsError
from radbridge.core import audit

from ..forms import CodeForm, EnrolForm, LoginForm
from .passkey_config import ceremony_config
from .util import safe_next, safe_next_url

BACKUP_CODES_SESSION = "portal.new_backup_codes"
ENROL_DEVICE_SESSION = "portal.enrol_device"


def next_query(request) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    return f"?{urlencode({'next': target})}" if target else ""


@allow_without_second_factor
@sensitive_post_parameters("password")
@never_cache
def login_view(request):
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        auth_login(request, user)  # new session key; audited as auth.login
        enrolled = twofactor.has_two_factor(user)
        if enrolled or requires_two_factor(user):
            request.session[SECOND_FACTOR_PENDING] = True
            step = "portal:two_factor" if enrolled else "portal:enrol"
            return redirect(reverse(step) + next_query(request))
        return safe_next(request)
    return render(
        request, "portal/auth/login.html",
        {"form": form, "next": request.GET.get("next", ""), "expired": "expired" in request.GET},
    )


def locked_out(request, original_response=None, credentials=None):
    """django-axes' answer once an address has failed too often for one user name."""
    return render(request, "portal/auth/locked_out.html", status=429)


@allow_without_second_factor
@require_POST
def logout_view(request):
    auth_logout(request)  # audited as auth.logout
    return redirect("portal:login")


@allow_without_second_factor
@login_required
@sensitive_post_parameters("token")
@never_cache
def two_factor(request):
    """The second step of signing in: a code from the authenticator, or a backup code."""
    if request.user.is_verified():
        return safe_next(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = twofactor.verify_second_factor(request.user, form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            request.session.pop(SECOND_FACTOR_PENDING, None)
            audit.record("auth.2fa_passed", "user", request.user.pk, device=device.name)
            return safe_next(request)
        audit.record("auth.2fa_failed", "user", request.user.pk, outcome="denied")
        form.add_error("token", "That code is not right. Try the current code from your app.")
    return render(request, "portal/auth/two_factor.html", {
        "form": form, "next": request.GET.get("next", ""),
        "has_passkey": passkeys.has_passkey(request.user),
        "has_authenticator": twofactor.has_authenticator_app(request.user),
        "passkey_config": ceremony_config(request),
    })


@allow_without_second_factor
@login_required
@sensitive_post_parameters("token")
@never_cache
def enrol(request):
    """Set up an authenticator app: scan the QR code, confirm with a first code."""
    if twofactor.has_two_factor(request.user) and not request.user.is_verified():
        # Replacing an authenticator needs the current one first (the challenge).
        return redirect(reverse("portal:two_factor") + next_query(request))
    device = TOTPDevice.objects.filter(
        pk=request.session.get(ENROL_DEVICE_SESSION), user=request.user, confirmed=False
    ).first()
    if device is None:
        device = twofactor.start_totp_enrolment(request.user)
        request.session[ENROL_DEVICE_SESSION] = device.pk
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = twofactor.confirm_totp(request.user, device, form.cleaned_data["token"])
        except AccountsError as error:
            form.add_error("token", str(error))
        else:
            otp_login(request, device)
            request.session.pop(SECOND_FACTOR_PENDING, None)
            request.session.pop(ENROL_DEVICE_SESSION, None)
            request.session[BACKUP_CODES_SESSION] = codes
            return redirect(reverse("portal:backup_codes") + next_query(request))
    return render(request, "portal/auth/enrol.html", {
        "form": form, "qr": twofactor.qr_code_svg(device), "secret": device_secret(device),
        "required": requires_two_factor(request.user), "next": request.GET.get("next", ""),
        "passkey_config": ceremony_config(request),
    })


def device_secret(device: TOTPDevice) -> str:
    """The key in base32, for people who type it instead of scanning."""
    return b32encode(device.bin_key).decode().rstrip("=")


@login_required
@never_cache
def backup_codes(request):
    """Shows new backup codes once; POST makes a new set (the old ones stop working)."""
    if request.method == "POST":
        request.session[BACKUP_CODES_SESSION] = twofactor.new_backup_codes(request.user)
        return redirect("portal:backup_codes")
    codes = request.session.pop(BACKUP_CODES_SESSION, None)
    # The link onwards is a plain <a>: only a `next` inside this site may become one.
    return render(request, "portal/auth/backup_codes.html",
                  {"codes": codes, "next": safe_next_url(request)})


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "portal/auth/password_reset.html"
    email_template_name = "portal/auth/password_reset_email.txt"
    subject_template_name = "portal/auth/password_reset_subject.txt"
    success_url = reverse_lazy("portal:password_reset_done")

    def form_valid(self, form):
        audit.record("auth.password_reset_requested", "user", "",
                     email_domain=form.cleaned_data["email"].rpartition("@")[2])
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "portal/auth/password_reset_confirm.html"
    success_url = reverse_lazy("portal:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        audit.record("auth.password_reset", "user", form.user.pk)
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "portal/auth/password_change.html"
    success_url = reverse_lazy("portal:account")

    def form_valid(self, form):
        response = super().form_valid(form)
        audit.record("auth.password_changed", "user", self.request.user.pk)
        messages.success(self.request, "Your password was changed.")
        return response


password_reset = allow_without_second_factor(PasswordResetView.as_view())
password_reset_done = allow_without_second_factor(
    auth_views.PasswordResetDoneView.as_view(template_name="portal/auth/password_reset_done.html")
)
password_reset_confirm = allow_without_second_factor(
    method_decorator(never_cache, name="dispatch")(PasswordResetConfirmView).as_view()
)
password_reset_complete = allow_without_second_factor(
    auth_views.PasswordResetCompleteView.as_view(
        template_name="portal/auth/password_reset_complete.html"
    )
)
password_change = PasswordChangeView.as_view()
