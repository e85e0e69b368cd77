"""The notification verbs an administrator uses: resend, delivery rates per channel."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from radbridge.core import audit

from . import templates
from .choices import DeliveryStatus
from .models import Delivery, MessageTemplate

RESENDABLE = (DeliveryStatus.DEAD, DeliveryStatus.FAILED, DeliveryStatus.SENT,
              DeliveryStatus.DELIVERED, DeliveryStatus.SUPPRESSED)


class ResendRefused(ValueError):
    """A delivery that cannot be sent again; the message says why."""


@transaction.atomic
def resend(delivery: Delivery) -> Delivery:
    """Queue a copy of a delivery, keyed after it, so the log keeps both. Audited."""
    if delivery.status not in RESENDABLE:
        raise ResendRefused(f"delivery {delivery.id} is {delivery.get_status_display()}: "
                            "it is still on its way")
    if not delivery.to_address:
        raise ResendRefused(f"delivery {delivery.id} has no address: {delivery.reason}")
    if delivery.expires_at is not None and delivery.expires_at <= timezone.now():
        raise ResendRefused(f"delivery {delivery.id} expired at "
                            f"{delivery.expires_at:%Y-%m-%d %H:%M}: a new one must be requested")
    number = Delivery.objects.filter(resent_from=delivery).count() + 1
    copy = Delivery.objects.create(
        key=f"{delivery.key}#resend{number}"[:250],
        source=delivery.source, event=delivery.event, kind=delivery.kind,
        template=delivery.template, channel=delivery.channel, provider=delivery.provider,
        patient=delivery.patient, practitioner=delivery.practitioner,
        recipient_name=delivery.recipient_name, to_address=delivery.to_address,
        language=delivery.language, subject=delivery.subject, body=delivery.body,
        html_body=delivery.html_body, redacted=delivery.redacted, urgent=delivery.urgent,
        expires_at=delivery.expires_at, next_attempt_at=timezone.now(), resent_from=delivery,
    )
    audit.record("notify.resend", "notify.delivery", copy.id, patient_id=delivery.patient_id,
                 original=delivery.id, channel=delivery.channel, kind=delivery.kind)
    return copy


def delivery_rates(days: int = 7) -> list[dict]:
    """Per channel over the last days: how many planned, delivered, sent, failed, dead."""
    return delivery_rates_between(timezone.now() - timedelta(days=days), None)


def delivery_rates_between(since, until) -> list[dict]:
    """Per channel, for messages planned from `since` until `until` (None: now); the rate is
    the share of attempted messages (not suppressed) the provider accepted or delivered."""
    planned = Delivery.objects.filter(created_at__gte=since)
    if until is not None:
        planned = planned.filter(created_at__lt=until)
    rows = (
        planned
        .values("channel")
        .annotate(
            total=Count("id"),
            delivered=Count("id", filter=Q(status=DeliveryStatus.DELIVERED)),
            sent=Count("id", filter=Q(status=DeliveryStatus.SENT)),
            failed=Count("id", filter=Q(status=DeliveryStatus.FAILED)),
            dead=Count("id", filter=Q(status=DeliveryStatus.DEAD)),
            suppressed=Count("id", filter=Q(status=DeliveryStatus.SUPPRESSED)),
        )
        .order_by("channel")
    )
    rates = []
    for row in rows:
        attempted = row["total"] - row["suppressed"]
        reached = row["delivered"] + row["sent"]
        row["waiting"] = attempted - reached - row["failed"] - row["dead"]
        row["rate"] = round(100 * reached / attempted, 1) if attempted else 0.0
        rates.append(row)
    return rates


TEMPLATE_FIELDS = ("kind", "channel", "language", "site", "subject", "body", "html_body",
                   "active")


@transaction.atomic
def save_template(template: MessageTemplate | None, **values) -> MessageTemplate:
    """Create or change a message template after checking that its wording compiles and
    renders (TemplateProblem names the part otherwise). Audited; new wording is used within
    the template cache's few seconds."""
    templates.check_wording(values.get("subject", ""), values.get("body", ""),
                            values.get("html_body", ""))
    template = template or MessageTemplate()
    for name in TEMPLATE_FIELDS:
        setattr(template, name, values[name])
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError:
        raise templates.TemplateProblem(
            "a template for this kind, channel, language and site exists already: edit that one"
        ) from None
    templates.forget_cached_templates()
    audit.record("notify.template.saved", "notify.template", template.pk, kind=template.kind,
                 channel=template.channel, language=template.language,
                 site_id=template.site_id, active=template.active)
    return template
