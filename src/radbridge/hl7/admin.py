from django.contrib import admin, messages

from . import journal
from .models import InboundMessage, OutboundMessage


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "received_at",
        "channel",
        "sender_key",
        "message_type",
        "control_id",
        "status",
        "ack_code",
        "processing_ms",
        "control_id_reused",
    ]
    list_filter = ["status", "message_type", "channel", "control_id_reused"]
    search_fields = ["control_id", "sender_key", "error"]
    readonly_fields = [f.name for f in InboundMessage._meta.fields]
    actions = ["replay_selected"]

    @admin.action(description="Replay selected failed messages")
    def replay_selected(self, request, queryset):
        results = journal.replay(list(queryset.values_list("id", flat=True)))
        self.message_user(request, f"replayed: {results}", messages.INFO)


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "created_at",
        "destination",
        "message_type",
        "control_id",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
    ]
    list_filter = ["status", "message_type"]
