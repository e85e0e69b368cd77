"""Parse speed of the HL7 wire layer beside python-hl7 and hl7apy, on the shared 1.5 KB
ORU^R01 (`../shared/peers/hl7msg.py`). Each run parses a message and reads what a handler
reads: MSH-10, PID-3, PID-5, OBR-3 and every OBX-5. Prints microseconds per message (best of
several repeats) and each peer's time as a multiple of ours; only same-run ratios compare.

    .venv/bin/python bench/hl7_parse.py [--number 2000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import sys
import timeit
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY_ROOT.parent / "shared" / "peers"))
sys.path.insert(0, str(REPOSITORY_ROOT / "src"))

import hl7  # noqa: E402  (python-hl7)
import hl7msg  # noqa: E402
from hl7apy.parser import parse_message as hl7apy_parse_message  # noqa: E402

from radbridge.hl7.wire import parse_message  # noqa: E402

TEXT = hl7msg.make_message(hl7msg.ctrl_id(1))


def radbridge_parse_and_read() -> list[str]:
    message = parse_message(TEXT)
    pid = message.segment("PID")
    obr = message.segment("OBR")
    values = [message.control_id, pid.value(3), pid.value(5), obr.value(3)]
    values.extend(observation.value(5) for observation in message.segments_named("OBX"))
    return values


def python_hl7_parse() -> object:
    return hl7.parse(TEXT)


def python_hl7_parse_and_read() -> list[str]:
    message = hl7.parse(TEXT)
    pid = message.segment("PID")
    obr = message.segment("OBR")
    values = [
        message.unescape(str(message.segment("MSH")[10])),
        message.unescape(str(pid[3][0][0])),
        message.unescape(str(pid[5][0][0])),
        message.unescape(str(obr[3][0][0])),
    ]
    values.extend(message.unescape(str(obx[5])) for obx in message.segments("OBX"))
    return values


def hl7apy_parse() -> object:
    return hl7apy_parse_message(TEXT)


def microseconds_per_call(function, number: int, repeat: int) -> float:
    return min(timeit.repeat(function, number=number, repeat=repeat)) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--number", type=int, default=2000, help="calls per repeat")
    parser.add_argument("--repeat", type=int, default=5)
    arguments = parser.parse_args()
    expected = python_hl7_parse_and_read()
    if radbridge_parse_and_read() != expected:
        raise SystemExit("radbridge and python-hl7 read different values; fix before timing")

    print(f"message: {len(TEXT.encode())} bytes, {TEXT.count(chr(13))} segments")
    ours = microseconds_per_call(radbridge_parse_and_read, arguments.number, arguments.repeat)
    rows = [
        ("radbridge parse_message + reads", ours),
        ("python-hl7 hl7.parse",
         microseconds_per_call(python_hl7_parse, arguments.number // 4, arguments.repeat)),
        ("python-hl7 hl7.parse + reads",
         microseconds_per_call(python_hl7_parse_and_read, arguments.number // 4,
                               arguments.repeat)),
        ("hl7apy parse_message",
         microseconds_per_call(hl7apy_parse, arguments.number // 20, arguments.repeat)),
    ]
    for name, microseconds in rows:
        print(f"{name:34} {microseconds:9.1f} us/msg  {microseconds / ours:6.1f}x ours")


if __name__ == "__main__":
    main()
