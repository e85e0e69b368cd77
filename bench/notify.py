"""Notification throughput: events through the outbox to the (local, fake) SMS provider.

What is measured, on SQLite and on PostgreSQL, with a real worker (`radbridge serve --role
worker`) sending to tests/notify/fake_providers.py speaking ClickSend's REST v3 on loopback:

- burst: N `images.available` events (default 10,000; one SMS each) committed by an emitter
  in batches of 50 as fast as it can while the worker runs: messages/s delivered (first
  commit to last provider request) and the time from an event's commit to the provider
  receiving its SMS, p50/p99 (in a burst this is mostly queueing behind earlier events);
- steady: 1,000 events at 100 events/s: the same latency when the worker keeps up;
- zero duplicates (each delivery key reaches the provider once) and zero losses (every
  event's SMS arrived).

    .venv/bin/python bench/notify.py [--events 10000] [--pg-url postgres://...] [--sqlite-only]

The PostgreSQL run creates and drops its own database (<name of --pg-url's db>_bench).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
BATCH = 50


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def child(database_url: str, events: int, home: str) -> dict:
    """Runs in its own process (Django reads DATABASE_URL once): set up, emit, measure."""
    os.environ.update(DATABASE_URL=database_url, RADBRIDGE_HOME=home,
                      DJANGO_SETTINGS_MODULE="radbridge.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from radbridge.clinical.models import Order, Patient
    from radbridge.core import outbox
    from radbridge.core.audit import Actor, acting_as
    from tests.notify.fake_providers import FakeProviders

    call_command("migrate", verbosity=0)
    patients = Patient.objects.bulk_create(
        Patient(given_name=f"P{n}", family_name="BENCH", phones=[f"+1217555{n:04d}"])
        for n in range(1000)
    )
    orders = Order.objects.bulk_create(
        Order(accession_number=f"B{p.id}", patient=p, modality="CT", procedure_code="CT")
        for p in patients
    )
    fake = FakeProviders()
    env = {**os.environ, "RADBRIDGE_SMS_PROVIDER": "clicksend",
           "RADBRIDGE_CLICKSEND_BASE_URL": fake.url,
           "RADBRIDGE_CLICKSEND_USERNAME": fake.clicksend_auth[0],
           "RADBRIDGE_CLICKSEND_API_KEY": fake.clicksend_auth[1],
           "RADBRIDGE_NOTIFY_QUIET_HOURS": "off", "RADBRIDGE_EMAIL_URL": "dummy:",
           "RADBRIDGE_LOG_LEVEL": "ERROR"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "radbridge.cli", "serve", "--role", "worker", "--no-migrate"],
        env=env, stdout=subprocess.DEVNULL,
    )
    committed: dict[int, float] = {}

    def emit(count: int, pace: float | None) -> None:
        started = time.time()
        sent = 0
        with acting_as(Actor("bench:emitter", "bench")):
            while sent < count:
                with transaction.atomic():
                    ids = []
                    for _ in range(min(BATCH, count - sent)):
                        order = orders[(len(committed) + len(ids)) % len(orders)]
                        ids.append(outbox.emit(
                            "images.available", "study", order.id, patient_id=order.patient_id,
                            order_id=order.id, accession_number=order.accession_number,
                            modality="CT", priority="routine", study_instance_uid="1.2.3",
                            instance_count=1).id)
                now = time.time()
                committed.update((event_id, now) for event_id in ids)
                sent += len(ids)
                if pace:
                    time.sleep(max(0.0, started + sent / pace - time.time()))

    def wait_all(expected: int, timeout: float) -> None:
        deadline = time.time() + timeout
        while len(fake.accepted) < expected and time.time() < deadline:
            time.sleep(0.05)

    def measure(first: int, expected: int) -> dict:
        received = fake.accepted[first:]
        keys = [m["key"] for m in received]
        latencies = [m["at"] - committed[int(m["key"].split(":")[1])] for m in received]
        start = min(committed[int(k.split(":")[1])] for k in keys) if keys else 0
        span = (max(m["at"] for m in received) - start) if received else 0
        return {"events": expected, "received": len(received),
                "duplicates": len(keys) - len(set(keys)),
                "lost": expected - len(set(keys)),
                "messages_per_s": round(len(received) / span, 1) if span else 0,
                "latency_p50_ms": round(1000 * percentile(latencies, 0.5), 1),
                "latency_p99_ms": round(1000 * percentile(latencies, 0.99), 1),
                "latency_mean_ms": round(1000 * statistics.fmean(latencies), 1)}

    try:
        time.sleep(2)  # let the worker start
        emit(events, None)
        wait_all(events, timeout=900)
        burst = measure(0, events)
        steady_from = len(fake.accepted)
        emit(1000, 100.0)
        wait_all(steady_from + 1000, timeout=300)
        steady = measure(steady_from, 1000)
    finally:
        worker.terminate()
        worker.wait(60)
        fake.close()
    return {"burst": burst, "steady": steady}


def run(label: str, database_url: str, events: int) -> dict:
    with tempfile.TemporaryDirectory() as home:
        output = subprocess.run(
            [sys.executable, __file__, "--child", database_url, "--events", str(events),
             "--home", home], capture_output=True, text=True, cwd=REPO,
        )
    if output.returncode != 0:
        raise SystemExit(f"{label} run failed:\n{output.stderr[-3000:]}")
    result = json.loads(output.stdout.strip().splitlines()[-1])
    for phase in ("burst", "steady"):
        r = result[phase]
        print(f"{label:10} {phase:6} {r['events']:>6} events: {r['messages_per_s']:>8} msg/s  "
              f"commit->provider p50 {r['latency_p50_ms']:>8} ms  p99 {r['latency_p99_ms']:>8} ms"
              f"  duplicates {r['duplicates']}  lost {r['lost']}", flush=True)
    return result


def postgres(url: str):
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/") + "_bench"
    admin = psycopg.connect(url, autocommit=True)
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f'CREATE DATABASE "{name}"')
    return admin, name, urlunsplit(parts._replace(path=f"/{name}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--pg-url", default=os.environ.get(
        "TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--child")
    parser.add_argument("--home")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.events, args.home)))
        return
    print(f"notify bench: {args.events} events, one SMS each, fake ClickSend on loopback")
    with tempfile.TemporaryDirectory() as folder:
        run("sqlite", f"sqlite:///{folder}/bench.sqlite3", args.events)
    if args.sqlite_only:
        return
    try:
        admin, name, url = postgres(args.pg_url)
    except Exception as error:  # noqa: BLE001 - say why and carry on without PostgreSQL
        print(f"postgres   skipped: {args.pg_url} unreachable ({error})")
        return
    try:
        run("postgres", url, args.events)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


if __name__ == "__main__":
    main()
