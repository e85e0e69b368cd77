"""Staff dashboard cost on a generated centre: N orders over a year at three sites (90% with
images, 70% reported, a fifth of the reports opened by their patient), then each dashboard
query for a two-week and a one-year range, median of 5 runs. Same code as the page.

    .venv/bin/python bench/dashboard.py [--orders 100000] [--pg-url postgres://...]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.scratch import scratch_radbridge  # noqa: E402

BATCH = 5000


def generate(orders: int) -> None:
    from django.utils import timezone

    from radbridge.clinical.models import (
        Location,
        Order,
        Organization,
        Patient,
        Report,
        ReportVersion,
    )
    from radbridge.core.models import AuditEntry
    from radbridge.imaging.models import Study

    rng = random.Random(7)
    now = timezone.now()
    rooms = []
    for number in range(3):
        site = Organization.objects.create(name=f"Site {number}", kind="site",
                                           identifier=f"S{number}")
        rooms += [Location.objects.create(code=f"S{number}-{m}", organization=site)
                  for m in ("CT", "MR", "CR", "US", "MG")]
    patients = Patient.objects.bulk_create(
        Patient(family_name=f"P{n}", given_name="Bench") for n in range(orders // 2))
    for start in range(0, orders, BATCH):
        batch = []
        for number in range(start, min(orders, start + BATCH)):
            room = rng.choice(rooms)
            when = now - timedelta(minutes=rng.randint(0, 365 * 24 * 60))
            batch.append(Order(accession_number=f"B{number}", patient=rng.choice(patients),
                               modality=room.code[-2:], location=room, scheduled_at=when,
                               priority="stat" if rng.random() < 0.1 else "routine"))
        made = Order.objects.bulk_create(batch)
        Order.objects.filter(pk__in=[o.pk for o in made]).update(created_at=now)
        studies = [Study(study_instance_uid=f"1.2.{o.pk}", order=o, patient_id=o.patient_id)
                   for o in made if rng.random() < 0.9]
        Study.objects.bulk_create(studies)
        reports = Report.objects.bulk_create(
            Report(order=o, status="final") for o in made if rng.random() < 0.7)
        ReportVersion.objects.bulk_create(
            ReportVersion(report=r, number=1, status="final", text="Bench.") for r in reports)
        AuditEntry.objects.bulk_create(
            AuditEntry(actor="user:bench", actor_role="patient", action="read.report",
                       object_type="order", object_id=str(r.order_id),
                       patient_id=r.order.patient_id)
            for r in reports if rng.random() < 0.2)


def median_ms(function, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--pg-url", help="PostgreSQL server to create a scratch database on")
    args = parser.parse_args()
    with scratch_radbridge("dashboard", args.pg_url):
        run(args)


def run(args) -> None:
    from django.db import connection
    from django.utils import timezone

    from radbridge.core.audit import Actor, acting_as
    from radbridge.portal import kpis

    with acting_as(Actor(name="bench")):
        started = time.perf_counter()
        generate(args.orders)
        generated = time.perf_counter() - started
    print(f"database: {connection.vendor}, {args.orders:,} orders over a year "
          f"(generated in {generated:.0f} s)")
    today = timezone.localdate()
    for label, days in (("two weeks", 14), ("one year", 365)):
        period = kpis.Period(today - timedelta(days=days - 1), today)
        parts = {
            "studies per day by modality": lambda p=period: kpis.per_day(p, "modality"),
            "studies per day by site": lambda p=period: kpis.per_day(
                p, "location__organization__name"),
            "turnaround (+ patient views)": lambda p=period: kpis.turnaround(p),
            "portal adoption": lambda p=period: kpis.adoption(p),
            "notification delivery": lambda p=period: kpis.notification_delivery(p),
        }
        timings = {name: median_ms(function) for name, function in parts.items()}
        print(f"  {label}: whole dashboard {sum(timings.values()):,.0f} ms")
        for name, ms in timings.items():
            print(f"    {name:<30} {ms:8,.1f} ms")


if __name__ == "__main__":
    sys.exit(main())
