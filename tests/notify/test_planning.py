"""From events to deliveries: who hears, on which channel, in which words, and when."""

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from radbridge.clinical.models import Location, Organization
from radbridge.core import outbox
from radbridge.core.models import AuditEntry
from radbridge.notify import delivery, planner
from radbridge.notify.choices import DeliveryStatus, MessageKind
from radbridge.notify.models import ContactPreference, Delivery, MessageTemplate
from radbridge.notify.recipients import Recipient, normalise_phone, quiet_until

from .conftest import (
    MOBILE_E164,
    emit,
    make_order,
    make_patient,
    make_physician,
    report_event,
)

pytestmark = pytest.mark.django_db


def test_final_report_plans_one_sms_and_one_email_for_the_patient(actor):
    order = make_order(make_patient())
    report_event(order)
    outbox.relay_once()
    rows = Delivery.objects.order_by("channel")
    assert [(d.channel, d.kind, d.to_address) for d in rows] == [
        ("email", MessageKind.REPORT_READY, "jane@example.org"),
        ("sms", MessageKind.REPORT_READY, MOBILE_E164),
    ]
    assert all(d.status == DeliveryStatus.QUEUED for d in rows)


def test_handling_the_same_event_again_plans_nothing_new(actor):
    order = make_order(make_patient())
    event = report_event(order)
    planner.handle_event(event)
    planner.handle_event(event)
    outbox.relay_once()
    assert Delivery.objects.count() == 2


def test_default_sms_says_ready_and_links_without_report_text(actor):
    order = make_order(make_patient(), modality="CR")
    report_event(order, text="No pulmonary embolism. Lungs clear.")
    outbox.relay_once()
    sms = Delivery.objects.get(channel="sms")
    # The patient has no account yet: the link is a sign-up link tied to this study.
    assert re.fullmatch(
        r"Springfield Imaging: your X-ray report is complete\. View it securely: "
        r"https://radbridge\.example/signup/inv_[\w-]+/", sms.body)
    assert "embolism" not in sms.body and "DOE" not in sms.body.upper()


def test_stat_report_reaches_ordering_and_copied_physicians_at_once(actor, settings):
    settings.NOTIFY_QUIET_HOURS = "00:00-23:59"  # quiet all day: only STAT goes now
    ordering, copied = make_physician(), make_physician("999", "+1 217 555 0111", "b@x.example")
    order = make_order(make_patient(), priority="stat", physician=ordering)
    order.copies_to.add(copied, ordering)
    report_event(order)
    outbox.relay_once()
    stat = Delivery.objects.filter(kind=MessageKind.REPORT_STAT)
    assert stat.count() == 4  # two physicians, SMS and email each, ordering one not twice
    assert {d.practitioner_id for d in stat} == {ordering.id, copied.id}
    assert all(d.urgent and d.next_attempt_at <= timezone.now() for d in stat)
    patient_rows = Delivery.objects.filter(kind=MessageKind.REPORT_READY)
    assert all(d.next_attempt_at > timezone.now() for d in patient_rows)
    assert "quiet hours" in patient_rows[0].reason


def test_preliminary_routine_report_tells_nobody(actor):
    report_event(make_order(make_patient()), topic="report.preliminary",
                 report_status="preliminary")
    outbox.relay_once()
    assert not Delivery.objects.exists()


def test_opted_out_patient_gets_a_suppressed_row_and_no_message(actor):
    patient = make_patient()
    ContactPreference.objects.create(patient=patient, opted_out=True)
    report_event(make_order(patient))
    outbox.relay_once()
    assert set(Delivery.objects.values_list("status", "reason")) == {
        (DeliveryStatus.SUPPRESSED, "the recipient opted out")}


def test_landline_and_garbage_numbers_are_no_sms_address(actor):
    patient = make_patient(phones=["not a number"], email="")
    report_event(make_order(patient))
    outbox.relay_once()
    sms = Delivery.objects.get(channel="sms")
    assert sms.status == DeliveryStatus.SUPPRESSED
    assert "'not a number' is not readable" in sms.reason
    assert Delivery.objects.get(channel="email").reason == "no email address on file"


@pytest.mark.parametrize(("raw", "region", "expected"), [
    ("(217) 555-0142", "US", "+12175550142"),
    ("06 12 34 56 78", "FR", "+33612345678"),
    ("+44 7911 123456", "US", "+447911123456"),
])
def test_phone_numbers_are_normalised_to_e164(raw, region, expected):
    assert normalise_phone(raw, region).value == expected


def test_french_landline_is_refused_for_sms():
    assert "landline" in normalise_phone("01 42 68 53 00", "FR").problem


def test_preferences_choose_channel_and_language(actor):
    patient = make_patient()
    ContactPreference.objects.create(patient=patient, channels="sms", language="fr")
    report_event(make_order(patient))
    outbox.relay_once()
    sms = Delivery.objects.get()
    assert sms.channel == "sms" and sms.language == "fr"
    assert sms.body.startswith("Springfield Imaging : votre compte rendu est disponible")


def test_site_template_wins_over_the_generic_one(actor):
    site = Organization.objects.create(name="Northside Imaging", identifier="NORTH", kind="site")
    MessageTemplate.objects.create(kind=MessageKind.REPORT_READY, channel="sms", language="en",
                                   site=site, body="{{ centre_name }} says hi {{ first_name }}")
    order = make_order(make_patient())
    order.location = Location.objects.create(code="N1", organization=site)
    order.save()
    report_event(order)
    outbox.relay_once()
    assert Delivery.objects.get(channel="sms").body == "Northside Imaging says hi Jane"


def test_one_time_code_is_kept_out_of_the_log_but_sent(actor, sms_server):
    expires = (timezone.now() + timedelta(minutes=10)).isoformat()
    emit("auth.one_time_code", "user", 7, purpose="login", code="482913",
         to_phone="+1 217 555 0177", user_id=7, expires_at=expires)
    outbox.relay_once()
    row = Delivery.objects.get()
    assert row.channel == "sms" and "482913" not in row.body and row.redacted
    delivery.send_due()
    assert sms_server.bodies() == [
        "482913 is your Springfield Imaging code. It expires in 10 minutes. Never share it."]
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT and "482913" not in row.body
    assert not any("482913" in str(e.detail) for e in AuditEntry.objects.all())


def test_one_time_code_ignores_opt_out_and_quiet_hours(actor, settings):
    settings.NOTIFY_QUIET_HOURS = "00:00-23:59"
    patient = make_patient()
    ContactPreference.objects.create(patient=patient, opted_out=True)
    emit("auth.one_time_code", "patient", patient.id, purpose="login", code="111222",
         to_email="jane@example.org", patient_id=patient.id,
         expires_at=(timezone.now() + timedelta(minutes=5)).isoformat())
    outbox.relay_once()
    row = Delivery.objects.get()
    assert (row.channel, row.status) == ("email", DeliveryStatus.QUEUED)
    assert row.next_attempt_at <= timezone.now()


def test_portal_invitation_goes_to_the_addresses_it_names(actor):
    patient = make_patient()
    emit("portal.invitation", "order", 1, patient_id=patient.id, order_id=1,
         accession_number="A1", url="https://radbridge.example/portal/invite/xyz",
         to_phone="", to_email="other@example.org",
         expires_at=(timezone.now() + timedelta(days=3)).isoformat())
    outbox.relay_once()
    email = Delivery.objects.get(channel="email")
    assert email.to_address == "other@example.org"
    assert "https://radbridge.example/portal/invite/xyz" in email.body


def test_images_available_tells_the_patient_once(actor):
    order = make_order(make_patient(), modality="MR")
    for _ in range(2):  # the imaging app may announce a study again when more images come
        emit("images.available", "study", 5, patient_id=order.patient_id, order_id=order.id,
             accession_number=order.accession_number, modality="MR", priority="routine",
             study_instance_uid="1.2.3", instance_count=10)
    outbox.relay_once()
    sms = Delivery.objects.filter(channel="sms", kind=MessageKind.IMAGES_READY)
    assert sms.count() == 2  # two events, two announcements: each event is told once
    assert "your MRI images are ready" in sms[0].body


def test_appointment_change_of_practitioner_only_tells_nobody(actor):
    patient = make_patient()
    starts = (timezone.now() + timedelta(days=3)).isoformat()
    emit("appointment.changed", "appointment", 1, patient_id=patient.id, starts_at=starts,
         status="booked", fields=["practitioner"])
    emit("appointment.booked", "appointment", 2, patient_id=patient.id,
         starts_at=(timezone.now() - timedelta(days=1)).isoformat(), status="booked", fields=[])
    outbox.relay_once()
    assert not Delivery.objects.exists()


def test_appointment_time_is_written_in_the_recipients_time_zone(actor):
    patient = make_patient()
    ContactPreference.objects.create(patient=patient, time_zone="Europe/Paris", channels="sms")
    starts = datetime(2099, 1, 14, 8, 30, tzinfo=UTC)
    emit("appointment.booked", "appointment", 1, patient_id=patient.id,
         starts_at=starts.isoformat(), status="booked", fields=[])
    outbox.relay_once()
    assert "Wed 14 Jan 2099, 09:30" in Delivery.objects.get().body


def test_quiet_hours_end_in_the_recipients_morning():
    paris = Recipient(key="x", role="patient", quiet_hours=(time(21), time(8)))
    from zoneinfo import ZoneInfo
    paris.time_zone = ZoneInfo("Europe/Paris")
    late = datetime(2026, 1, 14, 22, 30, tzinfo=UTC)  # 23:30 in Paris
    assert quiet_until(late, paris) == datetime(2026, 1, 15, 8, 0, tzinfo=paris.time_zone)
    noon = datetime(2026, 1, 14, 11, 0, tzinfo=UTC)
    assert quiet_until(noon, paris) is None
    early = datetime(2026, 1, 14, 5, 0, tzinfo=UTC)  # 06:00 in Paris
    assert quiet_until(early, paris) == datetime(2026, 1, 14, 8, 0, tzinfo=paris.time_zone)
