"""Turn the bytes of one received HL7 v2 message into text. The character set is declared in
MSH-18 (HL7 table 0211), which is read from the raw bytes before decoding; the rules below
follow what senders really do rather than what they declare: no MSH-18 means UTF-8 with a
Windows-1252 fallback, "8859/1" on bytes that are valid UTF-8 means UTF-8, and a declaration
that the bytes contradict in a way we cannot repair is an `HL7DecodeError` naming the byte
offset, so the sender gets an actionable reject instead of silently garbled names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .errors import HL7DecodeError

UTF8_BOM = b"\xef\xbb\xbf"
_ISO2022_JP_ESCAPE = b"\x1b$"

# HL7 table 0211 (alternate character sets) -> Python codec.
CHARSETS: dict[str, str] = {
    "ASCII": "ascii",
    **{f"8859/{part}": f"iso8859-{part}" for part in (1, 2, 3, 4, 5, 6, 7, 8, 9, 15)},
    "UNICODE": "utf-8",
    "UNICODE UTF-8": "utf-8",
    "UTF-8": "utf-8",
    "UNICODE UTF-16": "utf-16",
    "UNICODE UTF-32": "utf-32",
    "ISO IR6": "ascii",
    "ISO IR100": "iso8859-1",
    # Japanese sets are switched in with ISO 2022 escape sequences; iso2022_jp_2 knows
    # JIS X 0208 (ISO IR87) and JIS X 0212 (ISO IR159).
    "ISO IR87": "iso2022_jp_2",
    "ISO IR159": "iso2022_jp_2",
    "ISO IR14": "shift_jis",
    "GB 18030-2000": "gb18030",
    "KS X 1001": "euc_kr",
    "BIG-5": "big5",
}

# Wide encodings cannot be read byte-wise for MSH-18; recognise them by BOM or by "MSH".
_WIDE_ENCODINGS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
    ("MSH".encode("utf-32-le"), "utf-32-le"),
    ("MSH".encode("utf-32-be"), "utf-32-be"),
    ("MSH".encode("utf-16-le"), "utf-16-le"),
    ("MSH".encode("utf-16-be"), "utf-16-be"),
)


@dataclass(slots=True)
class DecodedText:
    text: str
    charset: str  # the Python codec actually used
    declared: str | None  # MSH-18 (first repetition) as sent; None when absent or blank
    warnings: list[str] = field(default_factory=list)


def decode_message(raw: bytes, *, aliases: Mapping[str, str] | None = None) -> DecodedText:
    """Decode one message. `aliases` maps extra MSH-18 values (a sender's own spelling, e.g.
    "ISO-8859-1") to Python codecs; it is meant to be filled from per-sender configuration."""
    offset = len(UTF8_BOM) if raw.startswith(UTF8_BOM) else 0
    for marker, codec in _WIDE_ENCODINGS:
        if raw.startswith(marker):
            return _decode_wide(raw, codec)
    body = raw[offset:] if offset else raw
    declared = read_declared_charset(body)
    codec = _codec_for(declared, aliases) if declared is not None else None
    if codec in (None, "ascii", "utf-8") and _ISO2022_JP_ESCAPE in body:
        # Japanese senders often declare "~ISO IR87": a blank first repetition, then the
        # JIS sets they switch to with escape sequences.
        text = _decode_strict(body, "iso2022_jp_2", offset, declared or "ISO 2022 by its escapes")
        warning = "ISO 2022 escape sequences found; decoded as iso2022_jp_2"
        return DecodedText(text, "iso2022_jp_2", declared, [warning])
    if codec is None:
        return _decode_undeclared(body, offset)
    if codec in ("utf-16", "utf-32"):
        raise HL7DecodeError(
            f"MSH-18 declares {declared} but the message header is written in single "
            f"bytes; send the whole message in {declared} or fix MSH-18",
            None,
        )
    if codec == "ascii":
        return _decode_declared_ascii(body, offset, declared)
    if codec.startswith("iso8859-") and not body.isascii():
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            pass  # really the declared single-byte set: decoded below
        else:
            warning = f"MSH-18 declares {declared} but the bytes are UTF-8; decoded as UTF-8"
            return DecodedText(text, "utf-8", declared, [warning])
    return DecodedText(_decode_strict(body, codec, offset, declared), codec, declared)


def read_declared_charset(raw: bytes) -> str | None:
    """MSH-18's first repetition from the bytes of the first MSH segment, or None if blank."""
    start = 0 if raw[:3] == b"MSH" else _find_msh(raw)
    if start == -1:
        return None
    end = len(raw)
    for terminator in (b"\r", b"\n"):
        found = raw.find(terminator, start)
        if found != -1 and found < end:
            end = found
    header = raw[start:end]
    if len(header) < 4:
        return None
    fields = header.split(header[3:4])  # MSH-1, the field separator
    if len(fields) < 18:
        return None
    repetition_separator = fields[1][1:2]  # MSH-2 is fields[1]; its 2nd character
    value = fields[17]  # fields[0] is "MSH" and fields[n - 1] is MSH-n
    if repetition_separator:
        value = value.split(repetition_separator, 1)[0]
    declared = value.decode("ascii", errors="replace")
    return declared if declared.strip() else None


def _find_msh(raw: bytes) -> int:
    """Start of the first MSH that begins a line (after a batch header), or -1."""
    found = [raw.find(line_start) for line_start in (b"\rMSH", b"\nMSH")]
    found = [position for position in found if position != -1]
    return min(found) + 1 if found else -1


def _codec_for(declared: str, aliases: Mapping[str, str] | None) -> str:
    name = " ".join(declared.split()).upper()
    if aliases:
        for alias, codec in aliases.items():
            if " ".join(alias.split()).upper() == name:
                return codec
    codec = CHARSETS.get(name)
    if codec is None:
        raise HL7DecodeError(
            f"MSH-18 declares the unknown character set {declared!r}; use a value of HL7 "
            f"table 0211 such as 'UNICODE UTF-8' or '8859/1', or configure an alias for "
            f"this sender",
            None,
        )
    return codec


def _decode_undeclared(body: bytes, offset: int) -> DecodedText:
    try:
        return DecodedText(body.decode("utf-8"), "utf-8", None)
    except UnicodeDecodeError as error:
        position = offset + error.start
        note = (
            f"no MSH-18 and byte 0x{body[error.start]:02X} at offset {position} is not valid "
            f"UTF-8; decoded as {{codec}}"
        )
    try:
        return DecodedText(body.decode("cp1252"), "cp1252", None, [note.format(codec="cp1252")])
    except UnicodeDecodeError:
        # cp1252 leaves five byte values undefined; latin-1 maps every byte.
        return DecodedText(
            body.decode("iso8859-1"), "iso8859-1", None, [note.format(codec="iso8859-1")]
        )


def _decode_declared_ascii(body: bytes, offset: int, declared: str) -> DecodedText:
    text = _decode_strict(body, "utf-8", offset, declared, expected="ASCII (nor valid UTF-8)")
    if text.isascii():
        return DecodedText(text, "utf-8", declared)
    warning = f"MSH-18 declares {declared} but the text has non-ASCII characters; decoded as UTF-8"
    return DecodedText(text, "utf-8", declared, [warning])


def _decode_strict(
    body: bytes, codec: str, offset: int, declared: str, expected: str | None = None
) -> str:
    try:
        return body.decode(codec)
    except UnicodeDecodeError as error:
        position = offset + error.start
        raise HL7DecodeError(
            f"MSH-18 declares {declared} but byte 0x{body[error.start]:02X} at offset "
            f"{position} is not valid {expected or _label(codec)}; fix the sender's character "
            f"set or MSH-18",
            position,
        ) from None
    except UnicodeError as error:
        # Stateful codecs (ISO 2022) report some failures without a position.
        raise HL7DecodeError(
            f"MSH-18 declares {declared} but the bytes cannot be decoded as {codec} "
            f"({error}); fix the sender's character set or MSH-18",
            None,
        ) from None


def _decode_wide(raw: bytes, codec: str) -> DecodedText:
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as error:
        raise HL7DecodeError(
            f"the message starts like {codec} text but byte 0x{raw[error.start]:02X} at "
            f"offset {error.start} is not valid {codec}; send UTF-8 or fix the encoding",
            error.start,
        ) from None
    text = text.removeprefix("\ufeff")
    return DecodedText(text, codec, _declared_in_text(text))


def _declared_in_text(text: str) -> str | None:
    header = text.split("\r", 1)[0].split("\n", 1)[0]
    fields = header.split(header[3:4]) if len(header) > 3 else []
    if len(fields) < 18:
        return None
    value = fields[17].split(fields[1][1:2], 1)[0] if fields[1][1:2] else fields[17]
    return value if value.strip() else None


def _label(codec: str) -> str:
    """A codec name as people write it: "UTF-8", "ISO 8859-3"."""
    if codec.startswith("iso8859-"):
        return "ISO 8859-" + codec.removeprefix("iso8859-")
    return codec.upper().replace("_", "-")
