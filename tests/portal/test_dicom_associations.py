"""The DICOM associations page of the interface monitor: newest first, paged, filtered by
calling AE, address, outcome and day, with a summary of the range; rows with a problem stand
out. Administrators only: everyone else gets 404. (Rows written by a real SCP: tests/imaging.)"""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from radbridge.imaging.associations import prune
from radbridge.imaging.choices import AssociationOutcome
from radbridge.imaging.models import DicomAssociation
from radbridge.imaging.stats import imaging_stats
from tests.personas import make_patient_user, make_physician, make_staff, sign_in

pytestmark = pytest.mark.django_db
URL = "/interfaces/associations/"


def association(calling="CT01", address="10.1.2.3", outcome=AssociationOutcome.RELEASED,
                reason="", started_at=None, **counts) -> DicomAssociation:
    return DicomAssociation.objects.create(
        started_at=started_at or timezone.now(), peer_address=address,
        calling_ae_title=calling, called_ae_title="RADBRIDGE", outcome=outcome, reason=reason,
        duration_seconds=1.5, bytes_received=counts.pop("bytes_received", 1000), **counts)


def rows_of(response) -> str:
    """The summary line and the table of a page (not its form, whose help shows examples)."""
    assert response.status_code == 200
    page = response.content.decode()
    return page[page.index('id="association-summary"'):]


@pytest.fixture
def log():
    """An ordinary day: a good store, a rejection, a refusal, an abort, a failed C-STORE."""
    now = timezone.now()
    return {
        "stored": association("CT01", "10.1.2.3", stores_succeeded=40, stores_duplicate=2,
                              started_at=now - timedelta(minutes=5)),
        "rejected": association("INTRUDER", "10.9.9.9", AssociationOutcome.REJECTED,
                                "calling AE title 'INTRUDER' is not allowed",
                                started_at=now - timedelta(minutes=4)),
        "refused": association("", "192.168.7.7", AssociationOutcome.REFUSED,
                               "address not allowed", started_at=now - timedelta(minutes=3)),
        "aborted": association("MR02", "10.1.2.4", AssociationOutcome.ABORTED_BY_PEER,
                               "A-ABORT; ended in the middle of a C-STORE dataset",
                               stores_succeeded=3, started_at=now - timedelta(minutes=2)),
        "failed_store": association("CT01", "10.1.2.3", stores_succeeded=1, stores_failed=1,
                                    started_at=now - timedelta(minutes=1)),
    }


def test_administrator_sees_every_association_newest_first(centre_admin_client, log):
    page = rows_of(centre_admin_client.get(URL))
    for text in ("INTRUDER", "192.168.7.7", "MR02", "address not allowed",
                 "calling AE title &#x27;INTRUDER&#x27; is not allowed", "Refused", "Rejected",
                 "Aborted by the sender", "middle of a C-STORE dataset"):
        assert text in page, text
    assert page.index("MR02") < page.index("INTRUDER")  # newer first


def test_summary_counts_associations_problems_and_instances_in_the_range(centre_admin_client,
                                                                        log):
    page = rows_of(centre_admin_client.get(URL))
    assert "5 associations, 4 with a problem" in page
    assert "44 instances stored, 2 already stored, 1 refused" in page
    page = rows_of(centre_admin_client.get(URL, {"calling_ae_title": "CT01"}))
    assert "2 associations, 1 with a problem" in page and "41 instances stored" in page


def test_rows_with_a_problem_stand_out(centre_admin_client, log):
    page = rows_of(centre_admin_client.get(URL))
    assert page.count('<tr class="problem">') == 4


def test_filter_by_calling_ae_title_and_address(centre_admin_client, log):
    page = rows_of(centre_admin_client.get(URL, {"calling_ae_title": "mr"}))
    assert "MR02" in page and "INTRUDER" not in page and "10.1.2.3" not in page
    page = rows_of(centre_admin_client.get(URL, {"peer_address": "10.1.2."}))
    assert "CT01" in page and "MR02" in page
    assert "INTRUDER" not in page and "192.168.7.7" not in page
    association("CT09", "10.1.2.30")
    page = rows_of(centre_admin_client.get(URL, {"peer_address": "10.1.2.3"}))
    assert "CT01" in page and "CT09" not in page and "MR02" not in page


def test_filter_ok_or_problems_or_one_outcome(centre_admin_client, log):
    ok = rows_of(centre_admin_client.get(URL, {"outcome": "ok"}))
    assert "1 association," in ok and "INTRUDER" not in ok and "MR02" not in ok
    problems = rows_of(centre_admin_client.get(URL, {"outcome": "problems"}))
    assert "4 associations" in problems and "INTRUDER" in problems and "MR02" in problems
    refused = rows_of(centre_admin_client.get(URL, {"outcome": "refused"}))
    assert "192.168.7.7" in refused and "INTRUDER" not in refused


def test_filter_by_day(centre_admin_client):
    tz = timezone.get_current_timezone()
    association("OLD01", started_at=datetime(2026, 3, 1, 23, 30, tzinfo=tz))
    association("NEW01", started_at=datetime(2026, 3, 2, 0, 30, tzinfo=tz))
    page = rows_of(centre_admin_client.get(URL, {"first_day": "2026-03-02",
                                                 "last_day": "2026-03-02"}))
    assert "NEW01" in page and "OLD01" not in page
    page = rows_of(centre_admin_client.get(URL, {"last_day": "2026-03-01"}))
    assert "OLD01" in page and "NEW01" not in page


def test_reversed_dates_get_a_clear_error(centre_admin_client):
    response = centre_admin_client.get(URL, {"first_day": "2026-02-02", "last_day": "2026-02-01"})
    assert response.status_code == 400 and "must be on or before" in response.content.decode()


def test_search_answers_htmx_with_the_rows_only(centre_admin_client, log):
    page = rows_of(centre_admin_client.get(URL, {"outcome": "problems"},
                                           headers={"HX-Request": "true"}))
    assert "INTRUDER" in page and "<html" not in page


def test_list_is_paged(centre_admin_client):
    now = timezone.now()
    DicomAssociation.objects.bulk_create(
        DicomAssociation(started_at=now - timedelta(seconds=n), peer_address="10.0.0.1",
                         calling_ae_title=f"AE{n:03d}", outcome=AssociationOutcome.RELEASED)
        for n in range(60))
    first = rows_of(centre_admin_client.get(URL))
    assert "AE000" in first and "AE049" in first and "AE050" not in first
    assert "Page 1 of 2" in first
    second = rows_of(centre_admin_client.get(URL, {"page": 2}))
    assert "AE050" in second and "AE059" in second and "AE000" not in second


def test_page_queries_do_not_grow_with_the_log(centre_admin_client):
    centre_admin_client.get(URL)  # a first request loads the session
    counts = []
    for _ in range(2):
        for number in range(10):
            association(f"Q{number}")
        with CaptureQueriesContext(connection) as queries:
            rows_of(centre_admin_client.get(URL))
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("make_user", [make_physician, make_patient_user,
                                       lambda: make_staff(all_sites=True)],
                         ids=["physician", "patient", "radiologist"])
def test_the_page_is_404_for_everyone_but_administrators(client, log, make_user):
    response = sign_in(client, make_user()).get(URL)
    assert response.status_code == 404
    assert "INTRUDER" not in response.content.decode()


def test_the_interface_monitor_links_to_the_page(centre_admin_client):
    assert f'href="{URL}"' in centre_admin_client.get("/interfaces/").content.decode()


def test_rows_past_retention_are_pruned(settings):
    association("OLD01", started_at=timezone.now() - timedelta(days=91))
    association("NEW01", started_at=timezone.now() - timedelta(days=89))
    assert prune(90) == 1
    assert list(DicomAssociation.objects.values_list("calling_ae_title", flat=True)) == ["NEW01"]


def test_dicom_stats_count_the_last_days_associations(log):
    association("OLD01", started_at=timezone.now() - timedelta(days=2), stores_succeeded=9)
    stats = imaging_stats()
    assert stats["associations_last_24h"] == {"associations": 5, "problems": 4, "instances": 44,
                                              "duplicates": 2, "failed_stores": 1}
    assert stats["associations_by_outcome_last_24h"] == {
        "released": 2, "rejected": 1, "refused": 1, "aborted_by_peer": 1}
