"""images.available: once per study, when quiet or complete, with the payload notify reads."""

from datetime import timedelta

from django.utils import timezone

from radbridge.clinical.choices import OrderStatus
from radbridge.core.models import OutboxEvent
from radbridge.imaging.availability import release_quiet_studies
from radbridge.imaging.choices import Availability
from radbridge.imaging.models import Study

from .helpers import order_for, receive


def age_study(seconds: int) -> None:
    Study.objects.update(last_received_at=timezone.now() - timedelta(seconds=seconds))


def events():
    return list(OutboxEvent.objects.filter(topic="images.available"))


def test_quiet_study_is_announced_once_with_the_payload_notify_reads(actor, db, settings):
    order = order_for("ACC1", "MRN1")
    for number in (1, 2):
        receive("1.3.1", accession="ACC1", patient_id="MRN1", instance_number=number)
    assert release_quiet_studies() == 0  # still receiving
    age_study(settings.DICOM_STUDY_QUIET_SECONDS + 1)
    assert release_quiet_studies() == 1
    assert release_quiet_studies() == 0  # a second sweep (or worker) changes nothing
    [event] = events()
    study = Study.objects.get()
    assert event.payload == {
        "patient_id": order.patient_id, "order_id": order.id, "accession_number": "ACC1",
        "modality": "CT", "priority": "routine", "study_instance_uid": "1.3.1",
        "instance_count": 2,
    }
    assert study.availability == Availability.AVAILABLE
    order.refresh_from_db()
    assert order.status == OrderStatus.IMAGES_AVAILABLE


def test_more_images_after_the_announcement_announce_nothing_again(actor, db, settings):
    order_for("ACC2", "MRN2")
    receive("1.3.2", accession="ACC2", patient_id="MRN2")
    age_study(settings.DICOM_STUDY_QUIET_SECONDS + 1)
    release_quiet_studies()
    receive("1.3.2", accession="ACC2", patient_id="MRN2", instance_number=2)
    age_study(settings.DICOM_STUDY_QUIET_SECONDS + 1)
    assert release_quiet_studies() == 0
    assert len(events()) == 1 and Study.objects.get().instance_count == 2


def test_expected_instance_count_reached_announces_without_waiting(actor, db):
    order_for("ACC3", "MRN3")
    for number in (1, 2):
        receive("1.3.3", accession="ACC3", patient_id="MRN3", instance_number=number,
                NumberOfStudyRelatedInstances=2)
    assert release_quiet_studies() == 1 and len(events()) == 1


def test_unmatched_study_waits_for_reconciliation(actor, db, settings):
    receive("1.3.4", accession="UNKNOWN")
    age_study(settings.DICOM_STUDY_QUIET_SECONDS + 1)
    assert release_quiet_studies() == 0 and events() == []


def test_report_status_is_not_moved_back_by_late_images(actor, db, settings):
    order = order_for("ACC5", "MRN5")
    order.status = OrderStatus.FINAL
    order.save()
    receive("1.3.5", accession="ACC5", patient_id="MRN5")
    age_study(settings.DICOM_STUDY_QUIET_SECONDS + 1)
    release_quiet_studies()
    order.refresh_from_db()
    assert order.status == OrderStatus.FINAL and len(events()) == 1
