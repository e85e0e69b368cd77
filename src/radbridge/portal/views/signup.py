"""Patient sign-up from an invitation: date of birth, then the code sent to the phone on
file, then a user name and password. Staff (and the report consumer) send invitations."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from radbridge.accounts.choices import InvitationSource, Role
from radbridge.accounts.middleware import allow_without_second_factor
from radbridge.accounts.permissions import get_visible_or_404, may_invite
from radbridge.accounts.services import invitations
from radbridge.accounts.services.errors import AccountsError
from radbridge.clinical.models import Order, Patient

from ..forms import BirthDateForm, InviteForm, SignupForm
from .util import roles_only

SIGNUP_INVITATION = "portal.signup_invitation"


def invitation_or_gone(request, token: str):
    invitation = invitations.find_invitation(token)
    if invitation is None:
        return None, render(request, "portal/signup/invalid.html", status=404)
    return invitation, None


@allow_without_second_factor
@sensitive_post_parameters("birth_date")
@never_cache
def signup_start(request, token: str):
    invitation, gone = invitation_or_gone(request, token)
    if gone:
        return gone
    form = BirthDateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if invitations.check_birth_date(invitation, form.cleaned_data["birth_date"]):
            invitations.send_signup_code(invitation)
            request.session[SIGNUP_INVITATION] = invitation.pk
            return redirect("portal:signup_finish", token=token)
        form.add_error(
            "birth_date", "That date of birth does not match our record. Check it and try again."
        )
    return render(request, "portal/signup/start.html", {"form": form, "invitation": invitation})


@allow_without_second_factor
@sensitive_post_parameters("code", "password1", "password2")
@never_cache
def signup_finish(request, token: str):
    invitation, gone = invitation_or_gone(request, token)
    if gone:
        return gone
    if request.session.get(SIGNUP_INVITATION) != invitation.pk:
        return redirect("portal:signup", token=token)  # the date of birth comes first
    form = SignupForm(request.POST or None)
    if request.method == "POST" and "resend" in request.POST:
        invitations.send_signup_code(invitation)
        messages.info(request, "A new code is on its way.")
        return redirect("portal:signup_finish", token=token)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = invitations.complete_signup(
                invitation, data["code"], data["username"], data["email"], data["password1"]
            )
        except AccountsError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            request.session.pop(SIGNUP_INVITATION, None)
            auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Welcome! Your account is ready.")
            return redirect("portal:home")
    phone = invitation.to_phone
    return render(request, "portal/signup/finish.html", {
        "form": form, "phone_hint": f"…{phone[-2:]}" if len(phone) >= 2 else "",
    })


@require_POST
@roles_only(Role.FRONT_DESK, Role.CENTRE_ADMIN)
def invite(request, patient_id: int):
    """Staff send a portal invitation from the patient's page."""
    if not may_invite(request.user):
        raise Http404("no such page")
    patient = get_visible_or_404(Patient.objects, request.user, "change", pk=patient_id)
    orders = Order.objects.restrict(request.user).filter(patient=patient)
    form = InviteForm(request.POST, prefix="invite", orders=orders)
    if form.is_valid():
        try:
            invitations.invite_patient(
                patient, form.cleaned_data["order"], source=InvitationSource.STAFF,
                created_by=request.user, base_url=request.build_absolute_uri("/"),
            )
            messages.success(request, "Invitation sent to the phone and email on file.")
        except AccountsError as error:
            messages.error(request, str(error))
    else:
        messages.error(request, "Choose one of this patient's studies.")
    return redirect("portal:patient", patient.pk)
