"""The README's run command: `radbridge demo` comes up, loads its centre over MLLP and its
images over DICOM, and a newcomer signing in with the printed logins sees it living."""

import ast
import os
import re
import sqlite3
import subprocess
import sys
import time

import httpx
import pyotp

from radbridge.demo.centre import EARLY_STATUS_FOR
from tests.hl7.ris import free_port


def test_demo_starts_and_loads_the_centre_through_mllp_and_dicom(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "RADBRIDGE_HOME": str(tmp_path),
        "RADBRIDGE_HTTP_PORT": str(free_port()),
        "RADBRIDGE_MLLP_PORT": str(free_port()),
        "RADBRIDGE_DICOM_PORT": str(free_port()),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "radbridge.cli", "demo"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    seen, deadline = [], time.monotonic() + 90
    try:
        for line in process.stdout:
            seen.append(line)
            if "Send your own HL7" in line or time.monotonic() > deadline:
                break
        signed_in = sign_in_as_centre_admin("".join(seen), env["RADBRIDGE_HTTP_PORT"])
        dashboard = signed_in.get("/dashboard/")
        journal = signed_in.get("/interfaces/journal/", params={"status": "failed"})
    finally:
        process.terminate()
        process.wait(30)
    assert dashboard.status_code == 200 and dashboard.text.count('<svg class="chart"') == 3
    assert "Harbour Road Imaging" in dashboard.text and "Île-Verte Radiologie" in dashboard.text
    assert journal.text.count("DEMO-EARLY") == len(EARLY_STATUS_FOR)
    output = "".join(seen)
    assert "Demo centre loaded over MLLP" in output, output[-2000:]
    loaded = re.search(r"loaded over MLLP: (\d+) messages \((\{.*?\})\)", output)
    # Every message acknowledged AA but the status updates sent before their orders, which
    # wait in the journal for a replay (the passwords printed later may contain any letters).
    early = len(EARLY_STATUS_FOR)
    assert loaded and ast.literal_eval(loaded[2]) == {"AA": int(loaded[1]) - early, "AE": early}
    assert "Demo images sent over DICOM" in output, output[-2000:]
    assert "/interfaces/journal/?status=failed" in output
    images = re.search(r"Demo images sent over DICOM: (\d+) instances \((\{.*?\})\)", output)
    assert images and ast.literal_eval(images[2]) == {"success": int(images[1])}, output[-2000:]
    assert "login: admin / " in output
    for role in ("Centre administrator", "Radiologist", "Referring physician", "Patient"):
        assert role in output, f"no demo login for {role}"
    assert "authenticator app" in output
    assert_centre_is_living(tmp_path / "radbridge.sqlite3")


def assert_centre_is_living(database):
    """What a newcomer finds in the portal: sites with rooms, every modality, STAT orders,
    reports in each state, images matched to orders, failed messages to replay."""
    with sqlite3.connect(database) as db:
        def one(sql):
            return db.execute(sql).fetchall()

        assert one("select count(*) from clinical_organization where kind='site'") == [(3,)]
        assert one("select count(*) from clinical_location where organization_id is null") == [(0,)]
        modalities = {row[0] for row in one("select distinct modality from clinical_order")}
        assert modalities == {"CT", "MR", "CR", "US", "MG"}
        assert one("select count(*) from clinical_order where priority='stat'")[0][0] >= 5
        statuses = {row[0] for row in one("select status from clinical_reportversion")}
        assert {"preliminary", "final", "corrected"} <= statuses
        assert one("select count(*) from hl7_inboundmessage where status='failed'") == [
            (len(EARLY_STATUS_FOR),)]
        assert one("select count(*) from imaging_study where order_id is not null")[0][0] >= 30
        accented = one("select family_name from clinical_patient")
        assert any(name != name.encode("ascii", "ignore").decode() for (name,) in accented)
        assert one("select count(*) from core_heartbeat") != [(0,)]


def sign_in_as_centre_admin(output: str, port: str) -> httpx.Client:
    """What a newcomer does with the printed logins: password, then the authenticator code."""
    password = re.search(r"centre-admin / (\S+)", output)[1]
    key = re.search(r"add the key (\w+)", output)[1]
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", follow_redirects=True)

    def post_form(url: str, **fields):
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get(url).text)[1]
        return client.post(url, data={"csrfmiddlewaretoken": token, **fields},
                           headers={"Referer": f"{client.base_url}{url}"})

    post_form("/login/", username="centre-admin", password=password)
    post_form("/login/code/", token=pyotp.TOTP(key).now())
    return client
