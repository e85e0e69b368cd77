"""File-drop inbound: batches, bad lines, and where files end up."""

import pytest

from radbridge.clinical.models import Order, Patient
from radbridge.hl7.filedrop import poll_inbox
from radbridge.hl7.models import InboundMessage
from tests.hl7.helpers import orm, oru

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox(settings, tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    settings.HL7_INBOX_DIR = folder
    return folder


def test_batch_file_is_applied_in_order_and_moved_to_processed(inbox, actor):
    batch = (
        "FHS|^~\\&|RIS|MERCY\rBHS|^~\\&|RIS|MERCY\r"
        + orm("F1", "ACCF")
        + oru("F2", "ACCF", ["IMPRESSION: normal."])
        + "BTS|2\rFTS|1\r"
    )
    (inbox / "batch.hl7").write_text(batch)
    assert poll_inbox() == 1
    assert (inbox / "processed" / "batch.hl7").exists()
    assert Order.objects.get().status == "final"
    assert list(InboundMessage.objects.order_by("id").values_list("control_id", flat=True)) == [
        "F1",
        "F2",
    ]


def test_lines_that_are_not_segments_are_reported_not_glued(inbox, actor):
    text = orm("G1", "ACCG") + "this line is a note someone typed\r" + orm("G2", "ACCH")
    (inbox / "notes.hl7").write_text(text)
    poll_inbox()
    reason = (inbox / "processed" / "notes.hl7.reason.txt").read_text()
    assert "not a segment" in reason and "someone typed" in reason
    assert Order.objects.count() == 2
    assert all(b"someone typed" not in bytes(r.raw) for r in InboundMessage.objects.all())


def test_file_with_a_bad_message_goes_to_failed_with_the_reason(inbox, actor):
    bad = orm("H1", "ACCI").replace("PID|1||MRN100^^^MERCY^MR", "PID|1||")
    (inbox / "bad.hl7").write_text(bad + orm("H2", "ACCJ"))
    poll_inbox()
    reason = (inbox / "failed" / "bad.hl7.reason.txt").read_text()
    assert "message 1" in reason and "PID-3" in reason
    assert Order.objects.get().accession_number == "ACCJ"  # the good one still applied


def test_garbage_file_is_journaled_and_failed(inbox, actor):
    (inbox / "garbage.hl7").write_bytes(b"\x00\x01 not hl7")
    poll_inbox()
    assert (inbox / "failed" / "garbage.hl7").exists()
    assert InboundMessage.objects.get().status == "rejected"
    assert not Patient.objects.exists()


def test_files_that_are_not_hl7_are_left_alone(inbox, actor):
    (inbox / "readme.txt").write_text("hello")
    assert poll_inbox() == 0
    assert (inbox / "readme.txt").exists()
