"""The delimiters of an HL7 v2 message, read from its header. MSH-1 is the field separator and
MSH-2 the encoding characters (component, repetition, escape, subcomponent and, from v2.7, the
truncation character); every later step (splitting, escaping, building an ACK in the sender's
own dialect) works from the `Separators` value read here, so a sender using "_" or "#" as a
delimiter is handled the same way as one using the usual "|^~\\&".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import DATA_TYPE_ERROR, HL7ParseError

HEADER_SEGMENTS = ("MSH", "BHS", "FHS")
SEGMENT_ID = re.compile(r"[A-Z0-9]{3}\Z")  # what a segment name looks like


@dataclass(frozen=True, slots=True)
class Separators:
    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"
    truncation: str | None = None

    @property
    def encoding_characters(self) -> str:
        """MSH-2 as it is written in a header built with these separators."""
        return (
            self.component + self.repetition + self.escape + self.subcomponent
            + (self.truncation or "")
        )


DEFAULT_SEPARATORS = Separators()

# Most senders use the default delimiters; remembering the few headers seen spares the
# validation on every message without letting hostile input grow the cache.
_known_headers: dict[str, Separators] = {"|^~\\&|": DEFAULT_SEPARATORS}
_KNOWN_HEADERS_LIMIT = 32


def read_separators(segment: str) -> Separators:
    """Read MSH-1 and MSH-2 from a header segment (MSH, BHS or FHS) and validate them."""
    cached = _known_headers.get(segment[3:9]) or _known_headers.get(segment[3:10])
    if cached is not None:
        return cached
    name = segment[:3]
    if len(segment) < 4:
        raise _bad_header(name, 1, f"the segment ends before {name}-1, the field separator")
    field_separator = segment[3]
    _check_delimiter(name, 1, field_separator, "field separator")
    end = segment.find(field_separator, 4)
    encoding = segment[4:] if end == -1 else segment[4:end]
    if len(encoding) not in (4, 5):
        raise _bad_header(
            name, 2,
            f"the encoding characters must be 4 (or 5 with the truncation character), "
            f"got {encoding!r}; the usual value is '^~\\&'",
        )
    for character in encoding:
        _check_delimiter(name, 2, character, "encoding character")
    if len(set(field_separator + encoding)) != len(encoding) + 1:
        raise _bad_header(
            name, 2,
            f"the delimiters must all differ, got field separator {field_separator!r} "
            f"and encoding characters {encoding!r}",
        )
    separators = Separators(
        field_separator, encoding[0], encoding[1], encoding[2], encoding[3],
        encoding[4] if len(encoding) == 5 else None,
    )
    if end != -1 and len(_known_headers) < _KNOWN_HEADERS_LIMIT:
        _known_headers[segment[3:end + 1]] = separators
    return separators


def _check_delimiter(name: str, field: int, character: str, role: str) -> None:
    if character.isalnum() or character.isspace() or not character.isprintable():
        raise _bad_header(
            name, field,
            f"{role} {character!r} is not allowed: delimiters must be printable, "
            f"non-alphanumeric, non-space characters",
        )


def _bad_header(name: str, field: int, reason: str) -> HL7ParseError:
    return HL7ParseError(
        reason, segment=name, segment_index=1, field=field, code=DATA_TYPE_ERROR
    )
