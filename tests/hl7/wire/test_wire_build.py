"""Building outbound messages: escaping, components, repetitions, MSH delimiters, and a round
trip through the parser for generated values."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from radbridge.hl7.wire import (
    DEFAULT_SEPARATORS,
    Repeated,
    Separators,
    build_message,
    parse_message,
)


def test_msh_delimiters_come_from_the_separators():
    text = build_message(
        [
            [
                "MSH",
                "RADBRIDGE",
                "MERCY",
                "RIS",
                "MERCY",
                "20250114093512+0100",
                None,
                ["ORM", "O01", "ORM_O01"],
                "C1",
                "P",
                "2.5.1",
            ]
        ]
    )
    assert text == (
        "MSH|^~\\&|RADBRIDGE|MERCY|RIS|MERCY|20250114093512+0100||ORM^O01^ORM_O01|C1|P|2.5.1\r"
    )


def test_leaves_are_escaped_and_line_breaks_written_as_br():
    text = build_message([["MSH"], ["NTE", 1, None, "a|b^c\nnext"]])
    assert text == "MSH|^~\\&\rNTE|1||a\\F\\b\\S\\c\\.br\\next\r"


def test_components_subcomponents_and_repetitions():
    pid = [
        "PID",
        "1",
        None,
        Repeated([["MRN1", None, None, "MERCY", "MR"], ["SSN9", None, None, "USA", "SS"]]),
        None,
        ["DOE", "JANE"],
        None,
        None,
        None,
        None,
        None,
        [["1428 ELM", "APT 4B"], "SPRINGFIELD"],
    ]
    text = build_message([["MSH"], pid])
    assert text.split("\r")[1] == (
        "PID|1||MRN1^^^MERCY^MR~SSN9^^^USA^SS||DOE^JANE||||||1428 ELM&APT 4B^SPRINGFIELD"
    )


def test_trailing_empty_fields_and_components_are_omitted():
    assert build_message([["MSH"], ["OBR", "1", ["A", None, ""], None, ""]]) == (
        "MSH|^~\\&\rOBR|1|A\r"
    )


def test_message_is_written_with_other_separators():
    separators = Separators("_", "^", "~", "\\", "&", "#")
    text = build_message([["MSH", "APP"], ["NTE", "1", None, "a_b#c"]], separators)
    assert text == "MSH_^~\\&#_APP\rNTE_1__a\\F\\b\\P\\c\r"


def test_values_that_are_not_text_are_refused_with_their_position():
    with pytest.raises(TypeError, match="PID-7"):
        build_message([["MSH"], ["PID", "1", None, None, None, None, None, 3.5]])


def test_segment_name_must_be_three_characters():
    with pytest.raises(ValueError):
        build_message([["Pid", "1"]])


SEPARATOR_SETS = st.permutations(list("|^~\\&#!@$%*_=+")).map(
    lambda characters: Separators(*characters[:5], truncation=characters[5])
) | st.just(DEFAULT_SEPARATORS)
LEAF = st.text(st.characters(blacklist_characters="\r"), max_size=12)
COMPONENT = LEAF | st.lists(LEAF, min_size=1, max_size=3)
REPETITION = LEAF | st.lists(COMPONENT, min_size=1, max_size=4)
FIELD = st.none() | REPETITION | st.lists(REPETITION, min_size=1, max_size=3).map(Repeated)
SEGMENT_NAME = st.from_regex(r"\A[A-Z][A-Z0-9]{2}\Z").filter(
    lambda name: name not in ("MSH", "BHS", "FHS")
)


def expected_leaf(field, component, subcomponent, repetition):
    """What the parser should read back at a position of a built field."""
    repetitions = list(field) if isinstance(field, Repeated) else [field]
    value = repetitions[repetition - 1]
    components = value if isinstance(value, list) else [value]
    if component > len(components):
        return ""
    subcomponents = components[component - 1]
    subcomponents = subcomponents if isinstance(subcomponents, list) else [subcomponents]
    if subcomponent > len(subcomponents):
        return ""
    return subcomponents[subcomponent - 1] or ""


@given(
    separators=SEPARATOR_SETS,
    header_fields=st.lists(FIELD, max_size=10),
    segments=st.lists(st.tuples(SEGMENT_NAME, st.lists(FIELD, max_size=6)), max_size=4),
)
def test_built_messages_parse_back_to_the_same_values(separators, header_fields, segments):
    rows = [["MSH", *header_fields]] + [[name, *fields] for name, fields in segments]
    message = parse_message(build_message(rows, separators))
    assert message.separators == separators
    assert len(message.segments) == len(rows)
    for row, segment in zip(rows, message.segments, strict=True):
        assert segment.name == row[0]
        first = 3 if row[0] == "MSH" else 1
        for number, field in enumerate(row[1:], first):
            if field is None:
                assert segment[number] == ""
                continue
            repetitions = list(field) if isinstance(field, Repeated) else [field]
            for repetition in range(1, len(repetitions) + 1):
                for component in range(1, 5):
                    for subcomponent in range(1, 4):
                        assert segment.value(number, component, subcomponent, repetition) == (
                            expected_leaf(field, component, subcomponent, repetition)
                        )
