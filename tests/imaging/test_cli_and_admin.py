"""`radbridge dicom echo|send|stats|reconcile` and the admin reconciliation page."""

import io
import json

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from radbridge.accounts.choices import Role
from radbridge.core.models import AuditEntry
from radbridge.imaging.choices import Reconciliation
from radbridge.imaging.models import Instance, Study
from tests.personas import make_staff, sign_in

from .conftest import copy_with_new_uids, sample
from .helpers import order_for, receive


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("dicom", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_echo_reports_success(scp):
    out, _ = run("echo", "--port", str(scp.port))
    assert "success" in out


def test_echo_to_a_closed_port_says_what_to_check(db):
    from tests.hl7.ris import free_port

    with pytest.raises(CommandError, match="check the address"):
        run("echo", "--port", str(free_port()))


def test_send_a_folder_with_progress_and_a_non_dicom_file(scp, tmp_path):
    folder = tmp_path / "exam"
    folder.mkdir()
    for n in range(3):
        copy_with_new_uids(sample("CT_small.dcm"), folder / f"{n}.dcm", StudyInstanceUID="1.5.1")
    (folder / "notes.txt").write_text("not an image")
    with pytest.raises(CommandError, match="1 file"):
        run("send", "--port", str(scp.port), str(folder))
    assert Instance.objects.count() == 3


def test_send_prints_progress_and_summary(scp, tmp_path, capsys):
    path = copy_with_new_uids(sample("MR_small.dcm"), tmp_path / "mr.dcm")
    out, _ = run("send", "--port", str(scp.port), str(path))
    assert "sent 1 of 1" in out and "1/1" in capsys.readouterr().err


def test_stats_counts_studies_and_instances(actor, db):
    receive("1.5.2")
    stats = json.loads(run("stats")[0])
    assert stats["studies"] == 1 and stats["instances"] == 1
    assert stats["associations_last_24h"]["associations"] == 0
    assert stats["studies_by_reconciliation"] == {"unmatched": 1}


def test_reconcile_list_link_and_reject(actor, db):
    order = order_for("ACC7", "MRN7")
    receive("1.5.3", accession="WRONG")
    receive("1.5.4", accession="JUNK")
    assert "1.5.3" in run("reconcile", "list")[0]
    run("reconcile", "link", "1.5.3", "ACC7", "--reason", "typo")
    run("reconcile", "reject", "1.5.4", "--reason", "phantom")
    assert Study.objects.get(study_instance_uid="1.5.3").order == order
    assert Study.objects.get(study_instance_uid="1.5.4").reconciliation == "rejected"
    assert "1.5.3" not in run("reconcile", "list")[0]
    actors = set(AuditEntry.objects.filter(action__in=["imaging.study.linked",
                 "imaging.study.rejected"]).values_list("actor", flat=True))
    assert len(actors) == 1 and actors.pop().startswith("cli:")


def test_admin_reconciliation_links_a_study_for_permitted_staff(actor, client, db):
    order = order_for("ACC8", "MRN8")
    receive("1.5.5", accession="TYPO")
    clerk = make_staff(Role.FRONT_DESK, all_sites=True, username="clerk")
    sign_in(client, clerk)
    page = client.get("/admin/imaging/study/reconciliation/")
    assert page.status_code == 200 and b"1.5.5" in page.content
    shown = AuditEntry.objects.get(action="read.reconciliation")
    assert shown.object_id == str(Study.objects.get().pk) and shown.actor == "user:clerk"
    client.post("/admin/imaging/study/reconciliation/", {
        "study_instance_uid": "1.5.5", "accession_number": "ACC8", "reason": "typo",
        "action": "link"})
    study = Study.objects.get()
    assert study.order == order and study.reconciliation == Reconciliation.MATCHED
    assert AuditEntry.objects.get(action="imaging.study.linked").actor == "user:clerk"


def test_admin_reconciliation_is_refused_without_the_permission(actor, client, db):
    receive("1.5.6")
    sign_in(client, make_staff(Role.RADIOLOGIST, all_sites=True))
    assert client.get("/admin/imaging/study/reconciliation/").status_code == 403


def test_admin_study_list_is_a_phi_read_per_study(actor, client, db):
    order_for("ACC9", "MRN9")
    receive("1.5.7", accession="ACC9", patient_id="MRN9")
    admin = User.objects.create_superuser("root", password=None)
    sign_in(client, admin)
    assert client.get("/admin/imaging/study/").status_code == 200
    study = Study.objects.get()
    entry = AuditEntry.objects.get(action="read.study_list")
    assert (entry.object_id, entry.patient_id) == (str(study.pk), study.patient_id)
    assert client.get(f"/admin/imaging/study/{study.pk}/change/").status_code == 200
    assert AuditEntry.objects.filter(action="read.study", patient_id=study.patient_id).exists()
