"""Portal benchmark: report free-text search and the physicians' worklist on a generated
centre of 1,000,000 reports (bench/centre.py), on SQLite and PostgreSQL.

What is measured:

- search: `clinical.search`, the worklist's report-text mode, called in-process the way the
  worklist calls it: the 25 newest studies whose report matches a phrase ("pulmonary
  nodule", "renal calculus", ...), how many match (up to 1,000, as the worklist counts),
  and their highlighted passages. Two
  scopes: the whole centre (a centre administrator) and one physician's studies. Latency
  p50/p95 on SQLite (FTS5) and PostgreSQL (tsvector, GIN). Target: p95 < 100 ms on PostgreSQL.
- worklist: `GET /studies/` by 50 concurrent physicians (asyncio + httpx, each with their
  own signed-in session, second factor passed, arriving spread over the first `--think`
  seconds and each reading a page for `--think` seconds on average before the next
  request), a random mix of what physicians do (the first page, part of a name typed
  without accents, STAT only, a modality, report text, page 2, sorted by patient; all but
  the first page as the HTMX requests the browser sends, answered with the table only),
  against a real `radbridge serve --role web` started as an operator runs a web machine,
  one process per core (`RADBRIDGE_WEB_WORKERS`, `--web-workers` to change it); every
  request runs the real permission rules and writes its audit entries. p50/p95 and
  requests/s, beside `GET /health` as the same-run reference.
  Target: p95 < 200 ms.

The data is kept for the next run: PostgreSQL database `rb_portal_bench`, SQLite file
`bench/data/portal.sqlite3` (or `--sqlite-path`). `--reuse` uses them when their row counts
match (otherwise, and without `--reuse`, they are generated again; the time is printed).

    python bench/portal.py [--reports 1000000] [--reuse] [--engines postgresql,sqlite]
        [--worklist-engines postgresql] [--clients 50] [--seconds 20] [--searches 200]
        [--web-workers CORES]
        [--pg-url postgres://postgres@127.0.0.1:5432/rb_portal_bench] [--sqlite-path FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from bench.centre import PostgresLoader, SqliteLoader, family_name, generate  # noqa: E402
from bench.fhir import database_exists, free_port, wait_for  # noqa: E402

SQLITE_PATH = REPO / "bench" / "data" / "portal.sqlite3"
HOME = REPO / "var" / "bench-portal"
PHRASES = ["pulmonary nodule", "renal calculus", "pleural effusion", "hepatic cyst",
           '"ground glass"', "meniscus tear", "spiculated mass", "lymph nodes",
           "aortic aneurysm", "thyroid nodule", "fracture -vertebral", "hernia",
           "cardiomegaly", "metastasis", "pneumonia or consolidation", "adrenal adenoma"]
WORKLIST_MIX = {
    "first page": lambda rng: "/studies/",
    "name, no accents": lambda rng: "/studies/?name=" + rng.choice(
        [family_name(rng)[:3].lower(), "jose", "muller", "garcia"]),
    "STAT only": lambda rng: "/studies/?stat=on",
    "modality": lambda rng: "/studies/?modality=" + rng.choice(["CT", "MR", "US"]),
    "report text": lambda rng: "/studies/?text=" + rng.choice(PHRASES).replace(" ", "+"),
    "page 2": lambda rng: "/studies/?page=2",
    "sort by patient": lambda rng: "/studies/?sort=patient",
}
# What the browser sends when a filter, sort or page link changes the table (HTMX swaps the
# results only); the first page is a full page load.
HTMX_HEADERS = {"HX-Request": "true", "HX-Target": "worklist-results"}
FULL_PAGE_KINDS = {"first page", "health"}
TARGETS = {"search": 100.0, "worklist": 200.0}


@dataclass(frozen=True)
class Databases:
    """Where the generated centre lives: one PostgreSQL database, one SQLite file."""

    pg_url: str
    sqlite_path: Path

    def url(self, engine: str) -> str:
        return self.pg_url if engine == "postgresql" else f"sqlite:///{self.sqlite_path}"


def child_env(url: str, port: int = 0, web_workers: int = 1) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "RADBRIDGE_HOME": str(HOME),
            "RADBRIDGE_HTTP_PORT": str(port), "DJANGO_SETTINGS_MODULE": "radbridge.settings",
            "RADBRIDGE_LOG_LEVEL": "WARNING", "RADBRIDGE_WEB_WORKERS": str(web_workers)}


def child(url: str, *args: str) -> str:
    done = subprocess.run([sys.executable, __file__, *args], env=child_env(url), check=True,
                          capture_output=True, text=True)
    return done.stdout


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# --- preparing the data ------------------------------------------------------------------

def row_counts(engine: str, databases: Databases) -> tuple[int, int]:
    sql = ("SELECT (SELECT count(*) FROM clinical_reportversion), "
           "(SELECT count(*) FROM clinical_patient)")
    if engine == "postgresql":
        import psycopg

        with psycopg.connect(databases.pg_url) as conn:
            return conn.execute(sql).fetchone()
    import sqlite3

    with sqlite3.connect(databases.sqlite_path) as conn:
        return conn.execute(sql).fetchone()


def migrate(url: str) -> None:
    subprocess.run([sys.executable, "-m", "radbridge.cli", "migrate", "-v", "0"],
                   env=child_env(url), check=True)


def prepare(engine: str, databases: Databases, reports: int, patients: int, reuse: bool) -> None:
    url = databases.url(engine)
    if engine == "postgresql":
        database_exists(databases.pg_url)
    databases.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    HOME.mkdir(parents=True, exist_ok=True)
    migrate(url)
    counts = tuple(row_counts(engine, databases))
    if reuse and counts == (reports, patients):
        print(f"{engine}: reusing {reports:,} reports for {patients:,} patients")
        return
    print(f"{engine}: generating {reports:,} reports for {patients:,} patients "
          f"(found {counts[0]:,} reports)")
    started = time.perf_counter()
    if engine == "sqlite":  # a new file: faster than emptying the old one
        for suffix in ("", "-wal", "-shm"):
            Path(f"{databases.sqlite_path}{suffix}").unlink(missing_ok=True)
        migrate(url)
    loader = (PostgresLoader(databases.pg_url) if engine == "postgresql"
              else SqliteLoader(databases.sqlite_path))
    generate(loader, reports, patients)
    print(f"{engine}: generated and indexed in {time.perf_counter() - started:.0f} s")


# --- children: run inside Django against one database -------------------------------------

def search_child(count: int) -> None:
    """`--search-child N`: time N report searches per scope; print the latencies as JSON."""
    import django

    django.setup()
    from radbridge.clinical.models import Order
    from radbridge.clinical.search import report_snippets, search_reports

    rng = random.Random(11)
    scopes = {"whole centre": lambda: Order.objects.all(),
              "one physician": lambda: Order.objects.filter(
                  ordering_practitioner_id=rng.randrange(1, 1001))}
    results: dict[str, list[float]] = {}
    for scope, orders in scopes.items():
        latencies = results.setdefault(scope, [])
        for n in range(count + 5):
            text = rng.choice(PHRASES)
            started = time.perf_counter()
            matches = search_reports(orders(), text).order_by("-scheduled_at", "-id")
            page = list(matches.values_list("id", flat=True)[:25])
            matches.order_by()[:1001].count()  # the worklist counts up to 1,000
            report_snippets(page, text)
            if n >= 5:  # the first few warm the caches
                latencies.append(time.perf_counter() - started)
    print(json.dumps(results))


def sessions_child(count: int) -> None:
    """`--sessions-child N`: N physician accounts (practitioners 1..N), signed in with their
    second factor passed; print their session keys as JSON."""
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from radbridge.accounts.choices import Role
    from radbridge.accounts.services.users import create_account
    from radbridge.clinical.models import Practitioner
    from radbridge.core.audit import Actor, acting_as

    keys = []
    with acting_as(Actor(name="bench:portal", role="bench")):
        for number in range(1, count + 1):
            username = f"bench-doctor-{number}"
            # Made afresh: a regenerated centre has dropped the old ones' profiles.
            User.objects.filter(username=username).delete()
            user = create_account(username, Role.PHYSICIAN,
                                  practitioner=Practitioner.objects.get(pk=number))
            device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
            session = SessionStore()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.create()
            keys.append(session.session_key)
    print(json.dumps(keys))


# --- the load ---------------------------------------------------------------------------

async def load(base: str, cookies: list[str], mix: dict, seconds: float, think: float):
    import httpx

    latencies: dict[str, list[float]] = {label: [] for label in mix}
    errors = 0

    async def physician(number: int, http: httpx.AsyncClient, deadline: float) -> None:
        nonlocal errors
        rng = random.Random(number)
        labels = list(mix)
        # Physicians arrive spread over one reading time, as a load tool's spawn rate spreads
        # its users: fifty first requests in the same millisecond would measure that instant
        # (a queue of a second at the start), not fifty people at work.
        await asyncio.sleep(think * rng.uniform(0, 1))
        while time.perf_counter() < deadline:
            label = rng.choice(labels)
            started = time.perf_counter()
            headers = {} if label in FULL_PAGE_KINDS else HTMX_HEADERS
            answer = await http.get(mix[label](rng), headers=headers)
            latencies[label].append(time.perf_counter() - started)
            errors += answer.status_code != 200
            if think:  # a person reads the page before the next click
                await asyncio.sleep(think * rng.uniform(0.5, 1.5))

    # Made before the clock starts: each client loads the TLS certificates when made (about
    # 20 ms of blocked event loop), which would delay everybody's requests.
    clients = [httpx.AsyncClient(base_url=base, cookies={"sessionid": cookie}, timeout=60)
               for cookie in cookies]
    started = time.perf_counter()
    try:
        await asyncio.gather(*(physician(n, http, started + seconds)
                               for n, http in enumerate(clients)))
    finally:
        for http in clients:
            await http.aclose()
    return latencies, errors, time.perf_counter() - started


def worklist_load(engine: str, url: str, clients: int, seconds: float, think: float,
                  web_workers: int) -> dict:
    cookies = json.loads(child(url, "--sessions-child", str(clients)))
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "radbridge.cli", "serve", "--role", "web"],
                              env=child_env(url, port, web_workers))
    base = f"http://127.0.0.1:{port}"
    figures = {}
    try:
        wait_for(base, server)
        for name, mix in {"GET /health (reference)": {"health": lambda rng: "/health"},
                          "GET /studies/ (worklist mix)": WORKLIST_MIX}.items():
            asyncio.run(load(base, cookies, mix, 3, think))  # warm up
            latencies, errors, elapsed = asyncio.run(load(base, cookies, mix, seconds, think))
            every = [value for values in latencies.values() for value in values]
            figures[name] = (every, errors, elapsed, latencies)
    finally:
        server.terminate()
        server.wait(60)
    return figures


def line(label: str, values: list[float], extra: str = "") -> str:
    p50 = statistics.median(values) * 1000
    p95 = percentile(values, 0.95) * 1000
    return f"  {label:34} {len(values):>7} {p50:>8.1f} {p95:>8.1f} {extra}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--patients", type=int, help="default: reports / 5")
    parser.add_argument("--engines", default="postgresql,sqlite")
    parser.add_argument("--worklist-engines", default="postgresql")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--think", type=float, default=1.0,
                        help="mean seconds a physician reads a page before the next request "
                        "(0: every client requests back to back, a saturation test)")
    parser.add_argument("--searches", type=int, default=200, help="per scope and engine")
    parser.add_argument("--web-workers", type=int, default=os.cpu_count() or 1,
                        help="web processes of the server (RADBRIDGE_WEB_WORKERS; default: "
                        "one per core, as for a production web machine)")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/rb_portal_bench")
    parser.add_argument("--sqlite-path", default=str(SQLITE_PATH),
                        help="the SQLite file of the generated centre (kept for --reuse)")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the generated databases when their row counts match")
    parser.add_argument("--search-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--sessions-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.search_child:
        return search_child(args.search_child)
    if args.sessions_child:
        return sessions_child(args.sessions_child)
    patients = args.patients or max(1, args.reports // 5)
    databases = Databases(args.pg_url, Path(args.sqlite_path))
    engines = [e for e in args.engines.split(",") if e]
    for engine in dict.fromkeys(engines + args.worklist_engines.split(",")):
        prepare(engine, databases, args.reports, patients, args.reuse)

    print(f"\nreport search, {args.reports:,} reports: 25 newest matches, their count (up to "
          f"1,000, as the worklist shows it) and highlighted passages; load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"  {'engine / scope':34} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8}")
    for engine in engines:
        results = json.loads(child(databases.url(engine), "--search-child",
                                   str(args.searches)))
        for scope, values in results.items():
            target = f"(target p95 < {TARGETS['search']:.0f} ms)" if engine == "postgresql" \
                else ""
            print(line(f"{engine} / {scope}", values, target))

    for engine in [e for e in args.worklist_engines.split(",") if e]:
        figures = worklist_load(engine, databases.url(engine), args.clients, args.seconds,
                                args.think, args.web_workers)
        print(f"\nworklist on {engine}: {args.clients} physicians at once, each reading a page "
              f"{args.think:g} s on average before the next, {args.seconds:.0f} s, "
              f"radbridge serve --role web, RADBRIDGE_WEB_WORKERS={args.web_workers}, "
              f"load average {os.getloadavg()[0]:.1f}")
        print(f"  {'request':34} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} req/s errors")
        for name, (every, errors, elapsed, by_kind) in figures.items():
            print(line(name, every, f"{len(every) / elapsed:6.1f} {errors:>5}"))
            if len(by_kind) > 1:
                for kind, values in by_kind.items():
                    if values:
                        print(line(f"  {kind}", values))
        every = figures["GET /studies/ (worklist mix)"][0]
        print(f"  worklist p95 {percentile(every, 0.95) * 1000:.0f} ms "
              f"(target < {TARGETS['worklist']:.0f} ms)")


if __name__ == "__main__":
    sys.exit(main())
