"""The worklist as physicians and staff use it: search, filter, sort, page, new since last
visit, report text with highlights; never a study the user may not see."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from radbridge.accounts.choices import Role
from radbridge.clinical.models import Order, Patient
from radbridge.core.models import AuditEntry
from radbridge.portal.models import WorklistVisit
from tests.personas import (
    make_clinic,
    make_location,
    make_order,
    make_patient_user,
    make_physician,
    make_site,
    make_staff,
    sign_in,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def doctor():
    return make_physician(clinic=make_clinic())


def order_for(doctor, family="Smith", given="Ann", birth=date(1970, 1, 1), **fields):
    patient = Patient.objects.create(family_name=family, given_name=given, birth_date=birth)
    order = make_order(patient, doctor.profile.practitioner,
                       report_text=fields.pop("report_text", ""))
    if fields:
        Order.objects.filter(pk=order.pk).update(**fields)
        order.refresh_from_db()
    return order


def listed(client, **params) -> list[str]:
    response = client.get("/studies/", params)
    assert response.status_code == 200
    return [order.accession_number for order in response.context["page"]]


def test_partial_name_without_accents_finds_the_accented_patient(client, doctor):
    jose = order_for(doctor, "Muñoz", "José")
    order_for(doctor, "Smith", "Ann")
    sign_in(client, doctor)
    assert listed(client, name="jose") == [jose.accession_number]
    assert listed(client, name="MUN jos") == [jose.accession_number]
    assert listed(client, name="josé muñoz") == [jose.accession_number]


def test_filters_by_birth_date_accession_modality_and_place(client, doctor):
    site = make_site("North")
    room = make_location(site)
    mri = order_for(doctor, birth=date(1955, 3, 4), modality="MR", location=room)
    ct = order_for(doctor)
    sign_in(client, doctor)
    assert listed(client, birth_date="1955-03-04") == [mri.accession_number]
    assert listed(client, accession=ct.accession_number) == [ct.accession_number]
    assert listed(client, modality="MR") == [mri.accession_number]
    assert listed(client, place=f"site:{site.pk}") == [mri.accession_number]
    assert listed(client, place=f"room:{room.pk}") == [mri.accession_number]


def test_exam_date_range_and_stat_filter(client, doctor):
    early = datetime(2024, 1, 10, 9, tzinfo=UTC)
    january = order_for(doctor, scheduled_at=early, priority="stat")
    order_for(doctor, scheduled_at=early + timedelta(days=40))
    order_for(doctor, scheduled_at=early + timedelta(days=41), priority="stat")
    sign_in(client, doctor)
    assert listed(client, exam_from="2024-01-01", exam_to="2024-01-31") == [
        january.accession_number]
    assert set(listed(client, stat="on")) == {january.accession_number,
                                              Order.objects.last().accession_number}


def test_sorts_by_column_and_pages(client, doctor):
    for n in range(30):
        order_for(doctor, family=f"Name{n:02d}",
                  scheduled_at=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=n))
    sign_in(client, doctor)
    page = client.get("/studies/", {"sort": "patient"}).context["page"]
    assert [o.patient.family_name for o in page][:2] == ["Name00", "Name01"]
    assert page.paginator.num_pages == 2
    newest_first = client.get("/studies/").context["page"]
    assert newest_first[0].patient.family_name == "Name29"
    second = client.get("/studies/", {"sort": "patient", "page": 2}).context["page"]
    assert [o.patient.family_name for o in second] == [f"Name{n}" for n in range(25, 30)]
    html = client.get("/studies/", {"sort": "patient"}).content.decode()
    assert 'aria-sort="ascending"' in html and "sort=-patient" in html


def test_new_since_last_visit_is_marked_and_filterable(client, doctor):
    old = order_for(doctor)
    WorklistVisit.objects.create(user=doctor, last_seen_at=timezone.now())
    new = order_for(doctor)
    sign_in(client, doctor)
    page = client.get("/studies/").context["page"]
    assert {o.accession_number: o.is_new for o in page} == {
        old.accession_number: False, new.accession_number: True}
    assert listed(client, new="on") == [new.accession_number]
    # This visit is remembered for the next session.
    assert WorklistVisit.objects.get(user=doctor).last_seen_at > new.updated_at


def test_report_text_search_highlights_the_match_escaped(client, doctor):
    nodules = order_for(doctor, report_text="<script>alert(1)</script> Two pulmonary nodules.")
    order_for(doctor, report_text="Normal chest.")
    sign_in(client, doctor)
    response = client.get("/studies/", {"text": "pulmonary nodule"})
    assert [o.accession_number for o in response.context["page"]] == [nodules.accession_number]
    html = response.content.decode()
    assert "<mark>" in html and "<script>alert" not in html
    assert AuditEntry.objects.filter(action="read.report_search",
                                     patient_id=nodules.patient_id).exists()


def test_physician_never_sees_another_physicians_studies(client, doctor):
    other = make_physician(clinic=make_clinic())
    theirs = order_for(other, "Muñoz", "José", report_text="Pulmonary nodule.")
    mine = order_for(doctor, report_text="Pulmonary nodule.")
    sign_in(client, doctor)
    assert listed(client) == [mine.accession_number]
    assert listed(client, name="jose") == []
    assert listed(client, text="pulmonary nodule") == [mine.accession_number]
    assert listed(client, accession=theirs.accession_number) == []


def test_staff_see_studies_at_their_sites_only(client, doctor):
    site, other_site = make_site(), make_site()
    here = order_for(doctor, location=make_location(site), report_text="Renal cyst.")
    order_for(doctor, location=make_location(other_site), report_text="Renal cyst.")
    tech = make_staff(Role.TECHNOLOGIST, sites=[site])
    sign_in(client, tech)
    assert listed(client, text="renal cyst") == [here.accession_number]


def test_patients_do_not_get_the_worklist(client):
    sign_in(client, make_patient_user())
    assert client.get("/studies/").status_code == 404


def test_bad_filters_get_a_clear_message_not_a_crash(client, doctor):
    order_for(doctor)
    sign_in(client, doctor)
    for params in ({"birth_date": "31/31/2020"}, {"exam_from": "2024-02-01",
                                                  "exam_to": "2024-01-01"},
                   {"name": "x" * 5000}, {"place": "site:abc"}, {"sort": "password"},
                   {"page": "999999"}, {"text": '"unbalanced -'}, {"modality": "<b>"}):
        response = client.get("/studies/", params)
        assert response.status_code == 200, params
    bad = client.get("/studies/", {"birth_date": "31/31/2020"}).content.decode()
    assert "Enter a valid date" in bad and 'role="alert"' in bad
    backwards = client.get("/studies/", {"exam_from": "2024-02-01", "exam_to": "2024-01-01"})
    assert "before its start" in backwards.content.decode()


def test_htmx_request_gets_only_the_results(client, doctor):
    order_for(doctor)
    sign_in(client, doctor)
    response = client.get("/studies/", {"stat": "on"}, headers={"HX-Request": "true",
                                                                 "HX-Target": "worklist-results"})
    html = response.content.decode()
    assert "<html" not in html and 'id="worklist-results"' in html
    assert 'name="sort" value="-exam" form="worklist-form"' in html  # the sort follows
    full = client.get("/studies/").content.decode()
    assert "<html" in full and 'hx-get="/studies/"' in full


def test_past_the_cap_the_count_says_more_than(client, doctor, monkeypatch):
    monkeypatch.setattr("radbridge.portal.worklist_filters.CappedPaginator.CAP", 3)
    for _ in range(5):
        order_for(doctor)
    sign_in(client, doctor)
    response = client.get("/studies/")
    assert "More than 3 studies" in response.content.decode()
    assert len(response.context["page"]) == 4  # pages still hold what there is to show


def test_htmx_request_filters_by_place_too(client, doctor):
    room = make_location(make_site())
    here = order_for(doctor, location=room)
    order_for(doctor)
    sign_in(client, doctor)
    response = client.get("/studies/", {"place": f"room:{room.pk}"},
                          headers={"HX-Request": "true", "HX-Target": "worklist-results"})
    assert [o.accession_number for o in response.context["page"]] == [here.accession_number]
