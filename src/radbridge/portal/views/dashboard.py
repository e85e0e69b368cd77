"""The KPI dashboard for centre staff and administrators: aggregate figures only (no
patient is named), drawn as server-side SVG charts with the same figures in tables."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.shortcuts import render
from django.utils import timezone

from radbridge.clinical.choices import OrganizationKind
from radbridge.clinical.models import Organization
from radbridge.core import charts

from .. import kpis, navigation
from ..forms import DATE_INPUT
from ..navigation import STAFF_AND_ADMIN
from .util import roles_only

DEFAULT_DAYS = 14
MAX_DAYS = 366

navigation.add("Dashboard", "portal:dashboard", STAFF_AND_ADMIN, order=5)


class DateRangeForm(forms.Form):
    first_day = forms.DateField(label="From", widget=DATE_INPUT, required=False)
    last_day = forms.DateField(label="To", widget=DATE_INPUT, required=False)
    site = forms.ModelChoiceField(
        label="Site", required=False, empty_label="Every site",
        queryset=Organization.objects.filter(kind=OrganizationKind.IMAGING_SITE).order_by("name"))

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        last = data.get("last_day") or today
        first = data.get("first_day") or last - timedelta(days=DEFAULT_DAYS - 1)
        if first > last:
            raise forms.ValidationError("“From” must be on or before “To”: swap the dates.")
        if (last - first).days >= MAX_DAYS:
            raise forms.ValidationError(f"Choose at most {MAX_DAYS} days.")
        site = data.get("site")
        data["period"] = kpis.Period(first, last, site.pk if site else None)
        return data


def day_label(day: date) -> str:
    return day.strftime("%d %b")


def series_by_day(counts: dict[str, dict[date, int]], days: list[date]) -> list[charts.Series]:
    return [charts.Series(name, [per.get(day, 0) for day in days]) for name, per in counts.items()]


@roles_only(*STAFF_AND_ADMIN)
def dashboard(request):
    asked = request.GET.copy()  # the fields show the range shown, chosen or default
    today = timezone.localdate()
    asked.setdefault("last_day", today.isoformat())
    asked.setdefault("first_day", (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat())
    form = DateRangeForm(asked)
    if not form.is_valid():
        return render(request, "portal/ops/dashboard.html", {"form": form}, status=400)
    period = form.cleaned_data["period"]
    days = period.days
    labels = [day_label(day) for day in days]
    by_modality = kpis.per_day(period, "modality")
    by_site = kpis.per_day(period, "location__organization__name")
    times = kpis.turnaround(period)
    hours = [charts.Series("All orders", [hours_of(times["daily_median"].get(d)) for d in days]),
             charts.Series("STAT", [hours_of(times["daily_stat_median"].get(d)) for d in days])]
    return render(request, "portal/ops/dashboard.html", {
        "form": form, "period": period,
        "modality_chart": charts.stacked_bars(
            "Studies per day by modality", labels, series_by_day(by_modality, days)),
        "site_chart": charts.stacked_bars(
            "Studies per day by site", labels, series_by_day(by_site, days)),
        "turnaround_chart": charts.lines(
            "Median order to report per day, hours", labels, hours, unit=" h"),
        "by_modality": totals(by_modality), "by_site": totals(by_site),
        "turnaround": times, "delivery": kpis.notification_delivery(period),
        "adoption": kpis.adoption(period),
    })


def hours_of(minutes: float | None) -> float | None:
    return None if minutes is None else round(minutes / 60, 1)


def totals(counts: dict[str, dict[date, int]]) -> list[tuple[str, int]]:
    return [(name, sum(per.values())) for name, per in counts.items()]
