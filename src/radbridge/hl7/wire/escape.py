"""HL7 v2 escape sequences (chapter 2, "Use of escape sequences in text fields"). `unescape`
turns a leaf value as sent into the text it means: delimiter escapes become the delimiter,
hex escapes become characters, line-formatting commands become newlines or spaces, and
highlighting or character-set switches are dropped. It never raises: an unknown or
unterminated sequence is kept as literal text, because senders that forget to escape a
backslash are common and losing their text would be worse. `escape` is the inverse for the
delimiters and for line breaks, used when we build messages.
"""

from __future__ import annotations

from functools import lru_cache

from .separators import Separators

# A hostile "\.sp 999999999\" must not allocate gigabytes.
_MAX_REPEAT = 100
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def unescape(text: str, separators: Separators) -> str:
    """Return the text a leaf value means; values without the escape character come back as is."""
    escape_character = separators.escape
    if escape_character not in text:
        return text
    parts = text.split(escape_character)
    # Split pieces alternate: even indexes are plain text, odd indexes are the insides of
    # escape sequences; an odd index that is the last piece was never closed.
    output = [parts[0]]
    pending_hex = bytearray()
    last = len(parts) - 1
    for index in range(1, len(parts), 2):
        sequence = parts[index]
        if index == last:
            _flush_hex(pending_hex, output)
            output.append(escape_character + sequence)
            break
        hex_bytes = _hex_bytes(sequence)
        if hex_bytes is not None:
            pending_hex += hex_bytes
            following = parts[index + 1]
            # Adjacent hex escapes form one byte string, so a multi-byte UTF-8 character
            # written as \XC3\\XA9\ decodes to one character.
            if following:
                _flush_hex(pending_hex, output)
                output.append(following)
            continue
        _flush_hex(pending_hex, output)
        meaning = _meaning(sequence, separators)
        if meaning is None:
            output.append(escape_character + sequence + escape_character)
        else:
            output.append(meaning)
        output.append(parts[index + 1])
    _flush_hex(pending_hex, output)
    return "".join(output)


def escape(text: str, separators: Separators) -> str:
    """Escape the delimiters in `text` and write its line breaks as \\.br\\."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    return text.translate(_escape_table(separators))


@lru_cache(maxsize=64)
def _escape_table(separators: Separators) -> dict[int, str]:
    escape_character = separators.escape

    def sequence(code: str) -> str:
        return escape_character + code + escape_character

    table = {
        ord(escape_character): sequence("E"),
        ord(separators.field): sequence("F"),
        ord(separators.component): sequence("S"),
        ord(separators.subcomponent): sequence("T"),
        ord(separators.repetition): sequence("R"),
        ord("\n"): sequence(".br"),
        ord("\r"): sequence(".br"),
    }
    if separators.truncation is not None:
        table[ord(separators.truncation)] = sequence("P")
    return table


def _meaning(sequence: str, separators: Separators) -> str | None:
    """What one escape sequence stands for, or None when it is not a sequence we know."""
    if len(sequence) == 1:
        return _single_letter_meaning(sequence, separators)
    lead = sequence[:1]
    if lead == ".":
        return _formatting_meaning(sequence[1:3], sequence[3:].strip())
    if lead == "C" and len(sequence) == 5 and _is_hex(sequence[1:]):
        return ""  # single-byte character set switch: the text is already decoded
    if lead == "M" and len(sequence) in (5, 7) and _is_hex(sequence[1:]):
        return ""  # multi-byte character set switch
    if lead == "Z":
        return ""  # locally defined escape: no local meaning agreed with any sender
    return None


def _single_letter_meaning(letter: str, separators: Separators) -> str | None:
    if letter == "F":
        return separators.field
    if letter == "S":
        return separators.component
    if letter == "T":
        return separators.subcomponent
    if letter == "R":
        return separators.repetition
    if letter == "E":
        return separators.escape
    if letter == "P":
        return separators.truncation
    if letter in ("H", "N"):
        return ""  # start/end highlighting: plain text has no highlighting
    return None


def _formatting_meaning(command: str, argument: str) -> str | None:
    """Formatted text (FT) commands, reduced to what plain text can show."""
    if command in ("br", "fi", "nf") and not argument:
        return "\n" if command == "br" else ""
    count = _signed_integer(argument) if argument else 1
    if count is None:
        return None
    if command == "sp":
        # "End current output line and skip <number> vertical spaces".
        return "\n" * min(max(count, 1), _MAX_REPEAT)
    if command == "sk":
        # "Skip <number> spaces to the right": dropping it would glue words together.
        return " " * min(max(count, 0), _MAX_REPEAT)
    if command == "ce" and not argument:
        # "End current output line and center the next line": keep the line break.
        return "\n"
    if command in ("in", "ti"):
        return ""  # indentation has no meaning in plain text
    return None


def _signed_integer(text: str) -> int | None:
    digits = text[1:] if text[:1] in "+-" else text
    if not digits.isascii() or not digits.isdigit() or len(digits) > 6:
        return None
    return int(text)


def _hex_bytes(sequence: str) -> bytes | None:
    if sequence[:1] != "X" or len(sequence) < 3 or len(sequence) % 2 == 0:
        return None
    digits = sequence[1:]
    if not _is_hex(digits):
        return None
    return bytes.fromhex(digits)


def _is_hex(text: str) -> bool:
    return _HEX_DIGITS.issuperset(text)


def _flush_hex(pending: bytearray, output: list[str]) -> None:
    if not pending:
        return
    try:
        output.append(pending.decode("utf-8"))
    except UnicodeDecodeError:
        # Senders that write \XE9\ for "é" mean a single-byte character set.
        output.append(pending.decode("latin-1"))
    pending.clear()
