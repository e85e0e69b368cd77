"""DICOMweb as a viewer uses it: authentication, per-user visibility (404), audit, content."""

import io
import json

import pytest
from django.contrib.auth.models import User
from django.test import Client
from pydicom import dcmread

from radbridge.accounts.choices import Role
from radbridge.core.models import AuditEntry
from radbridge.imaging.dicomweb import multipart
from radbridge.imaging.indexing import store_instance
from radbridge.imaging.models import Instance
from radbridge.imaging.rendering import render_pending
from tests.personas import api_token_for, make_patient_user, make_staff, sign_in

from .conftest import copy_with_new_uids, sample
from .helpers import ct_bytes, order_for, receive


@pytest.fixture
def centre(actor, db, tmp_path):
    """Alice's study 1.9.5 (two CT images and an RLE MR), Bob's 1.9.3 (two CT images); each
    has a patient account of their own (the accounts app's rules decide who sees what).
    1.9.99 is unmatched."""
    for name in ("alice", "bob"):
        order = order_for(f"ACC-{name}", f"MRN-{name}", family=name)
        make_patient_user(order.patient, username=name)
        for number in (1, 2):
            receive(f"1.9.{len(name)}", accession=f"ACC-{name}", patient_id=f"MRN-{name}",
                    instance_number=number, study_date="20250114")
    mr = copy_with_new_uids(sample("MR_small_RLE.dcm"), tmp_path / "mr.dcm",
                            StudyInstanceUID="1.9.5", AccessionNumber="ACC-alice",
                            PatientID="MRN-alice")
    store_instance(mr.read_bytes(), "dicom:TEST")
    receive("1.9.99", accession="NOBODY")


def client_for(username: str) -> Client:
    return sign_in(Client(), User.objects.get(username=username))


def uids(study: str, **only):
    instance = Instance.objects.filter(study__study_instance_uid=study, **only).first()
    return study, instance.series.series_instance_uid, instance.sop_instance_uid


def test_anonymous_gets_401_with_a_challenge(centre):
    answer = Client().get("/dicomweb/studies")
    assert answer.status_code == 401 and "Bearer" in answer["WWW-Authenticate"]


def test_search_lists_only_the_users_studies_and_is_audited(centre):
    answer = client_for("alice").get("/dicomweb/studies")
    found = [s["0020000D"]["Value"][0] for s in answer.json()]
    assert answer["Content-Type"] == "application/dicom+json"
    assert found == ["1.9.5"]  # not Bob's 1.9.3, not the unmatched 1.9.99
    entry = AuditEntry.objects.get(action="read.dicomweb.search")
    assert entry.actor == "user:alice" and entry.patient_id is not None


@pytest.mark.parametrize("query, expected", [
    ("PatientID=MRN-bob", {"1.9.3"}),
    ("PatientName=doe*", {"1.9.3"}),
    ("StudyDate=20250101-20250131", {"1.9.3"}),
    ("StudyDate=-20000101", set()),
    ("ModalitiesInStudy=CT", {"1.9.3"}),
    ("ModalitiesInStudy=MR", set()),
    ("AccessionNumber=ACC-bob&limit=1", {"1.9.3"}),
    ("limit=1&offset=1", set()),
])
def test_search_matching_keys(centre, query, expected):
    answer = client_for("bob").get(f"/dicomweb/studies?{query}")
    assert {s["0020000D"]["Value"][0] for s in answer.json()} == expected


def test_search_with_a_bad_date_says_what_is_wrong(centre):
    answer = client_for("bob").get("/dicomweb/studies?StudyDate=2025-01")
    assert answer.status_code == 400 and "YYYYMMDD" in answer.json()["error"]


def test_search_query_count_does_not_grow_with_results(centre, django_assert_max_num_queries):
    client = client_for("alice")
    # session, user, second-factor device, profile (role); the patient's own records and
    # proxies, asked by the order rule and the patient rule (2 each); studies; one audit
    # INSERT per patient; session touch (3)
    with django_assert_max_num_queries(13):
        assert len(client.get("/dicomweb/studies").json()) == 1
    for number in range(5):
        receive(f"1.9.5.{number}", accession="ACC-alice", patient_id="MRN-alice")
    with django_assert_max_num_queries(13):
        assert len(client.get("/dicomweb/studies").json()) == 6


def test_series_and_instances_of_a_study(centre):
    client = client_for("bob")
    [series] = client.get("/dicomweb/studies/1.9.3/series").json()
    assert series["00201209"]["Value"] == [2] and series["00080060"]["Value"] == ["CT"]
    series_uid = series["0020000E"]["Value"][0]
    found = client.get(f"/dicomweb/studies/1.9.3/series/{series_uid}/instances").json()
    assert [i["00200013"]["Value"][0] for i in found] == [1, 2]


def test_retrieve_instance_returns_the_stored_file(centre):
    study, series, instance = uids("1.9.3")
    answer = client_for("bob").get(
        f"/dicomweb/studies/{study}/series/{series}/instances/{instance}")
    body = b"".join(answer.streaming_content)
    [(headers, content)] = multipart.parts(body, multipart.boundary_of(answer["Content-Type"]))
    assert headers["content-type"] == "application/dicom"
    assert dcmread(io.BytesIO(content)).SOPInstanceUID == instance
    assert AuditEntry.objects.filter(action="read.dicomweb.retrieve").exists()


def test_retrieve_a_whole_study(centre):
    answer = client_for("bob").get("/dicomweb/studies/1.9.3")
    body = b"".join(answer.streaming_content)
    assert len(multipart.parts(body, multipart.boundary_of(answer["Content-Type"]))) == 2


def test_series_metadata_for_a_viewer(centre):
    study, series, _ = uids("1.9.3")
    found = client_for("bob").get(f"/dicomweb/studies/{study}/series/{series}/metadata").json()
    assert len(found) == 2
    assert found[0]["00100020"]["Value"] == ["MRN-bob"] and found[0]["00280010"]["Value"] == [16]
    assert "7FE00010" not in found[0]


def test_uncompressed_frame_is_sent_as_native_bytes(centre):
    study, series, instance = uids("1.9.3")
    answer = client_for("bob").get(
        f"/dicomweb/studies/{study}/series/{series}/instances/{instance}/frames/1")
    [(headers, content)] = multipart.parts(answer.content,
                                           multipart.boundary_of(answer["Content-Type"]))
    assert headers["content-type"] == "application/octet-stream" and len(content) == 16 * 16 * 2


def test_compressed_frame_as_stored_or_decoded_as_the_client_asks(centre):
    study, series, instance = uids("1.9.5", transfer_syntax_uid="1.2.840.10008.1.2.5")
    url = f"/dicomweb/studies/{study}/series/{series}/instances/{instance}/frames/1"
    client = client_for("alice")
    stored = client.get(url, HTTP_ACCEPT="multipart/related; type=application/octet-stream; "
                                         "transfer-syntax=*")
    decoded = client.get(url)
    [(head, rle)] = multipart.parts(stored.content, multipart.boundary_of(stored["Content-Type"]))
    [(_, native)] = multipart.parts(decoded.content,
                                    multipart.boundary_of(decoded["Content-Type"]))
    assert "transfer-syntax=1.2.840.10008.1.2.5" in head["content-type"]
    assert len(native) == 64 * 64 * 2 and len(rle) != len(native)


def test_frame_out_of_range_is_a_clear_400(centre):
    study, series, instance = uids("1.9.3")
    answer = client_for("bob").get(
        f"/dicomweb/studies/{study}/series/{series}/instances/{instance}/frames/2")
    assert answer.status_code == 400 and "numbered 1 to 1" in answer.json()["error"]


def test_rendered_jpeg_png_and_window(centre):
    study, series, instance = uids("1.9.3")
    url = f"/dicomweb/studies/{study}/series/{series}/instances/{instance}/rendered"
    client = client_for("bob")
    render_pending()
    assert client.get(url)["Content-Type"] == "image/jpeg"
    png = client.get(url, HTTP_ACCEPT="image/png")
    windowed = client.get(url + "?window=100,50", HTTP_ACCEPT="image/png")
    assert png["Content-Type"] == "image/png" and png.content != windowed.content
    assert client.get(url + "?window=oops").status_code == 400


@pytest.mark.parametrize("level", ["study", "series", "instance"])
def test_thumbnails_at_every_level(centre, level):
    study, series, instance = uids("1.9.3")
    url = {"study": f"/dicomweb/studies/{study}/thumbnail",
           "series": f"/dicomweb/studies/{study}/series/{series}/thumbnail",
           "instance": f"/dicomweb/studies/{study}/series/{series}/instances/{instance}"
                       "/thumbnail"}[level]
    answer = client_for("bob").get(url)
    assert answer.status_code == 200 and answer["Content-Type"] == "image/jpeg"


@pytest.mark.parametrize("suffix", [
    "", "/metadata", "/thumbnail", "/series", "/series/{se}/instances",
    "/series/{se}/instances/{i}", "/series/{se}/instances/{i}/metadata",
    "/series/{se}/instances/{i}/frames/1", "/series/{se}/instances/{i}/rendered",
    "/series/{se}/instances/{i}/thumbnail",
])
def test_another_users_study_is_404_everywhere(centre, suffix):
    study, series, instance = uids("1.9.3")  # Bob's
    url = f"/dicomweb/studies/{study}" + suffix.format(se=series, i=instance)
    assert client_for("bob").get(url).status_code == 200
    answer = client_for("alice").get(url)
    assert answer.status_code == 404


def test_unmatched_study_is_visible_to_no_user(centre):
    for name in ("alice", "bob"):
        assert client_for(name).get("/dicomweb/studies/1.9.99/series").status_code == 404


def uploader(username="uploader") -> Client:
    """A technologist: uploading images is part of the role."""
    return sign_in(Client(), make_staff(Role.TECHNOLOGIST, username=username))


def stow_body(*files: bytes, part_type="application/dicom") -> tuple[bytes, str]:
    boundary = "b0undary"
    body = b"".join(multipart.stream(((part_type, [f]) for f in files), boundary))
    return body, multipart.content_type(boundary, "application/dicom")


def test_stow_stores_good_parts_and_names_the_failed_ones(centre):
    good = ct_bytes("1.9.7", accession="ACC-bob", patient_id="MRN-bob")
    body, content_type = stow_body(good, b"not dicom at all")
    answer = uploader().post("/dicomweb/studies", body, content_type=content_type)
    assert answer.status_code == 202
    result = answer.json()
    assert len(result["00081199"]["Value"]) == 1
    assert result["00081198"]["Value"][0]["00081197"]["Value"] == [0xC000]
    assert Instance.objects.filter(study__study_instance_uid="1.9.7").count() == 1
    assert Instance.objects.get(study__study_instance_uid="1.9.7").received_from == (
        "stow:uploader")


def test_stow_needs_the_upload_permission(centre):
    body, content_type = stow_body(ct_bytes("1.9.8"))
    answer = client_for("alice").post("/dicomweb/studies", body, content_type=content_type)
    assert answer.status_code == 403


def test_stow_refuses_what_is_not_multipart_related(centre):
    answer = uploader().post("/dicomweb/studies", b"{}", content_type="application/json")
    assert answer.status_code == 415 and "multipart/related" in answer.json()["error"]


def test_stow_into_a_named_study_refuses_instances_of_another(centre):
    body, content_type = stow_body(ct_bytes("1.9.10"))
    answer = uploader().post("/dicomweb/studies/1.9.11", body, content_type=content_type)
    assert answer.status_code == 409


def test_stow_with_a_session_needs_csrf_but_a_token_request_does_not(centre):
    body, content_type = stow_body(ct_bytes("1.9.12"))
    uploader()
    client = sign_in(Client(enforce_csrf_checks=True), User.objects.get(username="uploader"))
    assert client.post("/dicomweb/studies", body, content_type=content_type).status_code == 403
    token = api_token_for(User.objects.get(username="uploader"), "ImagingStudy.write")
    with_token = Client(enforce_csrf_checks=True).post(
        "/dicomweb/studies", body, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert with_token.status_code == 200
    assert json.loads(with_token.content)["00081199"]["Value"]


def test_token_without_the_imaging_scope_is_refused_with_a_clear_403(centre):
    token = api_token_for(User.objects.get(username="alice"), "Patient.read")
    answer = Client().get("/dicomweb/studies", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert answer.status_code == 403 and "ImagingStudy.read" in answer.json()["error"]


def test_token_with_the_imaging_scope_sees_what_its_user_may_see(centre):
    token = api_token_for(User.objects.get(username="alice"), "system/ImagingStudy.read")
    found = Client().get("/dicomweb/studies", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert [s["0020000D"]["Value"][0] for s in found] == ["1.9.5"]


def test_unknown_bearer_token_is_refused_before_any_session_is_used(centre):
    client = client_for("alice")
    assert client.get("/dicomweb/studies", HTTP_AUTHORIZATION="Bearer forged").status_code == 401
