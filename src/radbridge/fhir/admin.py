"""Admin screens for webhook subscriptions and their deliveries (with a retry action)."""

import secrets

from django.contrib import admin

from radbridge.core.audit import Actor, acting_as

from .models import WebhookDelivery, WebhookSubscription
from .services import check_webhook, retry_deliveries


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "topics", "content", "owner", "active", "created_at")
    list_filter = ("active", "content")
    readonly_fields = ("secret", "created_at", "updated_at")

    def save_model(self, request, obj, form, change):
        check_webhook(obj.url, obj.topics, obj.content)
        if not obj.secret:
            obj.secret = secrets.token_urlsafe(32)
        super().save_model(request, obj, form, change)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "subscription",
        "event",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "delivered_at",
    )
    list_filter = ("status", "subscription")
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]
    actions = ["retry_now"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Retry the selected deliveries now")
    def retry_now(self, request, queryset):
        with acting_as(Actor(name=f"user:{request.user.get_username()}", role="admin")):
            count = retry_deliveries(queryset)
        self.message_user(request, f"{count} deliveries will be sent again")
