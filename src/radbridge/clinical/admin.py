"""Admin screens of the clinical record; what they show is audited as PHI reads."""

from django.contrib import admin

from radbridge.core.admin import PHIReadsAdmin

from . import models

admin.site.register([models.Organization, models.Location, models.Practitioner])


class RecordAdmin(PHIReadsAdmin):
    """The clinical record comes from the RIS and changes only through the clinical services
    (which audit and announce every change): here it is read, never edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class IdentifierInline(admin.TabularInline):
    model = models.PatientIdentifier
    extra = 0


@admin.register(models.Patient)
class PatientAdmin(RecordAdmin):
    list_display = ["id", "family_name", "given_name", "birth_date", "sex", "merged_into"]
    search_fields = ["family_name", "given_name", "identifiers__value"]
    inlines = [IdentifierInline]

    def patient_of(self, obj) -> int | None:
        return obj.pk


@admin.register(models.Order)
class OrderAdmin(RecordAdmin):
    list_display = [
        "accession_number",
        "patient",
        "procedure_text",
        "modality",
        "priority",
        "status",
        "scheduled_at",
    ]
    list_filter = ["status", "priority", "modality"]
    search_fields = ["accession_number", "placer_order_number", "filler_order_number"]
    raw_id_fields = ["patient", "ordering_practitioner", "location"]
    list_select_related = ["patient"]

    def patient_of(self, obj) -> int | None:
        return obj.patient_id


class VersionInline(admin.StackedInline):
    model = models.ReportVersion
    extra = 0
    exclude = ["rendering"]


@admin.register(models.Report)
class ReportAdmin(RecordAdmin):
    list_display = ["order", "status", "updated_at"]
    inlines = [VersionInline]
    list_select_related = ["order"]

    def patient_of(self, obj) -> int | None:
        return obj.order.patient_id


@admin.register(models.Appointment)
class AppointmentAdmin(RecordAdmin):
    list_display = ["external_id", "patient", "starts_at", "status", "location"]
    list_filter = ["status"]
    list_select_related = ["patient", "location"]

    def patient_of(self, obj) -> int | None:
        return obj.patient_id


@admin.register(models.Document)
class DocumentAdmin(RecordAdmin):
    list_display = ["unique_id", "patient", "document_type", "title", "authored_at"]
    exclude = ["content"]
    list_select_related = ["patient"]

    def patient_of(self, obj) -> int | None:
        return obj.patient_id
