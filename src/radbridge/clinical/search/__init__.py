"""Free-text search of report text and accent-blind patient names, behind one interface.

`search_reports(orders, text)` narrows an (already restricted) Order queryset to the orders
whose current report version matches `text`; `report_snippets(order_ids, text)` gives each
one's matching passage as safe HTML with the matched words in <mark>. The engine follows
the database: SQLite FTS5 (porter stemming, diacritics removed) in the embedded mode,
PostgreSQL full-text search (english configuration, websearch syntax, GIN index) in
production. Migration clinical 0003 builds the index and keeps it in step with every
insert and update of a report version, whoever writes it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import QuerySet

from .markup import highlighted_html
from .names import fold_name, name_terms

MAX_QUERY_CHARS = 200

__all__ = ["fold_name", "name_terms", "report_snippets", "search_reports", "MAX_QUERY_CHARS"]


def _engine():
    if connection.vendor == "postgresql":
        from . import postgresql as engine
    else:
        from . import sqlite as engine
    return engine


def search_reports(orders: QuerySet, text: str) -> QuerySet:
    """The orders among `orders` whose current report matches `text`.

    `text` takes words (stemmed: "nodule" finds "nodules"), "quoted phrases", `-word` to
    exclude and `or`. Text with no searchable word matches nothing.
    """
    text = text.strip()[:MAX_QUERY_CHARS]
    condition = _engine().order_condition(text, orders)
    if condition is None:
        return orders.none()
    return orders.filter(condition)


def report_snippets(order_ids: Iterable[int], text: str) -> dict[int, str]:
    """order id → the best passage of its current report for `text`, as safe HTML."""
    order_ids = list(order_ids)
    text = text.strip()[:MAX_QUERY_CHARS]
    if not order_ids or not text:
        return {}
    return {
        order_id: highlighted_html(snippet)
        for order_id, snippet in _engine().snippets(order_ids, text)
    }
