"""Test senders that put exactly the given bytes on the wire (pynetdicom, chunked mode)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from pynetdicom import AE, _config
from pynetdicom.presentation import build_context


@contextlib.contextmanager
def raw_file_sending():
    """pynetdicom sends a file's dataset bytes as they are, without decoding them first."""
    previous = _config.STORE_SEND_CHUNKED_DATASET
    _config.STORE_SEND_CHUNKED_DATASET = True
    try:
        yield
    finally:
        _config.STORE_SEND_CHUNKED_DATASET = previous


def send_files(port: int, files: list[Path], contexts: list[tuple[str, str]],
               calling_ae: str = "PYSCU") -> list[tuple[int, str]]:
    """One association; (status, error comment) per file, -1 when nothing came back."""
    ae = AE(ae_title=calling_ae)
    ae.requested_contexts = [build_context(sop, syntax) for sop, syntax in contexts]
    assoc = ae.associate("127.0.0.1", port, ae_title="RADBRIDGE")
    assert assoc.is_established, "association refused"
    answers = []
    with raw_file_sending():
        for path in files:
            status = assoc.send_c_store(str(path))
            answers.append((int(status.Status), str(status.get("ErrorComment", "")))
                           if "Status" in status else (-1, ""))
    assoc.release()
    return answers
