"""Admin screens that show clinical records audit what they show as PHI reads (`read.`
entries naming each patient), like the portal and the APIs do."""

import pytest
from django.contrib.auth.models import User

from radbridge.accounts.audit_log import viewers_of
from radbridge.core.models import AuditEntry
from tests.personas import make_order, make_patient, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(actor):
    return User.objects.create_superuser("root", password=None)


def test_lists_write_one_read_per_record_shown(client, admin_user):
    alice, bob = make_patient(), make_patient()
    make_order(alice, report_text="Alice: clear.")
    make_order(bob, report_text="Bob: clear.")
    sign_in(client, admin_user)
    for page in ("patient", "order", "report"):
        assert client.get(f"/admin/clinical/{page}/").status_code == 200
        shown = AuditEntry.objects.filter(action=f"read.{page}_list", actor="user:root")
        assert sorted(shown.values_list("patient_id", flat=True)) == sorted([alice.pk, bob.pk])


def test_opening_a_record_is_a_read_of_its_patient(client, admin_user):
    patient = make_patient()
    order = make_order(patient, report_text="Findings.")
    sign_in(client, admin_user)
    for url in (f"/admin/clinical/patient/{patient.pk}/change/",
                f"/admin/clinical/order/{order.pk}/change/",
                f"/admin/clinical/report/{order.report.pk}/change/"):
        assert client.get(url).status_code == 200
    assert [entry.action for entry in viewers_of([patient.pk])] == [
        "read.report", "read.order", "read.patient"]


def test_a_record_that_does_not_exist_writes_no_read(client, admin_user):
    sign_in(client, admin_user)
    client.get("/admin/clinical/patient/999999/change/")
    assert not AuditEntry.objects.filter(action__startswith="read.").exists()


def test_the_clinical_record_is_read_only_in_the_admin(client, admin_user):
    patient = make_patient()
    sign_in(client, admin_user)
    url = f"/admin/clinical/patient/{patient.pk}/change/"
    client.post(url, {"family_name": "Edited"})
    patient.refresh_from_db()
    assert patient.family_name != "Edited"
    assert client.get("/admin/clinical/patient/add/").status_code == 403
    assert client.get(f"/admin/clinical/patient/{patient.pk}/delete/").status_code == 403


def test_opening_a_journal_entry_in_the_admin_is_audited(client, admin_user):
    from radbridge.hl7.ingest import Received, ingest_batch
    from tests.hl7.helpers import orm

    [outcome] = ingest_batch([Received(raw=orm("ADM1", "ACC-ADM").encode(), channel="file",
                                       peer="test")])
    sign_in(client, admin_user)
    assert client.get(f"/admin/hl7/inboundmessage/{outcome.journal_id}/change/").status_code == 200
    assert AuditEntry.objects.filter(action="read.inboundmessage",
                                     object_id=str(outcome.journal_id)).exists()
