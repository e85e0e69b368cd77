"""Replies to our text messages: STOP (Twilio's signed incoming webhook, ClickSend's inbound
rule) turns text messages off for whoever we texted at that number, suppresses what still
waits for it, and START turns them back on; anything else changes nothing."""

import json

import pytest
from django.test import Client

from radbridge.core import outbox
from radbridge.core.models import AuditEntry
from radbridge.notify import delivery
from radbridge.notify.choices import DeliveryStatus
from radbridge.notify.models import ContactPreference, Delivery
from radbridge.notify.replies import EMPTY_TWIML, keyword
from radbridge.notify.webhooks import twilio_signature

from .conftest import MOBILE, make_order, make_patient, report_event

pytestmark = pytest.mark.django_db
TOKEN = "inbound-token-for-tests"
TWILIO_PATH = "/notify/webhooks/twilio/incoming"


@pytest.fixture
def texted(actor, sms_server, settings):
    """A patient with an email address who was sent a text at MOBILE."""
    settings.NOTIFY_CLICKSEND_WEBHOOK_TOKEN = TOKEN
    patient = make_patient()
    report_event(make_order(patient))
    outbox.relay_once()
    delivery.send_due()
    sms = Delivery.objects.get(channel="sms", patient=patient)
    assert sms.status == DeliveryStatus.SENT
    return patient


def twilio_reply(settings, params, signature=None):
    url = f"{settings.PUBLIC_URL}{TWILIO_PATH}"
    signature = signature or twilio_signature(settings.NOTIFY_TWILIO_AUTH_TOKEN, url, params)
    return Client().post(TWILIO_PATH, params, HTTP_X_TWILIO_SIGNATURE=signature)


def clicksend_reply(params, token=TOKEN, as_json=False):
    path = f"/notify/webhooks/clicksend/incoming/{token}"
    if as_json:
        return Client().post(path, json.dumps(params), content_type="application/json")
    return Client().post(path, params)


def channels_of(patient):
    preference = ContactPreference.objects.filter(patient=patient).first()
    return (preference.channels, preference.opted_out) if preference else ("both", False)


def test_twilio_stop_turns_texts_off_and_answers_nothing_more(texted, settings):
    answer = twilio_reply(settings, {"From": MOBILE, "Body": " Stop. ", "MessageSid": "SM1"})
    assert answer.status_code == 200 and answer.content.decode() == EMPTY_TWIML
    assert channels_of(texted) == ("email", False)
    entry = AuditEntry.objects.get(action="notify.preference.update", patient_id=texted.pk)
    assert entry.actor == "provider:twilio"
    assert entry.detail == {"changed": ["channels"], "reason": "SMS reply STOP"}


def test_the_next_result_goes_by_email_only_after_stop(texted, settings):
    twilio_reply(settings, {"From": MOBILE, "Body": "STOP"})
    report_event(make_order(texted, accession="A101"))
    outbox.relay_once()
    new = Delivery.objects.filter(patient=texted).exclude(channel="sms").exclude(
        status=DeliveryStatus.SUPPRESSED)
    assert Delivery.objects.filter(patient=texted, channel="sms").count() == 1  # the old one
    assert new.filter(channel="email").exists()


def test_clicksend_stop_suppresses_what_waits_and_start_brings_texts_back(texted):
    report_event(make_order(texted, accession="A102"))
    outbox.relay_once()  # planned, not sent yet
    waiting = Delivery.objects.get(channel="sms", patient=texted, status="queued")
    assert clicksend_reply({"from": MOBILE, "body": "stop"}).status_code == 200
    waiting.refresh_from_db()
    assert waiting.status == DeliveryStatus.SUPPRESSED and "STOP" in waiting.reason
    assert channels_of(texted) == ("email", False)
    answer = clicksend_reply([{"from": MOBILE, "body": "START"}], as_json=True)
    assert answer.status_code == 200 and "started again for 1" in answer.content.decode()
    assert channels_of(texted) == ("both", False)


def test_sms_only_patient_is_opted_out_by_stop_and_back_in_by_start(texted, settings):
    ContactPreference.objects.create(patient=texted, channels="sms")
    twilio_reply(settings, {"From": MOBILE, "Body": "unsubscribe"})
    assert channels_of(texted) == ("sms", True)
    twilio_reply(settings, {"From": MOBILE, "Body": "Unstop"})
    assert channels_of(texted) == ("sms", False)


@pytest.mark.parametrize("body", ["Thanks, see you tomorrow", "stop sending the old report",
                                  "", "   "])
def test_other_replies_change_nothing(texted, settings, body):
    assert twilio_reply(settings, {"From": MOBILE, "Body": body}).status_code == 200
    assert channels_of(texted) == ("both", False)
    assert not AuditEntry.objects.filter(action="notify.preference.update").exists()


def test_stop_from_a_number_we_never_texted_changes_nobody(texted, settings):
    answer = clicksend_reply({"from": "+1 217 555 0100", "body": "STOP"})
    assert answer.status_code == 200 and "for 0 recipient" in answer.content.decode()
    assert channels_of(texted) == ("both", False)


def test_bad_requests_get_clear_answers_and_change_nothing(texted, settings):
    forged = twilio_reply(settings, {"From": MOBILE, "Body": "STOP"}, signature="forged")
    assert forged.status_code == 403 and b"X-Twilio-Signature" in forged.content
    assert twilio_reply(settings, {"Body": "STOP"}).status_code == 400
    assert clicksend_reply({"from": MOBILE, "body": "STOP"}, token="wrong").status_code == 404
    assert clicksend_reply({"body": "STOP"}).status_code == 400
    garbage = Client().post(f"/notify/webhooks/clicksend/incoming/{TOKEN}", "{not json",
                            content_type="application/json")
    assert garbage.status_code == 400
    huge = Client().post(TWILIO_PATH, {"From": MOBILE, "Body": "x" * 70_000})
    assert huge.status_code == 413
    assert Client().get(TWILIO_PATH).status_code == 405
    assert channels_of(texted) == ("both", False)


def test_keyword_is_the_whole_reply_as_one_word():
    assert keyword("  STOP!! ") == "stop" and keyword("Arrêt") == "arrêt"
    assert keyword("please stop") == "" and keyword("") == ""
