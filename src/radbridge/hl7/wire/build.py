"""Writing HL7 v2 messages (outbound ORM^O01, SIU^S12, ...) from plain Python values. A segment
is a list whose first item is its name and the rest its fields; a field is a string, None
(empty), a list of components (each a string or a list of subcomponents) or `Repeated([...])`
for repetitions. Every leaf is escaped here, so callers pass the text they mean and never
think about delimiters; trailing empty fields and components are omitted, as HL7 allows.
"""

from __future__ import annotations

from collections.abc import Sequence

from .escape import escape
from .separators import DEFAULT_SEPARATORS, HEADER_SEGMENTS, SEGMENT_ID, Separators


class Repeated(list):
    """The repetitions of one field, for `build_message`."""


def build_message(segments: Sequence[Sequence[object]],
                  separators: Separators = DEFAULT_SEPARATORS) -> str:
    """Write a message; for MSH (or BHS/FHS) give the fields from MSH-3 on: MSH-1 and MSH-2
    are written from `separators`."""
    return "".join(_segment(items, separators) + "\r" for items in segments)


def _segment(items: Sequence[object], separators: Separators) -> str:
    if not items or not isinstance(items[0], str) or not SEGMENT_ID.match(items[0]):
        raise ValueError(f"a segment starts with its 3-character name, got {items[:1]!r}")
    name = items[0]
    first_number = 3 if name in HEADER_SEGMENTS else 1
    fields = [
        _field(item, separators, f"{name}-{number}")
        for number, item in enumerate(items[1:], first_number)
    ]
    _drop_trailing_empty(fields)
    if name in HEADER_SEGMENTS:
        fields.insert(0, separators.encoding_characters)
    return separators.field.join([name, *fields])


def _field(item: object, separators: Separators, where: str) -> str:
    if isinstance(item, Repeated):
        repetitions = [_repetition(part, separators, where) for part in item]
        _drop_trailing_empty(repetitions)
        return separators.repetition.join(repetitions)
    return _repetition(item, separators, where)


def _repetition(item: object, separators: Separators, where: str) -> str:
    if isinstance(item, list | tuple) and not isinstance(item, Repeated):
        components = [_component(part, separators, where) for part in item]
        _drop_trailing_empty(components)
        return separators.component.join(components)
    return _text(item, separators, where)


def _component(item: object, separators: Separators, where: str) -> str:
    if isinstance(item, list | tuple) and not isinstance(item, Repeated):
        subcomponents = [_text(part, separators, where) for part in item]
        _drop_trailing_empty(subcomponents)
        return separators.subcomponent.join(subcomponents)
    return _text(item, separators, where)


def _text(item: object, separators: Separators, where: str) -> str:
    if item is None:
        return ""
    if isinstance(item, str):
        return escape(item, separators)
    if isinstance(item, int) and not isinstance(item, bool):
        return str(item)
    raise TypeError(
        f"{where}: cannot write {type(item).__name__} {item!r}; pass text (format dates "
        f"and numbers first), None, a list of components or Repeated([...])"
    )


def _drop_trailing_empty(values: list[str]) -> None:
    while values and not values[-1]:
        values.pop()
