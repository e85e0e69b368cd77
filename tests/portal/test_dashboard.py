"""The KPI dashboard: staff and administrators see the centre's figures for a date range;
patients and physicians get 404; bad dates get a clear answer."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from radbridge.accounts.choices import Role
from radbridge.clinical.models import Report, ReportVersion
from radbridge.core.audit import Actor, acting_as, record_read
from radbridge.core.charts import Series, lines, stacked_bars
from radbridge.imaging.models import Study
from radbridge.notify.models import Delivery
from tests.personas import (
    make_centre_admin,
    make_location,
    make_order,
    make_patient_user,
    make_physician,
    make_site,
    make_staff,
    sign_in,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def centre():
    """Two sites; a STAT CT reported in 90 minutes and opened by its patient; an MR waiting."""
    now = timezone.now().replace(microsecond=0)
    north, south = make_site("North Clinic"), make_site("Südstadt Imaging")
    stat = make_order(location=make_location(north))
    stat.priority, stat.scheduled_at = "stat", now - timedelta(hours=3)
    stat.save()
    waiting = make_order(location=make_location(south))
    waiting.modality, waiting.scheduled_at = "MR", now - timedelta(days=1)
    waiting.save()
    Study.objects.create(study_instance_uid="1.2.3", order=stat, patient=stat.patient)
    report = Report.objects.create(order=stat, status="final")
    version = ReportVersion.objects.create(report=report, number=1, status="final", text="ok")
    created = now - timedelta(hours=3)
    type(stat).objects.filter(pk=stat.pk).update(created_at=created)
    Study.objects.filter(order=stat).update(created_at=created + timedelta(minutes=30))
    ReportVersion.objects.filter(pk=version.pk).update(created_at=created + timedelta(minutes=90))
    patient_user = make_patient_user(stat.patient)
    with acting_as(Actor(name=f"user:{patient_user.username}", role=Role.PATIENT)):
        record_read("report", "order", stat.pk, patient_id=stat.patient_id)
    return {"stat": stat, "waiting": waiting, "patient_user": patient_user}


def test_admin_sees_studies_by_modality_and_site_with_turnaround(client, centre):
    sign_in(client, make_centre_admin())
    response = client.get("/dashboard/")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<svg class=\"chart\"") == 3
    assert "North Clinic" in page and "Südstadt Imaging" in page
    turnaround = response.context["turnaround"]
    steps = {step.name: step for step in turnaround["steps"]}
    assert steps["Order → images"].median == pytest.approx(30)
    assert steps["Images → report"].median == pytest.approx(60)
    assert steps["STAT order → report"].median == pytest.approx(90)
    assert steps["Report → patient viewed"].count == 1
    assert turnaround["stat_orders"] == 1
    adoption = response.context["adoption"]
    assert (adoption["patients"], adoption["with_account"], adoption["viewed"]) == (2, 1, 1)


def test_delivery_rate_counts_what_the_provider_accepted(client, centre):
    now = timezone.now()
    for number, status in enumerate(["delivered", "sent", "dead", "suppressed"]):
        Delivery.objects.create(key=f"k{number}", source="test", kind="images_ready",
                                channel="sms", status=status, next_attempt_at=now)
    sign_in(client, make_staff(Role.FRONT_DESK, all_sites=True))
    response = client.get("/dashboard/")
    (sms,) = response.context["delivery"]
    assert sms["total"] == 4 and sms["rate"] == pytest.approx(66.7)


def test_date_range_leaves_out_older_studies(client, centre):
    sign_in(client, make_centre_admin())
    today = timezone.localdate()
    response = client.get("/dashboard/", {"first_day": today.isoformat(),
                                          "last_day": today.isoformat()})
    assert dict(response.context["by_modality"]) == {"CT": 1}


def test_reversed_dates_get_a_clear_error(client):
    sign_in(client, make_centre_admin())
    response = client.get("/dashboard/", {"first_day": "2026-05-02", "last_day": "2026-05-01"})
    assert response.status_code == 400
    assert "must be on or before" in response.content.decode()


def test_malformed_date_gets_a_clear_error(client):
    sign_in(client, make_centre_admin())
    response = client.get("/dashboard/", {"first_day": "yesterday'--"})
    assert response.status_code == 400
    assert "Enter a valid date" in response.content.decode()


@pytest.mark.parametrize("who", ["patient", "physician"])
def test_patients_and_physicians_cannot_open_the_dashboard(client, centre, who):
    user = centre["patient_user"] if who == "patient" else make_physician()
    sign_in(client, user)
    assert client.get("/dashboard/").status_code == 404


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_chart_labels_are_escaped():
    svg = stacked_bars("<b>", ["<script>"], [Series("a&b", [3])])
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "a&amp;b" in svg
    assert "style=" not in svg


def test_line_chart_skips_days_without_values():
    svg = lines("t", ["d1", "d2", "d3"], [Series("s", [1.0, None, 2.0])])
    assert svg.count("<circle") == 2


def test_dashboard_queries_do_not_grow_with_the_centre(client):
    sign_in(client, make_centre_admin())
    client.get("/dashboard/")  # a first request loads the session
    counts = []
    for _ in range(2):
        for _ in range(10):
            make_order(location=make_location(make_site()), report_text="ok")
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/dashboard/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
