"""The worklist table's rows as HTML, built in Python: the page shows 25 rows of seven cells,
and the template engine resolving each cell's variables cost about a quarter of a request.
The markup is the template's (`portal/worklist/_results.html` holds the table around it);
every value is escaped by format_html, the report snippet is already safe HTML.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from radbridge.clinical.choices import Priority
from radbridge.clinical.models import Order

DATE, DATE_TIME = "%Y-%m-%d", "%Y-%m-%d %H:%M"

ROW = (
    '<tr class="study{new_class}{stat_class}">\n'
    '    <td><a href="{url}" hx-boost="false">{accession}</a>\n'
    "      {stat_badge}\n"
    "      {new_badge}</td>\n"
    "    <td>{patient}{born}</td>\n"
    "    <td>{study}</td>\n"
    "    <td>{modality}</td>\n"
    "    <td>{room}{site}</td>\n"
    "    <td>{exam_time}</td>\n"
    "    <td>{status}</td>\n"
    "  </tr>"
)
SNIPPET_ROW = (
    '\n  <tr class="snippet"><td colspan="7"><p class="report-snippet">'
    '<span class="visually-hidden">Report: </span>{}</p></td></tr>'
)
STAT_BADGE = mark_safe('<span class="badge stat">STAT</span>')
NEW_BADGE = mark_safe('<span class="badge new">New</span>')
EMPTY = mark_safe("")


def study_row(order: Order, snippet: str | None) -> SafeString:
    """One study's row (and its report passage when report text was searched)."""
    scheduled = order.scheduled_at
    stat = order.priority == Priority.STAT
    birth = order.patient.birth_date
    location = order.location
    site = location.organization if location else None
    row = format_html(
        ROW,
        new_class=" is-new" if order.is_new else "",
        stat_class=" is-stat" if stat else "",
        url=reverse("portal:study", args=[order.pk]),
        accession=order.accession_number,
        stat_badge=STAT_BADGE if stat else EMPTY,
        new_badge=NEW_BADGE if order.is_new else EMPTY,
        patient=order.patient.display_name,
        born=format_html('<br><span class="muted">born {}</span>', birth.strftime(DATE))
        if birth else EMPTY,
        study=order.procedure_text or order.procedure_code,
        modality=order.modality,
        room=str(location) if location else "",
        site=format_html('<br><span class="muted">{}</span>', site.name) if site else EMPTY,
        exam_time=timezone.localtime(scheduled).strftime(DATE_TIME) if scheduled else "—",
        status=order.get_status_display(),
    )
    return row + format_html(SNIPPET_ROW, snippet) if snippet else row
