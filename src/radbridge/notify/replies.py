"""Text replies to our messages: "STOP" ends text messages to that number, "START" brings
them back. The providers forward replies to us: Twilio POSTs each incoming message (From,
Body; signed like its status callbacks) to the number's "A message comes in" webhook;
ClickSend POSTs inbound messages (from, body) to the URL of an inbound rule, which carries
the same secret token as its receipts.

Who replied is whoever we texted at that number (the deliveries say who): each of them has
text messages turned off in their preferences, as if they had unticked them in the portal,
audited as `notify.preference.update` by the provider with the reason. Messages still
waiting for that number are suppressed. Anything else in a reply is logged and ignored: the
centre's phone line is for conversations. Twilio and the carriers answer STOP themselves,
so we reply with an empty TwiML document (no second answer).
"""

from __future__ import annotations

import logging
import string

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from radbridge.core import audit
from radbridge.core.audit import acting_as

from .choices import WAITING, Channel, ChannelChoice, DeliveryStatus
from .models import ContactPreference, Delivery
from .recipients import normalise_phone
from .webhooks import (
    MAX_BODY_BYTES,
    clicksend_rows,
    clicksend_token_ok,
    plain,
    provider_actor,
    too_large,
    twilio_signed,
)

# The words carriers and providers treat as opt-out and opt-in (CTIA; Twilio's defaults),
# with French, German and Spanish ones.
STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "arret",
                        "arrêt", "stopp", "baja"})
START_WORDS = frozenset({"start", "unstop", "yes", "oui", "ja", "alta"})
log = logging.getLogger(__name__)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def keyword(body: str) -> str:
    """The reply as one lower-case word ("Stop." → "stop"), or "" for anything longer."""
    words = body.strip().strip(string.punctuation + " ").lower().split()
    return words[0] if len(words) == 1 else ""


def apply_reply(number: str, body: str) -> str:
    """Act on a reply from `number`; returns what was done, for the provider and the log."""
    word = keyword(body)
    if word not in STOP_WORDS | START_WORDS:
        log.info("SMS reply from %s ignored: not a STOP or START word", number)
        return "not a STOP or START word: ignored"
    address = normalise_phone(number)
    if not address.value:
        return f"ignored: {address.problem}"
    stop = word in STOP_WORDS
    texted = Delivery.objects.filter(channel=Channel.SMS, to_address=address.value)
    people = set(texted.exclude(patient=None, practitioner=None)
                 .order_by().values_list("patient_id", "practitioner_id").distinct())
    with transaction.atomic():
        for patient_id, practitioner_id in people:
            change_preference(patient_id, practitioner_id, stop, word)
        if stop:
            texted.filter(status__in=WAITING).update(
                status=DeliveryStatus.SUPPRESSED, reason=f"the recipient replied {word.upper()}")
    verb = "stopped" if stop else "started again"
    return f"text messages {verb} for {len(people)} recipient(s) of this number"


def change_preference(patient_id: int | None, practitioner_id: int | None, stop: bool,
                      word: str) -> None:
    person = Q(patient_id=patient_id) if patient_id else Q(practitioner_id=practitioner_id)
    preference = ContactPreference.objects.select_for_update().filter(person).first() or (
        ContactPreference(patient_id=patient_id if patient_id else None,
                          practitioner_id=None if patient_id else practitioner_id))
    before = (preference.channels, preference.opted_out)
    if stop and preference.channels == ChannelChoice.BOTH:
        preference.channels = ChannelChoice.EMAIL
    elif stop and preference.channels == ChannelChoice.SMS:
        preference.opted_out = True
    elif not stop and preference.channels == ChannelChoice.EMAIL:
        preference.channels = ChannelChoice.BOTH
    elif not stop and preference.opted_out and preference.channels == ChannelChoice.SMS:
        preference.opted_out = False
    if (preference.channels, preference.opted_out) == before:
        return
    preference.save()
    changed = [name for name, old in zip(("channels", "opted_out"), before, strict=True)
               if getattr(preference, name) != old]
    audit.record("notify.preference.update", "notify.contactpreference", preference.pk,
                 patient_id=patient_id, changed=changed, reason=f"SMS reply {word.upper()}")


@csrf_exempt
@require_POST
def twilio_incoming(request: HttpRequest) -> HttpResponse:
    if too_large(request):
        return plain(413, f"incoming messages are at most {MAX_BODY_BYTES} bytes")
    refused = twilio_signed(request)
    if refused is not None:
        return refused
    number, body = request.POST.get("From", ""), request.POST.get("Body")
    if not number or body is None:
        return plain(400, "From and Body are required")
    with acting_as(provider_actor(request, "twilio")):
        log.info("SMS reply from %s: %s", number, apply_reply(number, body))
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


@csrf_exempt
@require_POST
def clicksend_incoming(request: HttpRequest, token: str) -> HttpResponse:
    if too_large(request):
        return plain(413, f"incoming messages are at most {MAX_BODY_BYTES} bytes")
    if not clicksend_token_ok(token):
        return plain(404, "no such inbound URL")
    try:
        messages = clicksend_rows(request)
    except (ValueError, UnicodeDecodeError, AttributeError) as error:
        return plain(400, f"the message is not readable JSON or form data: {error}")
    done = []
    with acting_as(provider_actor(request, "clicksend")):
        for message in messages:
            number = str(message.get("from") or "")
            body = message.get("body", message.get("message"))
            if not number or body is None:
                return plain(400, "an inbound message needs from and body")
            done.append(apply_reply(number, str(body)))
    return plain(200, "; ".join(done) or "nothing to do")
