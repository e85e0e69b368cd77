"""Admin screens of the HL7 journal and the outbound queue. Journal entries hold whole
messages (PHI): showing them is audited like any other PHI read."""

from django.contrib import admin, messages

from radbridge.core.admin import PHIReadsAdmin

from . import journal
from .models import InboundMessage, OutboundMessage


@admin.register(InboundMessage)
class InboundMessageAdmin(PHIReadsAdmin):
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

    def patient_of(self, obj) -> int | None:
        return None  # the patient is inside the raw message; the read names the entry

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
