"""MLLP framing: frames reassembled from any split of the byte stream, everything outside a
frame reported separately, oversized frames dropped with one report."""

import pytest

from radbridge.hl7.wire import FrameEvent, MLLPDecoder, frame

MESSAGE_A = b"MSH|^~\\&|RIS|MERCY|HUB|MERCY|20250114093512||ORU^R01|A1|P|2.5\rPID|1\r"
MESSAGE_B = b"MSH|^~\\&|RIS|MERCY|HUB|MERCY|20250114093512||ADT^A08|B2|P|2.5\rPID|2\r"


def feed_all(decoder: MLLPDecoder, chunks: list[bytes]) -> list[FrameEvent]:
    events: list[FrameEvent] = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    return events


def test_frame_wraps_payload_in_start_and_end_blocks():
    assert frame(b"MSH|x") == b"\x0bMSH|x\x1c\r"


def test_frame_refuses_payload_containing_an_end_block():
    with pytest.raises(ValueError):
        frame(b"MSH|x\x1c\rPID")


def test_several_frames_in_one_read_are_all_delivered():
    events = MLLPDecoder().feed(frame(MESSAGE_A) + frame(MESSAGE_B) + frame(MESSAGE_A))
    assert events == [
        FrameEvent("message", MESSAGE_A),
        FrameEvent("message", MESSAGE_B),
        FrameEvent("message", MESSAGE_A),
    ]


def test_stream_split_at_every_byte_position_is_reassembled():
    stream = frame(MESSAGE_A) + frame(MESSAGE_B)
    for cut in range(len(stream) + 1):
        decoder = MLLPDecoder()
        events = feed_all(decoder, [stream[:cut], stream[cut:]])
        assert events == [FrameEvent("message", MESSAGE_A), FrameEvent("message", MESSAGE_B)], cut
        assert decoder.pending_bytes == 0


def test_stream_fed_one_byte_at_a_time_is_reassembled():
    stream = frame(MESSAGE_A) + frame(MESSAGE_B)
    events = feed_all(MLLPDecoder(), [stream[i : i + 1] for i in range(len(stream))])
    assert events == [FrameEvent("message", MESSAGE_A), FrameEvent("message", MESSAGE_B)]


def test_frame_split_between_fs_and_cr_is_reassembled():
    stream = frame(MESSAGE_A)
    decoder = MLLPDecoder()
    assert decoder.feed(stream[:-1]) == []
    assert decoder.feed(stream[-1:]) == [FrameEvent("message", MESSAGE_A)]


def test_file_separator_not_followed_by_cr_is_payload():
    payload = b"MSH|a\x1cb"
    assert MLLPDecoder().feed(frame(payload)) == [FrameEvent("message", payload)]


def test_bytes_before_the_first_frame_are_reported_as_stray():
    events = MLLPDecoder().feed(b"hello" + frame(MESSAGE_A))
    assert events == [FrameEvent("stray", b"hello"), FrameEvent("message", MESSAGE_A)]


def test_bytes_between_frames_are_reported_not_glued_to_a_message():
    events = MLLPDecoder().feed(frame(MESSAGE_A) + b"\r\n" + frame(MESSAGE_B))
    assert events == [
        FrameEvent("message", MESSAGE_A),
        FrameEvent("stray", b"\r\n"),
        FrameEvent("message", MESSAGE_B),
    ]


def test_read_with_no_frame_at_all_is_stray():
    decoder = MLLPDecoder()
    assert decoder.feed(b"GET / HTTP/1.1\r\n") == [FrameEvent("stray", b"GET / HTTP/1.1\r\n")]
    assert decoder.pending_bytes == 0


def test_start_block_inside_unfinished_frame_abandons_the_partial_frame():
    events = MLLPDecoder().feed(b"\x0bMSH|partial" + frame(MESSAGE_A))
    assert events == [FrameEvent("stray", b"MSH|partial"), FrameEvent("message", MESSAGE_A)]


def test_start_block_arriving_in_a_later_read_abandons_the_partial_frame():
    decoder = MLLPDecoder()
    assert decoder.feed(b"\x0bMSH|partial") == []
    assert decoder.feed(frame(MESSAGE_A)) == [
        FrameEvent("stray", b"MSH|partial"),
        FrameEvent("message", MESSAGE_A),
    ]


def test_oversized_frame_is_reported_once_and_the_next_frame_delivered():
    decoder = MLLPDecoder(max_message_bytes=100)
    big = b"MSH|" + b"x" * 1000
    events = feed_all(decoder, [frame(big)[i : i + 64] for i in range(0, len(big) + 3, 64)])
    events += decoder.feed(frame(MESSAGE_A))
    assert events == [FrameEvent("oversized", big[:200]), FrameEvent("message", MESSAGE_A)]


def test_oversized_frame_in_a_single_read_is_reported_with_its_first_200_bytes():
    decoder = MLLPDecoder(max_message_bytes=100)
    big = bytes(range(32, 127)) * 5
    assert decoder.feed(frame(big) + frame(MESSAGE_A)) == [
        FrameEvent("oversized", big[:200]),
        FrameEvent("message", MESSAGE_A),
    ]


def test_oversized_frame_ending_with_split_end_block_is_discarded_up_to_it():
    decoder = MLLPDecoder(max_message_bytes=100)
    events = decoder.feed(b"\x0b" + b"y" * 250)
    events += decoder.feed(b"\x1c")
    events += decoder.feed(b"\r" + frame(MESSAGE_B))
    assert events == [FrameEvent("oversized", b"y" * 200), FrameEvent("message", MESSAGE_B)]


def test_oversized_complete_frame_shorter_than_200_bytes_reports_only_its_payload():
    events = MLLPDecoder(max_message_bytes=10).feed(frame(MESSAGE_B))
    assert events == [FrameEvent("oversized", MESSAGE_B)]


def test_frame_of_exactly_the_maximum_size_is_delivered():
    payload = b"z" * 100
    assert MLLPDecoder(max_message_bytes=100).feed(frame(payload)) == [
        FrameEvent("message", payload)
    ]


def test_pending_bytes_counts_the_unfinished_frame():
    decoder = MLLPDecoder()
    assert decoder.pending_bytes == 0
    decoder.feed(b"\x0bMSH|^~\\&")
    assert decoder.pending_bytes == 8
    decoder.feed(b"|RIS\x1c")
    assert decoder.pending_bytes == 13
    decoder.feed(b"\r")
    assert decoder.pending_bytes == 0


def test_pending_bytes_stays_positive_while_an_oversized_frame_is_discarded():
    decoder = MLLPDecoder(max_message_bytes=10)
    decoder.feed(b"\x0b" + b"q" * 300)
    decoder.feed(b"q" * 30)
    assert decoder.pending_bytes == 330
    decoder.feed(b"\x1c\r")
    assert decoder.pending_bytes == 0


def test_large_frame_in_many_reads_is_decoded_in_linear_time():
    payload = b"OBX|1|ED|PDF||" + b"QUJD" * 250_000
    stream = frame(payload)
    decoder = MLLPDecoder()
    events = feed_all(decoder, [stream[i : i + 4096] for i in range(0, len(stream), 4096)])
    assert events == [FrameEvent("message", payload)]
