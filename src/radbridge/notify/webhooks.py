"""Delivery receipts pushed by the SMS providers: they move a delivery to delivered or failed.

Twilio POSTs status callbacks (form-encoded MessageSid, MessageStatus, ErrorCode) to the
StatusCallback URL we gave, which names the delivery; each is verified with the
X-Twilio-Signature scheme (HMAC-SHA1 over the URL and the sorted parameters, keyed by the
Auth Token). ClickSend POSTs receipts (form-encoded or JSON: message_id, status,
status_code, custom_string = our delivery key) to the delivery-receipt URL configured in
its dashboard; ClickSend does not sign them, so that URL carries a secret token
(RADBRIDGE_CLICKSEND_WEBHOOK_TOKEN). Receipts only move a delivery forward: a late "sent"
never overwrites "delivered". Unknown messages are acknowledged (200) so the provider stops
retrying; bad signatures get 403 and malformed bodies 400, each with a plain-text reason.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from radbridge.core.audit import Actor, acting_as

from .choices import DeliveryStatus
from .models import Delivery

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 64 * 1024
DELIVERED = {"delivered", "read"}
UNDELIVERED = {"undelivered", "failed"}
# ClickSend receipt status codes: 201 delivered; 300 and above failed or rejected.
CLICKSEND_DELIVERED_CODES = {"201"}
MOVABLE = (DeliveryStatus.SENDING, DeliveryStatus.SENT, DeliveryStatus.RETRYING)


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    data = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def plain(status: int, text: str) -> HttpResponse:
    return HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")


def provider_actor(request: HttpRequest, provider: str) -> Actor:
    return Actor(name=f"provider:{provider}", role="provider",
                 source_address=request.META.get("REMOTE_ADDR", ""))


def too_large(request: HttpRequest) -> bool:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES
    except ValueError:
        return True


def apply_receipt(delivery: Delivery, provider_status: str, delivered: bool | None,
                  error: str = "") -> None:
    """Move the delivery forward; `delivered` None means an intermediate status."""
    now = timezone.now()
    changes = {"provider_status": provider_status[:50]}
    if delivered is True:
        changes.update(status=DeliveryStatus.DELIVERED, delivered_at=now)
    elif delivered is False:
        changes.update(status=DeliveryStatus.FAILED,
                       reason=f"the provider reports it undelivered: {error or provider_status}")
    Delivery.objects.filter(id=delivery.id, status__in=MOVABLE).update(**changes)


def twilio_signed(request: HttpRequest) -> HttpResponse | None:
    """None if Twilio signed this request; else the answer that refuses it."""
    token = settings.NOTIFY_TWILIO_AUTH_TOKEN
    if not token:
        return plain(404, "Twilio is not configured here (RADBRIDGE_TWILIO_AUTH_TOKEN)")
    params = {key: request.POST.get(key, "") for key in request.POST}
    signature = request.headers.get("X-Twilio-Signature", "")
    urls = {f"{settings.PUBLIC_URL}{request.get_full_path()}",
            request.build_absolute_uri()}
    if not signature or not any(
        hmac.compare_digest(twilio_signature(token, url, params), signature) for url in urls
    ):
        log.warning("Twilio request to %s with a bad signature", request.path)
        return plain(403, "X-Twilio-Signature does not match: check RADBRIDGE_TWILIO_AUTH_TOKEN "
                          "and RADBRIDGE_PUBLIC_URL")
    return None


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest, delivery_id: int) -> HttpResponse:
    if too_large(request):
        return plain(413, f"status callbacks are at most {MAX_BODY_BYTES} bytes")
    refused = twilio_signed(request)
    if refused is not None:
        return refused
    params = {key: request.POST.get(key, "") for key in request.POST}
    status = params.get("MessageStatus") or params.get("SmsStatus")
    sid = params.get("MessageSid") or params.get("SmsSid")
    if not status or not sid:
        return plain(400, "MessageStatus and MessageSid are required")
    with acting_as(provider_actor(request, "twilio")):
        delivery = Delivery.objects.filter(id=delivery_id).first()
        if delivery is None or delivery.provider_message_id not in ("", sid):
            return plain(200, "no such message here; ignored")
        if not delivery.provider_message_id:
            Delivery.objects.filter(id=delivery.id).update(provider_message_id=sid)
        outcome = True if status in DELIVERED else False if status in UNDELIVERED else None
        apply_receipt(delivery, status, outcome, params.get("ErrorCode", ""))
    return plain(200, "ok")


def clicksend_rows(request: HttpRequest) -> list[dict]:
    """What ClickSend POSTs (receipts, inbound messages) as rows: form data is one row; JSON
    is one object, a list of them, or {"data": [...]}."""
    if request.content_type == "application/json":
        data = json.loads(request.body.decode("utf-8"))
        rows = data if isinstance(data, list) else data.get("data", [data])
        if not all(isinstance(row, dict) for row in rows):
            raise ValueError("each item must be a JSON object")
        return rows
    return [{key: request.POST.get(key, "") for key in request.POST}]


def clicksend_token_ok(token: str) -> bool:
    """ClickSend signs nothing: its URLs carry RADBRIDGE_CLICKSEND_WEBHOOK_TOKEN."""
    expected = settings.NOTIFY_CLICKSEND_WEBHOOK_TOKEN
    return bool(expected) and hmac.compare_digest(token.encode(), expected.encode())


def clicksend_outcome(code: str, status: str) -> bool | None:
    """True delivered, False failed, None still on its way."""
    if code.isdigit():
        return True if code in CLICKSEND_DELIVERED_CODES else False if int(code) >= 300 else None
    return {"delivered": True, "failed": False, "undelivered": False}.get(status.lower())


@csrf_exempt
@require_POST
def clicksend_receipt(request: HttpRequest, token: str) -> HttpResponse:
    if too_large(request):
        return plain(413, f"delivery receipts are at most {MAX_BODY_BYTES} bytes")
    if not clicksend_token_ok(token):
        return plain(404, "no such receipt URL")
    try:
        receipts = clicksend_rows(request)
    except (ValueError, UnicodeDecodeError, AttributeError) as error:
        return plain(400, f"the receipt is not readable JSON or form data: {error}")
    with acting_as(provider_actor(request, "clicksend")):
        for receipt in receipts:
            message_id = str(receipt.get("message_id") or receipt.get("messageid") or "")
            key = str(receipt.get("custom_string") or "")
            if not (message_id or key):
                return plain(400, "a receipt needs message_id or custom_string")
            found = Delivery.objects.filter(key=key).first() if key else None
            if found is None and message_id:
                found = Delivery.objects.filter(provider_message_id=message_id).first()
            if found is None:
                continue
            code = str(receipt.get("status_code") or "")
            status = str(receipt.get("status") or receipt.get("status_text") or code)
            outcome = clicksend_outcome(code, status)
            apply_receipt(found, status, outcome, str(receipt.get("error_text") or ""))
    return plain(200, "ok")
