"""The worklist of physicians and centre staff: every study they may see, searched by
patient, dates, accession, modality, place and report text, STAT first when asked, sorted,
paged, with what changed since their last visit marked.

HTMX swaps only the results when the filters change (and the URL follows); without
JavaScript the same form reloads the page. Each listed study is an audited read.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from radbridge.clinical.models import Order
from radbridge.clinical.search import report_snippets
from radbridge.core import audit

from ..models import WorklistVisit
from ..phi import reads_phi
from ..worklist_filters import CappedPaginator, WorklistFilters, column_headers
from ..worklist_rows import study_row
from .records import CLINICAL_ROLES
from .util import roles_only

PAGE_SIZE = 25
RESULTS_ID = "worklist-results"  # the element HTMX swaps
SINCE_KEY = "worklist_new_since"
SEEN_KEY = "worklist_seen_at"
# How often a visit is written back: paging through a list is one visit, not fifty writes.
VISIT_WRITE_INTERVAL = timedelta(minutes=1)
# What the table and the audit read of a row: whole rows of four tables would be transferred,
# parsed (a dozen timestamps a row) and kept for columns nobody sees.
TABLE_FIELDS = [
    "accession_number", "priority", "procedure_text", "procedure_code", "modality",
    "scheduled_at", "status", "updated_at", "patient__family_name", "patient__given_name",
    "patient__birth_date", "location__name", "location__code", "location__organization__name",
]


def new_since(request) -> datetime | None:
    """End of the user's previous visit (None for a first visit: everything is new).

    Read once per session, so the marks stay put while the person pages and filters; the
    current visit is written back at most once a minute for next time.
    """
    now = timezone.now()
    session = request.session
    if SINCE_KEY not in session:
        visit = WorklistVisit.objects.filter(user=request.user).first()
        session[SINCE_KEY] = visit.last_seen_at.isoformat() if visit else None
    seen = parse_datetime(session.get(SEEN_KEY) or "")
    if seen is None or now - seen >= VISIT_WRITE_INTERVAL:
        WorklistVisit.objects.bulk_create(  # one upsert, safe against a parallel request
            [WorklistVisit(user=request.user, last_seen_at=now)],
            update_conflicts=True, unique_fields=["user"], update_fields=["last_seen_at"],
        )
        session[SEEN_KEY] = now.isoformat()
    since = session[SINCE_KEY]
    return parse_datetime(since) if since else None


def studies_in_order(order_ids: list[int]) -> list[Order]:
    """The page's rows with only what the table shows, in the order of `order_ids`."""
    rows = Order.objects.filter(pk__in=order_ids).select_related(
        "patient", "location__organization"
    ).only(*TABLE_FIELDS)
    by_id = {order.pk: order for order in rows}
    return [by_id[pk] for pk in order_ids if pk in by_id]


@reads_phi
@roles_only(*CLINICAL_ROLES)
def studies(request):
    partial = request.headers.get("HX-Target") == RESULTS_ID
    # The table alone has no form to draw: the place choices are read only to check one.
    filters = WorklistFilters(request.GET, with_places=not partial or "place" in request.GET)
    since = new_since(request)
    page, snippets = None, {}
    if filters.is_valid():
        orders = filters.apply(Order.objects.restrict(request.user), since)
        # The page's ids first, then their rows with what they show: joining patients and
        # places to every match before sorting costs more than the search itself.
        page = CappedPaginator(orders.values_list("pk", flat=True), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        page.object_list = studies_in_order(list(page.object_list))
        snippets = report_snippets([order.pk for order in page], filters.cleaned_data["text"])
        for order in page:
            order.is_new = since is None or order.updated_at > since
            order.row = study_row(order, snippets.get(order.pk))
        audit.record_reads("report_search" if snippets else "study_list", "order",
                           [(o.pk, o.patient_id) for o in page], **filters.audit_detail())
    sort = filters.sort_key()
    context = {"filters": filters, "page": page, "sort": sort, "headers": column_headers(sort),
               "since": since}
    if partial:
        return render(request, "portal/worklist/_results.html", context)
    return render(request, "portal/worklist/worklist.html", context)
