"""The image viewer: a patient sees their own frames, rendered with the window asked for;
another patient's session gets 404 for the page and every frame; one audited read per open."""

import io

import pytest
from PIL import Image

from radbridge.core.models import AuditEntry
from tests.imaging.conftest import dicom_storage_dir  # noqa: F401 - autouse: files in tmp
from tests.imaging.helpers import receive
from tests.personas import sign_in
from tests.scenarios import patient_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(actor):
    record = patient_record("Alice")
    study_uid = record.study.study_instance_uid
    for number in (2, 3):  # a series of three images
        receive(study_uid, accession=record.order.accession_number,
                patient_id=record.patient.identifiers.get().value, instance_number=number,
                series_uid=record.instance.series.series_instance_uid)
    return record


def frame_url(record, number=1, instance=None):
    instance = instance or record.instance
    return f"/studies/{record.order.pk}/images/{instance.pk}/frames/{number}/"


def reads_after(last_id):
    return list(AuditEntry.objects.filter(id__gt=last_id, action__startswith="read."))


def last_audit_id():
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_patient_opens_the_viewer_and_gets_jpeg_frames(client, alice):
    sign_in(client, alice.user)
    page = client.get(f"/studies/{alice.order.pk}/images/")
    assert page.status_code == 200
    data = page.context["viewer_data"]
    assert len(data["series"]) == 1 and len(data["series"][0]["frames"]) == 3
    response = client.get(frame_url(alice))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(response.content)).size == (16, 16)
    thumb = client.get(f"/studies/{alice.order.pk}/images/{alice.instance.pk}/thumbnail/")
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    # Pictures are kept privately a few minutes (scrolling back is instant); pages never.
    for picture in (response, thumb):
        assert picture["Cache-Control"] == "private, max-age=600"
    assert page["Cache-Control"] == "no-store"


def test_opening_the_viewer_is_one_audited_read_not_one_per_frame(client, alice):
    sign_in(client, alice.user)
    last = last_audit_id()
    client.get(f"/studies/{alice.order.pk}/images/")
    for _ in range(3):
        assert client.get(frame_url(alice)).status_code == 200
    reads = reads_after(last)
    assert [(r.action, r.patient_id) for r in reads] == [("read.images", alice.patient.pk)]


def test_a_window_changes_the_picture(client, alice):
    sign_in(client, alice.user)
    client.get(f"/studies/{alice.order.pk}/images/")
    default = client.get(frame_url(alice)).content
    narrow = client.get(frame_url(alice) + "?window=100,50").content
    assert default != narrow


def test_bad_window_or_frame_number_gets_a_clear_400(client, alice):
    sign_in(client, alice.user)
    client.get(f"/studies/{alice.order.pk}/images/")
    bad = client.get(frame_url(alice) + "?window=lots")
    assert bad.status_code == 400 and b"centre,width" in bad.content
    assert client.get(frame_url(alice) + "?window=40,-5").status_code == 400
    beyond = client.get(frame_url(alice, number=2))
    assert beyond.status_code == 400 and b"numbered 1 to 1" in beyond.content


def test_frames_need_the_viewer_opened_first(client, alice):
    sign_in(client, alice.user)
    assert client.get(frame_url(alice)).status_code == 404


def test_patient_b_cannot_see_patient_a_viewer_or_frames(client, alice):
    bob = patient_record("Bob")
    sign_in(client, bob.user)
    assert client.get(f"/studies/{bob.order.pk}/images/").status_code == 200
    last = last_audit_id()
    assert client.get(f"/studies/{alice.order.pk}/images/").status_code == 404
    # Bob opened his own viewer: neither his order's URL nor Alice's serves her image.
    assert client.get(frame_url(alice)).status_code == 404
    assert client.get(frame_url(bob, instance=alice.instance)).status_code == 404
    assert client.get(
        f"/studies/{bob.order.pk}/images/{alice.instance.pk}/thumbnail/").status_code == 404
    assert not [r for r in reads_after(last) if r.patient_id == alice.patient.pk]


def test_signed_out_visitors_are_sent_to_sign_in(client, alice):
    response = client.get(frame_url(alice))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_ordering_physician_sees_the_images_another_clinic_does_not(client, alice):
    sign_in(client, alice.doctor)
    assert client.get(f"/studies/{alice.order.pk}/images/").status_code == 200
    assert client.get(frame_url(alice)).status_code == 200
    stranger = patient_record("Carol")
    sign_in(client, stranger.doctor)
    assert client.get(f"/studies/{alice.order.pk}/images/").status_code == 404
    assert client.get(frame_url(alice)).status_code == 404


def test_viewer_page_stays_within_its_query_budget(client, alice,
                                                   django_assert_max_num_queries):
    for series in range(2, 6):  # more series must not mean more queries
        receive(alice.study.study_instance_uid, accession=alice.order.accession_number,
                patient_id=alice.patient.identifiers.get().value,
                series_uid=f"{alice.study.study_instance_uid}.{series}")
    sign_in(client, alice.user)
    with django_assert_max_num_queries(16):
        page = client.get(f"/studies/{alice.order.pk}/images/")
    assert len(page.context["viewer_data"]["series"]) == 5


def test_every_frame_of_a_multiframe_image_can_be_scrolled_to(client, alice):
    import numpy as np

    frames = np.stack([np.full((16, 16), level, np.uint16) for level in (0, 2000, 4000)])
    receive(alice.study.study_instance_uid, accession=alice.order.accession_number,
            patient_id=alice.patient.identifiers.get().value, instance_number=4,
            series_uid=f"{alice.study.study_instance_uid}.9", NumberOfFrames=3,
            PixelData=frames.tobytes())
    sign_in(client, alice.user)
    data = client.get(f"/studies/{alice.order.pk}/images/").context["viewer_data"]
    (multiframe,) = [s for s in data["series"] if len(s["frames"]) == 3 and
                     len({i for i, _ in s["frames"]}) == 1]
    instance_id = multiframe["frames"][0][0]
    url = f"/studies/{alice.order.pk}/images/{instance_id}/frames/"
    pictures = [client.get(f"{url}{n}/?window=2000,4000") for n in (1, 2, 3)]
    assert all(p.status_code == 200 for p in pictures)
    assert len({p.content for p in pictures}) == 3
    assert client.get(f"{url}4/").status_code == 400


def test_the_viewer_opens_on_the_series_the_study_page_links_to(client, alice):
    second = f"{alice.study.study_instance_uid}.2"
    receive(alice.study.study_instance_uid, accession=alice.order.accession_number,
            patient_id=alice.patient.identifiers.get().value, series_uid=second)
    sign_in(client, alice.user)
    page = client.get(f"/studies/{alice.order.pk}/images/?series={second}")
    data = page.context["viewer_data"]
    assert len(data["series"]) == 2 and data["start"] == 1
    assert client.get(f"/studies/{alice.order.pk}/images/?series=9.9").context[
        "viewer_data"]["start"] == 0


def test_the_study_page_links_each_series_to_the_viewer_and_offers_the_download(client, alice):
    sign_in(client, alice.user)
    html = client.get(f"/studies/{alice.order.pk}/").content.decode()
    series_uid = alice.instance.series.series_instance_uid
    assert f'href="/studies/{alice.order.pk}/images/?series={series_uid}"' in html
    assert f'href="/studies/{alice.order.pk}/download/"' in html


def test_revoked_access_stops_the_frames_of_an_open_viewer(client, alice):
    from django.utils import timezone

    from radbridge.accounts.models import Consent
    from tests.personas import make_physician

    other_doctor = make_physician()
    consent = Consent.objects.create(patient=alice.patient, physician=other_doctor,
                                     source="staff")
    sign_in(client, other_doctor)
    assert client.get(f"/studies/{alice.order.pk}/images/").status_code == 200
    assert client.get(frame_url(alice)).status_code == 200
    Consent.objects.filter(pk=consent.pk).update(revoked_at=timezone.now())
    assert client.get(frame_url(alice)).status_code == 404


def test_the_study_page_and_its_series_thumbnails_are_one_audited_read(client, alice):
    """The study page shows a thumbnail per series: the page's read covers them, so a page
    with many series is one entry, not one more per picture."""
    series = alice.instance.series
    sign_in(client, alice.user)
    last = last_audit_id()
    page = client.get(f"/studies/{alice.order.pk}/").content.decode()
    thumbnail = f"/studies/{alice.order.pk}/images/series/{series.pk}/thumbnail/"
    assert thumbnail in page
    response = client.get(thumbnail)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert [e.action for e in reads_after(last)] == ["read.report"]


def test_series_thumbnails_need_the_study_page_and_stay_with_their_patient(client, alice):
    series = alice.instance.series
    thumbnail = f"/studies/{alice.order.pk}/images/series/{series.pk}/thumbnail/"
    sign_in(client, alice.user)
    assert client.get(thumbnail).status_code == 404  # the page (and its read) comes first
    bob = patient_record("Bob")
    sign_in(client, bob.user)
    client.get(f"/studies/{bob.order.pk}/")
    assert client.get(thumbnail).status_code == 404
    other = f"/studies/{bob.order.pk}/images/series/{series.pk}/thumbnail/"
    assert client.get(other).status_code == 404  # Alice's series under Bob's order
