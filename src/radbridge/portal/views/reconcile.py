"""The reconciliation list in the portal's look: studies no rule could link to an order,
for the staff whose role may reconcile (front desk, technologists, administrators). Linking
and rejecting go through the imaging app's audited services, limited to the user's sites;
the list shows patient names and IDs as sent by the modality, so showing it is an audited
read of each study."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from radbridge.accounts.choices import Role
from radbridge.clinical.models import Order
from radbridge.core import audit
from radbridge.imaging.matching import (
    ReconciliationError,
    awaiting_reconciliation,
    link_study,
    reject_study,
)

from .. import navigation
from ..phi import reads_phi
from .util import needs_permission

RECONCILE = "imaging.reconcile_study"
navigation.add("Reconciliation", "portal:reconciliation",
               {Role.FRONT_DESK, Role.TECHNOLOGIST, Role.CENTRE_ADMIN}, order=65)


def hide_unseen_candidates(user, studies) -> None:
    """The images await a decision and belong to no one, but a candidate order is another
    site's business: shown only to those who may see that order (in memory, never saved)."""
    candidates = {s.candidate_order_id for s in studies if s.candidate_order_id}
    seen = set(Order.objects.restrict(user).filter(pk__in=candidates).values_list(
        "pk", flat=True)) if candidates else set()
    for study in studies:
        if study.candidate_order_id not in seen:
            study.candidate_order = None


@reads_phi
@needs_permission(RECONCILE)
def reconciliation(request):
    studies = list(awaiting_reconciliation().select_related("candidate_order")[:200])
    hide_unseen_candidates(request.user, studies)
    audit.record_reads("reconciliation", "study", [(s.pk, s.patient_id) for s in studies])
    return render(request, "portal/ops/reconciliation.html", {"studies": studies})


@require_POST
@needs_permission(RECONCILE)
def reconcile(request):
    uid = request.POST.get("study_instance_uid", "").strip()
    reason = request.POST.get("reason", "").strip()
    try:
        if request.POST.get("action") == "reject":
            reject_study(uid, reason, user=request.user)
            messages.success(request, "Study rejected: it stays stored and belongs to no one.")
        else:
            accession = request.POST.get("accession_number", "").strip()
            if not accession:
                raise ReconciliationError("enter the accession number of the order to link to")
            link_study(uid, accession, reason, user=request.user)
            messages.success(request, f"Study linked to order {accession}.")
    except ReconciliationError as error:
        messages.error(request, f"Not done: {error}.")
    return redirect("portal:reconciliation")
