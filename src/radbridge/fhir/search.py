"""Search parameters: FHIR query strings to Django Q objects, strictly.

Each resource declares its parameters with the builders below (`string_param`,
`token_param`, `date_param`, `reference_param`, `id_param`). A parameter value may list
alternatives with commas (OR); repeating a parameter ANDs it. Anything malformed, unknown
or unsupported is a 400 OperationOutcome naming the parameter: a misspelt filter must never
widen a search to everything the caller may see.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from .outcomes import bad_parameter

Builder = Callable[[str, str], Q]  # (value, modifier) -> Q

FHIR_DATE = re.compile(
    r"^(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d+))?)?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)
PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb")


@dataclass(frozen=True)
class Param:
    """A search parameter: its FHIR type (for the CapabilityStatement) and its builder."""

    kind: str  # string, token, date, reference
    build: Builder
    modifiers: tuple[str, ...] = ()
    documentation: str = ""


def alternatives(name: str, value: str) -> list[str]:
    parts = [part for part in re.split(r"(?<!\\),", value)]
    if not value or any(part == "" for part in parts):
        raise bad_parameter(name, "has an empty value; give a value or leave the parameter out")
    return [part.replace("\\,", ",") for part in parts]


def any_of(queries: list[Q]) -> Q:
    combined = Q()
    for query in queries:
        combined |= query
    return combined


# --- string -----------------------------------------------------------------------------


def string_param(*fields: str, documentation: str = "") -> Param:
    """Case-insensitive starts-with (FHIR's default), `:exact` or `:contains`, on any field."""

    def build(value: str, modifier: str) -> Q:
        lookup = {"": "istartswith", "exact": "exact", "contains": "icontains"}[modifier]
        return any_of([Q(**{f"{field}__{lookup}": value}) for field in fields])

    return Param("string", build, ("exact", "contains"), documentation)


# --- token ------------------------------------------------------------------------------


def split_token(value: str) -> tuple[str | None, str]:
    """`system|code` → (system, code); `|code` → ("", code); `code` → (None, code)."""
    if "|" not in value:
        return None, value
    system, code = value.split("|", 1)
    return system, code


def token_param(match: Callable[[str | None, str], Q], documentation: str = "") -> Param:
    """`match(system, code)` builds the condition for one `[system|]code` value; `:not`
    negates it."""

    def build(value: str, modifier: str) -> Q:
        system, code = split_token(value)
        query = match(system, code)
        return ~query if modifier == "not" else query

    return Param("token", build, ("not",), documentation)


def code_token(field: str, translate: dict[str, list[str]] | None = None) -> Param:
    """A token over a code field; `translate` maps FHIR codes to stored values."""

    def match(system: str | None, code: str) -> Q:
        values = translate.get(code, []) if translate is not None else [code]
        return Q(**{f"{field}__in": values})

    return token_param(match)


# --- date -------------------------------------------------------------------------------


def date_range(name: str, text: str) -> tuple[datetime, datetime]:
    """The instant range [start, end) a FHIR date of any precision stands for."""
    match = FHIR_DATE.match(text)
    if match is None:
        raise bad_parameter(
            name, f"{text!r} is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss)"
        )
    parts = match.groupdict()
    try:
        start = datetime(
            int(parts["year"]),
            int(parts["month"] or 1),
            int(parts["day"] or 1),
            int(parts["hour"] or 0),
            int(parts["minute"] or 0),
            int(parts["second"] or 0),
            int((parts["fraction"] or "0").ljust(6, "0")[:6]),
        )
    except ValueError as error:
        raise bad_parameter(name, f"{text!r} is not a valid date ({error})") from None
    if parts["second"]:
        end = start + timedelta(seconds=1)
    elif parts["minute"]:
        end = start + timedelta(minutes=1)
    elif parts["day"]:
        end = start + timedelta(days=1)
    elif parts["month"]:
        end = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    else:
        end = start.replace(year=start.year + 1)
    zone = parts["zone"]
    if zone:
        offset = timedelta(0)
        if zone != "Z":
            sign = 1 if zone[0] == "+" else -1
            offset = sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
        tz = timezone.get_fixed_timezone(offset)
        return start.replace(tzinfo=tz), end.replace(tzinfo=tz)
    # No zone given: the centre's time zone, as FHIR leaves it to the server.
    return timezone.make_aware(start), timezone.make_aware(end)


def date_condition(field: str, prefix: str, start, end) -> Q:
    conditions = {
        "eq": Q(**{f"{field}__gte": start, f"{field}__lt": end}),
        "ge": Q(**{f"{field}__gte": start}),
        "gt": Q(**{f"{field}__gte": end}),
        "sa": Q(**{f"{field}__gte": end}),
        "le": Q(**{f"{field}__lt": end}),
        "lt": Q(**{f"{field}__lt": start}),
        "eb": Q(**{f"{field}__lt": start}),
    }
    if prefix == "ne":
        return ~conditions["eq"] & Q(**{f"{field}__isnull": False})
    return conditions[prefix]


def date_param(
    field: str, day_only: bool = False, name: str = "date", documentation: str = ""
) -> Param:
    """A date/dateTime parameter with the prefixes eq, ne, gt, lt, ge, le, sa, eb."""

    def build(value: str, modifier: str) -> Q:
        prefix = value[:2] if value[:2] in PREFIXES else ""
        if not prefix and value[:2].isalpha():
            raise bad_parameter(
                name, f"prefix {value[:2]!r} is not supported (use one of {', '.join(PREFIXES)})"
            )
        start, end = date_range(name, value[len(prefix) :])
        if day_only:
            start_day = start.date()
            end_day = end.date() if end.time() == time(0) else end.date() + timedelta(1)
            return date_condition(field, prefix or "eq", start_day, end_day)
        return date_condition(field, prefix or "eq", start, end)

    return Param("date", build, documentation=documentation)


# --- reference and ids ------------------------------------------------------------------


def reference_id(name: str, value: str, target_type: str) -> int:
    """`Type/123`, `123` or an absolute URL ending in `Type/123` → 123."""
    tail = value.rstrip("/").split("/")
    if len(tail) >= 2 and tail[-2] != target_type:
        raise bad_parameter(name, f"{value!r} does not refer to a {target_type}")
    return parse_id(name, tail[-1])


def parse_id(name: str, text: str) -> int:
    if not text.isdigit() or len(text) > 18:
        raise bad_parameter(name, f"{text!r} is not a resource id here (ids are numbers)")
    return int(text)


def reference_param(field: str, target_type: str, name: str) -> Param:
    def build(value: str, modifier: str) -> Q:
        if modifier and modifier != target_type:
            raise bad_parameter(name, f"only {target_type} references are searchable")
        return Q(**{field: reference_id(name, value, target_type)})

    return Param("reference", build, (target_type,))


def id_param(name: str = "_id") -> Param:
    def build(value: str, modifier: str) -> Q:
        return Q(pk=parse_id(name, value))

    return Param("token", build)


# --- a whole query ----------------------------------------------------------------------


def split_name(raw: str) -> tuple[str, str]:
    name, _, modifier = raw.partition(":")
    return name, modifier


def conditions(params: dict[str, Param], query: list[tuple[str, str]], type_name: str) -> Q:
    """AND of every (name, value) pair; each value an OR of its comma-separated parts."""
    combined = Q()
    for raw_name, value in query:
        name, modifier = split_name(raw_name)
        param = params.get(name)
        if param is None:
            known = ", ".join(sorted(params))
            raise bad_parameter(
                raw_name, f"{type_name} has no such search parameter here (supported: {known})"
            )
        if modifier and modifier not in param.modifiers:
            raise bad_parameter(raw_name, f"the modifier :{modifier} is not supported here")
        parts = alternatives(raw_name, value)
        combined &= any_of([param.build(part, modifier) for part in parts])
    return combined
