"""The clinical pages of this skeleton: home per role and patients for staff (the worklist is
views/worklist.py, a study views/study.py). Every one narrows its queryset with restrict()
first and audits what it shows."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render

from radbridge.accounts.choices import STAFF_ROLES, Role
from radbridge.accounts.models import Consent, Invitation, ProxyGrant
from radbridge.accounts.permissions import (
    get_visible_or_404,
    may_invite,
    may_record_consent,
    may_view_audit,
    role_of,
)
from radbridge.clinical.models import Order, Patient
from radbridge.core import audit

from ..forms import ConsentForm, InviteForm, ProxyForm
from ..phi import reads_phi
from .util import roles_only

PAGE_SIZE = 25
CLINICAL_ROLES = (Role.PHYSICIAN, Role.CENTRE_ADMIN, *STAFF_ROLES)
STAFF_AND_ADMIN = (Role.CENTRE_ADMIN, *STAFF_ROLES)
HOME_BY_ROLE = {
    Role.PATIENT: "portal:my_studies",
    Role.CLINIC_ADMIN: "portal:users",
    **{role: "portal:studies" for role in CLINICAL_ROLES},
}


@login_required
def home(request):
    target = HOME_BY_ROLE.get(role_of(request.user))
    if target is None:
        return render(request, "portal/no_role.html", status=403)
    return redirect(target)


def order_rows(queryset):
    return queryset.select_related("patient", "ordering_practitioner", "location", "report")


@reads_phi
@roles_only(*STAFF_AND_ADMIN)
def patients(request):
    query = request.GET.get("q", "").strip()
    found = Patient.objects.restrict(request.user).filter(merged_into__isnull=True)
    if query:
        found = found.filter(
            Q(family_name__icontains=query) | Q(given_name__icontains=query)
            | Q(identifiers__value__iexact=query)
        ).distinct()
    page = Paginator(found.order_by("family_name", "given_name", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    audit.record_reads("patient_list", "patient", [(p.pk, p.pk) for p in page], query=query)
    return render(request, "portal/staff/patients.html", {"page": page, "query": query})


@reads_phi
@roles_only(*STAFF_AND_ADMIN)
def patient(request, patient_id: int):
    record = get_visible_or_404(Patient.objects.prefetch_related("identifiers"),
                                request.user, pk=patient_id)
    orders = order_rows(Order.objects.restrict(request.user).filter(patient=record)).order_by(
        "-created_at"
    )
    audit.record_read("patient", "patient", record.pk, patient_id=record.pk)
    return render(request, "portal/staff/patient.html", {
        "patient": record,
        "orders": orders,
        "consents": Consent.objects.filter(patient=record).select_related("physician")
        .order_by("-created_at"),
        "proxies": ProxyGrant.objects.filter(patient=record).select_related("proxy")
        .order_by("-created_at"),
        "invitations": Invitation.objects.filter(patient=record).order_by("-created_at")[:10],
        "can_consent": may_record_consent(request.user, record),
        "can_invite": may_invite(request.user),
        "can_audit": may_view_audit(request.user),
        "consent_form": ConsentForm(prefix="consent"),
        "proxy_form": ProxyForm(prefix="proxy"),
        "invite_form": InviteForm(prefix="invite", orders=orders),
    })
