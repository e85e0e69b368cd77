"""Operator-side DICOM sending (C-ECHO, C-STORE) for `radbridge dicom echo|send`.

Files are sent as they are on disk (pynetdicom's chunked mode: the dataset bytes are not
decoded and re-encoded), each in the transfer syntax it was written in, over one
association proposing exactly the SOP classes and syntaxes found in the files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from pydicom.errors import InvalidDicomError
from pydicom.filereader import read_file_meta_info
from pynetdicom import AE, _config
from pynetdicom.presentation import build_context
from pynetdicom.sop_class import Verification

MAX_CONTEXTS = 128  # the most an association may propose


class SendError(RuntimeError):
    """The peer could not be reached or refused the association."""


@dataclass(frozen=True)
class Outcome:
    path: Path
    status: int | None  # None: not sent
    comment: str


def dicom_files(paths: Iterable[Path]) -> list[Path]:
    found = []
    for path in paths:
        found.extend(sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir()
                     else [path])
    return found


def associate(host: str, port: int, called: str, calling: str, contexts: list):
    ae = AE(ae_title=calling)
    ae.requested_contexts = contexts
    assoc = ae.associate(host, port, ae_title=called)
    if not assoc.is_established:
        raise SendError(
            f"no association with {called} at {host}:{port} (refused, aborted or not "
            "listening): check the address, the port and that our AE title is allowed"
        )
    return assoc


def echo(host: str, port: int, called: str, calling: str) -> int:
    assoc = associate(host, port, called, calling, [build_context(Verification)])
    try:
        return int(assoc.send_c_echo().get("Status", -1))
    finally:
        assoc.release()


def send(host: str, port: int, called: str, calling: str, files: list[Path],
         progress: Callable[[Outcome], None]) -> list[Outcome]:
    """Send every file; unreadable files and refused instances are reported, not fatal."""
    outcomes, sendable, contexts = [], [], {}
    for path in files:
        try:
            meta = read_file_meta_info(path)
            key = (str(meta.MediaStorageSOPClassUID), str(meta.TransferSyntaxUID))
        except (InvalidDicomError, OSError, AttributeError) as error:
            outcome = Outcome(path, None, f"not a DICOM file: {error}")
            outcomes.append(outcome)
            progress(outcome)
            continue
        contexts.setdefault(key, build_context(*key))
        sendable.append(path)
    if len(contexts) > MAX_CONTEXTS:
        raise SendError(f"{len(contexts)} SOP class/transfer syntax pairs: send the files in "
                        f"groups of at most {MAX_CONTEXTS} kinds")
    if not sendable:
        return outcomes
    assoc = associate(host, port, called, calling, list(contexts.values()))
    previous = _config.STORE_SEND_CHUNKED_DATASET
    _config.STORE_SEND_CHUNKED_DATASET = True
    try:
        for path in sendable:
            answer = assoc.send_c_store(str(path))
            if "Status" in answer:
                outcome = Outcome(path, int(answer.Status), str(answer.get("ErrorComment", "")))
            else:
                outcome = Outcome(path, None, "no answer: the association was aborted")
            outcomes.append(outcome)
            progress(outcome)
            if not assoc.is_established:
                break
    finally:
        _config.STORE_SEND_CHUNKED_DATASET = previous
        if assoc.is_established:
            assoc.release()
    return outcomes
