"""MLLP framing (HL7 v2 over TCP): each message travels as a start block (0x0B), the payload,
and an end block (0x1C 0x0D). `frame` wraps an outgoing payload; `MLLPDecoder` turns the
bytes of a connection, in whatever pieces the network delivers them, into complete payloads
and reports everything else (bytes outside a frame, abandoned partial frames, frames larger
than allowed) as separate events, so a listener can journal and answer each message and log
the rest without ever gluing stray bytes onto a message. It searches with `bytes.find`
rather than looping over bytes, and holds at most one unfinished frame in memory.
"""

from __future__ import annotations

from typing import NamedTuple

START_BLOCK = b"\x0b"
END_BLOCK = b"\x1c\x0d"
_FILE_SEPARATOR = 0x1C  # first byte of the end block
_OVERSIZED_HEAD = 200

MESSAGE = "message"
STRAY = "stray"
OVERSIZED = "oversized"


class FrameEvent(NamedTuple):
    kind: str  # MESSAGE, STRAY or OVERSIZED
    data: bytes  # the payload; the stray bytes; the first 200 bytes of an oversized frame


def frame(payload: bytes) -> bytes:
    """Wrap one payload for sending; a payload holding a frame delimiter would break framing."""
    if START_BLOCK in payload or END_BLOCK in payload:
        raise ValueError("an MLLP payload cannot contain 0x0B or 0x1C 0x0D")
    return START_BLOCK + payload + END_BLOCK


class MLLPDecoder:
    """Incremental decoder for the bytes received on one connection."""

    _OUTSIDE, _INSIDE, _DISCARDING = range(3)

    def __init__(self, max_message_bytes: int = 10_000_000) -> None:
        self.max_message_bytes = max_message_bytes
        self._state = self._OUTSIDE
        self._buffer = bytearray()  # unprocessed bytes; inside a frame, the frame so far
        self._searched = 0  # buffer prefix already searched for delimiters
        self._discarded = 0

    @property
    def pending_bytes(self) -> int:
        """Bytes of the unfinished frame received so far (0 between frames)."""
        if self._state == self._INSIDE:
            return len(self._buffer)
        if self._state == self._DISCARDING:
            return self._discarded + len(self._buffer)
        return 0

    def feed(self, data: bytes) -> list[FrameEvent]:
        """Take the next bytes read from the connection; return the events they complete."""
        events: list[FrameEvent] = []
        self._buffer += data
        progressing = True
        while progressing and self._buffer:
            if self._state == self._OUTSIDE:
                progressing = self._find_start(events)
            elif self._state == self._INSIDE:
                progressing = self._find_end(events)
            else:
                progressing = self._skip_oversized()
        return events

    def _find_start(self, events: list[FrameEvent]) -> bool:
        buffer = self._buffer
        start = buffer.find(START_BLOCK)
        if start == -1:
            events.append(FrameEvent(STRAY, bytes(buffer)))
            buffer.clear()
            return False
        if start:
            events.append(FrameEvent(STRAY, bytes(buffer[:start])))
        del buffer[:start + 1]
        self._state = self._INSIDE
        self._searched = 0
        return True

    def _find_end(self, events: list[FrameEvent]) -> bool:
        buffer = self._buffer
        end = buffer.find(END_BLOCK, self._searched)
        restart = buffer.find(START_BLOCK, self._searched, len(buffer) if end == -1 else end)
        if restart != -1:
            # A new start block before the end: the sender gave up on the frame it was
            # sending, so what came before it is not a message.
            events.append(FrameEvent(STRAY, bytes(buffer[:restart])))
            del buffer[:restart + 1]
            self._searched = 0
            return True
        if end != -1:
            if end > self.max_message_bytes:
                events.append(FrameEvent(OVERSIZED, bytes(buffer[:min(end, _OVERSIZED_HEAD)])))
            else:
                events.append(FrameEvent(MESSAGE, bytes(buffer[:end])))
            del buffer[:end + len(END_BLOCK)]
            self._state = self._OUTSIDE
            return True
        # Holding the first 200 bytes even under a smaller limit lets the report show them.
        if len(buffer) > max(self.max_message_bytes, _OVERSIZED_HEAD):
            events.append(FrameEvent(OVERSIZED, bytes(buffer[:_OVERSIZED_HEAD])))
            self._state = self._DISCARDING
            self._discarded = 0
            self._keep_last_file_separator()
            return False
        # The last byte may be the 0x1C of an end block whose 0x0D has not arrived yet.
        self._searched = max(len(buffer) - 1, 0)
        return False

    def _skip_oversized(self) -> bool:
        buffer = self._buffer
        end = buffer.find(END_BLOCK)
        if end == -1:
            self._keep_last_file_separator()
            return False
        self._discarded += end
        del buffer[:end + len(END_BLOCK)]
        self._state = self._OUTSIDE
        self._discarded = 0
        return True

    def _keep_last_file_separator(self) -> None:
        buffer = self._buffer
        keep = 1 if buffer[-1] == _FILE_SEPARATOR else 0
        self._discarded += len(buffer) - keep
        del buffer[:len(buffer) - keep]
