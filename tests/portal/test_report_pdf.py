"""The report PDF: read back with pypdf, as a patient's or physician's PDF reader would."""

import io
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from radbridge.clinical.models import Report, ReportVersion
from radbridge.portal.report_pdf import render_report_pdf
from tests.personas import make_location, make_order, make_practitioner, make_site

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def reported_order(*versions):
    order = make_order(location=make_location(make_site("Springfield Imaging")),
                       practitioner=make_practitioner())
    report = Report.objects.create(order=order, status=versions[-1][0])
    radiologist = make_practitioner()
    made = [ReportVersion.objects.create(
        report=report, number=n, status=status, text=text, radiologist=radiologist,
        signed_at=datetime(2026, 3, n, 9, 30, tzinfo=UTC),
    ) for n, (status, text) in enumerate(versions, start=1)]
    return order, made, radiologist


def test_pdf_carries_centre_patient_exam_radiologist_and_text():
    order, (final,), radiologist = reported_order(
        ("final", "FINDINGS: Clear lungs.\n\nIMPRESSION: No acute disease."))
    text = pdf_text(render_report_pdf(order, final))
    for expected in ("Springfield Imaging", order.patient.family_name, order.accession_number,
                     "CT chest", radiologist.family_name, "Final report", "Mar 2026",
                     "FINDINGS: Clear lungs.", "IMPRESSION: No acute disease."):
        assert expected in text
    assert "Corrected" not in text


def test_corrected_report_is_marked_and_lists_earlier_versions():
    order, (_, corrected), _ = reported_order(
        ("final", "Left lung nodule."), ("corrected", "Right lung nodule."))
    text = pdf_text(render_report_pdf(order, corrected))
    assert "Corrected report" in text and "Corrected: this report replaces" in text
    assert "Right lung nodule." in text and "Left lung nodule." not in text
    assert "Version 1: Final report" in text


def test_report_text_that_looks_like_markup_is_printed_as_written():
    order, (final,), _ = reported_order(("final", "Size <b>3 mm</b> & <font>stable</font>"))
    assert "Size <b>3 mm</b> & <font>stable</font>" in pdf_text(render_report_pdf(order, final))


def test_long_report_flows_onto_more_pages():
    order, (final,), _ = reported_order(("final", "\n\n".join(f"Line {n}." for n in range(200))))
    data = render_report_pdf(order, final)
    assert len(PdfReader(io.BytesIO(data)).pages) > 1
    assert "Line 199." in pdf_text(data)
