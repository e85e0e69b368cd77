"""Report search on SQLite: an FTS5 index over report versions (porter stemming, diacritics
removed; migration clinical 0003 keeps it in step with triggers), passages from snippet().

The user's words are never handed to FTS5's query language as they are: each word or
"quoted phrase" becomes a quoted FTS5 phrase, `-word` an exclusion and `or` an OR, so no
input can be a syntax error.
"""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import Exists, Q, QuerySet
from django.db.models.expressions import RawSQL

from .current import VersionTextMatches, current_version_matches
from .markup import MATCH_END, MATCH_START

FTS_TABLE = "clinical_reportversion_fts"
CURRENT_VERSION = (
    "v.number = (SELECT MAX(c.number) FROM clinical_reportversion c "
    "WHERE c.report_id = v.report_id)"
)
_TOKENS = re.compile(r'-?"[^"]*"?|\S+')
_WORDS = re.compile(r"\w+")


def fts5_query(text: str) -> str | None:
    """websearch-like text → a safe FTS5 expression; None when it has no word to find."""
    clauses: list[str] = []
    excluded: list[str] = []
    pending_or = False
    for token in _TOKENS.findall(text):
        negative = token.startswith("-")
        if not negative and token.lower() == "or":
            pending_or = bool(clauses)
            continue
        words = _WORDS.findall(token)
        if not words:
            continue
        phrase = '"' + " ".join(words) + '"'
        if negative:
            excluded.append(phrase)
        elif pending_or:
            clauses[-1] = f"({clauses[-1]} OR {phrase})"
        else:
            clauses.append(phrase)
        pending_or = False
    if not clauses:
        return None
    expression = " AND ".join(clauses)
    if excluded:
        expression += " NOT (" + " OR ".join(excluded) + ")"
    return expression


# SQLite's planner does not weigh the text index against the orders' sort: up to this many
# hits the matching orders are listed first (a small set); beyond it the orders are walked
# in their sort order and each tested, so the first page comes without listing every hit.
FEW_HITS = 2000


def fts_matches(id_column: str) -> str:
    return f"{id_column} IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s)"


def hit_count(query: str, cap: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s "
            "LIMIT %s)",
            [query, cap],
        )
        return cursor.fetchone()[0]


def order_condition(text: str, orders: QuerySet) -> Q | Exists | None:
    """`orders` is not needed here: FTS5 stops counting hits at the LIMIT, so the count
    decides cheaply even for a small scope."""
    query = fts5_query(text)
    if query is None:
        return None
    if hit_count(query, FEW_HITS + 1) > FEW_HITS:
        return current_version_matches(VersionTextMatches(fts_matches, query))
    return Q(pk__in=RawSQL(
        f"SELECT r.order_id FROM {FTS_TABLE} f "
        "JOIN clinical_reportversion v ON v.id = f.rowid "
        "JOIN clinical_report r ON r.id = v.report_id "
        f"WHERE {FTS_TABLE} MATCH %s AND {CURRENT_VERSION}",
        [query],
    ))


def snippets(order_ids: list[int], text: str) -> list[tuple[int, str]]:
    """One small query per report: FTS5 finds a MATCH within one rowid at once, while a
    MATCH joined to a list of orders would first walk every hit of a common word."""
    query = fts5_query(text)
    if query is None:
        return []
    marks = ", ".join(["%s"] * len(order_ids))
    found = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.order_id, v.id FROM clinical_report r "
            "JOIN clinical_reportversion v ON v.report_id = r.id "
            f"WHERE r.order_id IN ({marks}) AND {CURRENT_VERSION}",
            order_ids,
        )
        for order_id, version_id in cursor.fetchall():
            cursor.execute(
                f"SELECT snippet({FTS_TABLE}, 0, %s, %s, ' … ', 24) FROM {FTS_TABLE} "
                f"WHERE {FTS_TABLE} MATCH %s AND rowid = %s",
                [MATCH_START, MATCH_END, query, version_id],
            )
            row = cursor.fetchone()
            if row is not None:
                found.append((order_id, row[0]))
    return found
