"""The centre's figures for the staff dashboard, over a date range: studies per day (by
modality, by site), turnaround times, STAT turnaround, notification delivery, portal adoption.

Counting is done by the database (GROUP BY over indexed dates, see clinical migration
0004_dashboard_indexes); only turnaround medians are computed here, from one row per order
of the range. A study's day is its exam's scheduled date, or the day the order arrived
when it has none.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import median

from django.db.models import Count, Min, Q, QuerySet
from django.db.models.functions import Coalesce, TruncDate

from radbridge.accounts.choices import Role
from radbridge.accounts.models import Profile
from radbridge.clinical.choices import Priority
from radbridge.clinical.models import Order
from radbridge.core.audit import READ_PREFIX
from radbridge.core.models import AuditEntry
from radbridge.notify.services import delivery_rates_between

from .forms import start_of_day

NO_SITE = "No site"


@dataclass(frozen=True)
class Period:
    first_day: date
    last_day: date  # inclusive
    site_id: int | None = None  # one imaging site's studies only

    @property
    def start(self) -> datetime:
        return start_of_day(self.first_day)

    @property
    def end(self) -> datetime:  # exclusive
        return start_of_day(self.last_day + timedelta(days=1))

    @property
    def days(self) -> list[date]:
        count = (self.last_day - self.first_day).days + 1
        return [self.first_day + timedelta(days=n) for n in range(count)]


def orders_in(period: Period) -> QuerySet:
    orders = Order.objects.filter(
        Q(scheduled_at__gte=period.start, scheduled_at__lt=period.end)
        | Q(scheduled_at__isnull=True, created_at__gte=period.start, created_at__lt=period.end)
    ).exclude(status="cancelled")
    if period.site_id is not None:
        orders = orders.filter(location__organization_id=period.site_id)
    return orders


def per_day(period: Period, dimension: str) -> dict[str, dict[date, int]]:
    """{dimension value: {day: studies}}; `dimension` is an Order field path."""
    rows = (
        orders_in(period)
        .annotate(day=TruncDate(Coalesce("scheduled_at", "created_at")))
        .values("day", dimension)
        .annotate(studies=Count("id"))
        .order_by()
    )
    counts: dict[str, dict[date, int]] = defaultdict(dict)
    for row in rows:
        counts[row[dimension] or NO_SITE][row["day"]] = row["studies"]
    return dict(sorted(counts.items()))


def minutes_between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None or end < start:
        return None
    return (end - start).total_seconds() / 60


@dataclass(frozen=True)
class Spread:
    """How long one step took over the orders that got that far (minutes)."""

    name: str
    count: int
    median: float | None
    p90: float | None

    @property
    def median_text(self) -> str:
        return human_duration(self.median)

    @property
    def p90_text(self) -> str:
        return human_duration(self.p90)


def human_duration(minutes: float | None) -> str:
    """45 s, 12 min, 3 h 05 min, 2 d 4 h: a duration as people say it."""
    if minutes is None:
        return "—"
    seconds = round(minutes * 60)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    return f"{seconds // 86400} d {seconds % 86400 // 3600} h"


def spread(name: str, values: list[float]) -> Spread:
    if not values:
        return Spread(name, 0, None, None)
    ordered = sorted(values)
    return Spread(name, len(ordered), median(ordered),
                  ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))])


def first_patient_views(period: Period, order_ids: set[int]) -> dict[int, datetime]:
    """When each order's report was first opened by its patient (from the audit log): one
    query over the audit log's time index (a report of the range is opened after the range
    starts), matched to the orders here."""
    rows = (
        AuditEntry.objects.filter(action=f"{READ_PREFIX}report", actor_role=Role.PATIENT,
                                  object_type="order", at__gte=period.start)
        .values("object_id").annotate(first=Min("at")).order_by()
    )
    views = {}
    for row in rows:
        if row["object_id"].isdigit() and int(row["object_id"]) in order_ids:
            views[int(row["object_id"])] = row["first"]
    return views


def turnaround(period: Period) -> dict:
    """Order -> images -> report -> patient viewed, for all orders and for STAT ones."""
    rows = list(
        orders_in(period)
        .annotate(images_at=Min("studies__created_at"),
                  reported_at=Min("report__versions__created_at"),
                  day=TruncDate(Coalesce("scheduled_at", "created_at")))
        .values_list("id", "priority", "created_at", "images_at", "reported_at", "day")
    )
    viewed = first_patient_views(period, {row[0] for row in rows if row[4] is not None})
    steps = defaultdict(list)
    daily, daily_stat = defaultdict(list), defaultdict(list)
    for order_id, priority, ordered, images, reported, day in rows:
        steps["order_to_images"].append(minutes_between(ordered, images))
        steps["images_to_report"].append(minutes_between(images, reported))
        whole = minutes_between(ordered, reported)
        steps["order_to_report"].append(whole)
        steps["report_to_viewed"].append(minutes_between(reported, viewed.get(order_id)))
        if whole is not None:
            daily[day].append(whole)
            if priority == Priority.STAT:
                steps["stat_order_to_report"].append(whole)
                daily_stat[day].append(whole)
    labels = {
        "order_to_images": "Order → images",
        "images_to_report": "Images → report",
        "order_to_report": "Order → report",
        "report_to_viewed": "Report → patient viewed",
        "stat_order_to_report": "STAT order → report",
    }
    return {
        "steps": [spread(label, [v for v in steps[key] if v is not None])
                  for key, label in labels.items()],
        "daily_median": {day: median(values) for day, values in daily.items()},
        "daily_stat_median": {day: median(values) for day, values in daily_stat.items()},
        "stat_orders": sum(1 for row in rows if row[1] == Priority.STAT),
    }


def adoption(period: Period) -> dict:
    """Of the patients with a study in the range: how many have an account, how many opened
    anything in the portal in the range. Three flat queries intersected here: an IN
    (subquery) over the audit log makes PostgreSQL's planner scan it whole."""
    patients = set(orders_in(period).values_list("patient_id", flat=True).distinct())
    with_account = patients & set(
        Profile.objects.filter(role=Role.PATIENT, patient__isnull=False)
        .values_list("patient_id", flat=True))
    viewed = patients & set(
        AuditEntry.objects.filter(actor_role=Role.PATIENT, action__startswith=READ_PREFIX,
                                  at__gte=period.start, at__lt=period.end,
                                  patient_id__isnull=False)
        .values_list("patient_id", flat=True).distinct())
    total = len(patients)
    return {
        "patients": total, "with_account": len(with_account), "viewed": len(viewed),
        "account_rate": round(100 * len(with_account) / total, 1) if total else 0.0,
        "viewed_rate": round(100 * len(viewed) / total, 1) if total else 0.0,
    }


def notification_delivery(period: Period) -> list[dict]:
    return delivery_rates_between(period.start, period.end)
