"""Every message of the shared corpus decodes, splits and parses, and every leaf value agrees
with python-hl7 (hl7 0.4.5), the reference most Python HL7 code is written against.

Intentional differences from python-hl7, kept out of the comparison on purpose:
- MSH-1 and MSH-2 are the delimiters: we return them as sent, python-hl7's unescape would
  treat the "\\" of "^~\\&" as an escape. They are compared raw.
- Formatting escapes: python-hl7 turns \\.br\\ and \\.sp\\ into "\\r" (which is also its
  segment separator, so re-serialising corrupts the message), \\H\\ and \\N\\ into "_",
  \\.in\\/\\.ti\\ into four spaces. We give "\\n" for line breaks and drop highlighting and
  indentation. `OUR_FORMATTING` passes our convention to python-hl7 as its `app_map`, so
  everything else is still compared.
- Hex escapes: python-hl7 makes one character per byte (latin-1); we join adjacent hex
  escapes and decode them as UTF-8 first, so "\\XC3\\\\XA9\\" is "é", not "Ã©". The corpus
  only has hex escapes that are not UTF-8 (dcm4che SIU^S12), where both give latin-1.
- Unknown and unterminated escapes: python-hl7 drops them; we keep them as literal text
  (a sender's unescaped backslash is data). The corpus has none.
- python-hl7 strips whitespace from both ends of the whole message; we keep trailing spaces
  of the last segment. No corpus message ends in spaces.
"""

from pathlib import Path

import hl7
import pytest
from wire_support import corpus_file, corpus_paths, needs_corpus, read_corpus_messages

from radbridge.hl7.wire import Message, decode_message, parse_message, split_batch

pytestmark = needs_corpus

OUR_FORMATTING = {
    ".br": "\n",
    ".sp": "\n",
    ".ce": "\n",
    ".sk": " ",
    ".in": "",
    ".ti": "",
    ".fi": "",
    ".nf": "",
    "H": "",
    "N": "",
}


def as_levels(node: object, depth: int) -> object:
    """python-hl7 stops nesting where a value has no more delimiters; nest it all the way
    down to repetitions -> components -> subcomponents."""
    if depth == 0:
        return node if isinstance(node, str) else str(node)
    if isinstance(node, str):
        return [as_levels(node, depth - 1)]
    return [as_levels(child, depth - 1) for child in node]


def disagreements(message: Message) -> list[str]:
    reference = hl7.parse(message.text)
    found = []
    if len(reference) != len(message.segments):
        return [f"{len(message.segments)} segments, python-hl7 has {len(reference)}"]
    for segment, reference_segment in zip(message.segments, reference, strict=True):
        if segment.field_count != len(reference_segment) - 1:
            found.append(f"{segment.name} #{segment.index} field count")
        for field in range(1, len(reference_segment)):
            if segment.name == "MSH" and field <= 2:
                if segment[field] != str(reference_segment[field]):
                    found.append(f"MSH-{field}")
                continue
            repetitions = as_levels(reference_segment[field], 3)
            for repetition, components in enumerate(repetitions, 1):
                for component, subcomponents in enumerate(components, 1):
                    for subcomponent, raw in enumerate(subcomponents, 1):
                        expected = reference.unescape(raw, OUR_FORMATTING)
                        ours = segment.value(field, component, subcomponent, repetition)
                        if ours != expected:
                            found.append(
                                f"{segment.name} #{segment.index} {field}.{component}."
                                f"{subcomponent} rep {repetition}: {ours!r} != {expected!r}"
                            )
    return found


@pytest.mark.parametrize("path", corpus_paths(), ids=lambda path: path.name)
def test_corpus_message_parses(path: Path):
    messages = read_corpus_messages(path)
    assert len(messages) == 1
    message = messages[0]
    assert message.control_id
    assert message.message_code
    assert message.segments[0].name == "MSH"


@pytest.mark.parametrize("path", corpus_paths(), ids=lambda path: path.name)
def test_corpus_values_agree_with_python_hl7(path: Path):
    for message in read_corpus_messages(path):
        assert disagreements(message) == []


@pytest.mark.parametrize("path", corpus_paths(), ids=lambda path: path.name)
def test_corpus_message_parses_without_batch_splitting(path: Path):
    message = parse_message(decode_message(path.read_bytes()).text)
    assert message.message_type


def test_siu_with_swallowed_rgs_segment_parses():
    # The PV1 line runs on into " RGS|1|A" (no segment terminator): it stays one PV1.
    (message,) = read_corpus_messages(corpus_file("dcm4che-2021__SIU_S12.hl7"))
    assert message.message_type == "SIU^S12"
    assert message.segment("RGS") is None
    pv1 = message.segment("PV1")
    assert pv1.value(3) == "Clínica Médica"
    assert " RGS" in pv1.raw
    assert message.segment("AIS").value(3, 2) == "SEPTOPLASTIA (OPERAÇÃO ISOLADA)"


def test_pdf_report_with_a_line_break_inside_base64_reports_the_continuation_line():
    decoded = decode_message(corpus_file("dcm4che__ORU_R01-PDF.hl7").read_bytes())
    split = split_batch(decoded.text)
    assert len(split.messages) == 1
    ((line_number, line),) = split.ignored_lines
    assert line.startswith("A0KJSVFT0YNCg==|")
    observation = parse_message(split.messages[0]).segments_named("OBX")[-1]
    assert observation.value(2) == "ED"
    assert observation.value(11) == ""  # OBX-11 result status was on the lost line


def test_underscore_separated_message_reads_like_any_other():
    (message,) = read_corpus_messages(corpus_file("medplum__ACK_nonstandard_field_separator.hl7"))
    assert message.message_type == "ACK"
    assert message.version == "2.6.1"
    assert message.segment("MSA").value(1) == "AA"


def test_truncation_character_in_msh2_is_read():
    (message,) = read_corpus_messages(corpus_file("v2tofhir-ig__ORU_R01.hl7"))
    assert message.separators.truncation == "#"
    assert message.segment("MSH")[2] == "^~\\&#"
