from django.contrib import admin

from .models import AuditEntry, OutboxEvent


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ["id", "topic", "aggregate_type", "aggregate_id", "actor", "created_at"]
    list_filter = ["topic"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "at",
        "actor",
        "action",
        "object_type",
        "object_id",
        "patient_id",
        "outcome",
    ]
    list_filter = ["action", "outcome"]
    search_fields = ["actor", "object_id"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
