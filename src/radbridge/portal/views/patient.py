"""The patient's own pages: "My studies", newest first, each with the state a patient cares
about (scheduled, images ready, report ready) and what changed since their last visit.

The last visit is the previous time this user opened the list, which the audit log already
knows (every visit writes its `read.study_list` entries), so no extra table is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.shortcuts import render

from radbridge.accounts.choices import Role
from radbridge.clinical.choices import OrderStatus
from radbridge.clinical.models import Order
from radbridge.core import audit
from radbridge.core.models import AuditEntry
from radbridge.imaging.choices import Availability
from radbridge.imaging.models import Study

from ..phi import reads_phi
from .util import roles_only

PAGE_SIZE = 25
REPORTED = (OrderStatus.PRELIMINARY, OrderStatus.FINAL, OrderStatus.CORRECTED)


@dataclass(frozen=True)
class Badge:
    label: str
    tone: str  # a CSS modifier: "waiting", "images", "report", "closed"


def badge_for(order: Order) -> Badge:
    """The one state a patient sees; a report outranks images, images outrank the booking."""
    if order.status == OrderStatus.CANCELLED:
        return Badge("Cancelled", "closed")
    if order.status in REPORTED:
        label = "Preliminary report" if order.status == OrderStatus.PRELIMINARY else "Report ready"
        return Badge(label, "report")
    if order.images_ready or order.status == OrderStatus.IMAGES_AVAILABLE:
        return Badge("Images ready", "images")
    return Badge("Scheduled", "waiting")


def last_visit(user):
    """When this user last opened My studies (before now), or None on a first visit."""
    return (
        AuditEntry.objects.filter(actor=f"user:{user.get_username()}",
                                  action="read.study_list", object_type="order")
        .order_by("-id").values_list("at", flat=True).first()
    )


def orders_with_images(user):
    """Orders with two flags: some images arrived (they can be viewed), and the study is
    complete (images ready: what the "images ready" message announced)."""
    studies = Study.objects.filter(order=OuterRef("pk"))
    return (
        Order.objects.restrict(user)
        .select_related("patient", "ordering_practitioner", "location", "report")
        .annotate(has_images=Exists(studies.filter(instance_count__gt=0)),
                  images_ready=Exists(studies.filter(availability=Availability.AVAILABLE)))
    )


@reads_phi
@roles_only(Role.PATIENT)
def my_studies(request):
    since = last_visit(request.user)
    orders = orders_with_images(request.user).order_by("-created_at", "-id")
    page = Paginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    for order in page:
        order.badge = badge_for(order)
        order.is_new = since is None or order.updated_at > since
    audit.record_reads("study_list", "order", [(o.pk, o.patient_id) for o in page])
    return render(request, "portal/patient/my_studies.html", {
        "page": page, "since": since,
        "new_count": sum(1 for order in page if order.is_new) if since else 0,
    })
