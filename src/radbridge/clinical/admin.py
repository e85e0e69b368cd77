"""Admin screens of the clinical record; what they show is audited as PHI reads."""

from django.contrib import admin

from radbridge.core.admin import PHIReadsAdmin

from . import models

admin.site.register([models.Organization, models.Location, models.Practitioner])


class IdentifierInline(admin.TabularInline):
    model = models.PatientIdentifier
    extra = 0


@admin.register(models.Patient)
class PatientAdmin(PHIReadsAdmin):
    list_display = ["id", "family_name", "given_name", "birth_date", "sex", "merged_into"]
    search_fields = ["family_name", "given_name", "identifiers__value"]
    inlines = [IdentifierInline]

    def patient_of(self, obj) -> int | None:
        return obj.pk


@admin.register(models.Order)
class OrderAdmin(PHIReadsAdmin):
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
class ReportAdmin(PHIReadsAdmin):
    list_display = ["order", "status", "updated_at"]
    inlines = [VersionInline]
    list_select_related = ["order"]

    def patient_of(self, obj) -> int | None:
        return obj.order.patient_id


admin.site.register([models.Appointment, models.Document])
