"""Shared fixtures: the corpus, an actor for services, persona helpers."""

from pathlib import Path

import pytest

from radbridge.core.audit import Actor, acting_as

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus" / "hl7"


def corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("*.hl7"))


@pytest.fixture
def actor():
    with acting_as(Actor(name="test:runner", role="test")) as who:
        yield who


@pytest.fixture
def ris(settings):
    """A stand-in RIS on a real socket, named as the target of outbound HL7."""
    from tests.hl7.ris import FakeRIS

    running = FakeRIS()
    settings.HL7_OUTBOUND_TARGET = f"127.0.0.1:{running.port}"
    yield running
    running.close()


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, settings):
    settings.HL7_INBOX_DIR = tmp_path / "inbox"
    settings.HL7_ACCEPT_MODE_SENDERS = []
    settings.HL7_OUTBOUND_TARGET = ""
