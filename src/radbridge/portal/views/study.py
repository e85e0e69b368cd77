"""The study page for every role, and its report exports (HL7 ORU^R01 and PDF).

The page shows where the study is (scheduled, images ready, report ready), the current report
with its history (a corrected report says so), the series thumbnails from the imaging index
(linked to the image viewer when the portal has one) and, for patients, a plain-language
glossary of the terms in their report. Every order is found through `restrict()`, so a study
the user may not see is a 404; every page and export writes its `read.` audit entry.
"""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from radbridge.accounts.choices import Role
from radbridge.accounts.permissions import get_visible_or_404, may_act_for_patient, role_of
from radbridge.clinical.choices import AppointmentStatus, OrderStatus, ReportStatus
from radbridge.clinical.models import Order, ReportVersion
from radbridge.core import audit
from radbridge.hl7.messages import report_message
from radbridge.hl7.wire import new_control_id
from radbridge.imaging.choices import Availability
from radbridge.imaging.models import Study
from radbridge.scheduling.offer import awaiting_booking
from radbridge.scheduling.permissions import bookable_orders, changeable_appointments

from ..glossary import terms_in
from ..phi import reads_phi
from ..report_pdf import render_report_pdf
from .scheduling import books_in_portal
from .viewer import remember_shown

EXPORT_ROLES = frozenset(Role.values) - {Role.PATIENT, Role.CLINIC_ADMIN, Role.INTEGRATION}
STEPS = (("scheduled", "Scheduled"), ("images", "Images ready"), ("report", "Report ready"))


def visible_order(request, order_id: int) -> Order:
    return get_visible_or_404(
        Order.objects.select_related("patient", "ordering_practitioner", "location"),
        request.user, pk=order_id,
    )


def report_versions(request, order: Order) -> list[ReportVersion]:
    """The report's versions this user may read, newest first."""
    return list(
        ReportVersion.objects.restrict(request.user).filter(report__order=order)
        .select_related("radiologist").order_by("-number")
    )


def image_studies(request, order: Order) -> list[Study]:
    return list(
        Study.objects.restrict(request.user).filter(order=order)
        .prefetch_related("series").order_by("study_date", "pk")
    )


def progress(order: Order, current: ReportVersion | None, studies: list[Study]) -> str:
    if current is not None and current.status != ReportStatus.CANCELLED:
        return "report"
    images_in = any(s.availability == Availability.AVAILABLE for s in studies)
    if images_in or order.status == OrderStatus.IMAGES_AVAILABLE:
        return "images"
    return "scheduled"


def steps_to(step: str) -> list[tuple[str, str, bool]]:
    """The progress steps, each marked done up to and including `step`."""
    reached = [key for key, _ in STEPS].index(step)
    return [(key, label, index <= reached) for index, (key, label) in enumerate(STEPS)]


def booking_links(request, order: Order) -> dict:
    """"Book a time" for an order awaiting a slot, "Move" for one booked here, for those who
    may book for its patient (role table and object rules); nothing for anyone else."""
    if not books_in_portal(request.user):
        return {}
    slots = reverse("portal:book_slots")
    if awaiting_booking(bookable_orders(request.user)).filter(pk=order.pk).exists():
        return {"book_url": f"{slots}?order={order.pk}"}
    booked = changeable_appointments(request.user).filter(
        order=order, status=AppointmentStatus.BOOKED, starts_at__gt=timezone.now()
    ).values_list("pk", flat=True).first()
    if booked is None:
        return {}
    return {"move_url": f"{slots}?reschedule={booked}",
            "cancel_url": reverse("portal:appointment_cancel", args=[booked])}


@reads_phi
@login_required
def study(request, order_id: int):
    """One study and its report, for anyone who may see the order; 404 for everyone else."""
    order = visible_order(request, order_id)
    versions = report_versions(request, order)
    current = versions[0] if versions else None
    studies = image_studies(request, order)
    role = role_of(request.user)
    audit.record_read("report" if versions else "order", "order", order.pk,
                      patient_id=order.patient_id, accession_number=order.accession_number)
    remember_shown(request, order)  # its series thumbnails come under this read
    step = progress(order, current, studies)
    return render(request, "portal/study.html", {
        "order": order, "current": current, "versions": versions,
        "earlier": versions[1:], "studies": studies,
        "viewer_url": reverse("portal:viewer", args=[order.pk]),
        "steps": steps_to(step),
        "step": step, "cancelled": order.status == OrderStatus.CANCELLED,
        "glossary": terms_in(current.text) if current and role == Role.PATIENT else [],
        "can_export_hl7": current is not None and role in EXPORT_ROLES,
        "can_share": may_act_for_patient(request.user, order.patient),
        **booking_links(request, order),
    })


def chosen_version(request, order: Order) -> ReportVersion:
    """The version asked for (?version=N), else the newest; 404 when there is none."""
    versions = report_versions(request, order)
    wanted = request.GET.get("version", "")
    if wanted:
        versions = [v for v in versions if str(v.number) == wanted]
    if not versions:
        raise Http404("this study has no report (yet), or no such version")
    return versions[0]


def download_name(order: Order, version: ReportVersion, extension: str) -> str:
    accession = re.sub(r"[^A-Za-z0-9_-]", "_", order.accession_number)[:64]
    return f"report-{accession}-v{version.number}.{extension}"


def attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def record_export(order: Order, version: ReportVersion, file_format: str) -> None:
    """An export leaves RadBridge with the user: a read and a disclosure in one entry."""
    audit.record_read(f"export.{file_format}", "report_version", version.pk,
                      patient_id=order.patient_id, accession_number=order.accession_number,
                      version=version.number, disclosure=True)


@reads_phi
@login_required
def report_pdf(request, order_id: int):
    order = visible_order(request, order_id)
    version = chosen_version(request, order)
    record_export(order, version, "pdf")
    return attachment(render_report_pdf(order, version), "application/pdf",
                      download_name(order, version, "pdf"))


@reads_phi
@login_required
def report_hl7(request, order_id: int):
    """The report as an ORU^R01 file for a clinician's EHR; patients have the PDF instead."""
    if role_of(request.user) not in EXPORT_ROLES:
        raise Http404("no such page")
    order = visible_order(request, order_id)
    version = chosen_version(request, order)
    record_export(order, version, "hl7")
    message = report_message(order, version, new_control_id())
    return attachment(message.encode("utf-8"), "application/hl7-v2; charset=utf-8",
                      download_name(order, version, "hl7"))
