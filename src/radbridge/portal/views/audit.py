"""The audit viewer: filters, CSV export, who has seen a patient's records, and the patient's
own "who viewed my records". Reading the log is itself audited."""

from __future__ import annotations

from datetime import timedelta

from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render

from radbridge.accounts.audit_log import AuditFilter, csv_lines, entries, viewers_of
from radbridge.accounts.choices import Role
from radbridge.accounts.permissions import get_visible_or_404, own_patient_ids
from radbridge.clinical.models import Patient
from radbridge.core import audit

from ..forms import AuditFilterForm, start_of_day
from ..phi import reads_phi
from .util import roles_only

PAGE_SIZE = 50


def filter_from(form: AuditFilterForm) -> AuditFilter:
    data = form.cleaned_data if form.is_valid() else {}
    until = data.get("until")
    return AuditFilter(
        actor=data.get("actor", ""),
        patient_id=data.get("patient"),
        action=data.get("action", ""),
        since=start_of_day(data["since"]) if data.get("since") else None,
        until=start_of_day(until + timedelta(days=1)) if until else None,
    )


@reads_phi
@roles_only(Role.CENTRE_ADMIN)
def audit_log(request):
    form = AuditFilterForm(request.GET or None)
    chosen = filter_from(form)
    if request.GET.get("format") == "csv":
        audit.record_read("audit_export", "audit_log", "", patient_id=chosen.patient_id,
                          filters=request.GET.urlencode())
        response = StreamingHttpResponse(csv_lines(entries(chosen)), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="radbridge-audit.csv"'
        return response
    # Recorded before the page is read, so the page (counted first) includes this read.
    audit.record_read("audit_log", "audit_log", "", patient_id=chosen.patient_id,
                      filters=request.GET.urlencode())
    page = Paginator(entries(chosen), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "portal/admin/audit.html",
                  {"form": form, "page": page, "query": query.urlencode()})


@reads_phi
@roles_only(Role.CENTRE_ADMIN)
def patient_viewers(request, patient_id: int):
    """Who has seen this patient's records (every read, by anyone)."""
    patient = get_visible_or_404(Patient.objects, request.user, pk=patient_id)
    ids = {patient.pk, *patient.merged_from.values_list("pk", flat=True)}
    audit.record_read("patient_viewers", "patient", patient.pk, patient_id=patient.pk)
    page = Paginator(viewers_of(ids), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/admin/patient_viewers.html", {"patient": patient, "page": page})


@reads_phi
@roles_only(Role.PATIENT)
def my_access_log(request):
    """A patient sees who viewed their records (and the records they are proxy for)."""
    ids = own_patient_ids(request.user)
    merged = Patient.objects.filter(merged_into__in=ids).values_list("pk", flat=True)
    audit.record_read("access_log", "patient", request.user.profile.patient_id,
                      patient_id=request.user.profile.patient_id)
    page = Paginator(viewers_of(ids | set(merged)), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/patient/access_log.html", {"page": page})
