"""The report as a PDF: what a patient downloads with their study and a physician files.

`render_report_pdf(order, report_version)` lays out one version of a report on A4 with
ReportLab (BSD licence): the centre, the patient, the exam, the radiologist, the status
(a corrected report says so in its title and lists the earlier versions), and the text.
The text is escaped before layout, so a report never becomes markup; the PDF's own
metadata carries no PHI beyond the title a viewer shows.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from radbridge.clinical.choices import ReportStatus
from radbridge.clinical.models import Order, ReportVersion

STATUS_TITLES = {
    ReportStatus.PRELIMINARY: "Preliminary report",
    ReportStatus.FINAL: "Final report",
    ReportStatus.CORRECTED: "Corrected report",
    ReportStatus.CANCELLED: "Cancelled report",
}


def centre_name(order: Order) -> str:
    """The imaging site that did the exam, else the centre's configured name."""
    site = order.location.organization if order.location_id and order.location else None
    return site.name if site else settings.NOTIFY_CENTRE_NAME


def _when(value, with_time: bool = True) -> str:
    if value is None:
        return "—"
    if hasattr(value, "tzinfo"):
        value = timezone.localtime(value)
        return value.strftime("%d %b %Y %H:%M" if with_time else "%d %b %Y")
    return value.strftime("%d %b %Y")


def _styles() -> dict[str, ParagraphStyle]:
    sheet = getSampleStyleSheet()
    return {
        "centre": ParagraphStyle("centre", parent=sheet["Normal"], fontSize=10,
                                 textColor=colors.HexColor("#34495e")),
        "title": ParagraphStyle("title", parent=sheet["Title"], alignment=0, fontSize=18,
                                spaceAfter=4 * mm),
        "warning": ParagraphStyle("warning", parent=sheet["Normal"], fontName="Helvetica-Bold",
                                  textColor=colors.HexColor("#8a1c1c"), spaceAfter=3 * mm),
        "heading": ParagraphStyle("heading", parent=sheet["Heading2"], fontSize=12,
                                  spaceBefore=5 * mm),
        "body": ParagraphStyle("body", parent=sheet["Normal"], fontSize=10.5, leading=14),
        "small": ParagraphStyle("small", parent=sheet["Normal"], fontSize=8.5,
                                textColor=colors.HexColor("#555555")),
    }


def _facts_table(order: Order, version: ReportVersion, styles) -> Table:
    patient = order.patient
    mrn = ", ".join(str(i) for i in patient.identifiers.all()) if patient.pk else ""
    rows = [
        ("Patient", patient.display_name),
        ("Date of birth", _when(patient.birth_date, with_time=False)),
        ("Patient ID", mrn or "—"),
        ("Accession number", order.accession_number),
        ("Procedure", order.procedure_text or order.procedure_code or "—"),
        ("Exam date", _when(order.scheduled_at or order.created_at)),
        ("Ordered by", str(order.ordering_practitioner) if order.ordering_practitioner else "—"),
        ("Radiologist", str(version.radiologist) if version.radiologist else "—"),
        ("Signed", _when(version.signed_at)),
        ("Status", f"{STATUS_TITLES.get(version.status, version.status)} "
                   f"(version {version.number})"),
    ]
    cells = [[Paragraph(escape(label), styles["small"]), Paragraph(escape(value), styles["body"])]
             for label, value in rows]
    table = Table(cells, colWidths=[40 * mm, 125 * mm])
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#cccccc")),
    ]))
    return table


def _earlier_versions(version: ReportVersion) -> list[ReportVersion]:
    return list(
        ReportVersion.objects.filter(report_id=version.report_id, number__lt=version.number)
        .select_related("radiologist").order_by("-number")
    )


def _text_paragraphs(text: str, style: ParagraphStyle) -> list[Paragraph]:
    """One paragraph per block of lines; single line breaks kept, markup escaped."""
    blocks = [block for block in text.replace("\r\n", "\n").split("\n\n") if block.strip()]
    return [Paragraph(escape(block.strip()).replace("\n", "<br/>"), style) for block in blocks] \
        or [Paragraph("(This report has no text.)", style)]


def render_report_pdf(order: Order, report_version: ReportVersion) -> bytes:
    """The PDF of one version of the order's report, as bytes."""
    styles = _styles()
    title = STATUS_TITLES.get(report_version.status, "Report")
    story = [
        Paragraph(escape(centre_name(order)), styles["centre"]),
        Paragraph(escape(f"{title}: {order.procedure_text or 'Imaging study'}"), styles["title"]),
    ]
    earlier = _earlier_versions(report_version)
    if report_version.status == ReportStatus.CORRECTED:
        story.append(Paragraph(
            "Corrected: this report replaces an earlier version. Read this version.",
            styles["warning"]))
    story += [_facts_table(order, report_version, styles),
              Paragraph("Report", styles["heading"]),
              *_text_paragraphs(report_version.text, styles["body"])]
    if earlier:
        story.append(Paragraph("Earlier versions", styles["heading"]))
        story += [Paragraph(escape(
            f"Version {v.number}: {STATUS_TITLES.get(v.status, v.status)}, signed "
            f"{_when(v.signed_at)}" + (f" by {v.radiologist}" if v.radiologist else "")),
            styles["small"]) for v in earlier]
    story += [Spacer(1, 8 * mm), Paragraph(escape(
        f"Printed {_when(timezone.now())} from RadBridge. Accession {order.accession_number}."),
        styles["small"])]

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
        bottomMargin=18 * mm, title=f"{title} {order.accession_number}",
        author=centre_name(order), creator="RadBridge",
    )
    document.build(story)
    return buffer.getvalue()
