"""Durable file storage for received DICOM and its renderings, behind Django's storage API.

Files are written to a temporary name in their final folder, fsynced, renamed into place and
the folder fsynced, so a crash leaves either the whole file or none of it; only then is the
instance indexed. Names are built here from hashes of validated UIDs, never from what a
sender wrote, so no received identifier ever becomes a path. Another backend (object
storage) can be configured as STORAGES["dicom"] without changes in the callers.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time

from django.core.files.storage import FileSystemStorage, storages


def dicom_storage():
    return storages["dicom"]


def _key(uid: str) -> str:
    return hashlib.sha256(uid.encode("ascii")).hexdigest()


def instance_file_name(study_instance_uid: str, sop_instance_uid: str) -> str:
    """One folder per study: a study's instances create (and fsync) one new folder, not one
    each, and a study's files sit together."""
    study = _key(study_instance_uid)
    return f"studies/{study[:2]}/{study}/{_key(sop_instance_uid)}.dcm"


def rendering_file_name(file_name: str, kind: str) -> str:
    """Where the background renderer keeps an instance's `thumbnail` or `rendered` JPEG."""
    return f"renderings/{file_name.removeprefix('studies/').removesuffix('.dcm')}-{kind}.jpg"


def fsync_directory(path: str) -> None:
    descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class DurableFileSystemStorage(FileSystemStorage):
    """A local folder where every save is atomic and on disk when `save()` returns."""

    def get_available_name(self, name, max_length=None):
        # Names are keys: the same name is the same object, written again in one piece.
        return name

    def _save(self, name, content):
        full_path = self.path(name)
        directory = os.path.dirname(full_path)
        self._make_directories(directory)
        descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".incoming-")
        try:
            with os.fdopen(descriptor, "wb") as out:
                if hasattr(content, "chunks"):
                    for chunk in content.chunks():
                        out.write(chunk)
                else:
                    out.write(content.read())
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, full_path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
        fsync_directory(directory)
        return name

    def incoming_folder(self) -> str:
        """Where the SCP streams datasets as they arrive (same file system: renames are atomic)."""
        return self.path(".incoming")

    def sweep_incoming(self, idle_seconds: float) -> int:
        """Delete incoming files nobody has written to for `idle_seconds`: what a crash left
        half-received (never indexed, never answered). A live association writes its file at
        least once per network timeout, so another process's transfer is never touched."""
        folder, removed = self.incoming_folder(), 0
        if not os.path.isdir(folder):
            return 0
        deadline = time.time() - idle_seconds
        with os.scandir(folder) as entries:
            for entry in entries:
                try:
                    if entry.is_file() and entry.stat().st_mtime < deadline:
                        os.unlink(entry.path)
                        removed += 1
                except FileNotFoundError:
                    continue  # its association finished it meanwhile
        return removed

    def adopt(self, temporary: str, name: str) -> str:
        """Rename an fsynced incoming file to `name`; returns its folder, which the caller
        must fsync before the file counts as stored (several files can share one fsync)."""
        full_path = self.path(name)
        directory = os.path.dirname(full_path)
        self._make_directories(directory)
        os.replace(temporary, full_path)
        return directory

    def _make_directories(self, directory: str) -> None:
        """Create missing folders, fsyncing each parent so the new entries survive a crash."""
        missing = []
        while not os.path.isdir(directory):
            missing.append(directory)
            directory = os.path.dirname(directory)
        for folder in reversed(missing):
            try:
                os.mkdir(folder, 0o750)
            except FileExistsError:
                continue  # another association made it at the same moment
            fsync_directory(os.path.dirname(folder))
