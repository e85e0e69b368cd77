"""Free-text search of report text and folded names, on whichever database runs the tests
(SQLite FTS5 or PostgreSQL full-text search): one interface, the same answers."""

import pytest
from django.db import connection

from radbridge.clinical.data import ReportData
from radbridge.clinical.models import Order, Patient, ReportVersion
from radbridge.clinical.search import fold_name, report_snippets, search_reports
from radbridge.clinical.search.sqlite import fts5_query
from radbridge.clinical.services.reports import finalize_report
from tests.personas import make_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _acting(actor):
    return actor


@pytest.fixture(autouse=True, params=["from the index", "walking the orders"])
def strategy(request, monkeypatch):
    """Both engines list the hits first when they are few, else test each order in the
    worklist's order (PostgreSQL also for any scope as small as the tests'): both ways give
    the same answers."""
    if request.param == "from the index":
        monkeypatch.setattr("radbridge.clinical.search.postgresql.SMALL_SCOPE", 0)
    if request.param == "walking the orders":
        monkeypatch.setattr("radbridge.clinical.search.sqlite.FEW_HITS", 0)
        monkeypatch.setattr("radbridge.clinical.search.postgresql.FEW_HITS", 0)


def found(text):
    return set(search_reports(Order.objects.all(), text).values_list("accession_number",
                                                                     flat=True))


def test_stemming_finds_plural_of_a_phrase():
    nodules = make_order(report_text="FINDINGS: two pulmonary nodules in the right lower lobe.")
    make_order(report_text="FINDINGS: clear lungs. IMPRESSION: normal.")
    assert found("pulmonary nodule") == {nodules.accession_number}


def test_all_words_must_match_and_minus_excludes():
    both = make_order(report_text="Small hepatic cyst. Renal calculus.")
    cyst_only = make_order(report_text="Small hepatic cyst.")
    assert found("hepatic cyst") == {both.accession_number, cyst_only.accession_number}
    assert found("cyst -calculus") == {cyst_only.accession_number}
    assert found("calculus or fracture") == {both.accession_number}
    assert found('"renal calculus"') == {both.accession_number}


def test_text_with_no_word_or_hostile_syntax_matches_nothing_without_error():
    make_order(report_text="Normal study.")
    for text in ["", "   ", '"', "-", "NEAR(", "text:normal AND", "*", "'; DROP TABLE x; --"]:
        found(text)  # no exception, whatever the engine
    assert found("") == set()


def test_only_the_current_version_counts():
    order = make_order(report_text="IMPRESSION: suspicious mass.")
    finalize_report(ReportData(accession_number=order.accession_number, status="final",
                               text="IMPRESSION: no mass, artefact."))
    finalize_report(ReportData(accession_number=order.accession_number, status="final",
                               text="IMPRESSION: benign cyst."))
    assert found("suspicious") == set()
    assert found("benign cyst") == {order.accession_number}


def test_snippet_highlights_the_match_and_escapes_the_report():
    order = make_order(report_text="Patient wrote <script>alert(1)</script> on the form. "
                                   "Pulmonary nodules are stable.")
    snippets = report_snippets([order.pk], "pulmonary nodule")
    html = snippets[order.pk]
    # SQLite's snippet keeps the tag (escaped here); PostgreSQL's headline drops it.
    assert "<script" not in html and "alert(1)" in html
    assert "<mark>" in html and "nodules</mark>" in html.lower()


def test_folded_names_ignore_case_and_accents():
    patient = Patient.objects.create(family_name="Muñoz-Müller", given_name="José")
    assert patient.search_name == "munoz-muller jose"
    assert fold_name("ÆSIR Straße") == "aesir strasse"


def test_fts5_query_quotes_every_word():
    assert fts5_query('pulmonary "ground glass" -calcified or nodule') == (
        '"pulmonary" AND ("ground glass" OR "nodule") NOT ("calcified")'
    )
    assert fts5_query("- \" ''") is None


def test_index_follows_text_updates_and_deletions():
    order = make_order(report_text="Old text about a meniscus tear.")
    version = order.report.versions.get()
    ReportVersion.objects.filter(pk=version.pk).update(text="New text about an effusion.")
    assert found("meniscus") == set()
    assert found("effusion") == {order.accession_number}
    order.report.delete()
    assert found("effusion") == set()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="GIN is PostgreSQL's")
def test_postgresql_report_index_keeps_no_pending_list():
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class "
                       "WHERE relname = 'clinical_reportversion_search_vector'")
        assert "fastupdate=off" in cursor.fetchone()[0]
    nodules = make_order(report_text="Two pulmonary nodules.")
    assert found("pulmonary nodule") == {nodules.accession_number}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's search")
def test_postgresql_counts_hits_only_for_a_large_scope(monkeypatch):
    """A small scope is walked order by order without asking the index how common the
    words are; a large one asks, and lists the hits when they are few."""
    from radbridge.clinical.search import postgresql

    monkeypatch.setattr(postgresql, "SMALL_SCOPE", 2000)  # whatever `strategy` chose
    monkeypatch.setattr(postgresql, "FEW_HITS", 2000)
    asked = []
    counted = postgresql.hit_count
    monkeypatch.setattr(postgresql, "hit_count", lambda *a: asked.append(a) or counted(*a))
    order = make_order(report_text="Renal calculus.")
    assert found("calculus") == {order.accession_number}
    assert asked == []
    monkeypatch.setattr(postgresql, "SMALL_SCOPE", 0)
    assert found("calculus") == {order.accession_number}
    assert len(asked) == 1
