"""FHIR search benchmark on PostgreSQL: 1,000,000 reports, 20 concurrent clients.

What is measured: latency (p50/p95) and requests/s of two searches against
`radbridge serve --role web` on PostgreSQL, loaded by 20 concurrent asyncio/httpx clients:

- Patient by name: `GET /fhir/Patient?name=<3-4 letter prefix>` (first page of 20, total).
- DiagnosticReport by patient and date: `GET /fhir/DiagnosticReport?patient=<id>
  &date=ge<day>&date=le<day + 1 year>`.

Same-run reference: `GET /health` (a bare Django request through the same server), so the
ratio says what the FHIR work costs on top of serving any request at all. The database is
generated once with COPY (bench/centre.py: the centre bench/portal.py uses too) and
reused while its row counts match (`--rebuild` makes it again). The caller acts as a staff
account whose permission rule sees everything (the rule the accounts app gives staff),
authenticated by a session cookie; every request is audited like in production.

    .venv/bin/python bench/fhir.py [--reports 1000000] [--clients 20] [--seconds 20]
        [--pg-url postgres://postgres@127.0.0.1:5432/rb_fhir_bench] [--rebuild]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
PYTHON = REPO / ".venv" / "bin" / "python"
sys.path.insert(0, str(REPO))
from bench.centre import PostgresLoader, family_name  # noqa: E402
from bench.centre import generate as generate_centre  # noqa: E402

BENCH_USER = "bench-staff"


def database_exists(pg_url: str) -> None:
    import psycopg

    parts = urlsplit(pg_url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def row_counts(conn) -> tuple[int, int]:
    reports = conn.execute("SELECT count(*) FROM clinical_report").fetchone()[0]
    patients = conn.execute("SELECT count(*) FROM clinical_patient").fetchone()[0]
    return reports, patients


def generate(pg_url: str, reports: int, patients: int) -> None:
    """Fill the clinical tables with the shared generated centre (bench/centre.py), by COPY."""
    generate_centre(PostgresLoader(pg_url), reports, patients)


def django_env(pg_url: str, port: int, home: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": pg_url, "RADBRIDGE_HTTP_PORT": str(port),
            "RADBRIDGE_HOME": str(home), "DJANGO_SETTINGS_MODULE": "radbridge.settings",
            "RADBRIDGE_LOG_LEVEL": "WARNING"}


def serve() -> None:
    """`--serve`: run `radbridge serve --role web` with the staff rule the accounts app gives."""
    import django

    django.setup()
    from django.core.management import call_command

    from radbridge.core.permissions import register_rule

    def staff_sees_all(rows, user, action):
        return rows if user.is_staff else rows.none()

    register_rule("clinical.patient", staff_sees_all)
    register_rule("clinical.order", staff_sees_all)
    call_command("serve", role=["web"])


def session_cookie() -> str:
    """`--session`: create the bench staff user and print a session key for it."""
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore

    user, _ = User.objects.get_or_create(username=BENCH_USER, defaults={"is_staff": True})
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    print(session.session_key)


def explain(pg_url: str, prefix: str, patient_id: int) -> None:
    import psycopg

    queries = {
        "Patient?name=": (
            "EXPLAIN SELECT id FROM clinical_patient WHERE UPPER(family_name::text) LIKE %s "
            "OR UPPER(given_name::text) LIKE %s OR UPPER(middle_name::text) LIKE %s "
            "ORDER BY id LIMIT 21", [prefix.upper() + "%"] * 3),
        "DiagnosticReport?patient&date": (
            "EXPLAIN SELECT r.id FROM clinical_report r JOIN clinical_order o ON r.order_id = "
            "o.id WHERE o.patient_id = %s AND o.scheduled_at >= '2022-01-01' AND "
            "o.scheduled_at < '2023-01-01' ORDER BY r.id LIMIT 21", [patient_id]),
    }
    with psycopg.connect(pg_url) as conn:
        for label, (sql, params) in queries.items():
            plan = [row[0] for row in conn.execute(sql, params)]
            uses = [line.strip() for line in plan if "Index" in line or "Seq Scan" in line]
            print(f"  plan {label}: {'; '.join(uses) or plan[0]}")


async def load(base: str, cookie: str, make_path, clients: int, seconds: float):
    import httpx

    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client(number: int) -> None:
        nonlocal errors
        rng = random.Random(number)
        async with httpx.AsyncClient(base_url=base, cookies={"sessionid": cookie},
                                     timeout=60) as http:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                answer = await http.get(make_path(rng))
                latencies.append(time.perf_counter() - started)
                errors += answer.status_code != 200

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    elapsed = time.perf_counter() - started
    return latencies, errors, elapsed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(base: str, process: subprocess.Popen, timeout: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise SystemExit("the server did not answer /health in time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--patients", type=int, help="default: reports / 5")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0, help="per scenario")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/rb_fhir_bench")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--session", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve()
    if args.session:
        return session_cookie()
    patients = args.patients or max(1, args.reports // 5)
    home = REPO / "var" / "bench-fhir"
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = django_env(args.pg_url, port, home)
    database_exists(args.pg_url)
    subprocess.run([PYTHON, "-m", "radbridge.cli", "migrate", "-v", "0"], env=env, check=True)
    import psycopg

    with psycopg.connect(args.pg_url) as conn:
        counts = row_counts(conn)
    if args.rebuild or counts != (args.reports, patients):
        print(f"generating {args.reports:,} reports for {patients:,} patients (found {counts})")
        started = time.perf_counter()
        generate(args.pg_url, args.reports, patients)
        print(f"generated in {time.perf_counter() - started:.0f} s")
    else:
        print(f"reusing {counts[0]:,} reports for {counts[1]:,} patients in {args.pg_url}")
    cookie = subprocess.run([PYTHON, __file__, "--session"], env=env, check=True,
                            capture_output=True, text=True).stdout.strip()
    explain(args.pg_url, "ban", patients // 2)
    server = subprocess.Popen([PYTHON, __file__, "--serve"], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base, server)
        scenarios = {
            "GET /health (reference)": lambda rng: "/health",
            "Patient?name=<prefix>": lambda rng: "/fhir/Patient?name="
            + family_name(rng)[: rng.choice((3, 4))],
            "DiagnosticReport?patient=&date=ge&date=le": lambda rng: (
                lambda day: f"/fhir/DiagnosticReport?patient=Patient/{rng.randrange(1, patients)}"
                f"&date=ge{day}&date=le{day.replace(year=day.year + 1)}"
            )(date(2021, 1, 1) + timedelta(days=rng.randrange(4 * 365))),
        }
        print(f"\n{args.clients} clients, {args.seconds:.0f} s each, server: radbridge serve "
              f"--role web (uvicorn, 1 process) on PostgreSQL")
        print(f"{'scenario':44} {'requests':>9} {'errors':>6} {'req/s':>8} {'p50 ms':>8} "
              f"{'p95 ms':>8}")
        rates = {}
        for label, make_path in scenarios.items():
            asyncio.run(load(base, cookie, make_path, args.clients, 2))  # warm up
            latencies, errors, elapsed = asyncio.run(
                load(base, cookie, make_path, args.clients, args.seconds)
            )
            latencies.sort()
            rates[label] = len(latencies) / elapsed
            p50 = statistics.median(latencies) * 1000
            p95 = latencies[int(len(latencies) * 0.95) - 1] * 1000
            print(f"{label:44} {len(latencies):>9} {errors:>6} {rates[label]:>8.1f} "
                  f"{p50:>8.1f} {p95:>8.1f}")
        reference = rates["GET /health (reference)"]
        for label, rate in rates.items():
            print(f"  {label}: {rate / reference:.2f}x the reference's requests/s")
    finally:
        server.terminate()
        server.wait(60)


if __name__ == "__main__":
    sys.exit(main())
