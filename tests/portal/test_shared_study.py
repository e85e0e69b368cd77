"""A share-code recipient sees the shared study's images in the viewer and downloads its
copy, through share-scoped URLs: only the session that opened the share, only while the
share is neither revoked nor expired, only the shared order's images; audited like the
patient's own viewer and download."""

import io
import zipfile
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image
from pydicom import dcmread
from pydicom.fileset import FileSet

from radbridge.accounts.models import ShareCode
from radbridge.accounts.services.shares import create_share, revoke_share
from radbridge.core.models import AuditEntry
from tests.imaging.conftest import dicom_storage_dir  # noqa: F401 - autouse: files in tmp
from tests.imaging.helpers import receive
from tests.scenarios import patient_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(actor):
    record = patient_record("Alice")
    for number in (2, 3):  # a series of three images
        receive(record.study.study_instance_uid, accession=record.order.accession_number,
                patient_id=record.patient.identifiers.get().value, instance_number=number,
                series_uid=record.instance.series.series_instance_uid)
    return record


def share_of(record, max_views=None):
    share, code = create_share(record.user, record.order, timezone.now() + timedelta(days=1),
                               "for Dr Jones", max_views)
    return share, code


def opened(record, share_and_code) -> Client:
    """A fresh browser session that typed the code and the date of birth."""
    share, code = share_and_code
    client = Client()
    response = client.post("/share/", {"code": code,
                                       "birth_date": record.patient.birth_date.isoformat()})
    assert response.status_code == 302 and response["Location"] == f"/share/{share.pk}/"
    return client


def urls(share, instance):
    base = f"/share/{share.pk}/images/"
    return {"page": base, "frame": f"{base}{instance.pk}/frames/1/",
            "thumbnail": f"{base}{instance.pk}/thumbnail/",
            "download": f"/share/{share.pk}/download/"}


def last_audit_id():
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def reads_after(last_id):
    return list(AuditEntry.objects.filter(id__gt=last_id, action__startswith="read."))


def is_jpeg(response) -> bool:
    return (response.status_code == 200 and response["Content-Type"] == "image/jpeg"
            and Image.open(io.BytesIO(response.content)).format == "JPEG")


def test_the_share_page_links_to_the_images_and_the_copy(alice):
    share, code = share_of(alice)
    page = opened(alice, (share, code)).get(f"/share/{share.pk}/").content.decode()
    assert f'href="/share/{share.pk}/images/"' in page
    assert f'href="/share/{share.pk}/download/"' in page


def test_recipient_sees_thumbnails_and_frames_of_the_shared_study(alice):
    share, code = share_of(alice)
    client = opened(alice, (share, code))
    page = client.get(f"/share/{share.pk}/images/")
    assert page.status_code == 200
    data = page.context["viewer_data"]
    assert len(data["series"]) == 1 and len(data["series"][0]["frames"]) == 3
    html = page.content.decode()
    assert f'data-base="/share/{share.pk}/images/"' in html
    assert f'src="/share/{share.pk}/images/{alice.instance.pk}/thumbnail/"' in html
    assert f'href="/share/{share.pk}/"' in html  # back to the shared study, not /studies/
    links = urls(share, alice.instance)
    assert is_jpeg(client.get(links["thumbnail"]))
    frame = client.get(links["frame"])
    assert is_jpeg(frame) and Image.open(io.BytesIO(frame.content)).size == (16, 16)
    assert "private" in frame["Cache-Control"] and "no-store" in page["Cache-Control"]
    instance_id, number = data["series"][0]["frames"][2]
    assert is_jpeg(client.get(f"/share/{share.pk}/images/{instance_id}/frames/{number}/"
                              "?window=40,400"))


def test_recipient_downloads_the_copy_with_its_dicomdir(alice, tmp_path):
    share, code = share_of(alice)
    client = opened(alice, (share, code))
    last = last_audit_id()
    response = client.get(f"/share/{share.pk}/download/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.testzip() is None
    archive.extractall(tmp_path / "copy")
    file_set = FileSet(dcmread(tmp_path / "copy" / "DICOMDIR"))
    assert len(list(file_set)) == 3
    assert archive.read("REPORT.PDF").startswith(b"%PDF")
    (entry,) = reads_after(last)
    assert (entry.action, entry.patient_id, entry.actor) == (
        "read.download", alice.patient.pk, "anonymous")
    assert entry.detail["share_code"] == share.pk and entry.detail["instances"] == 3


def test_viewer_is_one_audited_read_and_leaves_the_share_views_alone(alice):
    """A one-view share: the share page uses the view, the images are part of that visit."""
    share, code = share_of(alice, max_views=1)
    client = opened(alice, (share, code))
    assert client.get(f"/share/{share.pk}/").status_code == 200
    last = last_audit_id()
    assert client.get(f"/share/{share.pk}/images/").status_code == 200
    for _ in range(3):
        assert client.get(urls(share, alice.instance)["frame"]).status_code == 200
    (read,) = reads_after(last)
    assert (read.action, read.patient_id, read.actor) == (
        "read.images", alice.patient.pk, "anonymous")
    assert read.detail["share_code"] == share.pk and read.detail["instances"] == 3
    share.refresh_from_db()
    assert share.view_count == 1


def test_frames_need_the_shared_viewer_opened_first(alice):
    share, code = share_of(alice)
    client = opened(alice, (share, code))
    links = urls(share, alice.instance)
    assert client.get(links["frame"]).status_code == 404
    assert client.get(links["thumbnail"]).status_code == 404


def test_a_session_that_did_not_open_the_share_gets_404_everywhere(alice):
    share, code = share_of(alice)
    opened(alice, (share, code)).get(f"/share/{share.pk}/images/")  # someone else did
    bob = patient_record("Bob")
    bob_share = share_of(bob)
    bob_session = opened(bob, bob_share)
    bob_session.get(f"/share/{bob_share[0].pk}/images/")
    last = last_audit_id()
    for client in (Client(), bob_session):
        for name, url in urls(share, alice.instance).items():
            assert client.get(url).status_code == 404, (name, url)
    assert not [r for r in reads_after(last) if r.patient_id == alice.patient.pk]


def test_another_patients_image_through_the_share_gives_404(alice):
    bob = patient_record("Bob")
    share, code = share_of(bob)
    client = opened(bob, (share, code))
    assert client.get(f"/share/{share.pk}/images/").status_code == 200
    assert is_jpeg(client.get(urls(share, bob.instance)["frame"]))
    for name in ("frame", "thumbnail"):
        assert client.get(urls(share, alice.instance)[name]).status_code == 404


def revoke(share, record):
    revoke_share(record.user, share)


def expire(share, record):
    ShareCode.objects.filter(pk=share.pk).update(expires_at=timezone.now() - timedelta(minutes=1))


@pytest.mark.parametrize("end", [revoke, expire], ids=["revoked", "expired"])
def test_an_ended_share_stops_the_page_the_pictures_and_the_copy(alice, end):
    share, code = share_of(alice)
    client = opened(alice, (share, code))
    links = urls(share, alice.instance)
    assert client.get(links["page"]).status_code == 200
    assert client.get(links["frame"]).status_code == 200  # the viewer was open
    end(share, alice)
    last = last_audit_id()
    for name, url in links.items():
        assert client.get(url).status_code in (404, 410), (name, url)
    assert not reads_after(last)


def test_the_hourly_allowance_counts_the_shares_downloads(alice, settings):
    settings.STUDY_DOWNLOADS_PER_HOUR = 1
    share, code = share_of(alice)
    client = opened(alice, (share, code))
    assert client.get(f"/share/{share.pk}/download/").status_code == 200
    refused = client.get(f"/share/{share.pk}/download/")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    other, other_code = share_of(alice)  # another share has its own allowance
    other_session = opened(alice, (other, other_code))
    assert other_session.get(f"/share/{other.pk}/download/").status_code == 200


def test_shared_viewer_and_frames_stay_within_their_query_budget(
        alice, django_assert_max_num_queries):
    for series in range(2, 6):  # more series must not mean more queries
        receive(alice.study.study_instance_uid, accession=alice.order.accession_number,
                patient_id=alice.patient.identifiers.get().value,
                series_uid=f"{alice.study.study_instance_uid}.{series}")
    share, code = share_of(alice)
    client = opened(alice, (share, code))
    with django_assert_max_num_queries(16):
        page = client.get(f"/share/{share.pk}/images/")
    assert len(page.context["viewer_data"]["series"]) == 5
    with django_assert_max_num_queries(2):  # the session, then the image with its share
        assert is_jpeg(client.get(urls(share, alice.instance)["frame"]))
