"""DICOM C-STORE ingest benchmark: RadBridge beside Orthanc and DCMTK's storescp.

What is measured: instances/s and MB/s of 500 synthetic CT instances (512x512, 16-bit,
~513 KB each, from ../shared/peers/gen_dicom.py) sent by DCMTK's storescu on 127.0.0.1,
with one association and with four in parallel (the files split four ways), every process
with TCP_NODELAY=1 (Debian's DCMTK otherwise leaves Nagle's algorithm on). Each server is
a fresh process with a fresh data folder for every run, so no run sees duplicates:

- RadBridge (`radbridge serve --role dicom`, one process unless `--dicom-workers` says
  otherwise): file fsynced and renamed, directory fsynced,
  indexed (SQLite, or PostgreSQL with --pg) before the success status; checked afterwards
  with `radbridge dicom stats` (all instances indexed).
- Orthanc (Debian package `orthanc`): its own SQLite index, storage area synced.
- DCMTK storescp: writes files to the page cache only (no fsync, no index).

Target (from the imaging issue), as a same-run ratio: RadBridge at least 2x Orthanc.

    .venv/bin/python bench/dicom_ingest.py [--repeat 3] [--pg postgres://...] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
PEERS = REPO.parent / "shared" / "peers"
PYTHON = REPO / ".venv" / "bin" / "python"
RADBRIDGE = REPO / ".venv" / "bin" / "radbridge"
NODELAY = {"TCP_NODELAY": "1"}
OPTIONS = {"dicom_workers": 1}  # RADBRIDGE_DICOM_WORKERS; --dicom-workers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("RADBRIDGE_") and k != "DATABASE_URL"}
    return {**env, **NODELAY, **extra}


def radbridge(home: Path, port: int, pg_dsn: str) -> tuple[list[str], dict]:
    env = clean_env(RADBRIDGE_HOME=str(home), RADBRIDGE_DICOM_PORT=str(port),
                    RADBRIDGE_LOG_LEVEL="WARNING",
                    RADBRIDGE_DICOM_WORKERS=str(OPTIONS["dicom_workers"]))
    if pg_dsn:
        env["DATABASE_URL"] = pg_dsn
    return [str(RADBRIDGE), "serve", "--role", "dicom"], env


def orthanc(home: Path, port: int, pg_dsn: str) -> tuple[list[str], dict]:
    storage = home / "storage"
    storage.mkdir(parents=True)
    config = home / "orthanc.json"
    config.write_text(json.dumps({
        "Name": "bench", "StorageDirectory": str(storage), "IndexDirectory": str(storage),
        "DicomAet": "ORTHANC", "DicomPort": port, "HttpPort": free_port(),
        "RemoteAccessAllowed": False, "DicomCheckCalledAet": False, "Plugins": [],
        "StorageCompression": False, "SyncStorageArea": True,
    }))
    return ["Orthanc", str(config)], clean_env()


def storescp(home: Path, port: int, pg_dsn: str) -> tuple[list[str], dict]:
    return ["storescp", "-od", str(home), str(port)], clean_env()


SERVERS = {
    "radbridge": ("RadBridge (durable + indexed)", radbridge),
    "orthanc": ("Orthanc (synced storage, SQLite index)", orthanc),
    "storescp": ("DCMTK storescp (page cache only)", storescp),
}


def send(port: int, folders: list[Path], called: str) -> float:
    """Run one storescu per folder at once; seconds until all finished (raises on failure)."""
    started = time.perf_counter()
    senders = [subprocess.Popen(["storescu", "-aec", called, "127.0.0.1", str(port),
                                 str(folder), "+sd", "-q"], env=clean_env(),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for folder in folders]
    outputs = [p.communicate(timeout=600)[0] for p in senders]
    elapsed = time.perf_counter() - started
    for proc, output in zip(senders, outputs, strict=True):
        if proc.returncode != 0:
            raise RuntimeError(f"storescu failed ({proc.returncode}): {output.strip()[-300:]}")
    return elapsed


def indexed_instances(home: Path, pg_dsn: str) -> int:
    env = clean_env(RADBRIDGE_HOME=str(home), **({"DATABASE_URL": pg_dsn} if pg_dsn else {}))
    run = subprocess.run([str(RADBRIDGE), "dicom", "stats"], env=env, capture_output=True,
                         text=True, timeout=120)
    return json.loads(run.stdout)["instances"]


def pg_database(pg_url: str, name: str, drop: bool = False) -> str:
    import psycopg

    with psycopg.connect(pg_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop:
            conn.execute(f'CREATE DATABASE "{name}"')
    return urlsplit(pg_url)._replace(path="/" + name).geturl()


def one_run(key: str, folders: list[Path], work: Path, count: int, args) -> float:
    label, make = SERVERS[key]
    home = work / f"{key}-{len(folders)}-{time.monotonic_ns()}"
    home.mkdir()
    port = free_port()
    dsn = ""
    if key == "radbridge" and args.pg:
        dsn = pg_database(args.pg, f"radbridge_bench_{os.getpid()}")
        subprocess.run([str(RADBRIDGE), "migrate", "--noinput"], check=True, timeout=300,
                       env=clean_env(RADBRIDGE_HOME=str(home), DATABASE_URL=dsn),
                       capture_output=True)
    argv, env = make(home, port, dsn)
    with open(home / "server.log", "wb") as log:
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=home)
    try:
        if not wait_port(port, proc):
            raise RuntimeError(f"{label} did not listen: "
                               f"{(home / 'server.log').read_text()[-500:]}")
        called = "ORTHANC" if key == "orthanc" else "RADBRIDGE" if key == "radbridge" else "ANY"
        elapsed = send(port, folders, called)
    finally:
        stop(proc)
    if key == "radbridge":
        found = indexed_instances(home, dsn)
        if found != count:
            raise RuntimeError(f"RadBridge indexed {found} of {count} instances")
    if dsn:
        pg_database(args.pg, f"radbridge_bench_{os.getpid()}", drop=True)
    if not args.keep:
        shutil.rmtree(home, ignore_errors=True)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3, help="runs per server and scenario")
    parser.add_argument("--pg", default="", help="PostgreSQL URL for RadBridge's index")
    parser.add_argument("--only", default="", help="server keys, comma-separated")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    parser.add_argument("--dicom-workers", type=int, default=OPTIONS["dicom_workers"],
                        help="RadBridge's DICOM processes (RADBRIDGE_DICOM_WORKERS; default 1: "
                        "on 2 cores shared with four storescu, 2 processes were slower)")
    args = parser.parse_args()
    OPTIONS["dicom_workers"] = args.dicom_workers
    missing = [tool for tool in ("storescu", "storescp") if shutil.which(tool) is None]
    if missing:
        print("DCMTK is missing: apt-get install dcmtk")
        return 1
    keys = [k for k in SERVERS if not args.only or k in args.only.split(",")]
    if "orthanc" in keys and shutil.which("Orthanc") is None:
        print("note: Orthanc skipped: install it with `apt-get install orthanc` "
              "(the bench starts its own instance; the Debian service can stay stopped)")
        keys.remove("orthanc")
    work = Path(tempfile.mkdtemp(prefix="radbridge-dicom-bench-"))
    try:
        source = work / "src"
        subprocess.run([str(PYTHON), str(PEERS / "gen_dicom.py"), "--out", str(source),
                        "--n", str(args.count)], check=True, capture_output=True)
        files = sorted(source.glob("*.dcm"))
        megabytes = sum(f.stat().st_size for f in files) / 1e6
        quarters = []
        for part in range(4):
            folder = work / f"part{part}"
            folder.mkdir()
            for path in files[part::4]:
                (folder / path.name).symlink_to(path)
            quarters.append(folder)
        scenarios = {"1 association": [source], "4 associations": quarters}
        print(f"{len(files)} CT instances, {megabytes:.1f} MB; {args.repeat} run(s) each, "
              f"median shown; index: {'PostgreSQL' if args.pg else 'SQLite'}; "
              f"RADBRIDGE_DICOM_WORKERS={args.dicom_workers}")
        results = {}
        for scenario, folders in scenarios.items():
            for key in keys:
                times = [one_run(key, folders, work, len(files), args)
                         for _ in range(args.repeat)]
                seconds = statistics.median(times)
                results[(key, scenario)] = seconds
                print(f"  {SERVERS[key][0]:40} {scenario:15} {len(files) / seconds:8.0f} "
                      f"instances/s {megabytes / seconds:7.1f} MB/s  "
                      f"(runs: {', '.join(f'{t:.2f}s' for t in times)})", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print("\nratios (instances/s, same run):")
    met = True
    for scenario in scenarios:
        ours = results.get(("radbridge", scenario))
        for peer, target in (("orthanc", 2.0), ("storescp", None)):
            theirs = results.get((peer, scenario))
            if ours is None or theirs is None:
                continue
            ratio = theirs / ours
            verdict = "" if target is None else ("  met" if ratio >= target else "  NOT met")
            met = met and (target is None or ratio >= target)
            goal = f"(target >= {target:.0f}x)" if target else "(reference)"
            print(f"  {scenario:15} RadBridge / {peer:9} {ratio:5.2f}x {goal}{verdict}")
    return 0 if met else 2


if __name__ == "__main__":
    sys.exit(main())
