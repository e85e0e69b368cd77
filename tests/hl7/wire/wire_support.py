"""Helpers shared by the wire-layer tests: where the shared HL7 corpus lives (the `shared`
folder next to the repository) and how to read a corpus file into parsed messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from radbridge.hl7.wire import Message, decode_message, parse_message, split_batch

REPOSITORY_ROOT = Path(__file__).resolve().parents[3]
CORPUS = REPOSITORY_ROOT.parent / "shared" / "corpus" / "hl7"

needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"the shared HL7 corpus is not at {CORPUS}"
)


def corpus_paths() -> list[Path]:
    return sorted(CORPUS.glob("*.hl7")) if CORPUS.is_dir() else []


def corpus_file(name: str) -> Path:
    return CORPUS / name


def read_corpus_messages(path: Path) -> list[Message]:
    decoded = decode_message(path.read_bytes())
    return [parse_message(text) for text in split_batch(decoded.text).messages]
