"""Hostile input: whatever bytes or text arrive, the wire layer answers with an HL7Error (which
the listener turns into a reject ACK) or a result, never with another exception."""

from hypothesis import given
from hypothesis import strategies as st

from radbridge.hl7.wire import (
    FrameEvent,
    HL7Error,
    Message,
    MLLPDecoder,
    decode_message,
    frame,
    parse_message,
    split_batch,
)

DELIMITERS = "|^~\\&#_\r\n "
HEADERISH_TEXT = st.one_of(
    st.text(),
    st.text(alphabet=st.sampled_from(DELIMITERS + "MSHPIDOBX0123ABC.")),
    st.builds(
        lambda header, rest: "MSH" + header + rest,
        st.text(alphabet=st.sampled_from(DELIMITERS + "aZ9"), max_size=8),
        st.text(alphabet=st.sampled_from(DELIMITERS + "MSHPIDX.br12"), max_size=200),
    ),
    st.builds(
        lambda rest: "MSH|^~\\&|" + rest,
        st.text(alphabet=st.sampled_from(DELIMITERS + "MSHPIDXF.br12"), max_size=300),
    ),
)
HEADERISH_BYTES = st.one_of(
    st.binary(),
    HEADERISH_TEXT.map(lambda text: text.encode("utf-8")),
    st.builds(
        lambda charset, body: b"MSH|^~\\&|||||||||||||||||" + charset + b"\r" + body,
        st.sampled_from(
            [
                b"",
                b"8859/1",
                b"ASCII",
                b"UNICODE UTF-8",
                b"8859/7",
                b"BIG-5",
                b"ISO IR87",
                b"UNICODE UTF-16",
                b"nonsense",
                b"KS X 1001",
            ]
        ),
        st.binary(),
    ),
)


def read_everything(message: Message) -> None:
    """Touch every public accessor, the way a handler might."""
    for name in (
        "control_id",
        "message_type",
        "message_structure",
        "version",
        "charset",
        "sending_application",
        "sending_facility",
        "receiving_application",
        "receiving_facility",
        "processing_id",
        "accept_ack_type",
        "application_ack_type",
        "timestamp",
        "text",
    ):
        getattr(message, name)
    for segment in message:
        for field in range(segment.field_count + 2):
            segment[field]
            segment.text(field)
            for repetition in segment.repetitions(field):
                repetition.components()
                repetition.value(2, 2)
            for component in range(1, 4):
                segment.value(field, component, 2, 2)


@given(HEADERISH_BYTES)
def test_decode_message_raises_only_hl7_errors(raw):
    try:
        decoded = decode_message(raw)
    except HL7Error:
        return
    assert isinstance(decoded.text, str)


@given(HEADERISH_TEXT)
def test_parse_message_raises_only_hl7_errors(text):
    try:
        message = parse_message(text)
    except HL7Error:
        return
    read_everything(message)


@given(HEADERISH_TEXT)
def test_split_batch_never_raises_and_its_messages_parse_or_raise_hl7_errors(text):
    split = split_batch(text)
    for message_text in split.messages:
        try:
            read_everything(parse_message(message_text))
        except HL7Error:
            pass


@given(HEADERISH_BYTES)
def test_the_whole_receive_path_raises_only_hl7_errors(raw):
    for event in MLLPDecoder().feed(frame(raw.replace(b"\x0b", b"").replace(b"\x1c", b""))):
        try:
            text = decode_message(event.data).text
            for message_text in split_batch(text).messages:
                parse_message(message_text)
        except HL7Error:
            pass


PAYLOAD = st.binary(max_size=300).map(lambda data: data.replace(b"\x0b", b"").replace(b"\x1c", b""))


@given(st.lists(PAYLOAD, max_size=5), st.lists(st.integers(min_value=0), max_size=10))
def test_frames_cut_anywhere_come_back_whole(payloads, cuts):
    stream = b"".join(frame(payload) for payload in payloads)
    positions = sorted({cut % (len(stream) + 1) for cut in cuts} | {0, len(stream)})
    decoder = MLLPDecoder()
    events = []
    for start, end in zip(positions, positions[1:], strict=False):
        events.extend(decoder.feed(stream[start:end]))
    assert events == [FrameEvent("message", payload) for payload in payloads]


@given(st.lists(st.binary(max_size=50), max_size=20))
def test_decoder_accounts_for_every_byte_it_is_given(chunks):
    decoder = MLLPDecoder(max_message_bytes=64)
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    assert all(event.kind in ("message", "stray", "oversized") for event in events)
    assert all(len(event.data) <= 200 for event in events if event.kind == "oversized")
    assert decoder.pending_bytes >= 0
