"""Admin screens of core (outbox, audit log), and the base of every admin screen showing PHI.

`PHIReadsAdmin`: a list of records shown, or a record opened, in the Django admin is a PHI
read like any portal page or API answer, so it writes `read.` audit entries naming each
patient (core.audit.record_reads / record_read). "Who has seen this patient's records" and
the patient's own access log then find admin reads too.
"""

from django.contrib import admin

from . import audit
from .models import AuditEntry, OutboxEvent


class PHIReadsAdmin(admin.ModelAdmin):
    """Subclasses say whose record a row is (`patient_of`); reads are named after the model
    ("read.study_list", "read.study"). Keep `list_select_related` covering `patient_of`."""

    def patient_of(self, obj) -> int | None:
        raise NotImplementedError

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        shown = getattr(response, "context_data", None) or {}
        if "cl" in shown:
            name = self.model._meta.model_name
            audit.record_reads(
                f"{name}_list", name,
                [(row.pk, self.patient_of(row)) for row in shown["cl"].result_list],
                query=request.GET.urlencode()[:500],
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        shown = getattr(response, "context_data", None) or {}
        record = shown.get("original")
        if record is not None and request.method == "GET":
            name = self.model._meta.model_name
            audit.record_read(name, name, record.pk, patient_id=self.patient_of(record))
        return response


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
