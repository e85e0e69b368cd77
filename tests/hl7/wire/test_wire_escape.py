"""Escape sequences: every sequence HL7 defines, lenient on what senders get wrong, and an
escape/unescape round trip for any text."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from radbridge.hl7.wire import DEFAULT_SEPARATORS, Separators, escape, unescape

UNDERSCORE = Separators(field="_", component="^", repetition="~", escape="\\", subcomponent="&")
WITH_TRUNCATION = Separators(truncation="#")
ODD = Separators(
    field="!", component="@", repetition="*", escape="%", subcomponent="$", truncation="="
)


def test_text_without_escape_character_comes_back_unchanged():
    text = "DOE^JANE and more"
    assert unescape(text, DEFAULT_SEPARATORS) is text


@pytest.mark.parametrize(
    ("escaped", "meaning"),
    [
        ("a\\F\\b", "a|b"),
        ("a\\S\\b", "a^b"),
        ("a\\T\\b", "a&b"),
        ("a\\R\\b", "a~b"),
        ("a\\E\\b", "a\\b"),
        ("\\F\\\\S\\\\T\\\\R\\\\E\\", "|^&~\\"),
    ],
)
def test_delimiter_escapes_become_the_delimiters(escaped, meaning):
    assert unescape(escaped, DEFAULT_SEPARATORS) == meaning


def test_delimiter_escapes_use_the_message_delimiters():
    assert unescape("a%F%b%S%c%E%d", ODD) == "a!b@c%d"
    assert unescape("a\\F\\b", UNDERSCORE) == "a_b"


def test_truncation_escape_becomes_the_truncation_character():
    assert unescape("No\\P\\5", WITH_TRUNCATION) == "No#5"


def test_truncation_escape_without_a_declared_truncation_character_is_literal():
    assert unescape("No\\P\\5", DEFAULT_SEPARATORS) == "No\\P\\5"


def test_hex_escape_of_a_single_byte_is_latin1():
    assert unescape("Caf\\XE9\\", DEFAULT_SEPARATORS) == "Café"


def test_hex_escape_of_utf8_bytes_is_one_character():
    assert unescape("Caf\\XC3A9\\!", DEFAULT_SEPARATORS) == "Café!"


def test_adjacent_hex_escapes_are_decoded_together():
    assert unescape("Caf\\XC3\\\\XA9\\!", DEFAULT_SEPARATORS) == "Café!"


def test_adjacent_hex_escapes_that_are_not_utf8_are_latin1():
    # From the dcm4che SIU^S12 corpus message: "OPERAÇÃO" written with hex escapes.
    assert unescape("OPERA\\XC7\\\\XC3\\O", DEFAULT_SEPARATORS) == "OPERAÇÃO"


def test_malformed_hex_escape_is_literal():
    assert unescape("a\\XZZ\\b", DEFAULT_SEPARATORS) == "a\\XZZ\\b"
    assert unescape("a\\XABC\\b", DEFAULT_SEPARATORS) == "a\\XABC\\b"


def test_line_break_becomes_newline():
    assert unescape("line one\\.br\\line two", DEFAULT_SEPARATORS) == "line one\nline two"


@pytest.mark.parametrize(
    ("escaped", "meaning"),
    [("a\\.sp\\b", "a\nb"), ("a\\.sp3\\b", "a\n\n\nb"), ("a\\.sp 2\\b", "a\n\nb")],
)
def test_vertical_space_becomes_newlines(escaped, meaning):
    assert unescape(escaped, DEFAULT_SEPARATORS) == meaning


def test_huge_vertical_space_is_capped():
    assert unescape("\\.sp999999\\", DEFAULT_SEPARATORS) == "\n" * 100


@pytest.mark.parametrize("command", [".in+4", ".in", ".ti-2", ".fi", ".nf"])
def test_indent_and_fill_commands_are_dropped(command):
    assert unescape(f"a\\{command}\\b", DEFAULT_SEPARATORS) == "ab"


def test_skip_becomes_spaces_so_words_stay_apart():
    assert unescape("a\\.sk\\b\\.sk3\\c", DEFAULT_SEPARATORS) == "a b   c"


def test_center_ends_the_line():
    assert unescape("REPORT\\.ce\\Findings", DEFAULT_SEPARATORS) == "REPORT\nFindings"


@pytest.mark.parametrize("sequence", ["H", "N", "C2842", "M2442", "M244A2B", "Zvendor", "ZA1"])
def test_highlight_charset_and_local_escapes_are_dropped(sequence):
    assert unescape(f"a\\{sequence}\\b", DEFAULT_SEPARATORS) == "ab"


@pytest.mark.parametrize(
    "text",
    ["C:\\temp", "a\\Q\\b", "a\\.zz\\b", "a\\.br5\\b", "a\\\\b", "trailing\\", "a\\F", "\\"],
)
def test_unknown_or_unterminated_escapes_are_left_as_literal_text(text):
    assert unescape(text, DEFAULT_SEPARATORS) == text


def test_escape_writes_each_delimiter_as_its_sequence():
    assert escape("a|b^c&d~e\\f", DEFAULT_SEPARATORS) == "a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f"


def test_escape_writes_line_breaks_as_br():
    assert escape("one\ntwo\r\nthree\rfour", DEFAULT_SEPARATORS) == (
        "one\\.br\\two\\.br\\three\\.br\\four"
    )


def test_escape_writes_truncation_character_when_declared():
    assert escape("No#5", WITH_TRUNCATION) == "No\\P\\5"
    assert escape("No#5", DEFAULT_SEPARATORS) == "No#5"


@given(st.text().map(lambda text: text.replace("\r", "")))
def test_escape_then_unescape_gives_back_the_text(text):
    for separators in (DEFAULT_SEPARATORS, UNDERSCORE, WITH_TRUNCATION, ODD):
        assert unescape(escape(text, separators), separators) == text


@given(st.text(alphabet=st.sampled_from("\\FSTREPXHN.brspin0123456789ABCDEFZMCx|^&~ ")))
def test_unescape_never_raises(text):
    unescape(text, WITH_TRUNCATION)


def test_escaped_text_contains_no_delimiter():
    escaped = escape("|^&~\\#\n", WITH_TRUNCATION)
    escape_free = escaped.replace("\\", "")
    assert not set("|^&~#\n") & set(escape_free)
