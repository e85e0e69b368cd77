"""HL7 v2 MLLP ingest benchmark: RadBridge beside the peers a user would otherwise pick.

What is measured: messages per second and per-message latency (p50/p99, send to ACK) of an
MLLP server on 127.0.0.1, loaded by ../shared/peers/mllp_client.py (the same client for every
server) with the 1.5 KB ORU^R01 of ../shared/peers/hl7msg.py, unique MSH-10 per message.
Scenarios: 1 connection x 5,000 messages and 8 connections x 20,000 (--quick: a tenth).
Servers, each a fresh subprocess on a free port, fresh data directory and fresh database:

- RadBridge journal-then-ACK ("accept mode", RADBRIDGE_HL7_ACCEPT_MODE_SENDERS='*'): the
  message is committed to the journal, then ACKed (CA); applied after the commit.
- RadBridge apply-then-ACK (default): journaled and applied in one transaction, then ACKed.
  Both on SQLite and on PostgreSQL (skipped with a note when --pg-url is unreachable).
- python-hl7's asyncio MLLP server: no store, SQLite commit before ACK, psycopg commit.
- npm simple-hl7: parses and ACKs, stores nothing (non-durable).

Every message carries the same accession, so after the first one RadBridge finds the report
"unchanged": expected. Targets (from the issue), as same-run ratios since figures drift
between runs and machines: journal-then-ACK (durable) at least as fast as simple-hl7's
non-durable msgs/s, with p99 under 5 ms; apply-then-ACK at least 5x python-hl7's durable
SQLite msgs/s.

    .venv/bin/python bench/hl7_ingest.py [--quick] [--scenarios 1x5000,8x20000] [--json F]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
PEERS = REPO.parent / "shared" / "peers"
VENV_BIN = REPO / ".venv" / "bin"
PYTHON = VENV_BIN / "python"
RADBRIDGE = VENV_BIN / "radbridge"
NODE_CACHE = REPO / "bench" / ".peers-node"


@dataclass
class Server:
    key: str  # e.g. rb-journal-sqlite
    label: str
    db: str  # sqlite, postgres or "-"
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    pg_db: bool = False  # needs a fresh PostgreSQL database (its URL replaces {dsn})
    migrate: bool = False  # run `radbridge migrate` before starting


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path: Path, lines: int = 30) -> str:
    text = path.read_text(errors="replace") if path.exists() else "(no log)"
    return "\n".join("    | " + line for line in text.splitlines()[-lines:])


def wait_port(port: int, proc: subprocess.Popen, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.2)
    return False


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def pg_admin(pg_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(pg_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)


def pg_reachable(pg_url: str) -> str | None:
    """None when reachable, else why not."""
    try:
        pg_admin(pg_url, "SELECT 1")
        return None
    except Exception as exc:  # any failure means "skip PostgreSQL"
        return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0]}"


def node_ready() -> str | None:
    """Install the npm peers into NODE_CACHE once; None when ready, else why not."""
    if not (shutil.which("node") and shutil.which("npm")):
        return "node or npm not found"
    NODE_CACHE.mkdir(parents=True, exist_ok=True)
    (NODE_CACHE / ".gitignore").write_text("*\n")
    changed = False
    for name in ("package.json", "package-lock.json"):
        src, dst = PEERS / name, NODE_CACHE / name
        if not dst.exists() or dst.read_bytes() != src.read_bytes():
            shutil.copyfile(src, dst)
            changed = True
    if changed or not (NODE_CACHE / "node_modules" / "simple-hl7").is_dir():
        try:
            run = subprocess.run(["npm", "ci", "--silent"], cwd=NODE_CACHE, timeout=300,
                                 capture_output=True, text=True)
        except subprocess.TimeoutExpired:
            return "npm ci timed out"
        if run.returncode != 0:
            (NODE_CACHE / "package-lock.json").unlink(missing_ok=True)  # retry next time
            return f"npm ci failed: {(run.stderr or run.stdout).strip()[-300:]}"
    return None


def servers(pg_url: str, use_pg: bool, use_node: bool) -> list[Server]:
    out = []
    if use_node:
        out.append(Server("simple-hl7", "simple-hl7 (no store)", "-",
                          ["node", str(PEERS / "simple_hl7_server.js"), "{port}"],
                          {"NODE_PATH": str(NODE_CACHE / "node_modules")}))
    pyhl7 = [str(PYTHON), str(PEERS / "pyhl7_server.py"), "--port", "{port}", "--store"]
    out.append(Server("pyhl7-none", "python-hl7 (no store)", "-", pyhl7 + ["none"]))
    out.append(Server("pyhl7-sqlite", "python-hl7 commit-then-ACK", "sqlite",
                      pyhl7 + ["sqlite", "--sqlite", "{tmp}/inbound.sqlite"]))
    if use_pg:
        out.append(Server("pyhl7-pg", "python-hl7 commit-then-ACK", "postgres",
                          pyhl7 + ["psycopg", "--dsn", "{dsn}"], pg_db=True))
    rb = [str(RADBRIDGE), "serve", "--role", "mllp"]
    for db in ["sqlite"] + (["postgres"] if use_pg else []):
        for mode, label, extra in (("journal", "RadBridge journal-then-ACK",
                                    {"RADBRIDGE_HL7_ACCEPT_MODE_SENDERS": "*"}),
                                   ("apply", "RadBridge apply-then-ACK", {})):
            env = {"RADBRIDGE_HOME": "{tmp}/home", "RADBRIDGE_MLLP_PORT": "{port}",
                   "RADBRIDGE_LOG_LEVEL": "WARNING", **extra}
            if db == "postgres":
                env["DATABASE_URL"] = "{dsn}"
            out.append(Server(f"rb-{mode}-{db}", label, db, rb, env,
                              pg_db=db == "postgres", migrate=db == "postgres"))
    return out


def run_server(srv: Server, scenarios, args, tmp_root: Path, n: int) -> list[dict]:
    """Start one server, run every scenario against it, stop it; one result dict each."""
    tmp = tmp_root / srv.key
    tmp.mkdir()
    subst = {"port": str(free_port()), "tmp": str(tmp), "dsn": ""}
    name = f"radbridge_bench_{os.getpid()}_{n}"
    if srv.pg_db:
        pg_admin(args.pg_url, f'CREATE DATABASE "{name}"')
        subst["dsn"] = urlsplit(args.pg_url)._replace(path="/" + name).geturl()
    try:
        results = load(srv, scenarios, args, subst)
    finally:
        if srv.pg_db:
            pg_admin(args.pg_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    done = {r["scenario"] for r in results}
    base = {"server": srv.key, "label": srv.label, "db": srv.db}
    return [dict(base, **r) for r in results] + [
        dict(base, scenario=sc, error="not run: server failed")
        for sc, _, _ in scenarios if sc not in done]


def load(srv: Server, scenarios, args, subst: dict[str, str]) -> list[dict]:
    port, log_path = int(subst["port"]), Path(subst["tmp"]) / "server.log"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("RADBRIDGE_") and k != "DATABASE_URL"}
    env.update({k: v.format(**subst) for k, v in srv.env.items()})
    results = []
    with open(log_path, "wb") as log:
        try:
            if srv.migrate:
                mig = subprocess.run([str(RADBRIDGE), "migrate", "--noinput"], env=env,
                                     stdout=log, stderr=subprocess.STDOUT, timeout=300)
                if mig.returncode != 0:
                    raise RuntimeError(f"radbridge migrate exited {mig.returncode}")
            proc = subprocess.Popen([a.format(**subst) for a in srv.argv], env=env, stdout=log,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    cwd=subst["tmp"])
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
            print(f"  {srv.key}: could not start: {exc}\n{tail(log_path)}")
            return []
        try:
            if not wait_port(port, proc, args.start_timeout):
                why = f"exited {proc.returncode}" if proc.poll() is not None else "no listen"
                print(f"  {srv.key}: not accepting on :{port} ({why})\n{tail(log_path)}")
                return []
            start = 1
            for sc, conns, total in scenarios:
                r = client(port, conns, total, start, args.max_seconds)
                results.append(dict(r, scenario=sc))
                start += total  # fresh MSH-10s: no scenario looks like a retransmission
                print(f"  {srv.key:20} {sc:8} " + (
                    f"{r['msgs_per_s']:>9,.0f} msgs/s  p50 {r['p50_ms']} ms  "
                    f"p99 {r['p99_ms']} ms  bad {r['bad_acks']}" if "error" not in r
                    else "ERROR " + r["error"]), flush=True)
                if proc.poll() is not None or "error" in r or r.get("bad_acks"):
                    state = f"exited {proc.returncode}" if proc.poll() is not None else "up"
                    print(f"  {srv.key} ({state}) log tail:\n{tail(log_path)}")
                if proc.poll() is not None:
                    break
        finally:
            stop(proc)
    return results


def client(port: int, conns: int, total: int, start: int, max_seconds: float) -> dict:
    argv = [str(PYTHON), str(PEERS / "mllp_client.py"), "--port", str(port), "--conns",
            str(conns), "--total", str(total), "--start", str(start),
            "--max-seconds", str(max_seconds)]
    try:
        run = subprocess.run(argv, capture_output=True, text=True, timeout=max_seconds + 60)
        res = json.loads(run.stdout.strip().splitlines()[-1])
    except (subprocess.TimeoutExpired, IndexError, json.JSONDecodeError) as exc:
        return {"error": f"client failed: {type(exc).__name__} {exc}"[:300]}
    if res["msgs"] < total:
        res["note"] = f"stopped at --max-seconds: {res['msgs']}/{total} msgs"
    if res["worker_errors"]:
        res["note"] = "client errors: " + "; ".join(res["worker_errors"])[:100]
    return res


def ratio_lines(results: list[dict], scenarios) -> list[dict]:
    by = {(r["server"], r["scenario"]): r for r in results}
    rows = []
    for sc, _, _ in scenarios:
        for db in ("sqlite", "postgres"):
            for num, den, target in ((f"rb-journal-{db}", "simple-hl7", 1.0),
                                     (f"rb-apply-{db}", "pyhl7-sqlite", 5.0)):
                a, b = by.get((num, sc)), by.get((den, sc))
                row = {"scenario": sc, "numerator": num, "denominator": den, "target": target}
                if not a or not b or "error" in a or "error" in b:
                    row["ratio"] = None
                else:
                    row["ratio"] = round(a["msgs_per_s"] / b["msgs_per_s"], 2)
                    ok = row["ratio"] >= target and not a["bad_acks"] and not a["worker_errors"]
                    if num.startswith("rb-journal"):
                        ok = ok and a["p99_ms"] < 5.0
                    row["met"] = ok
                rows.append(row)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a tenth of the messages")
    ap.add_argument("--scenarios", default="1x5000,8x20000", help="CONNSxMESSAGES,...")
    ap.add_argument("--only", default="", help="server keys to run, comma-separated")
    ap.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    ap.add_argument("--max-seconds", type=float, default=120, help="per client run")
    ap.add_argument("--start-timeout", type=float, default=120, help="per server start")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (logs, data)")
    args = ap.parse_args()
    scenarios = []
    for item in args.scenarios.split(","):
        conns, total = (int(x) for x in item.lower().split("x"))
        total = max(conns, total // 10) if args.quick else total
        scenarios.append((f"{conns}x{total}", conns, total))
    notes = []
    pg_why = "--no-pg" if args.no_pg else pg_reachable(args.pg_url)
    if pg_why:
        notes.append(f"PostgreSQL skipped ({pg_why})")
    node_why = node_ready()
    if node_why:
        notes.append(f"simple-hl7 skipped ({node_why})")
    todo = servers(args.pg_url, not pg_why, not node_why)
    if args.only:
        todo = [s for s in todo if s.key in args.only.split(",")]
    for note in notes:
        print("note:", note)
    tmp_root = Path(tempfile.mkdtemp(prefix="radbridge-bench-"))
    print(f"{len(todo)} servers x {[sc for sc, _, _ in scenarios]} (temp {tmp_root})")
    results = []
    try:
        for n, srv in enumerate(todo):
            results += run_server(srv, scenarios, args, tmp_root, n)
    finally:
        if not args.keep:
            shutil.rmtree(tmp_root, ignore_errors=True)

    head = f"{'server':36} {'db':8} {'scenario':9} {'msgs/s':>9} {'p50 ms':>7} {'p99 ms':>7}"
    print(f"\n{head} {'bad ACKs':>8}")
    for r in results:
        name = f"{r['label']:36} {r['db']:8} {r['scenario']:9}"
        if "error" in r:
            print(f"{name} ERROR {r['error']}")
            continue
        print(f"{name} {r['msgs_per_s']:>9,.0f} {r['p50_ms']:>7.2f} {r['p99_ms']:>7.2f} "
              f"{r['bad_acks']:>8}  {r.get('note', '')}")
    ratios = ratio_lines(results, scenarios)
    print("\nratios (msgs/s, same run):")
    for q in ratios:
        value = "n/a" if q["ratio"] is None else f"{q['ratio']:.2f}x"
        extra = " and p99 < 5 ms" if q["numerator"].startswith("rb-journal") else ""
        met = "" if q["ratio"] is None else ("  met" if q["met"] else "  NOT met")
        print(f"  {q['scenario']:9} {q['numerator']:20} / {q['denominator']:13} {value:>7}"
              f"  (target >= {q['target']:.0f}x{extra}){met}")
    for note in notes:
        print("note:", note)
    if args.json:
        machine = {"platform": platform.platform(), "cpus": os.cpu_count(),
                   "python": sys.version.split()[0]}
        Path(args.json).write_text(json.dumps(
            {"machine": machine, "quick": args.quick, "scenarios": scenarios,
             "results": results, "ratios": ratios, "notes": notes}, indent=2) + "\n")
    return 1 if any("error" in r or r.get("bad_acks") for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
