"""Acknowledgments: written in the sender's dialect, addressed back to it, with ERR segments
in the layout its version understands; and read back by our own client."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from wire_support import corpus_file, needs_corpus, read_corpus_messages

from radbridge.hl7.wire import (
    AckError,
    HL7ParseError,
    build_ack,
    is_enhanced_mode,
    new_control_id,
    parse_ack,
    parse_message,
    salvage_control_id,
)

NOW = datetime(2025, 1, 14, 9, 35, 12, tzinfo=timezone(timedelta(hours=1)))
ORU = (
    "MSH|^~\\&|RIS|MERCY_RAD|HUB|MERCY|20250114093512||ORU^R01^ORU_R01|MSG\\F\\001|P|{version}"
    "|||{accept}|{application}\r"
    "PID|1||MRN1\r"
)


def oru(version="2.5.1", accept="", application=""):
    return parse_message(ORU.format(version=version, accept=accept, application=application))


def lines(ack: str) -> list[str]:
    assert ack.endswith("\r")
    return ack[:-1].split("\r")


def test_accept_ack_for_a_normal_message():
    ack = build_ack(oru(), "AA", now=NOW, control_id="ACK1")
    assert lines(ack) == [
        "MSH|^~\\&|HUB|MERCY|RIS|MERCY_RAD|20250114093512+0100||ACK^R01^ACK|ACK1|P|2.5.1",
        "MSA|AA|MSG\\F\\001",
    ]


def test_msa2_echoes_the_message_control_id():
    ack = parse_message(build_ack(oru(), "AA"))
    assert ack.segment("MSA").value(2) == "MSG|001"


def test_our_defaults_fill_an_empty_receiver_in_the_message():
    message = parse_message("MSH|^~\\&|RIS|MERCY|||20250114||ADT^A08|C9|T|2.3\r")
    ack = parse_message(build_ack(message, "AA", sending_application="RADBRIDGE",
                                  sending_facility="CLINIC"))
    assert (ack.sending_application, ack.sending_facility) == ("RADBRIDGE", "CLINIC")
    assert (ack.receiving_application, ack.receiving_facility) == ("RIS", "MERCY")
    assert (ack.processing_id, ack.version) == ("T", "2.3")


def test_components_of_echoed_header_fields_are_kept():
    message = parse_message("MSH|^~\\&|RIS^1.2.3^ISO|F^4.5^ISO|HUB|MERCY|||ADT^A08|C9|P|2.5\r")
    ack = parse_message(build_ack(message, "AA"))
    assert ack.segment("MSH")[5] == "RIS^1.2.3^ISO"
    assert ack.segment("MSH")[6] == "F^4.5^ISO"


@needs_corpus
def test_ack_uses_the_underscore_separators_of_the_message():
    (message,) = read_corpus_messages(
        corpus_file("medplum__ACK_nonstandard_field_separator.hl7")
    )
    ack = build_ack(message, "AR", "no handler for ACK", now=NOW, control_id="A1")
    assert lines(ack) == [
        "MSH_^~\\&_iFW_ABC_Main_XYZ_20250114093512+0100__ACK_A1_P_2.6.1",
        "MSA_AR_9B38584D_no handler for ACK",
    ]
    assert parse_ack(ack) == ("AR", "9B38584D", "no handler for ACK")


def test_error_location_for_version_2_5_goes_in_err2_with_code_in_err3():
    error = AckError("101", "PID-3 patient identifier is empty", "PID", 2, 3)
    ack = build_ack(oru("2.5.1"), "AE", "PID-3 patient identifier is empty", [error],
                    now=NOW, control_id="A1")
    assert lines(ack)[2] == (
        "ERR||PID^2^3|101^Required field missing^HL70357|E||||PID-3 patient identifier is empty"
    )


def test_error_location_for_version_2_3_goes_in_err1():
    error = AckError("101", "PID-3 patient identifier is empty", "PID", 2, 3)
    ack = build_ack(oru("2.3"), "AE", "PID-3 patient identifier is empty", [error])
    assert lines(ack)[2] == "ERR|PID^2^3^101&Required field missing&HL70357"


def test_one_err_segment_per_error_with_its_severity():
    errors = [AckError("207", "database down"), AckError("103", "unknown code", "OBR", 3, 4,
                                                         severity="W")]
    ack = parse_message(build_ack(oru(), "AE", errors=errors))
    first, second = ack.segments_named("ERR")
    assert (first[2], first.value(3), first.value(4), first.value(8)) == (
        "", "207", "E", "database down"
    )
    assert (second[2], second.value(3, 2), second.value(4)) == (
        "OBR^3^4", "Table value not found", "W"
    )


def test_error_text_with_delimiters_is_escaped():
    ack = build_ack(oru(), "AE", "bad PID-5 'DOE^JANE|X'\nsecond line",
                    [AckError("102", "a|b")])
    parsed = parse_message(ack)
    assert parsed.segment("MSA").value(3) == "bad PID-5 'DOE^JANE|X'\nsecond line"
    assert parsed.segment("ERR").value(8) == "a|b"


def test_generic_ack_for_unparseable_input():
    ack = build_ack(None, "AR", "not HL7", [AckError("100", "not HL7")], now=NOW,
                    control_id="A1")
    assert lines(ack)[:2] == [
        "MSH|^~\\&|RADBRIDGE||||20250114093512+0100||ACK|A1|P|2.5.1",
        "MSA|AR||not HL7",
    ]


def test_generic_ack_can_echo_a_salvaged_control_id():
    text = "MSH|^~|RIS|MERCY|HUB|MERCY|2025||ORU^R01|SALVAGED-7|P|2.5\r"
    with pytest.raises(HL7ParseError):
        parse_message(text)
    control_id = salvage_control_id(text)
    assert control_id == "SALVAGED-7"
    ack = build_ack(None, "AR", "bad MSH-2", acknowledged_control_id=control_id)
    assert parse_ack(ack)[1] == "SALVAGED-7"


def test_salvage_finds_nothing_in_text_without_a_header():
    assert salvage_control_id("hello") == ""
    assert salvage_control_id("MSH") == ""


def test_ack_time_must_be_timezone_aware():
    with pytest.raises(ValueError, match="timezone"):
        build_ack(oru(), "AA", now=datetime(2025, 1, 14, 9, 35))


def test_default_ack_time_is_timezone_aware():
    timestamp = parse_message(build_ack(oru(), "AA")).timestamp
    assert len(timestamp) == 19 and timestamp[14] in "+-"


def test_ack_code_must_be_an_acknowledgment_code():
    with pytest.raises(ValueError):
        build_ack(oru(), "OK")


def test_generated_control_ids_are_unique_and_fit_msh10():
    identifiers = [new_control_id() for _ in range(10_000)]
    assert len(set(identifiers)) == len(identifiers)
    assert all(len(identifier) <= 20 for identifier in identifiers)


def test_enhanced_mode_when_msh15_or_msh16_is_valued():
    assert not is_enhanced_mode(oru())
    assert is_enhanced_mode(oru(accept="AL"))
    assert is_enhanced_mode(oru(application="NE"))


def test_blank_msh15_is_original_mode():
    assert not is_enhanced_mode(oru(accept=" "))


def test_parse_ack_round_trip():
    ack = build_ack(oru(), "CE", "try later", now=NOW.astimezone(UTC))
    assert parse_ack(ack) == ("CE", "MSG|001", "try later")


def test_parse_ack_falls_back_to_the_err_user_message():
    ack = build_ack(oru(), "AE", errors=[AckError("207", "database down")])
    assert parse_ack(ack) == ("AE", "MSG|001", "database down")


def test_parse_ack_of_a_message_without_msa_raises():
    with pytest.raises(HL7ParseError, match="no MSA"):
        parse_ack("MSH|^~\\&|A|B|C|D|||ADT^A08|1|P|2.5\rPID|1\r")
