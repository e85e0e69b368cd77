"""A real FHIR client library (fhirpy, from PyPI) reads, searches and pages through the API
served over HTTP by pytest-django's live server."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import OperationOutcome, ResourceNotFound

from radbridge.accounts.choices import Role
from radbridge.clinical.models import Patient, Report
from tests.fhir.conftest import ingest, validate
from tests.hl7.helpers import orm, oru
from tests.imaging.helpers import receive
from tests.personas import make_staff, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def session_cookie(user: User) -> str:
    browser = sign_in(Client(), user)
    return browser.cookies["sessionid"].value


@pytest.fixture
def fhir(live_server):
    user = make_staff(Role.RADIOLOGIST, all_sites=True)
    return SyncFHIRClient(
        f"{live_server.url}/fhir",
        extra_headers={"Cookie": f"sessionid={session_cookie(user)}"},
    )


@pytest.fixture
def seven_reports():
    for number in range(7):
        accession = f"LIVE{number}"
        ingest(orm(f"O{number}", accession), oru(f"R{number}", accession, [f"finding {number}"]))
    return Patient.objects.get()


def test_client_pages_through_every_report_of_a_patient(fhir, seven_reports):
    search = fhir.resources("DiagnosticReport").search(patient=f"Patient/{seven_reports.pk}")
    first_page = search.limit(3).fetch()
    assert len(first_page) == 3
    everything = search.limit(3).fetch_all()  # follows the Bundle's next links
    assert sorted(int(r.id) for r in everything) == sorted(
        Report.objects.values_list("pk", flat=True)
    )
    for report in everything:
        validate(report.serialize())
    assert search.count() == 7


def test_client_searches_by_name_and_identifier_and_reads(fhir, seven_reports):
    found = fhir.resources("Patient").search(name="do").fetch()
    assert [p.id for p in found] == [str(seven_reports.pk)]
    by_identifier = (
        fhir.resources("Patient").search(identifier="urn:radbridge:authority:MERCY|MRN100").first()
    )
    assert by_identifier["name"][0]["family"] == "DOE"
    order = fhir.reference("ServiceRequest", str(Report.objects.first().order_id)).to_resource()
    assert order["status"] == "completed"
    reports = fhir.resources("DiagnosticReport").search(date__ge="2026-01-01").fetch_all()
    assert len(reports) == 7


def test_client_sees_operation_outcomes_for_bad_searches_and_unknown_ids(fhir, seven_reports):
    with pytest.raises(OperationOutcome) as refused:
        fhir.resources("Patient").search(birthdate="soon").fetch()
    assert "birthdate" in str(refused.value)
    with pytest.raises(ResourceNotFound):
        fhir.reference("Patient", "999999").to_resource()


def test_client_finds_the_patients_imaging_studies_and_follows_the_report(fhir, seven_reports):
    order = Report.objects.order_by("pk").first().order
    receive("1.2.826.0.1.3680043.10.11.1", accession=order.accession_number, patient_id="MRN100")
    found = fhir.resources("ImagingStudy").search(patient=f"Patient/{seven_reports.pk}").fetch()
    assert [s["identifier"][1]["value"] for s in found] == [order.accession_number]
    validate(found[0].serialize())
    report = fhir.reference("DiagnosticReport", str(order.report.pk)).to_resource()
    assert report["imagingStudy"][0]["reference"] == f"ImagingStudy/{found[0].id}"
