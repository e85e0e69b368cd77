"""The README's run command: `radbridge demo` comes up and loads its centre over MLLP
and its images over DICOM."""

import ast
import os
import re
import subprocess
import sys
import time

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
    finally:
        process.terminate()
        process.wait(30)
    output = "".join(seen)
    assert "Demo centre loaded over MLLP" in output, output[-2000:]
    loaded = re.search(r"loaded over MLLP: (\d+) messages \((\{.*?\})\)", output)
    # Every message acknowledged AA (the passwords printed later may contain any letters).
    assert loaded and ast.literal_eval(loaded[2]) == {"AA": int(loaded[1])}, output[-2000:]
    images = re.search(r"Demo images sent over DICOM: (\d+) instances \((\{.*?\})\)", output)
    assert images and ast.literal_eval(images[2]) == {"success": int(images[1])}, output[-2000:]
    assert "login: admin / " in output
    for role in ("Centre administrator", "Radiologist", "Referring physician", "Patient"):
        assert role in output, f"no demo login for {role}"
    assert "authenticator app" in output
