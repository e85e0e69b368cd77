"""Download a copy of a study: a zip with the stored DICOM files byte for byte, a DICOMDIR
that pydicom and DCMTK read, the report as PDF; streamed; audited; nobody else's."""

import io
import zipfile

import pytest
from pydicom import dcmread
from pydicom.fileset import FileSet

from radbridge.core.models import AuditEntry
from radbridge.imaging.models import Instance
from radbridge.imaging.storage import dicom_storage
from radbridge.portal import study_archive
from tests.imaging.conftest import dcmtk, dicom_storage_dir  # noqa: F401 - autouse: files in tmp
from tests.imaging.helpers import receive
from tests.personas import sign_in
from tests.scenarios import patient_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(actor):
    record = patient_record("Alice")
    for number in (2, 3):
        receive(record.study.study_instance_uid, accession=record.order.accession_number,
                patient_id=record.patient.identifiers.get().value, instance_number=number,
                series_uid=f"{record.study.study_instance_uid}.2")
    return record


def stored_bytes(instance) -> bytes:
    with dicom_storage().open(instance.file_name, "rb") as source:
        return source.read()


def download(client, record) -> zipfile.ZipFile:
    response = client.get(f"/studies/{record.order.pk}/download/")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Disposition"] == (
        f'attachment; filename="study-{record.order.accession_number}.zip"')
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_zip_holds_the_stored_files_a_dicomdir_and_the_report(client, alice, tmp_path):
    sign_in(client, alice.user)
    archive = download(client, alice)
    assert archive.testzip() is None
    archive.extractall(tmp_path / "copy")
    file_set = FileSet(dcmread(tmp_path / "copy" / "DICOMDIR"))
    stored = {i.sop_instance_uid: i for i in Instance.objects.filter(study=alice.study)}
    assert {record.SOPInstanceUID for record in file_set} == set(stored) and len(stored) == 3
    for record in file_set:
        assert open(record.path, "rb").read() == stored_bytes(stored[record.SOPInstanceUID])
    assert archive.read("REPORT.PDF").startswith(b"%PDF")
    dump = dcmtk("dcmdump", str(tmp_path / "copy" / "DICOMDIR"))
    assert dump.returncode == 0, dump.stderr
    assert "(0004,1500)" in dump.stdout and alice.instance.sop_instance_uid in dump.stdout


def test_download_is_audited_as_a_disclosure(client, alice):
    sign_in(client, alice.user)
    last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    download(client, alice)
    (entry,) = AuditEntry.objects.filter(id__gt=last, action="read.download")
    assert entry.patient_id == alice.patient.pk
    assert entry.detail["instances"] == 3 and entry.detail["disclosure"] == "copy of the study"


def test_patient_b_cannot_download_patient_a_study(client, alice):
    bob = patient_record("Bob")
    sign_in(client, bob.user)
    assert client.get(f"/studies/{alice.order.pk}/download/").status_code == 404
    assert not AuditEntry.objects.filter(action="read.download").exists()


def test_the_zip_is_written_as_it_is_read(alice, monkeypatch):
    monkeypatch.setattr(study_archive, "CHUNK", 256)
    instances = list(Instance.objects.filter(study=alice.study))
    pieces = list(study_archive.zip_stream(study_archive.study_members(instances, None)))
    total = sum(i.file_size for i in instances)
    assert len(pieces) > len(instances) and max(len(p) for p in pieces) < total


def test_a_file_the_dicomdir_cannot_index_still_travels_outside_the_set(alice, monkeypatch):
    instances = list(Instance.objects.filter(study=alice.study))
    real_add = FileSet.add

    def refuse_first(file_set, dataset):
        if dataset.SOPInstanceUID == instances[0].sop_instance_uid:
            raise ValueError("no record type for this SOP class")
        return real_add(file_set, dataset)

    monkeypatch.setattr(FileSet, "add", refuse_first)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(
        study_archive.zip_stream(study_archive.study_members(instances, None)))))
    assert archive.read("OTHER/IM000001") == stored_bytes(instances[0])
    assert "DICOMDIR" in archive.namelist()


def test_served_over_asgi_the_zip_still_streams_piece_by_piece(alice, monkeypatch):
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    monkeypatch.setattr(study_archive, "CHUNK", 256)

    async def fetch():
        client = AsyncClient()
        await client.aforce_login(alice.user,
                                  backend="django.contrib.auth.backends.ModelBackend")
        response = await client.get(f"/studies/{alice.order.pk}/download/")
        assert response.status_code == 200 and response.is_async
        return [piece async for piece in response.streaming_content]

    pieces = async_to_sync(fetch)()
    assert len(pieces) > 3
    archive = zipfile.ZipFile(io.BytesIO(b"".join(pieces)))
    assert archive.testzip() is None and "DICOMDIR" in archive.namelist()


def test_downloads_beyond_the_hourly_allowance_get_a_clear_429(client, alice, settings):
    """A zip reads every file of a study: one account asking again and again must not tie
    up the server. The allowance counts this user's audited downloads of the last hour."""
    settings.STUDY_DOWNLOADS_PER_HOUR = 2
    sign_in(client, alice.user)
    download(client, alice)
    download(client, alice)
    refused = client.get(f"/studies/{alice.order.pk}/download/")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert b"at most 2 downloads an hour" in refused.content
    assert AuditEntry.objects.filter(action="read.download").count() == 2
    other = patient_record("Bob")
    sign_in(client, other.user)  # another account keeps its own allowance
    assert client.get(f"/studies/{other.order.pk}/download/").status_code == 200


def test_a_study_one_may_not_see_is_404_even_past_the_allowance(client, alice, settings):
    settings.STUDY_DOWNLOADS_PER_HOUR = 0
    bob = patient_record("Bob")
    sign_in(client, bob.user)
    assert client.get(f"/studies/{alice.order.pk}/download/").status_code == 404
