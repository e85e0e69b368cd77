"""Patient images benchmark: viewer frames and the study download, beside Orthanc.

What is measured, on N synthetic CT instances (512x512, 16-bit, ~513 KB each, from
../shared/peers/gen_dicom.py), one study:

- frames: each image rendered to a full-size JPEG, one request at a time, p50/p95 ms.
  RadBridge: the viewer's frame URL (`/studies/<id>/images/<instance>/frames/1/`), asked by
  a signed-in patient through Django's test client in this process (no socket: about 1 ms
  less than over HTTP), with no cached rendering (the background job is not run), so every
  request decodes and renders. Orthanc: `/instances/<id>/frames/0/rendered` over HTTP.
- download: the whole study as a zip with a DICOMDIR, MB/s; for RadBridge also the peak
  Python memory while streaming (tracemalloc), which stays flat whatever the study size.
  Orthanc: `/studies/<id>/media`.

Embedded default (SQLite under a temporary RADBRIDGE_HOME). Orthanc (Debian package
`orthanc`) runs with a fresh storage folder; without it, RadBridge's figures alone.

    .venv/bin/python bench/patient_images.py [--n 100] [--keep]
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
import tracemalloc
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PEERS = REPO.parent / "shared" / "peers"
ACCESSION, MRN = "ACC88812345", "MRN4471823"  # what gen_dicom.py writes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 1)}


def generate(folder: Path, count: int) -> list[Path]:
    subprocess.run([sys.executable, str(PEERS / "gen_dicom.py"), "--out", str(folder),
                    "--n", str(count)], check=True, capture_output=True)
    return sorted(folder.glob("*.dcm"))


def radbridge(files: list[Path], home: Path) -> dict:
    os.environ.update(RADBRIDGE_HOME=str(home), DJANGO_SETTINGS_MODULE="radbridge.settings",
                      RADBRIDGE_LOG_LEVEL="WARNING")
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from radbridge.accounts.choices import Role
    from radbridge.accounts.services.users import create_account
    from radbridge.clinical.data import IdentifierData, OrderData, PatientData
    from radbridge.clinical.services import place_order
    from radbridge.core.audit import Actor, acting_as
    from radbridge.imaging.indexing import store_instance
    from radbridge.imaging.models import Instance

    call_command("migrate", verbosity=0)
    with acting_as(Actor(name="bench", role="bench")):
        order = place_order(OrderData(
            accession_number=ACCESSION, modality="CT", procedure_text="CT chest",
            patient=PatientData(identifiers=[IdentifierData(MRN, "BENCH", "MR")],
                                family_name="DOE", given_name="JANE")))
        for path in files:
            store_instance(path.read_bytes(), received_from="bench")
        user = create_account("benchpatient", Role.PATIENT, patient=order.patient)
    instances = list(Instance.objects.filter(study__order=order).order_by("instance_number"))
    assert len(instances) == len(files), "the study did not match its order"
    client = Client(HTTP_HOST="localhost")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(f"/studies/{order.pk}/images/").status_code == 200
    timings = []
    for instance in instances:
        start = time.perf_counter()
        response = client.get(f"/studies/{order.pk}/images/{instance.pk}/frames/1/")
        timings.append(time.perf_counter() - start)
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    tracemalloc.start()
    start = time.perf_counter()
    response = client.get(f"/studies/{order.pk}/download/")
    size = sum(len(chunk) for chunk in response.streaming_content)
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"frames": percentiles(timings),
            "download": {"MB": round(size / 1e6, 1), "MB_per_s": round(size / 1e6 / elapsed, 1),
                         "peak_python_MB": round(peak / 1e6, 1)}}


def http(url: str, data: bytes | None = None) -> bytes:
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    with urllib.request.urlopen(request, timeout=120) as answer:
        return answer.read()


def orthanc(files: list[Path], folder: Path) -> dict | None:
    binary = shutil.which("Orthanc")
    if binary is None:
        return None
    port = free_port()
    folder.mkdir(parents=True)
    config = folder / "orthanc.json"
    config.write_text(json.dumps({
        "HttpPort": port, "DicomPort": free_port(), "StorageDirectory": str(folder / "db"),
        "IndexDirectory": str(folder / "db"), "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False, "SyncStorageArea": True}))
    server = subprocess.Popen([binary, str(config)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                http(f"{base}/system")
                break
            except OSError:
                time.sleep(0.1)
        ids = [json.loads(http(f"{base}/instances", path.read_bytes()))["ID"] for path in files]
        timings = []
        for instance_id in ids:
            start = time.perf_counter()
            http(f"{base}/instances/{instance_id}/frames/0/rendered")
            timings.append(time.perf_counter() - start)
        (study_id,) = json.loads(http(f"{base}/studies"))
        start = time.perf_counter()
        size = len(http(f"{base}/studies/{study_id}/media"))
        elapsed = time.perf_counter() - start
        return {"frames": percentiles(timings),
                "download": {"MB": round(size / 1e6, 1),
                             "MB_per_s": round(size / 1e6 / elapsed, 1)}}
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100, help="instances in the study")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-patient-"))
    try:
        files = generate(work / "src", args.n)
        peer = orthanc(files, work / "orthanc")
        ours = radbridge(files, work / "radbridge")
        result = {"instances": args.n, "radbridge": ours, "orthanc": peer}
        if peer:
            result["ratios"] = {
                "frame_p50_orthanc_over_radbridge": round(
                    peer["frames"]["p50_ms"] / ours["frames"]["p50_ms"], 2),
                "download_radbridge_over_orthanc": round(
                    ours["download"]["MB_per_s"] / peer["download"]["MB_per_s"], 2)}
        print(json.dumps(result, indent=2))
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
