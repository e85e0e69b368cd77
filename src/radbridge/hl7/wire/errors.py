"""Exceptions raised by the HL7 v2 wire layer. Every problem found in received bytes or text
is an `HL7Error` carrying where it was found (segment, its 1-based position in the message,
field) and the HL7 table 0357 error code to put in the ERR segment of the answering ACK, so a
listener can turn any wire failure into an AE/AR acknowledgment without guessing.
"""

from __future__ import annotations

# HL7 table 0357 (message error condition codes) as used by the wire layer.
SEGMENT_SEQUENCE_ERROR = "100"
REQUIRED_FIELD_MISSING = "101"
DATA_TYPE_ERROR = "102"
APPLICATION_INTERNAL_ERROR = "207"


class HL7Error(Exception):
    """A received message could not be read; `str()` says where, what and what to do."""

    def __init__(
        self,
        reason: str,
        *,
        segment: str | None = None,
        segment_index: int | None = None,
        field: int | None = None,
        code: str = APPLICATION_INTERNAL_ERROR,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.segment = segment
        self.segment_index = segment_index
        self.field = field
        self.code = code

    @property
    def location(self) -> str:
        """Where the problem is ("PID-5 in segment 3"), or "" when unknown."""
        if self.segment is None:
            return ""
        location = self.segment if self.field is None else f"{self.segment}-{self.field}"
        if self.segment_index is not None:
            location += f" in segment {self.segment_index}"
        return location

    def __str__(self) -> str:
        location = self.location
        return f"{location}: {self.reason}" if location else self.reason


class HL7ParseError(HL7Error):
    """The text is not a well-formed HL7 v2 message (header, separators, segment layout)."""


class HL7DecodeError(HL7Error):
    """The bytes cannot be turned into text with the character set the message declares."""

    def __init__(
        self,
        reason: str,
        position: int | None = None,
        *,
        segment: str | None = "MSH",
        segment_index: int | None = 1,
        field: int | None = 18,  # MSH-18 character set: what every decode rule reads
        code: str = DATA_TYPE_ERROR,
    ) -> None:
        super().__init__(
            reason, segment=segment, segment_index=segment_index, field=field, code=code
        )
        self.position = position

    def __str__(self) -> str:
        return self.reason  # the reason already names MSH-18 and the byte offset
