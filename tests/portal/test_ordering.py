"""Placing orders online: the form, the HL7 upload, "My orders", and who may order for whom."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from radbridge.accounts.choices import Role
from radbridge.accounts.models import Consent
from radbridge.accounts.permissions import orderable_patients
from radbridge.clinical import services
from radbridge.clinical.models import Document, Order
from radbridge.core import outbox
from radbridge.core.audit import Actor, acting_as
from radbridge.core.models import AuditEntry, OutboxEvent
from radbridge.hl7.outbound import send_due
from radbridge.hl7.wire import parse_message
from radbridge.portal import order_forms
from tests.fhir.conftest import Api, token_for
from tests.fhir.test_writes import order_body
from tests.hl7.ris import FakeRIS
from tests.personas import (
    make_centre_admin,
    make_location,
    make_order,
    make_patient,
    make_patient_user,
    make_physician,
    make_site,
    make_staff,
    sign_in,
)

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def physician():
    return make_physician()


@pytest.fixture
def patient(physician):
    patient = make_patient()
    Consent.objects.create(patient=patient, physician=physician, source="staff")
    return patient


def form(patient, **changes):
    return {"patient": patient.pk, "procedure": "CTHEAD", "priority": "stat",
            "indication": "Sudden severe headache.", **changes}


def orm(mrn: str, accession: str, control: str = "NW", message_type: str = "ORM^O01") -> bytes:
    return "\r".join([
        f"MSH|^~\\&|EHR|CLINIC|RADBRIDGE|CENTRE|20260301101500||{message_type}|MSG{accession}|P|2.5.1",
        f"PID|1||{mrn}^^^TEST^MR||Other^Name||19800517|F",
        f"ORC|{control}|{accession}|||||^^^^^S",
        f"OBR|1|{accession}||MRBRAIN^MR brain^L|||||||||Follow-up of lesion|||||"
        f"{accession}||||||MR",
    ]).encode()


def upload(client, content: bytes, name="order.hl7"):
    return client.post("/orders/upload/", {"message": SimpleUploadedFile(name, content)})


def test_physician_places_a_stat_order_with_an_attachment(client, physician, patient):
    sign_in(client, physician)
    assert patient.display_name in client.get("/orders/new/").content.decode()
    letter = SimpleUploadedFile("referral.pdf", PDF, content_type="application/pdf")
    response = client.post("/orders/new/", form(patient, attachments=[letter]))
    assert response.status_code == 302 and response["Location"] == "/orders/"
    order = Order.objects.get(patient=patient)
    assert (order.priority, order.procedure_code, order.modality) == ("stat", "CTHEAD", "CT")
    assert order.reason == "Sudden severe headache."
    assert order.ordering_practitioner == physician.profile.practitioner
    document = Document.objects.get(order=order)
    assert (document.title, document.content_type, bytes(document.content)) == (
        "referral.pdf", "application/pdf", PDF)
    assert OutboxEvent.objects.filter(topic="order.placed", aggregate_id=str(order.pk)).exists()
    page = client.get("/orders/").content.decode()
    assert order.accession_number in page and "Scheduled" in page


def test_my_orders_shows_the_status_as_the_centre_moves_it(client, physician, patient):
    sign_in(client, physician)
    client.post("/orders/new/", form(patient))
    order = Order.objects.get(patient=patient)
    with acting_as(Actor(name="hl7:RIS", role="integration")):
        services.set_order_status(order.accession_number, "images_available")
    rows = client.get("/orders/rows/", HTTP_HX_REQUEST="true").content.decode()
    assert rows.startswith("<tbody") and 'hx-trigger="every 5s"' in rows
    assert "Images available" in rows


def test_the_status_poll_audits_only_orders_the_page_did_not_show(client, physician):
    """An open My orders tab polls every 5 s: one read per order shown, not one per poll."""
    sign_in(client, physician)
    first = make_order(practitioner=physician.profile.practitioner)
    client.get("/orders/")
    for _ in range(3):
        client.get("/orders/rows/", HTTP_HX_REQUEST="true")
    reads = AuditEntry.objects.filter(action="read.my_orders")
    assert list(reads.values_list("object_id", flat=True)) == [str(first.pk)]
    second = make_order(practitioner=physician.profile.practitioner)
    client.get("/orders/rows/", HTTP_HX_REQUEST="true")
    client.get("/orders/rows/", HTTP_HX_REQUEST="true")
    assert sorted(reads.values_list("object_id", flat=True)) == sorted(
        [str(first.pk), str(second.pk)])
    client.get("/orders/")  # opening the page again is a new read of what it shows
    assert reads.count() == 4


def test_physician_cannot_order_for_a_patient_they_may_not_see(client, physician):
    stranger = make_patient()
    sign_in(client, physician)
    page = client.get("/orders/new/").content.decode()
    assert stranger.display_name not in page
    response = client.post("/orders/new/", form(stranger))
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert not Order.objects.exists()


@pytest.mark.parametrize("role", [Role.RADIOLOGIST, Role.TECHNOLOGIST])
def test_roles_without_add_order_do_not_see_the_pages(client, role):
    sign_in(client, make_staff(role, all_sites=True))
    for url in ("/orders/", "/orders/new/", "/orders/rows/", "/orders/upload/"):
        assert client.get(url).status_code == 404


def test_patients_do_not_order(client):
    sign_in(client, make_patient_user())
    assert client.get("/orders/new/").status_code == 404


@pytest.mark.parametrize("name, content, expected", [
    ("letter.pdf", b"just some text", "is not a PDF, PNG, JPEG file"),
    ("scan.png", b"MZ\x90\x00 a program", "is not a PDF, PNG, JPEG file"),
])
def test_attachments_of_the_wrong_type_are_refused_by_name(client, physician, patient, name,
                                                           content, expected):
    sign_in(client, physician)
    bad = SimpleUploadedFile(name, content)
    response = client.post("/orders/new/", form(patient, attachments=[bad]))
    assert response.status_code == 400
    assert f"{name} {expected}" in response.content.decode()
    assert not Order.objects.exists()


def test_oversized_and_too_many_attachments_are_refused(client, physician, patient, monkeypatch):
    monkeypatch.setattr(order_forms, "MAX_ATTACHMENT_BYTES", 100)
    sign_in(client, physician)
    big = SimpleUploadedFile("big.pdf", PDF + b" " * 200)
    response = client.post("/orders/new/", form(patient, attachments=[big]))
    text = response.content.decode()
    assert "big.pdf is 2" in text and "at most 100" in text
    many = [SimpleUploadedFile(f"p{n}.pdf", PDF) for n in range(6)]
    response = client.post("/orders/new/", form(patient, attachments=many))
    assert "6 files were attached: at most 5" in response.content.decode()
    assert not Order.objects.exists()


def test_uploaded_orm_places_the_order_in_the_physicians_name(client, physician, patient):
    sign_in(client, physician)
    mrn = patient.identifiers.get().value
    response = upload(client, orm(mrn, "EHR77"))
    assert response.status_code == 302, response.content.decode()
    order = Order.objects.get(accession_number="EHR77")
    assert order.patient == patient
    assert order.ordering_practitioner == physician.profile.practitioner
    assert (order.priority, order.procedure_code, order.modality) == ("stat", "MRBRAIN", "MR")
    patient.refresh_from_db()
    assert patient.family_name != "Other"  # the upload's PID does not rewrite the record


@pytest.mark.parametrize("content, expected", [
    (b"", "The file is empty"),
    (b"\x00\xff\xfe garbage \x89PNG", "The file is not text"),
    (b"\xff\xfe garbage \x89PNG", "not a readable HL7 message"),
    (b"PID|1||X", "must start with an MSH segment"),
    (None, "The message type (MSH-9) is ORU^R01: upload an order message"),
    ("cancel", "ORC-1 (order control) is not NW"),
    ("stranger", "is not known here or not one you may order for"),
    ("taken", "is already used by another order"),
    ("no-pid3", "PID-3"),
])
def test_bad_orm_uploads_get_a_clear_error_and_place_nothing(client, physician, patient,
                                                             content, expected):
    mrn = patient.identifiers.get().value
    existing = make_order(patient).accession_number
    content = {
        None: orm(mrn, "A1", message_type="ORU^R01"),
        "cancel": orm(mrn, "A2", control="CA"),
        "stranger": orm(make_patient().identifiers.get().value, "A3"),
        "taken": orm(mrn, existing),
        "no-pid3": orm("", "A4"),
    }.get(content, content)
    sign_in(client, physician)
    before = Order.objects.count()
    response = upload(client, content)
    assert response.status_code == 400
    assert expected in response.content.decode()
    assert Order.objects.count() == before


@pytest.mark.parametrize("url", ["/orders/new/", "/orders/upload/"])
def test_a_body_larger_than_the_form_can_hold_is_refused_unread(client, physician, patient,
                                                                monkeypatch, url):
    monkeypatch.setattr(order_forms, "MAX_ATTACHMENT_BYTES", 1000)
    monkeypatch.setattr(order_forms, "MAX_ORM_BYTES", 1000)
    sign_in(client, physician)
    huge = [SimpleUploadedFile(f"p{n}.pdf", PDF + b" " * 20_000) for n in range(5)]
    response = client.post(url, form(patient, attachments=huge, message=huge[0]))
    assert response.status_code == 413
    text = response.content.decode()
    assert "Nothing was placed: the upload is" in text and "1000" in text
    assert not Order.objects.exists()


def test_oversized_orm_upload_is_refused(client, physician, patient):
    sign_in(client, physician)
    response = upload(client, b"MSH|" + b"x" * (order_forms.MAX_ORM_BYTES + 1))
    assert response.status_code == 400
    assert "an order message is at most" in response.content.decode()


def test_orderable_patients_follow_the_role_table_and_the_record_rules(physician, patient):
    referred = make_order(practitioner=physician.profile.practitioner).patient
    stranger = make_patient()
    merged = make_patient()
    merged.merged_into = patient
    merged.save()
    Consent.objects.create(patient=merged, physician=physician, source="staff")
    assert set(orderable_patients(physician)) == {patient, referred}
    assert stranger in orderable_patients(make_centre_admin())
    assert not orderable_patients(make_staff(Role.RADIOLOGIST, all_sites=True)).exists()
    assert not orderable_patients(make_patient_user(patient)).exists()


@pytest.mark.django_db(transaction=True)
def test_order_placed_online_reaches_the_ris_as_orm_o01(client, settings, physician, patient):
    ris = FakeRIS()
    settings.HL7_OUTBOUND_TARGET = f"127.0.0.1:{ris.port}"
    try:
        sign_in(client, physician)
        client.post("/orders/new/", form(patient))
        order = Order.objects.get(patient=patient)
        with acting_as(Actor(name="worker", role="worker")):
            outbox.relay_once()
            assert send_due() == 1
        sent = parse_message(ris.received[0])
    finally:
        ris.close()
    assert sent.message_type == "ORM^O01"
    obr = sent.segment("OBR")
    assert (obr.value(4, 1), obr.value(18), obr.value(27, 6)) == ("CTHEAD", order.accession_number,
                                                                 "S")
    assert sent.segment("PID").value(3) == patient.identifiers.get().value


def test_fhir_service_request_follows_the_same_orderable_patients(client, physician):
    referred = make_order(practitioner=physician.profile.practitioner).patient
    stranger = make_patient()
    api = Api(client, token_for(physician, "user/*.*"))
    status, outcome, _ = api.post("ServiceRequest", order_body(stranger.pk))
    assert status == 422 and outcome["issue"][0]["expression"] == ["ServiceRequest.subject"]
    status, created, _ = api.post("ServiceRequest", order_body(referred.pk))
    assert status == 201, created
    order = Order.objects.get(pk=created["id"])
    assert order.ordering_practitioner == physician.profile.practitioner


def test_finding_a_patient_narrows_the_list_and_the_site_goes_with_the_order(client):
    admin = make_centre_admin()
    wanted, other = make_patient(), make_patient()
    site = make_location()
    sign_in(client, admin)
    page = client.get("/orders/new/", {"find": wanted.identifiers.get().value}).content.decode()
    assert wanted.display_name in page and other.display_name not in page
    assert "No patient you may order for matches" in client.get(
        "/orders/new/", {"find": "nobody-like-this"}).content.decode()
    client.post("/orders/new/", form(wanted, priority="routine", location=site.pk))
    order = Order.objects.get(patient=wanted)
    assert order.location == site and order.ordering_practitioner is None


def test_my_orders_page_costs_the_same_queries_for_many_orders(client, physician,
                                                              django_assert_max_num_queries):
    sign_in(client, physician)
    for _ in range(3):
        make_order(practitioner=physician.profile.practitioner)
    with django_assert_max_num_queries(20) as few:
        client.get("/orders/rows/")
    for _ in range(20):
        make_order(practitioner=physician.profile.practitioner)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/orders/rows/")


def test_front_desk_upload_names_a_known_doctor_and_cannot_invent_one(client, patient):
    doctor = make_physician().profile.practitioner
    clerk = make_staff(Role.FRONT_DESK, all_sites=True)
    sign_in(client, clerk)
    mrn = patient.identifiers.get().value
    unknown = orm(mrn, "FD1").replace(b"ORC|NW|FD1|||||^^^^^S",
                                      b"ORC|NW|FD1|||||^^^^^S|||||NOBODY^" + b"X" * 300)
    response = upload(client, unknown)
    assert response.status_code == 400 and "is not known here" in response.content.decode()
    known = orm(mrn, "FD2").replace(
        b"ORC|NW|FD2|||||^^^^^S",
        f"ORC|NW|FD2|||||^^^^^S|||||{doctor.identifier}^Renamed^Someone".encode())
    assert upload(client, known).status_code == 302
    order = Order.objects.get(accession_number="FD2")
    doctor.refresh_from_db()
    assert order.ordering_practitioner == doctor and doctor.family_name != "Renamed"


def test_front_desk_at_some_sites_orders_at_one_of_them_and_follows_the_order(client):
    site, elsewhere = make_site(), make_site()
    room, other_room = make_location(site), make_location(elsewhere)
    patient = make_order(location=room).patient
    clerk = make_staff(Role.FRONT_DESK, sites=[site])
    sign_in(client, clerk)
    page = client.get("/orders/new/").content.decode()
    assert room.name in page and other_room.name not in page
    missing = client.post("/orders/new/", form(patient))
    assert missing.status_code == 400 and "This field is required" in missing.content.decode()
    elsewhere_answer = client.post("/orders/new/", form(patient, location=other_room.pk))
    assert elsewhere_answer.status_code == 400
    assert client.post("/orders/new/", form(patient, location=room.pk)).status_code == 302
    placed = Order.objects.get(patient=patient, procedure_code="CTHEAD")
    assert placed.accession_number in client.get("/orders/").content.decode()


def test_uploads_keep_known_locations_only_and_site_staff_name_their_own(client, patient):
    site = make_site()
    room = make_location(site)
    make_order(patient, location=room)
    clerk = make_staff(Role.FRONT_DESK, sites=[site])
    sign_in(client, clerk)
    mrn = patient.identifiers.get().value
    with_room = orm(mrn, "LOC1").replace(b"\rORC", f"\rPV1|1|O|{room.code}\rORC".encode())
    unknown_room = orm(mrn, "LOC2").replace(b"\rORC", b"\rPV1|1|O|NOWHERE\rORC")
    answer = upload(client, unknown_room)
    assert answer.status_code == 400 and "PV1-3 (assigned patient location) is NOWHERE" in (
        answer.content.decode())
    assert upload(client, with_room).status_code == 302
    assert Order.objects.get(accession_number="LOC1").location == room
    assert "LOC1" in client.get("/orders/").content.decode()
