"""Admin screens: the image index, read-only, and the reconciliation page.

Reconciliation lists the studies no rule could link (no order, or the order's patient
disagrees) and lets a person with the `imaging.reconcile_study` permission link each to an
order by accession number or reject it; both go through the audited services. Front desk
staff and technologists hold that permission through their role without being Django admin
users, so the page checks the permission itself instead of the admin's `is_staff` gate, and
links only to orders at their own sites. Every list of studies shown is a PHI read, audited
as `read.` entries (one per study, see core.admin.PHIReadsAdmin).
"""

from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from radbridge.core import audit
from radbridge.core.admin import PHIReadsAdmin

from .matching import ReconciliationError, awaiting_reconciliation, link_study, reject_study
from .models import Instance, Series, Study


def permitted_page(view, permission: str):
    """A page for any signed-in user holding `permission` (from their role), admin or not."""
    allowed = permission_required(permission, raise_exception=True)(view)
    return login_required(csrf_protect(never_cache(allowed)))


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Study)
class StudyAdmin(PHIReadsAdmin, ReadOnlyAdmin):
    list_display = [
        "study_date", "accession_number", "patient_name", "patient_identifier", "modalities",
        "instance_count", "reconciliation", "match_rule", "availability",
    ]
    list_filter = ["reconciliation", "availability", "match_rule"]
    search_fields = ["accession_number", "patient_identifier", "patient_name",
                     "study_instance_uid"]
    raw_id_fields = ["order", "patient", "candidate_order"]

    def get_urls(self):
        return [
            path("reconciliation/", permitted_page(self.reconciliation, "imaging.reconcile_study"),
                 name="imaging_study_reconciliation"),
            *super().get_urls(),
        ]

    def patient_of(self, obj) -> int | None:
        return obj.patient_id

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}),
                         "reconciliation_url": reverse("admin:imaging_study_reconciliation")}
        return super().changelist_view(request, extra_context)

    def reconciliation(self, request):
        if request.method == "POST":
            self.reconcile(request)
            return redirect("admin:imaging_study_reconciliation")
        studies = list(awaiting_reconciliation().select_related("candidate_order")[:200])
        audit.record_reads("reconciliation", "study", [(s.pk, s.patient_id) for s in studies])
        return TemplateResponse(request, "admin/imaging/reconciliation.html", {
            **self.admin_site.each_context(request),
            "title": "Studies awaiting reconciliation",
            "studies": studies,
            "opts": self.model._meta,
        })

    def reconcile(self, request) -> None:
        uid = request.POST.get("study_instance_uid", "")
        reason = request.POST.get("reason", "")
        try:
            if request.POST.get("action") == "reject":
                reject_study(uid, reason, user=request.user)
                messages.success(request, f"Study {uid} rejected.")
            else:
                accession = request.POST.get("accession_number", "").strip()
                link_study(uid, accession, reason, user=request.user)
                messages.success(request, f"Study {uid} linked to order {accession}.")
        except ReconciliationError as error:
            messages.error(request, str(error))


@admin.register(Series)
class SeriesAdmin(ReadOnlyAdmin):
    list_display = ["series_instance_uid", "study", "modality", "series_number",
                    "series_description"]
    raw_id_fields = ["study"]


@admin.register(Instance)
class InstanceAdmin(ReadOnlyAdmin):
    list_display = ["sop_instance_uid", "series", "instance_number", "transfer_syntax_uid",
                    "render_state", "received_from", "received_at"]
    list_filter = ["render_state"]
    raw_id_fields = ["study", "series"]
