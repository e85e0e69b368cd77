"""Report search on PostgreSQL: a stored tsvector of each version's text (english
configuration, GIN-indexed; migration clinical 0003), queried with websearch_to_tsquery,
passages from ts_headline."""

from __future__ import annotations

from django.db import connection
from django.db.models import Exists, Q, QuerySet
from django.db.models.expressions import RawSQL

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


# Past this many hits the orders are walked in the worklist's sort order and each tested
# (the first page of a common word comes at once); below it the hits are listed first. The
# planner's own choice fails for phrases: it multiplies the words' frequencies as if they
# were independent, takes "aortic aneurysm" for rare and lists 50,000 hits to show 25.
FEW_HITS = 2000
SMALL_SCOPE = 2000


def search_vector_matches(id_column: str) -> str:
    # The stored tsvector column is not in the Django model: name it beside the id column.
    table = id_column.rsplit(".", 1)[0]
    return f"{table}.search_vector @@ {QUERY}"


def tested_row_by_row(id_column: str) -> str:
    # COALESCE hides the condition from the GIN index, so the planner walks the orders.
    return f"COALESCE({search_vector_matches(id_column)}, false)"


def is_small(orders: QuerySet) -> bool:
    """A scope this small (one physician's studies) is tested order by order at once: that
    costs a few milliseconds, less than counting the hits (the GIN index finds every one
    before the LIMIT: 19 ms for "renal calculus" among a million reports)."""
    return orders.order_by()[:SMALL_SCOPE + 1].count() <= SMALL_SCOPE


def hit_count(text: str, cap: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT 1 FROM clinical_reportversion "
            f"WHERE search_vector @@ {QUERY} LIMIT %s) hits",
            [text, cap],
        )
        return cursor.fetchone()[0]


def order_condition(text: str, orders: QuerySet) -> Exists | Q | None:
    if not text:
        return None
    if is_small(orders) or hit_count(text, FEW_HITS + 1) > FEW_HITS:
        return current_version_matches(VersionTextMatches(tested_row_by_row, text))
    return Q(pk__in=RawSQL(
        "SELECT r.order_id FROM clinical_reportversion v "
        "JOIN clinical_report r ON r.id = v.report_id "
        f"WHERE v.search_vector @@ {QUERY} AND {CURRENT_VERSION}",
        [text],
    ))


def snippets(order_ids: list[int], text: str) -> list[tuple[int, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT r.order_id, ts_headline('english', v.text, {QUERY}, %s) "
            "FROM clinical_reportversion v JOIN clinical_report r ON r.id = v.report_id "
            f"WHERE r.order_id = ANY(%s) AND {CURRENT_VERSION}",
            [text, HEADLINE_OPTIONS, order_ids],
        )
        return cursor.fetchall()
