"""My studies: a patient's own studies, newest first, each with its state and what is new."""

from datetime import timedelta

import pytest
from django.utils import timezone

from radbridge.clinical.choices import OrderStatus
from radbridge.clinical.models import Order
from tests.personas import make_order, make_patient, make_patient_user, sign_in

pytestmark = pytest.mark.django_db


def cards(response) -> list[str]:
    """(accession, state) of each card, in page order."""
    html = response.content.decode()
    found = []
    for chunk in html.split('data-accession="')[1:]:
        accession = chunk.split('"', 1)[0]
        state = chunk.split('class="state state-', 1)[1].split(">", 1)[1].split("<", 1)[0]
        found.append((accession, state))
    return found


@pytest.fixture
def patient_orders():
    patient = make_patient()
    scheduled = make_order(patient)
    imaged = make_order(patient)
    reported = make_order(patient, report_text="Impression: normal.")
    Order.objects.filter(pk=imaged.pk).update(status=OrderStatus.IMAGES_AVAILABLE)
    Order.objects.filter(pk=reported.pk).update(status=OrderStatus.FINAL)
    return patient, scheduled, imaged, reported


def test_each_study_shows_its_state_newest_first(client, patient_orders):
    patient, scheduled, imaged, reported = patient_orders
    sign_in(client, make_patient_user(patient))
    response = client.get("/my/studies/")
    assert cards(response) == [
        (reported.accession_number, "Report ready"),
        (imaged.accession_number, "Images ready"),
        (scheduled.accession_number, "Scheduled"),
    ]


def test_another_patients_studies_are_not_listed(client, patient_orders):
    sign_in(client, make_patient_user())
    response = client.get("/my/studies/")
    assert cards(response) == []
    assert "You have no studies yet" in response.content.decode()


def test_what_changed_since_the_last_visit_is_marked_new(client, patient_orders):
    patient, scheduled, imaged, reported = patient_orders
    sign_in(client, make_patient_user(patient))
    Order.objects.update(updated_at=timezone.now() - timedelta(days=1))
    client.get("/my/studies/")  # the last visit
    # Since then only the report arrived.
    Order.objects.filter(pk=reported.pk).update(updated_at=timezone.now())
    html = client.get("/my/studies/").content.decode()
    assert "1 new since your last visit" in html
    new_cards = [c.split('"', 1)[0] for c in html.split('is-new" data-accession="')[1:]]
    assert new_cards == [reported.accession_number]


def test_staff_do_not_get_the_patient_page(client):
    from radbridge.accounts.choices import Role
    from tests.personas import make_staff

    sign_in(client, make_staff(Role.RADIOLOGIST, all_sites=True))
    assert client.get("/my/studies/").status_code == 404


def test_my_studies_stays_within_its_query_budget(client, django_assert_max_num_queries):
    patient = make_patient()
    for _ in range(10):
        make_order(patient, report_text="Impression: normal.")
    sign_in(client, make_patient_user(patient))
    with django_assert_max_num_queries(13):
        assert client.get("/my/studies/").status_code == 200


def test_images_still_arriving_can_be_viewed_but_are_not_yet_ready(client, actor, settings,
                                                                   tmp_path):
    from radbridge.imaging.choices import Availability
    from radbridge.imaging.models import Study
    from tests.scenarios import patient_record

    settings.STORAGES = {**settings.STORAGES, "dicom": {
        "BACKEND": "radbridge.imaging.storage.DurableFileSystemStorage",
        "OPTIONS": {"location": tmp_path / "dicom"}}}
    record = patient_record("Alice")
    Order.objects.filter(pk=record.order.pk).update(status=OrderStatus.SCHEDULED)
    sign_in(client, record.user)
    receiving = client.get("/my/studies/")
    assert cards(receiving) == [(record.order.accession_number, "Scheduled")]
    assert f"/studies/{record.order.pk}/images/" in receiving.content.decode()
    Study.objects.filter(pk=record.study.pk).update(availability=Availability.AVAILABLE)
    assert cards(client.get("/my/studies/")) == [(record.order.accession_number, "Images ready")]
