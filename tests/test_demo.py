"""The README's run command: `radbridge demo` comes up and loads its centre over MLLP
and its images over DICOM."""

import os
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
    [loaded] = [line for line in seen if "Demo centre loaded over MLLP" in line]
    assert "{'AA':" in loaded and "'AE'" not in loaded and "'AR'" not in loaded
    [images] = [line for line in seen if "Demo images sent over DICOM" in line]
    assert "'success'" in images and "0x" not in images
    assert "login: admin / " in output
