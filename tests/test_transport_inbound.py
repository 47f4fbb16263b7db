"""The client-frame reader: every frame RFC 6455 allows, and the refusal of the rest."""

from __future__ import annotations

import time
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drawgame.transport.inbound import Close, FrameReader, Ping, ProtocolError, negotiate, unmask
from tests.rawws import client_frame, deflated

LIMIT = 65536


def feed(*frames: bytes, deflate: bool = False, limit: int = LIMIT) -> list[object]:
    reader = FrameReader(limit, deflate=deflate)
    return reader.feed(b"".join(frames))


def refused(*frames: bytes, deflate: bool = False, limit: int = LIMIT) -> int:
    with pytest.raises(ProtocolError) as exc:
        feed(*frames, deflate=deflate, limit=limit)
    assert exc.value.reason
    return exc.value.code


def test_unmask_is_its_own_inverse_for_every_length() -> None:
    key = b"\x01\x80\xfe\x37"
    for n in range(0, 40):
        data = bytes(range(n))
        masked = bytes(b ^ key[i % 4] for i, b in enumerate(data))
        assert unmask(masked, key) == data


def test_text_binary_and_empty_messages() -> None:
    events = feed(client_frame("héllo ✏️".encode()), client_frame(b"\x00\xff", opcode=0x2),
                  client_frame(b""))
    assert events == ["héllo ✏️", b"\x00\xff", ""]


def test_a_fragmented_message_with_a_ping_between_its_fragments() -> None:
    events = feed(client_frame(b'{"type":', fin=False),
                  client_frame(b"are you there", opcode=0x9),
                  client_frame(b'"ping",', opcode=0x0, fin=False),
                  client_frame(b'"t":1}', opcode=0x0))
    assert isinstance(events[0], Ping) and events[0].payload == b"are you there"
    assert events[1] == '{"type":"ping","t":1}'


def test_a_pong_is_silently_taken() -> None:
    assert feed(client_frame(b"x", opcode=0xA), client_frame(b"after")) == ["after"]


@given(st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=30))
def test_any_split_of_the_byte_stream_gives_the_same_events(cuts: list[int]) -> None:
    stream = b"".join([
        client_frame(b"a" * 300),
        client_frame(b"frag", fin=False), client_frame(b"ping", opcode=0x9),
        client_frame(b"ment", opcode=0x0), client_frame("ünïcode".encode()),
        client_frame(b"\x03\xe8bye", opcode=0x8),
    ])
    reader = FrameReader(LIMIT)
    events: list[object] = []
    pos = 0
    for cut in cuts * 100:
        if pos >= len(stream):
            break
        events += reader.feed(stream[pos:pos + cut])
        pos += cut
    events += reader.feed(stream[pos:])
    assert events[0] == "a" * 300
    assert isinstance(events[1], Ping)
    assert events[2:4] == ["fragment", "ünïcode"]
    assert isinstance(events[4], Close) and (events[4].code, events[4].reason) == (1000, "bye")


def test_close_frames_their_codes_and_reasons() -> None:
    (empty,) = feed(client_frame(b"", opcode=0x8))
    assert isinstance(empty, Close) and empty.code == 1005
    (normal,) = feed(client_frame(b"\x0f\xa0away", opcode=0x8))
    assert isinstance(normal, Close) and (normal.code, normal.reason) == (4000, "away")
    # Nothing after a close is read.
    assert len(feed(client_frame(b"\x03\xe8", opcode=0x8), client_frame(b"late"))) == 1


@pytest.mark.parametrize("payload", [b"\x03", b"\x03\xec", b"\x03\xed", b"\x03\xee", b"\x03\xf7",
                                     b"\x0b\xb7", b"\x13\x88", b"\x00\x00"])
def test_close_frames_with_forbidden_codes_are_protocol_errors(payload: bytes) -> None:
    assert refused(client_frame(payload, opcode=0x8)) == 1002


def test_a_close_reason_that_is_not_utf8_is_1007() -> None:
    assert refused(client_frame(b"\x03\xe8\xff\xfe", opcode=0x8)) == 1007


def test_protocol_violations_are_1002() -> None:
    cases = [
        client_frame(b"x", mask=False),                       # unmasked client frame
        client_frame(b"x", rsv=0x20),                         # RSV2
        client_frame(b"x", rsv=0x10),                         # RSV3
        client_frame(b"x", rsv=0x40),                         # RSV1 without deflate
        client_frame(b"x", opcode=0x3),                       # reserved data opcode
        client_frame(b"x", opcode=0xB),                       # reserved control opcode
        client_frame(b"x", opcode=0x9, fin=False),            # fragmented control frame
        client_frame(b"x" * 126, opcode=0x9),                 # control frame too long
        client_frame(b"x", opcode=0x0),                       # continuation with no message
        client_frame(b"a", fin=False) + client_frame(b"b"),   # a new message mid-message
    ]
    for frame in cases:
        assert refused(frame) == 1002, frame[:2]


def test_text_that_is_not_utf8_is_1007_even_split_over_fragments() -> None:
    assert refused(client_frame(b"\xc3\x28")) == 1007
    assert refused(client_frame("é".encode()[:1], fin=False),
                   client_frame(b"(", opcode=0x0)) == 1007
    # A character split across fragments is fine.
    assert feed(client_frame("é".encode()[:1], fin=False),
                client_frame("é".encode()[1:], opcode=0x0)) == ["é"]


def test_a_message_past_the_limit_is_refused_on_its_header() -> None:
    reader = FrameReader(1024)
    with pytest.raises(ProtocolError) as exc:
        reader.feed(client_frame(b"", length=1025)[:8])  # the header only
    assert exc.value.code == 1009
    # The limit counts the whole message across fragments, in bytes.
    assert refused(client_frame(b"a" * 600, fin=False), client_frame(b"b" * 600, opcode=0),
                   limit=1024) == 1009
    assert refused(client_frame("€".encode() * 400), limit=1024) == 1009  # 400 chars, 1200 bytes
    assert feed(client_frame(b"a" * 1024), limit=1024) == ["a" * 1024]


def test_compressed_messages_inflate_when_negotiated() -> None:
    body = ('{"type":"draw","ops":[' + ",".join(['{"op":"undo"}'] * 50) + "]}").encode()
    one = client_frame(deflated(body), rsv=0x40)
    packed = deflated(body)
    split = client_frame(packed[:10], rsv=0x40, fin=False) + client_frame(packed[10:], opcode=0)
    assert feed(one, split, client_frame(b"plain"), deflate=True) == [body.decode()] * 2 + ["plain"]
    # RSV1 on a continuation frame is a protocol error.
    bad = client_frame(packed[:10], rsv=0x40, fin=False) + client_frame(packed[10:], opcode=0,
                                                                         rsv=0x40)
    assert refused(bad, deflate=True) == 1002
    assert refused(client_frame(b"\xff\xfe garbage", rsv=0x40), deflate=True) == 1007


def test_a_deflate_bomb_stops_at_the_limit_at_once() -> None:
    bomb = deflated(b"\x00" * (192 * 1024 * 1024))
    assert len(bomb) < 250_000
    began = time.process_time()
    assert refused(client_frame(bomb, rsv=0x40), deflate=True) == 1009
    # Inflating stopped at the limit instead of producing 192 MiB.
    assert time.process_time() - began < 0.5


def test_empty_deflate_blocks_are_bounded_by_their_input() -> None:
    # A stream of empty stored blocks inflates to nothing, forever.
    empty_blocks = b"\x00\x00\x00\xff\xff" * 30_000
    assert zlib.decompressobj(-15).decompress(empty_blocks) == b""
    assert refused(client_frame(empty_blocks, rsv=0x40), deflate=True, limit=65536) == 1009


def test_negotiation_answers_without_context_takeover() -> None:
    answer = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
    assert negotiate(["permessage-deflate; client_max_window_bits"]) == answer
    assert negotiate(["permessage-deflate"]) == answer
    assert negotiate(["x-webkit-deflate-frame", "permessage-deflate"]) == answer
    assert negotiate(["permessage-deflate; server_max_window_bits=10"]) is None
    assert negotiate(["permessage-deflate; server_max_window_bits=10",
                      "permessage-deflate"]) == answer
    assert negotiate(["permessage-deflate; unknown_param"]) is None
    assert negotiate([]) is None
