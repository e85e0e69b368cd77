"""Sending over real sockets: the fake ClickSend/Twilio server and an aiosmtpd SMTP server.

Failures the providers really produce (500, 429 with Retry-After, timeouts, 4xx) show the
retries, the backoff, the dead-letter state and that an unanswered send is looked up at the
provider before it is sent again, so the person gets one message."""

from datetime import timedelta

import pytest
from django.utils import timezone

from radbridge.core import outbox
from radbridge.core.models import AuditEntry
from radbridge.notify import delivery, services
from radbridge.notify.choices import DeliveryStatus
from radbridge.notify.models import Delivery

from .conftest import MOBILE_E164, make_order, make_patient, report_event

pytestmark = pytest.mark.django_db


def plan_report(**patient):
    order = make_order(make_patient(**patient))
    report_event(order)
    outbox.relay_once()
    return order


def make_due():
    Delivery.objects.filter(status=DeliveryStatus.RETRYING).update(next_attempt_at=timezone.now())


def test_clicksend_receives_the_sms_with_our_key_and_the_log_records_it(actor, sms_server):
    plan_report(email="")
    assert delivery.send_due() == 1
    [message] = sms_server.accepted
    sms = Delivery.objects.get(channel="sms")
    assert (message["provider"], message["to"], message["key"]) == ("clicksend", MOBILE_E164,
                                                                     sms.key)
    assert (sms.status, sms.provider, sms.provider_message_id) == ("sent", "clicksend",
                                                                   message["id"])
    entry = AuditEntry.objects.get(action="notify.sent")
    assert entry.object_id == str(sms.id) and entry.patient_id == sms.patient_id
    assert entry.detail["provider_message_id"] == message["id"]
    assert entry.detail["to"] == "+12***42"


def test_twilio_receives_form_fields_and_a_status_callback_url(actor, sms_server, settings):
    settings.NOTIFY_SMS_PROVIDER = "twilio"
    plan_report(email="")
    delivery.send_due()
    [message] = sms_server.accepted
    sms = Delivery.objects.exclude(status="suppressed").get()
    assert message["to"] == MOBILE_E164 and message["provider"] == "twilio"
    assert message["callback"] == f"https://radbridge.example/notify/webhooks/twilio/{sms.id}"
    assert sms.provider_message_id == message["id"] and sms.status == "sent"


def test_email_reaches_the_smtp_server_with_text_and_html_parts(actor, mail_server):
    plan_report(phones=[])
    delivery.send_due()
    [mail] = mail_server.to("jane@example.org")
    assert mail["Subject"] == "Your CT report is complete"
    assert mail["From"] == "Springfield Imaging <results@springfield.example>"
    assert "Springfield Imaging is complete" in mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert '<a href="https://radbridge.example/signup/inv_' in html
    row = Delivery.objects.get(channel="email")
    assert row.status == "sent" and mail["Message-ID"] == row.provider_message_id


def test_server_error_is_retried_after_a_backoff(actor, sms_server):
    plan_report(email="")
    sms_server.fail_next("500")
    assert delivery.send_due() == 0
    sms = Delivery.objects.exclude(status="suppressed").get()
    assert sms.status == DeliveryStatus.RETRYING and "HTTP 500" in sms.reason
    assert sms.next_attempt_at >= timezone.now() + timedelta(seconds=14)  # half of 30 s at least
    assert delivery.send_due() == 0  # not due yet
    make_due()
    assert delivery.send_due() == 1
    sms.refresh_from_db()
    assert (sms.status, sms.attempts, len(sms_server.accepted)) == ("sent", 2, 1)


def test_backoff_grows_exponentially_with_jitter(settings):
    settings.NOTIFY_RETRY_BASE_SECONDS, settings.NOTIFY_RETRY_CAP_SECONDS = 10, 1000
    delays = [delivery.retry_delay(attempt) for attempt in (1, 2, 3, 4, 5)]
    for attempt, delay in enumerate(delays, start=1):
        ceiling = 10 * 2 ** (attempt - 1)
        assert ceiling / 2 <= delay <= ceiling
    assert len({round(delivery.retry_delay(3), 6) for _ in range(20)}) > 1  # jitter


def test_too_many_requests_waits_at_least_retry_after(actor, sms_server, settings):
    settings.NOTIFY_RETRY_BASE_SECONDS = 0.01
    plan_report(email="")
    sms_server.fail_next(("429", 120))
    delivery.send_due()
    sms = Delivery.objects.exclude(status="suppressed").get()
    assert sms.status == DeliveryStatus.RETRYING and "429" in sms.reason
    assert sms.next_attempt_at >= timezone.now() + timedelta(seconds=115)


def test_timeout_is_looked_up_then_sent_once(actor, sms_server):
    plan_report(email="")
    sms_server.fail_next("timeout")  # no answer and nothing kept
    delivery.send_due()
    sms = Delivery.objects.exclude(status="suppressed").get()
    assert sms.status == DeliveryStatus.RETRYING and sms.needs_lookup
    make_due()
    delivery.send_due()
    sms.refresh_from_db()
    assert sms.status == "sent" and len(sms_server.accepted) == 1


def test_lost_answer_is_found_at_the_provider_and_not_sent_twice(actor, sms_server):
    plan_report(email="")
    sms_server.fail_next("accept_then_hang")  # ClickSend took it; the answer never came
    delivery.send_due()
    sms = Delivery.objects.exclude(status="suppressed").get()
    assert sms.status == DeliveryStatus.RETRYING and sms.needs_lookup
    make_due()
    delivery.send_due()
    sms.refresh_from_db()
    assert len(sms_server.accepted) == 1
    assert (sms.status, sms.provider_message_id) == ("sent", sms_server.accepted[0]["id"])


def test_lost_twilio_answer_is_found_in_the_message_list(actor, sms_server, settings):
    settings.NOTIFY_SMS_PROVIDER = "twilio"
    plan_report(email="")
    sms_server.fail_next("accept_then_hang")
    delivery.send_due()
    make_due()
    delivery.send_due()
    sms = Delivery.objects.exclude(status="suppressed").get()
    assert len(sms_server.accepted) == 1 and sms.provider_message_id == sms_server.accepted[0]["id"]


def test_permanent_refusal_is_dead_lettered_without_retry(actor, sms_server, settings):
    settings.NOTIFY_SMS_PROVIDER = "twilio"
    plan_report(email="")
    sms_server.fail_next("400")
    delivery.send_due()
    sms = Delivery.objects.exclude(status="suppressed").get()
    assert sms.status == DeliveryStatus.DEAD
    assert "Twilio error 21211" in sms.reason and "not a valid phone number" in sms.reason
    assert AuditEntry.objects.filter(action="notify.dead_letter").count() == 1
    make_due()
    delivery.send_due()
    assert len(sms_server.requests) == 1


def test_refused_recipient_in_a_clicksend_batch_is_dead_and_the_rest_sent(actor, sms_server):
    for accession, phone in (("A1", "(217) 555-0142"), ("A2", "(217) 555-0143")):
        report_event(make_order(make_patient(phones=[phone], email=""), accession=accession))
    outbox.relay_once()
    Delivery.objects.filter(to_address="+12175550143").update(to_address="+1999")
    delivery.send_due()
    assert sorted(Delivery.objects.filter(channel="sms").values_list("status", flat=True)) == [
        "dead", "sent"]
    assert "INVALID_RECIPIENT" in Delivery.objects.get(status="dead").reason


def test_gives_up_after_the_last_attempt(actor, sms_server, settings):
    settings.NOTIFY_MAX_ATTEMPTS = 3
    plan_report(email="")
    sms_server.fail_next("500", "500", "500", "500")
    for _ in range(3):
        delivery.send_due()
        make_due()
    sms = Delivery.objects.exclude(status="suppressed").get()
    assert sms.status == DeliveryStatus.DEAD and sms.attempts == 3
    assert sms.reason.startswith("gave up after 3 attempts; last: ClickSend answered HTTP 500")


def test_mail_server_refusing_the_address_is_dead_lettered(actor, mail_server):
    mail_server.refuse_with = "550 5.1.1 No such user here"
    plan_report(phones=[])
    delivery.send_due()
    row = Delivery.objects.exclude(status="suppressed").get()
    assert row.status == DeliveryStatus.DEAD and "refused jane@example.org" in row.reason


def test_unreachable_mail_server_is_retried(actor, settings):
    from tests.hl7.ris import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    plan_report(phones=[])
    delivery.send_due()
    row = Delivery.objects.exclude(status="suppressed").get()
    assert row.status == DeliveryStatus.RETRYING and "mail server unreachable" in row.reason


def test_expired_one_time_code_is_not_sent(actor, sms_server):
    from .conftest import emit

    emit("auth.one_time_code", "user", 1, purpose="login", code="999000", to_phone=MOBILE_E164,
         user_id=1, expires_at=(timezone.now() + timedelta(minutes=1)).isoformat())
    outbox.relay_once()
    Delivery.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    delivery.send_due()
    assert Delivery.objects.exclude(status="suppressed").get().status == DeliveryStatus.DEAD
    assert sms_server.accepted == []


def test_resend_queues_a_copy_and_keeps_the_original(actor, sms_server):
    plan_report(email="")
    delivery.send_due()
    original = Delivery.objects.exclude(status="suppressed").get()
    copy = services.resend(original)
    delivery.send_due()
    copy.refresh_from_db()
    assert copy.status == "sent" and copy.resent_from == original
    assert len(sms_server.accepted) == 2
    assert AuditEntry.objects.filter(action="notify.resend", object_id=str(copy.id)).exists()


def test_a_delivery_on_its_way_cannot_be_resent(actor):
    plan_report(email="")
    with pytest.raises(services.ResendRefused, match="still on its way"):
        services.resend(Delivery.objects.exclude(status="suppressed").get())


def test_interrupted_send_is_reclaimed_after_its_lease(actor, sms_server):
    plan_report(email="")
    Delivery.objects.filter(channel="sms").update(status=DeliveryStatus.SENDING, attempts=1,
                            last_attempt_at=timezone.now(),
                            claimed_until=timezone.now() - timedelta(seconds=1))
    delivery.send_due()
    sms = Delivery.objects.exclude(status="suppressed").get()
    assert sms.status == "sent" and len(sms_server.accepted) == 1 and sms.attempts == 2


def test_twilio_lookup_does_not_take_another_deliverys_identical_message(actor, sms_server,
                                                                        settings):
    settings.NOTIFY_SMS_PROVIDER = "twilio"
    patient = make_patient(email="")
    report_event(make_order(patient, accession="A1"))
    outbox.relay_once()
    delivery.send_due()  # the first report's SMS went out
    report_event(make_order(patient, accession="A2"))  # same words, same number
    outbox.relay_once()
    sms_server.fail_next("timeout")  # the second one's request got no answer and was lost
    delivery.send_due()
    make_due()
    delivery.send_due()
    rows = Delivery.objects.filter(channel="sms").order_by("id")
    assert [r.status for r in rows] == ["sent", "sent"]
    assert len(sms_server.accepted) == 2
    assert rows[0].provider_message_id != rows[1].provider_message_id
