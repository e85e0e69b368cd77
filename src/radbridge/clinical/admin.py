from django.contrib import admin

from . import models

admin.site.register([models.Organization, models.Location, models.Practitioner])


class IdentifierInline(admin.TabularInline):
    model = models.PatientIdentifier
    extra = 0


@admin.register(models.Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ["id", "family_name", "given_name", "birth_date", "sex", "merged_into"]
    search_fields = ["family_name", "given_name", "identifiers__value"]
    inlines = [IdentifierInline]


@admin.register(models.Order)
class OrderAdmin(admin.ModelAdmin):
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


class VersionInline(admin.StackedInline):
    model = models.ReportVersion
    extra = 0
    exclude = ["rendering"]


@admin.register(models.Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["order", "status", "updated_at"]
    inlines = [VersionInline]


admin.site.register([models.Appointment, models.Document])
