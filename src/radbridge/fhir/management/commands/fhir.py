"""`radbridge fhir webhook add|list|remove|deliveries|retry`: webhook subscriptions."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from radbridge.core.audit import Actor, acting_as

from ...choices import DeliveryStatus, WebhookContent, WebhookTopic
from ...models import WebhookDelivery, WebhookSubscription
from ...services import WebhookError, deactivate_webhook, register_webhook, retry_deliveries


class Command(BaseCommand):
    help = "FHIR webhook subscriptions: register, list, stop, see and retry deliveries."

    def add_arguments(self, parser):
        groups = parser.add_subparsers(dest="group", required=True)
        webhook = groups.add_parser("webhook", help="webhook subscriptions")
        sub = webhook.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="register a webhook; prints its signing secret once")
        add.add_argument("--name", required=True)
        add.add_argument("--url", required=True)
        add.add_argument("--topic", action="append", choices=WebhookTopic.values, required=True)
        add.add_argument("--owner", required=True, help="username whose permissions apply")
        add.add_argument("--content", choices=WebhookContent.values, default="id-only")
        sub.add_parser("list", help="list subscriptions")
        remove = sub.add_parser("remove", help="deactivate a subscription")
        remove.add_argument("id", type=int)
        deliveries = sub.add_parser("deliveries", help="list deliveries")
        deliveries.add_argument("--status", choices=DeliveryStatus.values)
        retry = sub.add_parser("retry", help="send dead/retrying deliveries again now")
        retry.add_argument("ids", nargs="*", type=int, help="delivery IDs (default: all dead)")

    def handle(self, *args, group, action, **options):
        with acting_as(Actor(name="cli:fhir", role="operator")):
            getattr(self, f"do_{action}")(**options)

    def do_add(self, name, url, topic, owner, content, **_):
        user = get_user_model().objects.filter(username=owner).first()
        if user is None:
            raise CommandError(f"no user {owner!r}: create the account first")
        try:
            subscription = register_webhook(name, url, topic, user, content)
        except WebhookError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"webhook {subscription.pk} registered for {', '.join(topic)}")
        self.stdout.write(f"signing secret (shown once): {subscription.secret}")

    def do_list(self, **_):
        for s in WebhookSubscription.objects.order_by("pk"):
            state = "active" if s.active else "stopped"
            self.stdout.write(f"{s.pk}\t{state}\t{s.name}\t{s.url}\t{','.join(s.topics)}")

    def do_remove(self, id, **_):
        subscription = WebhookSubscription.objects.filter(pk=id).first()
        if subscription is None:
            raise CommandError(f"no webhook {id}")
        deactivate_webhook(subscription)
        self.stdout.write(f"webhook {id} stopped")

    def do_deliveries(self, status, **_):
        rows = WebhookDelivery.objects.select_related("subscription", "event").order_by("pk")
        if status:
            rows = rows.filter(status=status)
        for d in rows:
            self.stdout.write(
                f"{d.pk}\t{d.status}\t{d.event.topic}\t{d.subscription.name}\t"
                f"attempts={d.attempts}\t{d.last_error}"
            )

    def do_retry(self, ids, **_):
        rows = WebhookDelivery.objects.all()
        rows = rows.filter(pk__in=ids) if ids else rows.filter(status=DeliveryStatus.DEAD)
        self.stdout.write(f"{retry_deliveries(rows)} deliveries will be sent again")
