"""Report search on PostgreSQL: a stored tsvector of each version's text (english
configuration, GIN-indexed; migration clinical 0003), queried with websearch_to_tsquery,
passages from ts_headline."""

from __future__ import annotations

from django.db import connection
from django.db.models import Exists

from .current import VersionTextMatches, current_version_matches
from .markup import MATCH_END, MATCH_START

QUERY = "websearch_to_tsquery('english', %s)"
# Only the current version of a report counts: a correction that removed a word removes
# the match.
CURRENT_VERSION = (
    "v.number = (SELECT MAX(c.number) FROM clinical_reportversion c "
    "WHERE c.report_id = v.report_id)"
)
HEADLINE_OPTIONS = (
    f"StartSel={MATCH_START}, StopSel={MATCH_END}, MaxWords=28, MinWords=10, "
    'MaxFragments=2, FragmentDelimiter=" … "'
)


def search_vector_matches(id_column: str) -> str:
    # The stored tsvector column is not in the Django model: name it beside the id column.
    table = id_column.rsplit(".", 1)[0]
    return f"{table}.search_vector @@ {QUERY}"


def order_condition(text: str) -> Exists | None:
    """Left to the planner: walk orders and test each (common words) or start from the GIN
    index (rare ones), from its statistics of the tsvector column."""
    if not text:
        return None
    return current_version_matches(VersionTextMatches(search_vector_matches, text))


def snippets(order_ids: list[int], text: str) -> list[tuple[int, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT r.order_id, ts_headline('english', v.text, {QUERY}, %s) "
            "FROM clinical_reportversion v JOIN clinical_report r ON r.id = v.report_id "
            f"WHERE r.order_id = ANY(%s) AND {CURRENT_VERSION}",
            [text, HEADLINE_OPTIONS, order_ids],
        )
        return cursor.fetchall()
