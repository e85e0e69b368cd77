"""Character-set decoding: MSH-18 read from the bytes, and the repairs real senders need."""

import pytest
from wire_support import corpus_file, needs_corpus

from radbridge.hl7.wire import HL7DecodeError, HL7Error, decode_message, parse_message


def message_bytes(
    body: str, charset: str = "", encoding: str = "utf-8", field_separator: str = "|"
) -> bytes:
    header = "|".join(
        [
            "MSH",
            "^~\\&",
            "RIS",
            "MERCY",
            "HUB",
            "MERCY",
            "20250114093512",
            "",
            "ADT^A08",
            "C1",
            "P",
            "2.5",
            "",
            "",
            "",
            "",
            "",
            charset,
        ]
    ).replace("|", field_separator)
    return (header + "\r" + body + "\r").encode(encoding)


def test_no_charset_and_utf8_bytes_decode_as_utf8():
    decoded = decode_message(message_bytes("PID|1||||Müller^José"))
    assert decoded.charset == "utf-8"
    assert decoded.declared is None
    assert decoded.warnings == []
    assert "Müller^José" in decoded.text


def test_no_charset_and_invalid_utf8_falls_back_to_cp1252_with_warning():
    decoded = decode_message(message_bytes("PID|1||||Müller – José", encoding="cp1252"))
    assert decoded.charset == "cp1252"
    assert "Müller – José" in decoded.text
    assert len(decoded.warnings) == 1
    assert "offset" in decoded.warnings[0]


def test_no_charset_and_bytes_undefined_in_cp1252_fall_back_to_latin1():
    decoded = decode_message(message_bytes("PID|1") + b"\x81\xe9")
    assert decoded.charset == "iso8859-1"
    assert decoded.text.endswith("\x81é")


def test_blank_charset_counts_as_absent():
    decoded = decode_message(message_bytes("PID|1", charset=" "))
    assert decoded.declared is None
    assert decoded.charset == "utf-8"


def test_utf8_bom_is_stripped():
    decoded = decode_message(b"\xef\xbb\xbf" + message_bytes("PID|1", charset="UNICODE UTF-8"))
    assert decoded.text.startswith("MSH|")
    assert decoded.declared == "UNICODE UTF-8"


def test_declared_ascii_with_ascii_bytes_has_no_warning():
    decoded = decode_message(message_bytes("PID|1||||DOE^JANE", charset="ASCII"))
    assert decoded.declared == "ASCII"
    assert decoded.warnings == []


def test_declared_ascii_with_utf8_bytes_decodes_as_utf8_with_warning():
    decoded = decode_message(message_bytes("PID|1||||Müller", charset="ASCII"))
    assert decoded.charset == "utf-8"
    assert "Müller" in decoded.text
    assert decoded.warnings


def test_declared_ascii_with_invalid_utf8_raises_naming_the_offset():
    raw = message_bytes("PID|1||||M\xfcller", charset="ASCII", encoding="latin-1")
    with pytest.raises(HL7DecodeError) as caught:
        decode_message(raw)
    offset = raw.index(b"\xfc")
    assert caught.value.position == offset
    assert f"offset {offset}" in str(caught.value)


def test_declared_8859_1_with_latin1_bytes_uses_latin1():
    decoded = decode_message(message_bytes("PID|1||||Müller", charset="8859/1", encoding="latin-1"))
    assert decoded.charset == "iso8859-1"
    assert decoded.warnings == []
    assert "Müller" in decoded.text


def test_declared_8859_1_with_utf8_bytes_uses_utf8_with_warning():
    decoded = decode_message(message_bytes("PID|1||||Müller", charset="8859/1"))
    assert decoded.charset == "utf-8"
    assert decoded.declared == "8859/1"
    assert "Müller" in decoded.text
    assert "UTF-8" in decoded.warnings[0]


def test_declared_8859_2_decodes_with_its_own_codec():
    decoded = decode_message(
        message_bytes("PID|1||||Dvořák", charset="8859/2", encoding="iso8859-2")
    )
    assert decoded.charset == "iso8859-2"
    assert "Dvořák" in decoded.text


def test_declared_8859_part_with_a_byte_it_does_not_define_raises():
    raw = message_bytes("PID|1", charset="8859/3") + b"\xa5"
    with pytest.raises(HL7DecodeError) as caught:
        decode_message(raw)
    assert caught.value.position == len(raw) - 1


def test_declared_utf8_with_invalid_bytes_raises_with_offset_and_advice():
    raw = message_bytes("PID|1||||Caf\xe9", charset="UNICODE UTF-8", encoding="latin-1")
    offset = raw.index(b"\xe9")
    with pytest.raises(HL7DecodeError) as caught:
        decode_message(raw)
    error = caught.value
    assert error.position == offset
    assert (
        f"MSH-18 declares UNICODE UTF-8 but byte 0xE9 at offset {offset} is not valid UTF-8; "
        f"fix the sender's character set or MSH-18"
    ) in str(error)
    assert isinstance(error, HL7Error)
    assert (error.segment, error.field) == ("MSH", 18)


def test_offset_counts_the_stripped_bom():
    raw = b"\xef\xbb\xbf" + message_bytes("PID|\xe9", charset="UTF-8", encoding="latin-1")
    with pytest.raises(HL7DecodeError) as caught:
        decode_message(raw)
    assert caught.value.position == raw.index(b"\xe9")


def test_unknown_charset_raises():
    with pytest.raises(HL7DecodeError, match="unknown character set 'KLINGON'"):
        decode_message(message_bytes("PID|1", charset="KLINGON"))


def test_sender_alias_maps_a_nonstandard_charset_name():
    raw = message_bytes("PID|1||||Müller", charset="ISO-8859-1", encoding="latin-1")
    decoded = decode_message(raw, aliases={"iso-8859-1": "iso8859-1"})
    assert decoded.charset == "iso8859-1"
    assert "Müller" in decoded.text


@pytest.mark.parametrize(
    ("declared", "codec", "text"),
    [
        ("GB 18030-2000", "gb18030", "张伟"),
        ("KS X 1001", "euc_kr", "김민준"),
        ("BIG-5", "big5", "陳大文"),
        ("ISO IR87", "iso2022_jp_2", "山田太郎"),
        ("unicode utf-8", "utf-8", "Ωmega"),
    ],
)
def test_east_asian_and_unicode_charsets_are_decoded(declared, codec, text):
    decoded = decode_message(message_bytes(f"PID|1||||{text}", charset=declared, encoding=codec))
    assert decoded.charset == codec
    assert text in decoded.text


def test_iso2022_escapes_with_blank_first_repetition_are_decoded_as_japanese():
    raw = message_bytes("PID|1||||山田", charset="~ISO IR87", encoding="iso2022_jp")
    decoded = decode_message(raw)
    assert decoded.charset == "iso2022_jp_2"
    assert "山田" in decoded.text


def test_utf16_message_with_bom_is_decoded():
    raw = message_bytes("PID|1||||Müller", charset="UNICODE UTF-16", encoding="utf-16")
    decoded = decode_message(raw)
    assert decoded.declared == "UNICODE UTF-16"
    assert decoded.text.startswith("MSH|")
    assert "Müller" in decoded.text


def test_charset_read_with_a_nonstandard_field_separator():
    raw = message_bytes(
        "PID_1____Müller", charset="8859/1", encoding="latin-1", field_separator="_"
    )
    decoded = decode_message(raw)
    assert decoded.declared == "8859/1"
    assert decoded.charset == "iso8859-1"


def test_garbage_bytes_decode_without_raising():
    decoded = decode_message(b"\x00\xff\xfe garbage")
    assert decoded.declared is None


@needs_corpus
def test_underscore_separated_corpus_ack_decodes_and_parses():
    decoded = decode_message(
        corpus_file("medplum__ACK_nonstandard_field_separator.hl7").read_bytes()
    )
    message = parse_message(decoded.text)
    assert message.separators.field == "_"
    assert message.control_id == "9B38584D"
    assert message.segment("MSA").value(3) == "Everything was okay dokay!"


@needs_corpus
def test_corpus_order_declaring_8859_1_but_sent_in_utf8_keeps_the_en_dash():
    decoded = decode_message(corpus_file("dcm4che__OMI_O23-ImagingOrder.hl7").read_bytes())
    assert decoded.declared == "8859/1"
    assert decoded.charset == "utf-8"
    assert decoded.warnings
    assert "12 –35" in decoded.text
    assert "â€" not in decoded.text  # the mojibake a latin-1 decode would give


@needs_corpus
def test_corpus_message_with_bom_decodes_from_msh():
    decoded = decode_message(corpus_file("msfhirconv__ADT01-23.hl7").read_bytes())
    assert decoded.text.startswith("MSH|")


def test_charset_of_the_first_message_in_a_batch_is_read():
    raw = b"FHS|^~\\&\rBHS|^~\\&\r" + message_bytes("PID|1||||M\xfcller", charset="8859/1",
                                                    encoding="latin-1")
    raw += b"\n" + message_bytes("PID|2", charset="ASCII")
    decoded = decode_message(raw)
    assert decoded.declared == "8859/1"
    assert "Müller" in decoded.text
