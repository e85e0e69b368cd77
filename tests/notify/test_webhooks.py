"""Delivery receipts: Twilio's signed status callbacks and ClickSend's receipts over HTTP."""

import json

import pytest
from django.test import Client

from radbridge.core import outbox
from radbridge.notify import delivery
from radbridge.notify.choices import DeliveryStatus
from radbridge.notify.models import Delivery
from radbridge.notify.webhooks import twilio_signature

from .conftest import make_order, make_patient, report_event

pytestmark = pytest.mark.django_db
TOKEN = "receipt-token-for-tests"


@pytest.fixture
def sent_sms(actor, sms_server, settings):
    settings.NOTIFY_CLICKSEND_WEBHOOK_TOKEN = TOKEN
    report_event(make_order(make_patient(email="")))
    outbox.relay_once()
    delivery.send_due()
    return Delivery.objects.get(channel="sms")


def twilio_post(settings, row, params, signature=None):
    path = f"/notify/webhooks/twilio/{row.id}"
    url = f"{settings.PUBLIC_URL}{path}"
    signature = signature or twilio_signature(settings.NOTIFY_TWILIO_AUTH_TOKEN, url, params)
    return Client().post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)


def test_signature_matches_twilios_documented_example():
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234",
              "From": "+12349013030", "To": "+18005551212"}
    assert twilio_signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2",
                            params) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_twilio_delivered_callback_marks_the_message_delivered(sent_sms, settings):
    response = twilio_post(settings, sent_sms, {"MessageSid": sent_sms.provider_message_id,
                                                 "MessageStatus": "delivered",
                                                 "AccountSid": "AC" + "0" * 32})
    assert response.status_code == 200
    sent_sms.refresh_from_db()
    assert sent_sms.status == DeliveryStatus.DELIVERED and sent_sms.delivered_at is not None


def test_twilio_undelivered_callback_keeps_the_error_code(sent_sms, settings):
    twilio_post(settings, sent_sms, {"MessageSid": sent_sms.provider_message_id,
                                     "MessageStatus": "undelivered", "ErrorCode": "30003"})
    sent_sms.refresh_from_db()
    assert sent_sms.status == DeliveryStatus.FAILED and "30003" in sent_sms.reason


def test_twilio_callback_with_a_bad_signature_is_refused(sent_sms, settings):
    response = twilio_post(settings, sent_sms, {"MessageSid": sent_sms.provider_message_id,
                                                 "MessageStatus": "delivered"}, "forged=")
    assert response.status_code == 403 and b"X-Twilio-Signature" in response.content
    sent_sms.refresh_from_db()
    assert sent_sms.status == DeliveryStatus.SENT


def test_twilio_callback_without_status_is_a_clear_400(sent_sms, settings):
    response = twilio_post(settings, sent_sms, {"MessageSid": sent_sms.provider_message_id})
    assert response.status_code == 400 and b"MessageStatus" in response.content


def test_twilio_callback_for_another_message_is_ignored(sent_sms, settings):
    response = twilio_post(settings, sent_sms, {"MessageSid": "SMother",
                                                 "MessageStatus": "failed"})
    assert response.status_code == 200
    sent_sms.refresh_from_db()
    assert sent_sms.status == DeliveryStatus.SENT


def test_oversized_callback_is_refused(sent_sms, settings):
    response = twilio_post(settings, sent_sms, {"MessageSid": "x", "MessageStatus": "sent",
                                                 "Padding": "x" * 70_000})
    assert response.status_code == 413


def test_clicksend_form_receipt_by_our_key_marks_delivered(sent_sms):
    response = Client().post(f"/notify/webhooks/clicksend/{TOKEN}", {
        "message_id": sent_sms.provider_message_id, "status": "Delivered", "status_code": "201",
        "custom_string": sent_sms.key, "message_type": "sms", "timestamp": "1700000000"})
    assert response.status_code == 200
    sent_sms.refresh_from_db()
    assert sent_sms.status == DeliveryStatus.DELIVERED


def test_clicksend_json_failure_receipt_marks_not_delivered(sent_sms):
    body = json.dumps({"message_id": sent_sms.provider_message_id, "status": "Failed",
                       "status_code": "301", "error_text": "Handset unreachable"})
    Client().post(f"/notify/webhooks/clicksend/{TOKEN}", body, content_type="application/json")
    sent_sms.refresh_from_db()
    assert sent_sms.status == DeliveryStatus.FAILED and "Handset unreachable" in sent_sms.reason


def test_late_sent_receipt_never_undoes_delivered(sent_sms):
    url = f"/notify/webhooks/clicksend/{TOKEN}"
    Client().post(url, {"custom_string": sent_sms.key, "status_code": "201"})
    Client().post(url, {"custom_string": sent_sms.key, "status_code": "301"})
    sent_sms.refresh_from_db()
    assert sent_sms.status == DeliveryStatus.DELIVERED


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"\xff\xfe"])
def test_clicksend_garbage_is_a_clear_400(sent_sms, body):
    response = Client().post(f"/notify/webhooks/clicksend/{TOKEN}", body,
                             content_type="application/json")
    assert response.status_code == 400 and b"not readable" in response.content


def test_clicksend_receipt_url_with_a_wrong_token_does_not_exist(sent_sms):
    response = Client().post("/notify/webhooks/clicksend/guess", {"custom_string": sent_sms.key,
                                                                   "status_code": "201"})
    assert response.status_code == 404
    sent_sms.refresh_from_db()
    assert sent_sms.status == DeliveryStatus.SENT


def test_receipts_only_accept_post(sent_sms):
    assert Client().get(f"/notify/webhooks/clicksend/{TOKEN}").status_code == 405
