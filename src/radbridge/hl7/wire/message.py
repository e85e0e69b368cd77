"""The HL7 v2 message parser: text in, `Message` out. It is lazy because it sits on the hot path
of the listener: parsing splits the text into segments once, a segment splits into fields
the first time one is read, components and repetitions are split only for the value asked
for, and only that leaf is unescaped. Field numbers follow HL7 (and python-hl7): for MSH,
field 1 is the field separator itself and field 2 the encoding characters, so MSH-9 is
`message.segment("MSH")[9]`. Batches are cut into single messages by `split_batch`, and
outbound messages are written with `build_message` (re-exported here from `build`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from .build import Repeated, build_message
from .errors import SEGMENT_SEQUENCE_ERROR, HL7ParseError
from .escape import unescape
from .separators import (
    DEFAULT_SEPARATORS,
    HEADER_SEGMENTS,
    SEGMENT_ID,
    Separators,
    read_separators,
)

__all__ = [
    "DEFAULT_SEPARATORS", "BatchSplit", "FieldValue", "Message", "Repeated", "Segment",
    "Separators", "build_message", "parse_message", "split_batch",
]

_BATCH_ENVELOPE = ("FHS", "BHS", "BTS", "FTS")


def _leaf(raw: str, separators: Separators, component: int, subcomponent: int,
          repetition: int) -> str:
    """One unescaped value out of a raw field; "" when the position is absent."""
    if separators.repetition in raw:
        parts = raw.split(separators.repetition)
        raw = parts[repetition - 1] if 0 < repetition <= len(parts) else ""
    elif repetition != 1:
        return ""
    if separators.component in raw:
        parts = raw.split(separators.component)
        raw = parts[component - 1] if 0 < component <= len(parts) else ""
    elif component != 1:
        return ""
    if separators.subcomponent in raw:
        parts = raw.split(separators.subcomponent)
        raw = parts[subcomponent - 1] if 0 < subcomponent <= len(parts) else ""
    elif subcomponent != 1:
        return ""
    return unescape(raw, separators) if separators.escape in raw else raw


class FieldValue:
    """One repetition of a field."""

    __slots__ = ("raw", "_separators")

    def __init__(self, raw: str, separators: Separators) -> None:
        self.raw = raw
        self._separators = separators

    def value(self, component: int = 1, subcomponent: int = 1) -> str:
        return _leaf(self.raw, self._separators, component, subcomponent, 1)

    def components(self) -> list[str]:
        """Every component, unescaped (subcomponent separators are left in place)."""
        separators = self._separators
        return [unescape(part, separators) for part in self.raw.split(separators.component)]

    def text(self) -> str:
        """The whole repetition unescaped, components still joined by the separator."""
        return unescape(self.raw, self._separators)

    def __repr__(self) -> str:
        return f"FieldValue({self.raw!r})"


class Segment:
    """One segment; its fields are split the first time one is read."""

    __slots__ = ("name", "index", "raw", "_separators", "_fields")

    def __init__(self, raw: str, index: int, separators: Separators) -> None:
        self.raw = raw
        self.index = index  # 1-based position in the message, as ERR-2 wants it
        self._separators = separators
        self._fields: list[str] | None = None
        end = raw.find(separators.field)
        self.name = raw if end == -1 else raw[:end]

    def _split(self) -> list[str]:
        fields = self.raw.split(self._separators.field)
        if self.name in HEADER_SEGMENTS:
            # HL7 counts the field separator itself as field 1 of a header segment.
            fields.insert(1, self._separators.field)
        self._fields = fields
        return fields

    @property
    def field_count(self) -> int:
        return len(self._fields or self._split()) - 1

    def __getitem__(self, field: int) -> str:
        """Field `field` as sent (escaped, with its delimiters); "" when absent."""
        fields = self._fields or self._split()
        return fields[field] if 0 <= field < len(fields) else ""

    def value(self, field: int, component: int = 1, subcomponent: int = 1,
              repetition: int = 1) -> str:
        """One unescaped leaf value; "" when absent."""
        fields = self._fields or self._split()
        if not 0 <= field < len(fields):
            return ""
        raw = fields[field]
        if field <= 2 and self.name in HEADER_SEGMENTS:
            # MSH-1 and MSH-2 are the delimiters themselves, never split or unescaped.
            return raw if component == subcomponent == repetition == 1 else ""
        return _leaf(raw, self._separators, component, subcomponent, repetition)

    def repetitions(self, field: int) -> list[FieldValue]:
        """The repetitions of a field; [] when the field is empty or absent."""
        raw = self[field]
        if not raw:
            return []
        separators = self._separators
        if field <= 2 and self.name in HEADER_SEGMENTS:
            return [FieldValue(raw, separators)]
        return [FieldValue(part, separators) for part in raw.split(separators.repetition)]

    def text(self, field: int, repetition: int = 1) -> str:
        """A whole repetition unescaped, components joined by the component separator: for
        free text (OBX-5 TX/FT) where a sender may leave a "^" unescaped."""
        raw = self[field]
        if field <= 2 and self.name in HEADER_SEGMENTS:
            return raw if repetition == 1 else ""
        separators = self._separators
        if separators.repetition in raw:
            parts = raw.split(separators.repetition)
            raw = parts[repetition - 1] if 0 < repetition <= len(parts) else ""
        elif repetition != 1:
            return ""
        return unescape(raw, separators) if separators.escape in raw else raw

    def __repr__(self) -> str:
        return f"<Segment {self.name} #{self.index}>"


class Message:
    """A parsed message: segments plus shortcuts to the header fields a handler needs."""

    __slots__ = ("separators", "segments", "_by_name")

    def __init__(self, segments: list[Segment], separators: Separators) -> None:
        self.separators = separators
        self.segments = segments
        self._by_name: dict[str, list[Segment]] | None = None

    def _index_names(self) -> dict[str, list[Segment]]:
        by_name: dict[str, list[Segment]] = {}
        for segment in self.segments:
            by_name.setdefault(segment.name, []).append(segment)
        self._by_name = by_name
        return by_name

    def segment(self, name: str) -> Segment | None:
        """The first segment called `name`, or None."""
        found = (self._by_name or self._index_names()).get(name)
        return found[0] if found else None

    def segments_named(self, name: str) -> list[Segment]:
        return list((self._by_name or self._index_names()).get(name, ()))

    def __iter__(self) -> Iterator[Segment]:
        return iter(self.segments)

    def __len__(self) -> int:
        return len(self.segments)

    @property
    def text(self) -> str:
        """The message with every segment ended by a carriage return, blank lines removed."""
        return "".join(segment.raw + "\r" for segment in self.segments)

    def _header(self, field: int, component: int = 1) -> str:
        return self.segments[0].value(field, component)

    @property
    def timestamp(self) -> str:
        return self._header(7)  # MSH-7.1 date/time of message

    @property
    def message_code(self) -> str:
        return self._header(9, 1)  # MSH-9.1 message code

    @property
    def trigger_event(self) -> str:
        return self._header(9, 2)  # MSH-9.2 trigger event

    @property
    def message_structure(self) -> str:
        return self._header(9, 3)  # MSH-9.3 message structure

    @property
    def message_type(self) -> str:
        """"ORU^R01" whatever the sender's component separator is."""
        code, trigger = self.message_code, self.trigger_event
        return f"{code}^{trigger}" if trigger else code

    @property
    def control_id(self) -> str:
        return self._header(10)  # MSH-10 message control id

    @property
    def processing_id(self) -> str:
        return self._header(11)  # MSH-11.1 processing id (P, T, D)

    @property
    def version(self) -> str:
        return self._header(12)  # MSH-12.1 version id

    @property
    def sending_application(self) -> str:
        return self._header(3)  # MSH-3.1

    @property
    def sending_facility(self) -> str:
        return self._header(4)  # MSH-4.1

    @property
    def receiving_application(self) -> str:
        return self._header(5)  # MSH-5.1

    @property
    def receiving_facility(self) -> str:
        return self._header(6)  # MSH-6.1

    @property
    def accept_ack_type(self) -> str:
        return self._header(15)  # MSH-15 accept acknowledgment type

    @property
    def application_ack_type(self) -> str:
        return self._header(16)  # MSH-16 application acknowledgment type

    @property
    def charset(self) -> str:
        return self._header(18)  # MSH-18 character set, first repetition

    def __repr__(self) -> str:
        return f"<Message {self.message_type} {self.control_id!r}, {len(self.segments)} segments>"


def _lines(text: str) -> list[str]:
    """Segments of `text`: CR, LF and CRLF all end a segment; blank lines are dropped."""
    if "\n" in text:
        text = text.replace("\r\n", "\r").replace("\n", "\r")
    return [line for line in text.split("\r") if line and not line.isspace()]


def parse_message(text: str) -> Message:
    """Parse one message; raise `HL7ParseError` when its header cannot be read."""
    lines = _lines(text.removeprefix("\ufeff"))
    first = lines[0].lstrip() if lines else ""
    if not first.startswith("MSH"):
        if first[:3] in ("FHS", "BHS"):
            reason = f"the text is a batch (it starts with {first[:3]}); cut it with split_batch"
        elif first:
            reason = f"a message must start with an MSH segment, found {first[:20]!r}"
        else:
            reason = "the message is empty"
        raise HL7ParseError(reason, segment="MSH", segment_index=1, code=SEGMENT_SEQUENCE_ERROR)
    lines[0] = first
    separators = read_separators(first)
    return Message(
        [Segment(line, index, separators) for index, line in enumerate(lines, 1)], separators
    )


class BatchSplit(NamedTuple):
    messages: list[str]  # each one message, from its MSH, segments ended by "\r"
    ignored_lines: list[tuple[int, str]]  # (1-based line number, line) kept out of messages


def split_batch(text: str) -> BatchSplit:
    """Cut a batch (or a single message) into messages. Batch envelope segments (FHS, BHS,
    BTS, FTS) are dropped; any other line outside a message, or inside one but not shaped
    like a segment, is reported in `ignored_lines` instead of being glued to a message."""
    text = text.removeprefix("\ufeff")
    if "\n" in text:
        text = text.replace("\r\n", "\r").replace("\n", "\r")
    messages: list[str] = []
    ignored: list[tuple[int, str]] = []
    current: list[str] | None = None
    field_separator = ""
    for number, line in enumerate(text.split("\r"), 1):
        if not line or line.isspace():
            continue
        head, after_head = line[:3], line[3:4]
        if head == "MSH" and not after_head.isalnum():
            if current:
                messages.append("".join(segment + "\r" for segment in current))
            current, field_separator = [line], after_head
        elif head in _BATCH_ENVELOPE and not after_head.isalnum():
            if current:
                messages.append("".join(segment + "\r" for segment in current))
            current = None
        elif current is not None and SEGMENT_ID.match(head) and after_head in (
            field_separator, ""
        ):
            current.append(line)
        else:
            ignored.append((number, line))
    if current:
        messages.append("".join(segment + "\r" for segment in current))
    return BatchSplit(messages, ignored)
