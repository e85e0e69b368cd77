"""Every view that shows PHI writes its `read.` audit entry, with the patient it showed.

Views tagged with `portal.phi.reads_phi` are found in the URL map; a tagged view missing from
CASES fails the first test, so a new PHI page cannot ship without its audit check."""

from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from radbridge.accounts.choices import Role
from radbridge.accounts.models import ShareCode
from radbridge.accounts.secrets import digest, normalize_code
from radbridge.core.models import AuditEntry
from tests.personas import make_centre_admin, make_order, make_patient_user, make_staff, sign_in

pytestmark = pytest.mark.django_db


def tagged_views(resolver=None, prefix="") -> dict[str, object]:
    found = {}
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            found.update(tagged_views(entry, namespace))
        elif isinstance(entry, URLPattern) and getattr(entry.callback, "reads_phi", False):
            found[f"{prefix}{entry.name}"] = entry.callback
    return found


@pytest.fixture
def world(client):
    order = make_order(report_text="Impression: normal.")
    patient_user = make_patient_user(order.patient)
    staff = make_staff(Role.RADIOLOGIST, all_sites=True)
    admin = make_centre_admin()
    share = ShareCode.objects.create(
        order=order, patient=order.patient, code_hash=digest(normalize_code("AAAA-BBBB-CCCC")),
        expires_at=timezone.now() + timedelta(days=1),
    )
    return {"order": order, "patient": order.patient, "patient_user": patient_user,
            "staff": staff, "admin": admin, "share": share}


def place_an_order(client, world):
    client.post("/orders/new/", {"patient": world["patient"].pk, "procedure": "CTHEAD",
                                 "priority": "routine", "indication": "Headache."})


def open_share(client, world):
    client.post("/share/", {"code": "AAAA-BBBB-CCCC",
                            "birth_date": world["patient"].birth_date.isoformat()})


def schedule_a_slot(client, world):
    """A CT schedule with a free slot the world's order can be booked into."""
    from datetime import time

    from radbridge.scheduling.availability import slots
    from tests.scheduling.helpers import make_schedule, next_weekday

    schedule = make_schedule(hours=(time(8), time(9)))
    day = next_weekday(0)
    world["slot"] = slots(schedule, day, day)[0]


def book_the_order(client, world):
    from radbridge.scheduling.services import book_slot

    schedule_a_slot(client, world)
    slot = world["slot"]
    world["appointment"] = book_slot(slot.schedule, slot.start, world["patient"],
                                     order=world["order"])
def journal_of(world) -> int:
    """A journal entry about the world's patient (PID-3 is their identifier)."""
    from radbridge.hl7.ingest import Received, ingest_batch
    from tests.hl7.helpers import message, msh, pid

    identifier = world["patient"].identifiers.get()
    text = message(msh("ADT^A08", "PHI1"), "EVN|A08",
                   pid(identifier.value, authority=identifier.assigning_authority))
    return ingest_batch([Received(text.encode(), "mllp", "test")])[0].journal_id


def mismatch(client, world):
    from radbridge.imaging.models import Study

    Study.objects.create(study_instance_uid="1.2.3.9", patient=world["patient"],
                         reconciliation="mismatch")


CASES = {
    "portal:studies": ("staff", lambda w: "/studies/", None),
    "portal:my_studies": ("patient_user", lambda w: "/my/studies/", None),
    "portal:study": ("patient_user", lambda w: f"/studies/{w['order'].pk}/", None),
    "portal:study_report_pdf": ("patient_user", lambda w: f"/studies/{w['order'].pk}/report.pdf",
                                None),
    "portal:study_report_hl7": ("staff", lambda w: f"/studies/{w['order'].pk}/report.hl7", None),
    "portal:order_new": ("admin", lambda w: "/orders/new/", None),
    "portal:order_upload": ("admin", lambda w: "/orders/upload/", None),
    "portal:my_orders": ("admin", lambda w: "/orders/", place_an_order),
    "portal:my_orders_rows": ("admin", lambda w: "/orders/rows/", place_an_order),
    "portal:patients": ("staff", lambda w: "/patients/", None),
    "portal:patient": ("staff", lambda w: f"/patients/{w['patient'].pk}/", None),
    "portal:share_view": (None, lambda w: f"/share/{w['share'].pk}/", open_share),
    "portal:shared_viewer": (None, lambda w: f"/share/{w['share'].pk}/images/", open_share),
    "portal:shared_download": (None, lambda w: f"/share/{w['share'].pk}/download/", open_share),
    "portal:audit": ("admin", lambda w: f"/audit/?patient={w['patient'].pk}", None),
    "portal:viewer": ("patient_user", lambda w: f"/studies/{w['order'].pk}/images/", None),
    "portal:study_download": ("patient_user", lambda w: f"/studies/{w['order'].pk}/download/",
                              None),
    "portal:notification_preferences": ("patient_user", lambda w: "/my/notifications/", None),
    "portal:patient_viewers": ("admin", lambda w: f"/patients/{w['patient'].pk}/viewers/", None),
    "portal:my_access_log": ("patient_user", lambda w: "/my/access-log/", None),
    "portal:book": ("patient_user", lambda w: "/book/", None),
    "portal:book_slots": ("patient_user", lambda w: f"/book/slots/?order={w['order'].pk}", None),
    "portal:book_confirm": (
        "patient_user",
        lambda w: f"/book/confirm/?order={w['order'].pk}&slot={w['slot'].key}",
        schedule_a_slot,
    ),
    "portal:my_appointments": ("patient_user", lambda w: "/my/appointments/", book_the_order),
    "portal:appointment": (
        "patient_user", lambda w: f"/my/appointments/{w['appointment'].pk}/", book_the_order
    ),
    "portal:journal_entry": ("admin", lambda w: f"/interfaces/journal/{journal_of(w)}/", None),
    "portal:reconciliation": ("admin", lambda w: "/interfaces/reconciliation/", mismatch),
}



def test_every_phi_view_has_an_audit_case():
    assert sorted(tagged_views()) == sorted(CASES), "add the new PHI view to CASES"


@pytest.mark.parametrize("view_name", sorted(CASES))
def test_phi_view_writes_its_read_entry(client, world, view_name):
    who, url, prepare = CASES[view_name]
    if who:
        sign_in(client, world[who])
    if prepare:
        prepare(client, world)
    last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = client.get(url(world))
    assert response.status_code == 200, response.status_code
    reads = list(AuditEntry.objects.filter(id__gt=last, action__startswith="read."))
    assert reads, f"{view_name} showed PHI without a read.* audit entry"
    assert world["patient"].pk in {entry.patient_id for entry in reads}
    expected_actor = f"user:{world[who].username}" if who else "anonymous"
    assert all(entry.actor == expected_actor for entry in reads)


def test_a_denied_read_writes_no_read_entry(client, world):
    other = make_patient_user()
    sign_in(client, other)
    before = set(AuditEntry.objects.values_list("pk", flat=True))
    assert client.get(f"/studies/{world['order'].pk}/").status_code == 404
    new = AuditEntry.objects.exclude(pk__in=before).filter(action__startswith="read.")
    assert not new.filter(patient_id=world["patient"].pk).exists()
