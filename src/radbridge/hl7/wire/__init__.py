"""The HL7 v2 wire layer: MLLP framing, character-set decoding, parsing, escaping, building
messages and acknowledgments. Pure Python with no Django import, so it can be read, tested
and benchmarked alone; the listener, journal and handlers in `radbridge.hl7` build on it.
A received message goes `MLLPDecoder.feed` -> `decode_message` -> `split_batch` ->
`parse_message`, and is answered with `build_ack`.
"""

from .ack import (
    AckError,
    build_ack,
    is_enhanced_mode,
    new_control_id,
    parse_ack,
    salvage_control_id,
)
from .build import Repeated, build_message
from .charset import DecodedText, decode_message
from .errors import HL7DecodeError, HL7Error, HL7ParseError
from .escape import escape, unescape
from .framing import FrameEvent, MLLPDecoder, frame
from .message import (
    BatchSplit,
    FieldValue,
    Message,
    Segment,
    parse_message,
    split_batch,
)
from .separators import DEFAULT_SEPARATORS, Separators

__all__ = [
    "DEFAULT_SEPARATORS",
    "AckError",
    "BatchSplit",
    "DecodedText",
    "FieldValue",
    "FrameEvent",
    "HL7DecodeError",
    "HL7Error",
    "HL7ParseError",
    "MLLPDecoder",
    "Message",
    "Repeated",
    "Segment",
    "Separators",
    "build_ack",
    "build_message",
    "decode_message",
    "escape",
    "frame",
    "is_enhanced_mode",
    "new_control_id",
    "parse_ack",
    "parse_message",
    "salvage_control_id",
    "split_batch",
    "unescape",
]
