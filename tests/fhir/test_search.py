"""Search: common parameters, date prefixes, paging links, _include, and strict 400s."""

from datetime import UTC, datetime

import pytest

from radbridge.clinical.models import Order, Patient, Report
from radbridge.core.models import AuditEntry
from tests.fhir.conftest import ingest, patient_token, validate
from tests.hl7.helpers import message, msh, orm, oru

pytestmark = pytest.mark.django_db


def adt(control_id, mrn, family, given, dob):
    return message(
        msh("ADT^A04", control_id),
        f"PID|1||{mrn}^^^MERCY^MR||{family}^{given}||{dob}|F",
    )


@pytest.fixture
def people():
    ingest(
        adt("A1", "M1", "SMITH", "ANNA", "19700101"),
        adt("A2", "M2", "SMITHERS", "BOB", "19800615"),
        adt("A3", "M3", "JONES", "SMITTY", "19901231"),
    )


@pytest.fixture
def reports():
    """Five reports for MRN100, one a day from 10 to 14 January 2026."""
    for day in range(10, 15):
        accession = f"D{day}"
        ingest(
            orm(f"O{day}", accession).replace("20260114081500", f"202601{day}081500"),
            oru(f"R{day}", accession, [f"report {day}"]).replace(
                "20260114081500", f"202601{day}081500"
            ),
        )
    return Patient.objects.get(identifiers__value="MRN100")


def ids(bundle):
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]


def names(bundle):
    return sorted(e["resource"]["name"][0]["family"] for e in bundle.get("entry", []))


def test_name_search_is_case_insensitive_prefix_on_family_or_given(staff_api, people):
    status, bundle, _ = staff_api.get("Patient", {"name": "smi"})
    validate(bundle)
    assert status == 200 and names(bundle) == ["JONES", "SMITH", "SMITHERS"]
    assert bundle["total"] == 3
    _, bundle, _ = staff_api.get("Patient", {"family": "smith"})
    assert names(bundle) == ["SMITH", "SMITHERS"]
    _, bundle, _ = staff_api.get("Patient", {"family:exact": "SMITH"})
    assert names(bundle) == ["SMITH"]
    _, bundle, _ = staff_api.get("Patient", {"name:contains": "ther"})
    assert names(bundle) == ["SMITHERS"]


def test_birthdate_prefixes(staff_api, people):
    assert names(staff_api.get("Patient", {"birthdate": "1980-06-15"})[1]) == ["SMITHERS"]
    assert names(staff_api.get("Patient", {"birthdate": "ge1980"})[1]) == ["JONES", "SMITHERS"]
    assert names(staff_api.get("Patient", {"birthdate": "lt1980-06-15"})[1]) == ["SMITH"]
    assert names(staff_api.get("Patient", {"birthdate": "le1980-06"})[1]) == ["SMITH", "SMITHERS"]
    assert names(staff_api.get("Patient", {"birthdate": "gt1980-06"})[1]) == ["JONES"]
    both = staff_api.client.get("/fhir/Patient?birthdate=ge1975&birthdate=le1985")
    assert names(both.json()) == ["SMITHERS"]


def test_identifier_search_with_and_without_system(staff_api, people):
    found = staff_api.get("Patient", {"identifier": "urn:radbridge:authority:MERCY|M2"})[1]
    assert names(found) == ["SMITHERS"]
    assert names(staff_api.get("Patient", {"identifier": "M3"})[1]) == ["JONES"]
    assert staff_api.get("Patient", {"identifier": "urn:other|M2"})[1]["total"] == 0


def test_reports_by_patient_and_date_range(staff_api, reports):
    query = {"patient": f"Patient/{reports.pk}", "date": ["ge2026-01-11", "lt2026-01-13"]}
    status, bundle, _ = staff_api.get("DiagnosticReport", query)
    validate(bundle)
    accessions = {e["resource"]["identifier"][-1]["value"] for e in bundle["entry"]}
    assert accessions == {"D11", "D12"}
    _, bundle, _ = staff_api.get(
        "DiagnosticReport", {"subject": str(reports.pk), "date": "gt2026-01-13"}
    )
    assert len(ids(bundle)) == 1
    _, bundle, _ = staff_api.get(
        "DiagnosticReport", {"date": "2026-01-12T08:15:00+00:00", "status": "final"}
    )
    assert len(ids(bundle)) == 1


def test_paging_follows_next_and_previous_links(staff_api, reports):
    _, first, _ = staff_api.get(
        "DiagnosticReport",
        {"patient": reports.pk, "_count": 2, "_sort": "date", "_total": "accurate"},
    )
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert set(links) == {"self", "next"} and first["total"] == 5
    seen = ids(first)
    url = links["next"]
    while url:
        page = staff_api.client.get(url.split("testserver", 1)[1]).json()
        validate(page)
        seen += ids(page)
        relations = {link["relation"]: link["url"] for link in page["link"]}
        assert "previous" in relations
        url = relations.get("next")
    expected = Report.objects.order_by("order__scheduled_at").values_list("pk", flat=True)
    assert seen == [str(pk) for pk in expected]


def test_include_brings_the_order_and_patient_once(staff_api, reports):
    _, bundle, _ = staff_api.get(
        "DiagnosticReport",
        {
            "patient": reports.pk,
            "_include": ["DiagnosticReport:based-on", "DiagnosticReport:subject"],
        },
    )
    validate(bundle)
    included = [
        e["resource"]["resourceType"] for e in bundle["entry"] if e["search"]["mode"] == "include"
    ]
    assert sorted(included) == ["Patient"] + ["ServiceRequest"] * 5


def test_search_is_audited_once_naming_results_and_patient(staff_api, reports):
    last = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    staff_api.get("DiagnosticReport", {"patient": reports.pk})
    entry = AuditEntry.objects.get(pk__gt=last)
    assert entry.action == "read.fhir.search" and entry.patient_id == reports.pk
    assert len(entry.detail["resources"]) == 5


def test_search_over_several_patients_is_audited_once_per_patient(staff_api, reports):
    ingest(orm("Y1", "OTHER", mrn="MRN300"), oru("Y2", "OTHER", ["x"], mrn="MRN300"))
    last = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    staff_api.get("DiagnosticReport")
    entries = AuditEntry.objects.filter(pk__gt=last)
    assert {e.action for e in entries} == {"read.fhir.search"}
    assert len({e.patient_id for e in entries}) == entries.count() == 2


def test_patient_token_search_sees_only_its_own_records(client, reports):
    ingest(orm("X1", "OTHER", mrn="MRN200"), oru("X2", "OTHER", ["x"], mrn="MRN200"))
    api = patient_token(client, reports.pk)
    _, bundle, _ = api.get("DiagnosticReport")
    assert len(ids(bundle)) == 5
    _, bundle, _ = api.get("ServiceRequest", {"identifier": "OTHER"})
    assert bundle["total"] == 0
    _, bundle, _ = api.get("Patient")
    assert ids(bundle) == [str(reports.pk)]


def test_service_request_search_by_status_code_and_identifier(staff_api, reports):
    ingest(orm("N1", "NEW1"))
    _, bundle, _ = staff_api.get("ServiceRequest", {"status": "active"})
    assert [e["resource"]["identifier"][-1]["value"] for e in bundle["entry"]] == ["NEW1"]
    _, bundle, _ = staff_api.get("ServiceRequest", {"code": "urn:radbridge:codesystem:L|CTCHEST"})
    assert bundle["total"] == 6
    _, bundle, _ = staff_api.get("ServiceRequest", {"identifier": "urn:radbridge:accession|D12"})
    assert ids(bundle) == [str(Order.objects.get(accession_number="D12").pk)]


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"birthdate": "1970-13-01"}, "birthdate"),
        ({"birthdate": "yesterday"}, "birthdate"),
        ({"birthdate": "ap1970"}, "birthdate"),
        ({"colour": "red"}, "colour"),
        ({"name:fuzzy": "x"}, "name:fuzzy"),
        ({"_count": "many"}, "_count"),
        ({"_count": "100000"}, "_count"),
        ({"_id": "abc"}, "_id"),
        ({"_sort": "colour"}, "_sort"),
        ({"_total": "lots"}, "_total"),
        ({"_include": "Patient:link"}, "_include"),
        ({"name": ""}, "name"),
        ({"_revinclude": "DiagnosticReport:subject"}, "_revinclude"),
    ],
)
def test_malformed_search_parameters_get_400_naming_the_parameter(staff_api, params, named):
    status, body, _ = staff_api.get("Patient", params)
    validate(body)
    assert status == 400
    assert body["issue"][0]["expression"] == [named]


def test_total_is_counted_only_when_asked_or_free(staff_api, people):
    _, bundle, _ = staff_api.get("Patient", {"name": "smi", "_count": 2})
    assert "total" not in bundle
    _, bundle, _ = staff_api.get("Patient", {"name": "smi", "_count": 2, "_total": "accurate"})
    assert bundle["total"] == 3
    _, bundle, _ = staff_api.get("Patient", {"name": "smi", "_count": 5})
    assert bundle["total"] == 3


def test_last_updated_and_count_only(staff_api, people):
    now = datetime.now(UTC).date().isoformat()
    _, bundle, _ = staff_api.get("Patient", {"_lastUpdated": f"ge{now}", "_summary": "count"})
    assert bundle["total"] == 3 and "entry" not in bundle


def test_report_search_page_has_a_query_budget(staff_api, reports, django_assert_max_num_queries):
    # session, user, its second-factor device, profile (role); reports, versions, their
    # orders' studies, included orders, patients, identifiers; one audit INSERT; the
    # session's activity stamp (3).
    with django_assert_max_num_queries(14):
        staff_api.get(
            "DiagnosticReport",
            {
                "patient": reports.pk,
                "_include": ["DiagnosticReport:based-on", "DiagnosticReport:subject"],
            },
        )
