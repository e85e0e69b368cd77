"""Consent and proxy access: patients manage their own online; staff record them from the
patient's page. Every change goes through accounts' services, which check and audit it."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from radbridge.accounts.choices import STAFF_ROLES, Role
from radbridge.accounts.models import Consent, ProxyGrant
from radbridge.accounts.permissions import get_visible_or_404, own_patient_ids, role_of
from radbridge.accounts.services import grants
from radbridge.accounts.services.errors import AccountsError
from radbridge.clinical.models import Patient

from ..forms import ConsentForm, ProxyForm
from .util import roles_only

GRANTING_ROLES = (Role.PATIENT, Role.CENTRE_ADMIN, *STAFF_ROLES)


def own_patient(request) -> Patient:
    return Patient.objects.get(pk=request.user.profile.patient_id)


def back(request, patient: Patient):
    if role_of(request.user) == Role.PATIENT:
        return redirect(request.POST.get("back") or "portal:home")
    return redirect("portal:patient", patient.pk)


@roles_only(Role.PATIENT)
def consents(request):
    """A patient's consents: grant one to a physician (time-limited), revoke one."""
    form = ConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            grants.grant_consent(
                request.user, own_patient(request), form.cleaned_data["physician"],
                form.expires_at, form.cleaned_data["note"],
            )
        except AccountsError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Consent granted.")
            return redirect("portal:consents")
    granted = (
        Consent.objects.filter(patient__in=own_patient_ids(request.user))
        .select_related("physician", "physician__profile__clinic")
        .order_by("-created_at")
    )
    return render(request, "portal/patient/consents.html", {"form": form, "consents": granted})


@roles_only(Role.PATIENT)
def proxies(request):
    """Who may see my records, and whose records I may see."""
    form = ProxyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        expires_on = form.cleaned_data["expires_on"]
        try:
            grants.grant_proxy(
                request.user, own_patient(request), form.cleaned_data["username"],
                form.cleaned_data["relationship"],
                expires_at=ConsentForm.end_of(expires_on) if expires_on else None,
            )
        except AccountsError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Access granted.")
            return redirect("portal:proxies")
    return render(request, "portal/patient/proxies.html", {
        "form": form,
        "granted": ProxyGrant.objects.filter(patient_id=request.user.profile.patient_id)
        .select_related("proxy").order_by("-created_at"),
        "received": ProxyGrant.objects.active().filter(proxy=request.user)
        .select_related("patient"),
    })


@require_POST
@roles_only(Role.CENTRE_ADMIN, *STAFF_ROLES)
def record_consent(request, patient_id: int):
    patient = get_visible_or_404(Patient.objects, request.user, "change", pk=patient_id)
    form = ConsentForm(request.POST, prefix="consent")
    if form.is_valid():
        try:
            grants.grant_consent(request.user, patient, form.cleaned_data["physician"],
                                 form.expires_at, form.cleaned_data["note"])
            messages.success(request, "Consent recorded.")
        except AccountsError as error:
            messages.error(request, str(error))
    else:
        messages.error(request, form_errors(form))
    return redirect("portal:patient", patient.pk)


@require_POST
@roles_only(Role.CENTRE_ADMIN, *STAFF_ROLES)
def record_proxy(request, patient_id: int):
    patient = get_visible_or_404(Patient.objects, request.user, "change", pk=patient_id)
    form = ProxyForm(request.POST, prefix="proxy")
    if form.is_valid():
        expires_on = form.cleaned_data["expires_on"]
        try:
            grants.grant_proxy(request.user, patient, form.cleaned_data["username"],
                               form.cleaned_data["relationship"],
                               expires_at=ConsentForm.end_of(expires_on) if expires_on else None)
            messages.success(request, "Proxy access granted.")
        except AccountsError as error:
            messages.error(request, str(error))
    else:
        messages.error(request, form_errors(form))
    return redirect("portal:patient", patient.pk)


def form_errors(form) -> str:
    return " ".join(f"{form.fields[name].label if name in form.fields else ''}: {' '.join(e)}"
                    .lstrip(": ") for name, e in form.errors.items())


@require_POST
@roles_only(*GRANTING_ROLES)
def revoke_consent(request, consent_id: int):
    consent = visible_grant(request, Consent, consent_id)
    try:
        grants.revoke_consent(request.user, consent)
        messages.success(request, "Consent revoked.")
    except AccountsError as error:
        messages.error(request, str(error))
    return back(request, consent.patient) if role_of(request.user) != Role.PATIENT else redirect(
        "portal:consents"
    )


@require_POST
@roles_only(*GRANTING_ROLES)
def revoke_proxy(request, grant_id: int):
    grant = visible_grant(request, ProxyGrant, grant_id, proxy_may_see=True)
    try:
        grants.revoke_proxy(request.user, grant)
        messages.success(request, "Access revoked.")
    except AccountsError as error:
        messages.error(request, str(error))
    return back(request, grant.patient) if role_of(request.user) != Role.PATIENT else redirect(
        "portal:proxies"
    )


def visible_grant(request, model, pk: int, proxy_may_see: bool = False):
    """A grant of a patient this user may see (or their own proxy grant); 404 otherwise."""
    visible = Q(patient__in=Patient.objects.restrict(request.user).values("pk"))
    if role_of(request.user) == Role.PATIENT:
        visible = Q(patient_id=request.user.profile.patient_id)
        if proxy_may_see:
            visible |= Q(proxy=request.user)
    grant = model.objects.filter(visible, pk=pk).select_related("patient").first()
    if grant is None:
        raise Http404("no such grant")
    return grant
