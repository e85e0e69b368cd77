"""C-ECHO and C-STORE against a real SCP, sent by DCMTK's echoscu/storescu and pynetdicom."""

import pytest
from pydicom import dcmread
from pynetdicom import AE
from pynetdicom.sop_class import CTImageStorage

from radbridge.core.models import AuditEntry
from radbridge.imaging.models import Instance, Series, Study

from .conftest import copy_with_new_uids, dcmtk, sample, stored_files

# Test file -> the storescu option proposing its (compressed) transfer syntax.
COMPRESSED = {
    "MR_small_RLE.dcm": "-xr",
    "MR_small_jp2klossless.dcm": "-xv",
    "MR_small_jpeg_ls_lossless.dcm": "-xt",
    "SC_rgb_jpeg_dcmtk.dcm": "-xy",
    "JPEG2000.dcm": "-xw",
    "SC_rgb_rle_2frame.dcm": "-xr",
}


def test_echoscu_gets_an_answer(scp):
    result = dcmtk("echoscu", "-aec", "RADBRIDGE", "127.0.0.1", str(scp.port))
    assert result.returncode == 0, result.stderr


def test_storescu_file_is_stored_on_disk_and_indexed(scp, dicom_storage_dir):
    result = dcmtk("storescu", "-aet", "CT01", "127.0.0.1", str(scp.port),
                   str(sample("CT_small.dcm")))
    assert result.returncode == 0, result.stderr
    instance = Instance.objects.get()
    assert instance.sop_instance_uid == "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322"
    assert (instance.rows, instance.columns, instance.study.patient_name) == (
        128, 128, "CompressedSamples^CT1")
    assert instance.received_from == "dicom:CT01"
    [path] = stored_files(dicom_storage_dir)
    assert path.read_bytes()[128:132] == b"DICM"
    assert path.stat().st_size == instance.file_size
    assert AuditEntry.objects.filter(action="imaging.instance.stored",
                                     actor="dicom:CT01").count() == 1


def test_a_study_sent_twice_is_stored_once(scp, dicom_storage_dir, tmp_path):
    files = [copy_with_new_uids(sample("CT_small.dcm"), tmp_path / f"{n}.dcm",
                                StudyInstanceUID="1.2.3.4.5", SeriesInstanceUID="1.2.3.4.5.1",
                                InstanceNumber=n) for n in range(1, 4)]
    for _ in range(2):
        result = dcmtk("storescu", "127.0.0.1", str(scp.port), *map(str, files))
        assert result.returncode == 0, result.stderr
    assert Study.objects.get().instance_count == 3
    assert Instance.objects.count() == 3 and Series.objects.count() == 1
    assert len(stored_files(dicom_storage_dir)) == 3


@pytest.mark.parametrize("name", COMPRESSED)
def test_compressed_transfer_syntaxes_are_stored_as_sent(scp, dicom_storage_dir, name):
    source = sample(name)
    result = dcmtk("storescu", COMPRESSED[name], "127.0.0.1", str(scp.port), str(source))
    assert result.returncode == 0, result.stderr
    instance = Instance.objects.get()
    stored = dcmread(dicom_storage_dir / instance.file_name)
    assert stored.PixelData == dcmread(source).PixelData  # still compressed, as sent
    assert instance.transfer_syntax_uid == str(
        dcmread(source, stop_before_pixels=True).file_meta.TransferSyntaxUID)


def test_pynetdicom_scu_stores_in_parallel_associations(scp, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    files = [copy_with_new_uids(sample("CT_small.dcm"), tmp_path / f"{n}.dcm",
                                StudyInstanceUID="1.2.3.9", InstanceNumber=n)
             for n in range(8)]

    def send(paths):
        ae = AE(ae_title="PYSCU")
        ae.add_requested_context(CTImageStorage)
        assoc = ae.associate("127.0.0.1", scp.port, ae_title="RADBRIDGE")
        assert assoc.is_established
        statuses = [assoc.send_c_store(str(p)).Status for p in paths]
        assoc.release()
        return statuses

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(send, [files[i::4] for i in range(4)]))
    assert [s for r in results for s in r] == [0] * 8
    assert Study.objects.get().instance_count == 8


def test_calling_ae_title_not_allowed_is_rejected(guarded_scp):
    scp = guarded_scp(DICOM_ALLOWED_AE_TITLES=["CT01"])
    refused = dcmtk("echoscu", "-aet", "INTRUDER", "127.0.0.1", str(scp.port))
    assert refused.returncode != 0 and "rejected" in (refused.stderr + refused.stdout).lower()
    assert dcmtk("echoscu", "-aet", "CT01", "127.0.0.1", str(scp.port)).returncode == 0


def test_address_not_allowed_is_refused(guarded_scp):
    scp = guarded_scp(DICOM_ALLOWED_ADDRESSES=["10.0.0.0/8"])
    assert dcmtk("echoscu", "127.0.0.1", str(scp.port)).returncode != 0
    scp = guarded_scp(DICOM_ALLOWED_ADDRESSES=["127.0.0.0/8"])
    assert dcmtk("echoscu", "127.0.0.1", str(scp.port)).returncode == 0


def test_same_instances_sent_by_parallel_associations_are_stored_once(scp, dicom_storage_dir,
                                                                      tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from .senders import send_files

    files = [copy_with_new_uids(sample("CT_small.dcm"), tmp_path / f"{n}.dcm",
                                StudyInstanceUID="1.2.3.10", InstanceNumber=n)
             for n in range(6)]
    contexts = [(CTImageStorage, "1.2.840.10008.1.2.1")]
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: send_files(scp.port, files, contexts), range(4)))
    assert answers == [[(0, "")] * 6] * 4
    assert Instance.objects.count() == 6 and Study.objects.get().instance_count == 6
    assert len(stored_files(dicom_storage_dir)) == 6
    assert AuditEntry.objects.filter(action="imaging.instance.stored").count() == 6
