"""DICOM associations in the interface monitor: every association that reached the SCP, for
the operator whose modality says "send failed": when, from where, which AE titles, how it
ended and why, what it carried.

The rows hold no PHI (addresses, AE titles, counts), so reading them is not an audited read.
Rows with a problem (not released, a failed C-STORE, a reason noted) stand out.
"""

from __future__ import annotations

import ipaddress

from django import forms
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render

from radbridge.imaging.associations import PROBLEM, summary
from radbridge.imaging.choices import AssociationOutcome
from radbridge.imaging.models import DicomAssociation

from ..forms import DayRangeForm
from .util import is_htmx, needs_permission

PAGE_SIZE = 50
OK, PROBLEMS = "ok", "problems"


class AssociationSearchForm(DayRangeForm):
    calling_ae_title = forms.CharField(label="Calling AE", max_length=16, required=False,
                                       help_text="e.g. CT01, or CT for every CT…")
    peer_address = forms.CharField(label="Address", max_length=45, required=False,
                                   help_text="e.g. 10.1.2.3, or 10.1.2. for the network")
    outcome = forms.ChoiceField(label="Outcome", required=False, choices=[
        ("", "Any"), (OK, "OK"), (PROBLEMS, "Problems"), *AssociationOutcome.choices])
    field_order = ["calling_ae_title", "peer_address", "outcome"]

    def filter(self, rows):
        data = self.cleaned_data
        if data["calling_ae_title"]:
            rows = rows.filter(calling_ae_title__istartswith=data["calling_ae_title"].strip())
        if data["peer_address"]:
            rows = rows.filter(address_query(data["peer_address"].strip()))
        if data["outcome"] == OK:
            rows = rows.exclude(PROBLEM)
        elif data["outcome"] == PROBLEMS:
            rows = rows.filter(PROBLEM)
        elif data["outcome"]:
            rows = rows.filter(outcome=data["outcome"])
        return self.within_days(rows, "started_at")


def address_query(text: str) -> Q:
    """A whole address matches itself only (10.1.2.3 is not 10.1.2.30); a part, by prefix."""
    try:
        return Q(peer_address=str(ipaddress.ip_address(text)))
    except ValueError:
        return Q(peer_address__startswith=text)


@needs_permission("imaging.view_dicomassociation")
def association_list(request):
    form = AssociationSearchForm(request.GET)
    if not form.is_valid():
        return render(request, "portal/ops/associations.html", {"form": form}, status=400)
    rows = form.filter(DicomAssociation.objects.all())
    page = Paginator(rows.order_by("-started_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    template = ("portal/ops/_association_rows.html" if is_htmx(request)
                else "portal/ops/associations.html")
    return render(request, template, {
        "form": form, "page": page, "query": query.urlencode(), "summary": summary(rows),
    })
