"""The worklist's filters, sorts and "new since last visit", as one validated form.

`WorklistFilters(request.GET)` checks what the person typed (a bad date is a clear message,
never a crash); `apply(orders)` narrows an already restricted Order queryset with it. Names
match accent- and case-blind on both databases (`Patient.search_name`), report text goes
through `clinical.search`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django import forms
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

from radbridge.clinical.choices import Priority
from radbridge.clinical.models import Location
from radbridge.clinical.search import MAX_QUERY_CHARS, name_terms, search_reports

from .forms import start_of_day

MODALITIES = [
    ("CT", "CT"), ("MR", "MR"), ("US", "Ultrasound"), ("CR", "CR"), ("DX", "X-ray (DX)"),
    ("MG", "Mammography"), ("NM", "Nuclear medicine"), ("PT", "PET"), ("XA", "Angiography"),
    ("RF", "Fluoroscopy"), ("OT", "Other"),
]
# Sort keys the column headers offer → the order_by that serves them (id breaks ties, so
# paging is stable).
SORTS = {
    "exam": ["scheduled_at", "id"],
    "-exam": ["-scheduled_at", "-id"],  # served by the order_worklist_* indexes
    # Folded names ("Émile" among the E's); not indexed for sorting on purpose, so the
    # database sorts a physician's few studies instead of walking every patient by name.
    "patient": ["patient__search_name", "id"],
    "-patient": ["-patient__search_name", "-id"],
    "accession": ["accession_number"],
    "-accession": ["-accession_number"],
    "modality": ["modality", "-scheduled_at", "-id"],
    "-modality": ["-modality", "-scheduled_at", "-id"],
    "status": ["status", "-scheduled_at", "-id"],
    "-status": ["-status", "-scheduled_at", "-id"],
}
DEFAULT_SORT = "-exam"
COLUMNS = [("Accession", "accession"), ("Patient", "patient"), ("Study", None),
           ("Modality", "modality"), ("Site", None), ("Exam date", "exam"), ("Status", "status")]


def place_choices() -> list:
    """Sites, then rooms grouped by site: `site:ID` and `room:ID` (not PHI)."""
    rooms = Location.objects.select_related("organization").order_by(
        "organization__name", "name", "code"
    )
    sites: dict[int, str] = {}
    grouped: dict[str, list[tuple[str, str]]] = {}
    for room in rooms:
        site = room.organization
        if site is not None:
            sites[site.pk] = site.name
        grouped.setdefault(site.name if site else "Other rooms", []).append(
            (f"room:{room.pk}", str(room))
        )
    whole_sites = [(f"site:{pk}", f"{name} (whole site)") for pk, name in sites.items()]
    return [("", "Any"), *([("Sites", whole_sites)] if whole_sites else []),
            *grouped.items()]


class WorklistFilters(forms.Form):
    name = forms.CharField(label="Patient name", required=False, max_length=100,
                           widget=forms.TextInput(attrs={"type": "search"}),
                           help_text="Part of a name; accents and case do not matter")
    birth_date = forms.DateField(label="Date of birth", required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    exam_from = forms.DateField(label="Exam from", required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    exam_to = forms.DateField(label="Exam to", required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))
    accession = forms.CharField(label="Accession number", required=False, max_length=64)
    modality = forms.ChoiceField(label="Modality", required=False,
                                 choices=[("", "Any"), *MODALITIES])
    place = forms.ChoiceField(label="Site or room", required=False)
    text = forms.CharField(label="Report text", required=False, max_length=MAX_QUERY_CHARS,
                           widget=forms.TextInput(attrs={"type": "search"}),
                           help_text='Words or "a phrase"; -word leaves it out')
    stat = forms.BooleanField(label="STAT only", required=False)
    new = forms.BooleanField(label="New since my last visit", required=False)
    sort = forms.ChoiceField(required=False, choices=[(key, key) for key in SORTS],
                             widget=forms.HiddenInput)

    def __init__(self, *args, with_places: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if with_places:
            self.fields["place"].choices = place_choices()

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("exam_from"), cleaned.get("exam_to")
        if start and end and start > end:
            self.add_error("exam_to", "The end of the exam date range is before its start.")
        return cleaned

    def sort_key(self) -> str:
        return (self.cleaned_data.get("sort") if self.is_bound and self.is_valid() else "") \
            or DEFAULT_SORT

    def apply(self, orders: QuerySet, new_since: datetime | None) -> QuerySet:
        """Narrow and sort `orders` (already restricted to what the user may see)."""
        data = self.cleaned_data
        for term in name_terms(data["name"]):
            orders = orders.filter(patient__search_name__contains=term)
        if data["birth_date"]:
            orders = orders.filter(patient__birth_date=data["birth_date"])
        if data["exam_from"]:
            orders = orders.filter(scheduled_at__gte=start_of_day(data["exam_from"]))
        if data["exam_to"]:
            orders = orders.filter(
                scheduled_at__lt=start_of_day(data["exam_to"] + timedelta(days=1))
            )
        if data["accession"].strip():
            orders = orders.filter(accession_number=data["accession"].strip())
        if data["modality"]:
            orders = orders.filter(modality=data["modality"])
        if data["place"]:
            kind, _, pk = data["place"].partition(":")
            field = "location__organization_id" if kind == "site" else "location_id"
            orders = orders.filter(**{field: int(pk)})
        if data["stat"]:
            orders = orders.filter(priority=Priority.STAT)
        if data["new"] and new_since is not None:
            orders = orders.filter(updated_at__gt=new_since)
        if data["text"].strip():
            orders = search_reports(orders, data["text"])
        return orders.order_by(*SORTS[self.sort_key()])

    def audit_detail(self) -> dict[str, str]:
        """What was searched, for the audit entry (only the fields that were filled in)."""
        return {key: str(value) for key, value in self.cleaned_data.items()
                if value not in ("", None, False)}


class CappedPaginator(Paginator):
    """Counts at most CAP studies; past it the caption says "more than 1,000". Counting
    every report in a million that mentions a common word costs more than showing a page,
    and nobody pages through a thousand rows: they narrow the search.

    Counted apart from the page on purpose: the count may take the cheapest order, while
    walking a million orders newest first until a thousand reports match (one query for
    both) costs several times more than the two."""

    CAP = 1000

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[: self.CAP + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.CAP


def column_headers(sort: str) -> list[dict]:
    """The table's headers: sortable ones link to their next sort and say their state."""
    headers = []
    for label, key in COLUMNS:
        if key is None:
            headers.append({"label": label})
            continue
        current = sort.lstrip("-") == key
        descending = sort.startswith("-")
        if current:
            following = key if descending else f"-{key}"
        else:
            following = f"-{key}" if key == "exam" else key
        state = ("descending" if descending else "ascending") if current else "none"
        headers.append({"label": label, "sort": following, "aria_sort": state})
    return headers
