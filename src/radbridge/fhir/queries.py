"""Searching and reading: a parsed FHIR query run against the rows the user may see.

Control parameters (`_count`, `_offset`, `_sort`, `_include`, `_total`, `_summary`) shape
the page; every other parameter filters (see `search.conditions`). Paging is by offset, one
row more than the page is read to know whether a next page exists. `Bundle.total` is given
when the page tells it for free (the last page); otherwise only for `_total=accurate` (or
`_summary=count`), since counting a large match costs more than the page itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .outcomes import FHIRError, bad_parameter, not_found
from .search import conditions, parse_id
from .served import SERVED, Served

DEFAULT_COUNT = 20
MAX_COUNT = 500
# Accepted everywhere; _format and _pretty are handled by the view.
CONTROL = {
    "_count",
    "_offset",
    "_sort",
    "_include",
    "_total",
    "_summary",
    "_format",
    "_pretty",
    "_totalMethod",  # fhirpy's count() sends it (Aidbox); the total is always counted
}
UNSUPPORTED = {
    "_revinclude": "_revinclude is not supported: search the other resource type instead",
    "_elements": "_elements is not supported: resources are returned whole",
    "_contained": "_contained is not supported",
    "_has": "_has (reverse chaining) is not supported",
    "_text": "_text is not supported",
    "_content": "_content is not supported",
    "_filter": "_filter is not supported",
    "_query": "_query (named queries) is not supported",
}


@dataclass
class Page:
    rows: list
    included: list[tuple[Served, object]] = field(default_factory=list)
    offset: int = 0
    count: int = DEFAULT_COUNT
    has_next: bool = False
    total: int | None = None


def whole_number(name: str, text: str, maximum: int) -> int:
    if not text.isdigit():
        raise bad_parameter(name, f"{text!r} is not a whole number")
    value = int(text)
    if value > maximum:
        raise bad_parameter(name, f"{value} is more than this server allows ({maximum})")
    return value


def split_query(pairs: list[tuple[str, str]]) -> tuple[dict[str, list[str]], list]:
    control: dict[str, list[str]] = {}
    filters = []
    for name, value in pairs:
        base = name.split(":", 1)[0]
        if base in UNSUPPORTED:
            raise FHIRError(400, "not-supported", UNSUPPORTED[base], expression=name)
        if base in CONTROL:
            control.setdefault(base, []).append(value)
        else:
            filters.append((name, value))
    return control, filters


def single(control: dict[str, list[str]], name: str, default: str = "") -> str:
    values = control.get(name, [])
    if len(values) > 1:
        raise bad_parameter(name, "may be given only once")
    return values[0] if values else default


def ordering(spec: Served, text: str) -> list[str]:
    keys = {"_id": "pk", "_lastUpdated": "updated_at", **spec.sorts}
    order = []
    for part in filter(None, text.split(",")):
        descending = part.startswith("-")
        key = part.lstrip("-")
        if key not in keys:
            raise bad_parameter(
                "_sort", f"cannot sort {spec.name} by {key!r} (supported: {', '.join(keys)})"
            )
        order.append(("-" if descending else "") + keys[key])
    return [*order, "pk"] if "pk" not in order and "-pk" not in order else order


def includes(spec: Served, values: list[str]) -> list:
    chosen = []
    for value in values:
        name = ":".join(value.split(":")[:2])
        include = spec.includes.get(name)
        target = value.split(":")[2] if value.count(":") == 2 else None
        if include is None or (target and target != include.target):
            known = ", ".join(spec.includes) or "none"
            raise bad_parameter("_include", f"{value!r} is not supported here (supported: {known})")
        chosen.append(include)
    return chosen


def search(spec: Served, user, pairs: list[tuple[str, str]]) -> Page:
    control, filters = split_query(pairs)
    count = whole_number("_count", single(control, "_count", str(DEFAULT_COUNT)), MAX_COUNT)
    offset = whole_number("_offset", single(control, "_offset", "0"), 10**9)
    summary = single(control, "_summary", "false")
    if summary not in ("false", "count"):
        raise bad_parameter("_summary", "only _summary=count (or false) is supported")
    rows = spec.visible(user).filter(conditions(spec.params, filters, spec.name))
    if summary == "count" or count == 0:
        return Page([], offset=offset, count=count, total=rows.count())
    chosen = includes(spec, control.get("_include", []))
    ordered = rows.order_by(*ordering(spec, single(control, "_sort")))
    found = list(ordered[offset : offset + count + 1])
    page = Page(found[:count], offset=offset, count=count, has_next=len(found) > count)
    total = single(control, "_total", "estimate")
    if total not in ("none", "estimate", "accurate"):
        raise bad_parameter("_total", "must be none, estimate or accurate")
    complete = not page.has_next and (page.rows or offset == 0)
    if complete and total != "none":
        page.total = offset + len(page.rows)  # the page itself tells the total
    elif total == "accurate":
        page.total = rows.count()
    page.included = included_rows(user, page.rows, chosen)
    return page


def included_rows(user, rows: list, chosen: list) -> list[tuple[Served, object]]:
    wanted: dict[str, set] = {}
    for include in chosen:
        if include.many:
            ids = {found for row in rows for found in include.ids(row)}
        else:
            ids = {include.ids(row) for row in rows} - {None}
        wanted.setdefault(include.target, set()).update(ids)
    found = []
    for type_name, ids in wanted.items():
        target = SERVED[type_name]
        if ids:
            found += [(target, row) for row in target.visible(user).filter(pk__in=ids)]
    return found


def read(spec: Served, user, resource_id: str):
    """The row, or 404: unknown and not visible read the same."""
    try:
        key = parse_id("id", resource_id)
    except FHIRError:
        raise not_found(spec.name, resource_id) from None
    row = spec.visible(user).filter(pk=key).first()
    if row is None:
        raise not_found(spec.name, resource_id)
    return row
