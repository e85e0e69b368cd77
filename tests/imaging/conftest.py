"""A real DICOM SCP on a free loopback port, DCMTK and pynetdicom senders, test images."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.uid import generate_uid

from radbridge.imaging.scp import DicomServer

TEST_FILES = Path(get_testdata_file("CT_small.dcm")).parent


def sample(name: str) -> Path:
    return TEST_FILES / name


@pytest.fixture(autouse=True)
def dicom_storage_dir(tmp_path, settings):
    location = tmp_path / "dicom"
    settings.STORAGES = {
        **settings.STORAGES,
        "dicom": {
            "BACKEND": "radbridge.imaging.storage.DurableFileSystemStorage",
            "OPTIONS": {"location": location},
        },
    }
    settings.DICOM_ALLOWED_AE_TITLES = []
    settings.DICOM_ALLOWED_ADDRESSES = []
    settings.DICOM_STUDY_QUIET_SECONDS = 30
    return location


def stored_files(location: Path) -> list[Path]:
    return sorted(p for p in location.rglob("*") if p.is_file()) if location.exists() else []


def in_own_thread(coroutine):
    """asyncio.run in a fresh thread: the test's own thread may already run a loop (Playwright)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


class RunningSCP:
    def __init__(self):
        self.server = DicomServer("127.0.0.1", 0)

    def start(self) -> RunningSCP:
        in_own_thread(self.server.start())
        return self

    @property
    def port(self) -> int:
        return self.server.port

    def stop(self) -> None:
        in_own_thread(self.server.stop(grace_seconds=5))


@pytest.fixture
def scp(transactional_db, settings):
    settings.DICOM_NETWORK_TIMEOUT_SECONDS = 5
    running = RunningSCP().start()
    yield running
    running.stop()


@pytest.fixture
def guarded_scp(transactional_db, settings):
    """An SCP started after the test set its allow-lists (or other DICOM settings)."""
    started = []
    settings.DICOM_NETWORK_TIMEOUT_SECONDS = 5

    def start(**allow):
        for name, value in allow.items():
            setattr(settings, name, value)
        started.append(RunningSCP().start())
        return started[-1]

    yield start
    for running in started:
        running.stop()


def dcmtk(tool: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run a DCMTK tool as a user would, with Nagle's algorithm off (Debian leaves it on)."""
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} not found: install the Debian package dcmtk (scripts/test does)")
    return subprocess.run(
        [tool, *args], env={**os.environ, "TCP_NODELAY": "1"},
        capture_output=True, text=True, timeout=timeout,
    )


def copy_with_new_uids(source: Path, target: Path, **attributes) -> Path:
    """A test file as a new instance (fresh UIDs), with attributes changed as given."""
    dataset = dcmread(source)
    dataset.SOPInstanceUID = dataset.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    dataset.StudyInstanceUID = attributes.pop("StudyInstanceUID", None) or generate_uid()
    dataset.SeriesInstanceUID = attributes.pop("SeriesInstanceUID", None) or generate_uid()
    for keyword, value in attributes.items():
        setattr(dataset, keyword, value)
    dataset.save_as(target, enforce_file_format=True)
    return target

