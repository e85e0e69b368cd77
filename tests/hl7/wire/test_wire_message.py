"""The parser's API: field numbering, leaf access, header shortcuts, segment terminators,
header validation, and batch splitting."""

import pytest

from radbridge.hl7.wire import HL7ParseError, Separators, parse_message, split_batch

ORU = (
    "MSH|^~\\&|RIS^1.2.3^ISO|MERCY_RAD|HUB|MERCY|20250114093512+0100||ORU^R01^ORU_R01|"
    "CTRL\\F\\42|P^T|2.5.1^USA|||AL|NE||UNICODE UTF-8~8859/1\r"
    "PID|1||MRN1^^^MERCY^MR~SSN9^^^USA^SS||DOE^JANE^Q||19640312|F|||"
    "1428 ELM ST^APT 4B^SPRINGFIELD^IL\r"
    "OBR|1||ACC1|CTCHEST^CT CHEST^L" + "|" * 28 + "7654321&WONG&LISA\r"
    "OBX|1|TX|CT^CT||Impression: A^B \\T\\ C\\.br\\next line||||||F\r"
    "OBX|2|TX|CT^CT||second||||||F\r"
)


@pytest.fixture
def message():
    return parse_message(ORU)


def test_msh_fields_are_numbered_like_hl7(message):
    msh = message.segment("MSH")
    assert msh[0] == "MSH"
    assert msh[1] == "|"
    assert msh[2] == "^~\\&"
    assert msh[3] == "RIS^1.2.3^ISO"
    assert msh[9] == "ORU^R01^ORU_R01"


def test_msh_delimiter_fields_are_returned_whole_by_value(message):
    msh = message.segment("MSH")
    assert msh.value(1) == "|"
    assert msh.value(2) == "^~\\&"
    assert msh.value(2, 2) == ""


def test_header_shortcuts(message):
    assert message.control_id == "CTRL|42"
    assert message.message_code == "ORU"
    assert message.trigger_event == "R01"
    assert message.message_structure == "ORU_R01"
    assert message.message_type == "ORU^R01"
    assert message.version == "2.5.1"
    assert message.sending_application == "RIS"
    assert message.sending_facility == "MERCY_RAD"
    assert message.receiving_application == "HUB"
    assert message.receiving_facility == "MERCY"
    assert message.processing_id == "P"
    assert message.accept_ack_type == "AL"
    assert message.application_ack_type == "NE"
    assert message.charset == "UNICODE UTF-8"
    assert message.timestamp == "20250114093512+0100"


def test_message_type_uses_caret_whatever_the_component_separator():
    message = parse_message("MSH|@~\\&|A|B|C|D|||ADT@A08@ADT_A01|1|P|2.5\r")
    assert message.message_type == "ADT^A08"


def test_header_shortcuts_are_empty_when_absent():
    message = parse_message("MSH|^~\\&|A")
    assert message.control_id == ""
    assert message.message_type == ""
    assert message.charset == ""


def test_leaf_values_by_component_subcomponent_and_repetition(message):
    pid = message.segment("PID")
    assert pid.value(3) == "MRN1"
    assert pid.value(3, 5) == "MR"
    assert pid.value(3, 1, 1, 2) == "SSN9"
    assert pid.value(3, 4, 1, 2) == "USA"
    assert pid.value(5, 2) == "JANE"
    assert pid.value(11, 3) == "SPRINGFIELD"
    obr = message.segment("OBR")
    assert obr.value(32, 1, 2) == "WONG"
    assert obr.value(32, 1, 3) == "LISA"


def test_absent_positions_are_empty_strings(message):
    pid = message.segment("PID")
    assert pid.value(99) == ""
    assert pid[99] == ""
    assert pid.value(5, 9) == ""
    assert pid.value(5, 1, 2) == ""
    assert pid.value(3, 1, 1, 3) == ""
    assert pid.value(8, 1, 1, 2) == ""
    assert pid.value(2) == ""


def test_raw_field_keeps_escapes_and_value_unescapes(message):
    msh = message.segment("MSH")
    assert msh[10] == "CTRL\\F\\42"
    assert msh.value(10) == "CTRL|42"


def test_repetitions_give_each_repetition(message):
    repetitions = message.segment("PID").repetitions(3)
    assert [repetition.raw for repetition in repetitions] == ["MRN1^^^MERCY^MR", "SSN9^^^USA^SS"]
    assert repetitions[1].value(4) == "USA"
    assert repetitions[0].components() == ["MRN1", "", "", "MERCY", "MR"]
    assert message.segment("PID").repetitions(2) == []


def test_text_keeps_components_joined_for_free_text(message):
    obx = message.segment("OBX")
    assert obx.value(5) == "Impression: A"
    assert obx.text(5) == "Impression: A^B & C\nnext line"


def test_segments_by_name_and_position(message):
    observations = message.segments_named("OBX")
    assert [segment.index for segment in observations] == [4, 5]
    assert observations[1].value(5) == "second"
    assert message.segment("ZZZ") is None
    assert message.segments_named("ZZZ") == []
    assert [segment.name for segment in message] == ["MSH", "PID", "OBR", "OBX", "OBX"]


def test_field_count_counts_fields_after_the_name(message):
    assert message.segment("OBX").field_count == 11
    assert message.segment("MSH").field_count == 18


@pytest.mark.parametrize("terminator", ["\r", "\n", "\r\n"])
def test_any_segment_terminator_is_accepted(terminator):
    message = parse_message(ORU.replace("\r", terminator))
    assert len(message.segments) == 5
    assert message.text == ORU


def test_blank_lines_are_ignored():
    message = parse_message("\r\n" + ORU.replace("\r", "\r\n  \r\n\r\n"))
    assert [segment.index for segment in message] == [1, 2, 3, 4, 5]


def test_last_segment_without_terminator_is_kept():
    message = parse_message(ORU.rstrip("\r"))
    assert message.segments_named("OBX")[1].value(11) == "F"


def test_separators_are_read_from_the_header():
    message = parse_message("MSH!@*%$=!A!B\rPID!1!!X@Y*Z\r")
    assert message.separators == Separators("!", "@", "*", "%", "$", "=")
    assert message.segment("PID").value(3, 2) == "Y"
    assert message.segment("PID").value(3, 1, 1, 2) == "Z"


def test_text_not_starting_with_msh_raises_naming_what_was_found():
    with pytest.raises(HL7ParseError) as caught:
        parse_message("PID|1||MRN1^^^MERCY^MR\rMSH|^~\\&|")
    assert "found 'PID|1||MRN1^^^MERCY^'" in str(caught.value)
    assert caught.value.segment == "MSH"


def test_empty_text_raises():
    with pytest.raises(HL7ParseError, match="empty"):
        parse_message("\r\n")


def test_batch_given_to_parse_message_points_to_split_batch():
    with pytest.raises(HL7ParseError, match="split_batch"):
        parse_message("BHS|^~\\&|RIS\rMSH|^~\\&|RIS\r")


@pytest.mark.parametrize(
    "header",
    [
        "MSH|^~\\",
        "MSH|^~\\&xy|",
        "MSH|^^\\&|",
        "MSH|^~\\a|",
        "MSHA^~\\&A",
        "MSH",
        "MSH |^~\\&",
        "MSH|^~|\\&|",
    ],
)
def test_invalid_encoding_characters_raise_with_code_and_field(header):
    with pytest.raises(HL7ParseError) as caught:
        parse_message(header + "\rPID|1\r")
    error = caught.value
    assert error.segment == "MSH"
    assert error.field in (1, 2)
    assert error.code == "102"


def test_split_batch_returns_each_message_and_drops_envelope_segments():
    batch = "FHS|^~\\&|RIS\rBHS|^~\\&|RIS\r" + ORU + ORU.replace("CTRL", "NEXT") + "BTS|2\rFTS|1\r"
    split = split_batch(batch)
    assert split.messages == [ORU, ORU.replace("CTRL", "NEXT")]
    assert split.ignored_lines == []


def test_split_batch_reports_lines_before_the_first_message():
    split = split_batch("garbage line\n" + ORU)
    assert split.messages == [ORU]
    assert split.ignored_lines == [(1, "garbage line")]


def test_split_batch_reports_non_segment_lines_inside_a_message_without_gluing_them():
    text = ORU.replace("F\rOBX|2", "F\rcontinued report text|with a bar\rOBX|2")
    split = split_batch(text)
    assert split.messages == [ORU]
    assert split.ignored_lines == [(5, "continued report text|with a bar")]


def test_split_batch_reports_segments_after_the_batch_trailer():
    split = split_batch("BHS|^~\\&\r" + ORU + "BTS|1\rPID|stray\r")
    assert split.messages == [ORU]
    assert split.ignored_lines == [(8, "PID|stray")]


def test_split_batch_line_numbers_count_crlf_as_one_line_end():
    split = split_batch("MSH|^~\\&|A\r\nnot a segment\r\nPID|1\r\n")
    assert split.ignored_lines == [(2, "not a segment")]
    assert split.messages == ["MSH|^~\\&|A\rPID|1\r"]


def test_split_batch_uses_each_message_field_separator():
    split = split_batch("MSH_^~\\&_A\rPID_1\rPV1|1\r")
    assert split.messages == ["MSH_^~\\&_A\rPID_1\r"]
    assert split.ignored_lines == [(3, "PV1|1")]
