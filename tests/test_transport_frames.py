"""Server frames built once and shared, the outbox's batching, and the handshake."""

from __future__ import annotations

import base64
import hashlib
import json
import zlib

import pytest

from drawgame.rooms.connection import outgoing
from drawgame.transport.frames import Deflater, Outgoing, close_payload, encode_frame, frame_header
from drawgame.transport.handshake import HandshakeError, HeadParser, accept, reject
from drawgame.transport.outbox import MAX_BATCH_MESSAGES, Outbox


def decode(frame: bytes, inflater: zlib._Decompress | None = None) -> bytes:
    n, head = frame[1] & 0x7F, 2
    if n == 126:
        n, head = int.from_bytes(frame[2:4], "big"), 4
    elif n == 127:
        n, head = int.from_bytes(frame[2:10], "big"), 10
    payload = frame[head:head + n]
    assert len(payload) == n and not frame[1] & 0x80
    if frame[0] & 0x40:
        assert inflater is not None
        payload = inflater.decompress(payload + b"\x00\x00\xff\xff")
    return payload


@pytest.mark.parametrize("n", [0, 125, 126, 65535, 65536])
def test_frame_headers_use_the_shortest_length_form(n: int) -> None:
    frame = encode_frame(b"x" * n)
    assert frame[0] == 0x81
    assert len(frame) - n == (2 if n < 126 else 4 if n < 65536 else 10)
    assert decode(frame) == b"x" * n
    assert frame_header(3, 0x8, compressed=True)[0] == 0x80 | 0x40 | 0x8


def test_a_message_is_framed_once_for_every_recipient() -> None:
    msg = outgoing({"type": "chat", "text": "hi"})
    assert msg.kind == "chat"
    assert msg.frame(None) is msg.frame(None)
    deflater = Deflater(min_bytes=0)
    big = outgoing({"type": "players", "players": [{"name": f"p{i}"} for i in range(40)]})
    assert big.frame(deflater) is big.frame(deflater)
    assert big.frame(deflater)[0] & 0x40  # compressed
    assert big.frame(deflater) is not big.frame(None)


def test_compressed_frames_decode_alone_and_in_a_kept_context() -> None:
    deflater = Deflater(min_bytes=0)
    bodies = [json.dumps({"type": "draw", "n": i, "ops": [{"op": "undo"}] * 20}) for i in range(5)]
    frames = [Outgoing("draw", body).frame(deflater) for body in bodies]
    # A client that asked for no context takeover inflates each frame alone...
    for body, frame in zip(bodies, frames, strict=True):
        assert decode(frame, zlib.decompressobj(-15)).decode() == body
    # ...and one that keeps its context across messages reads the same frames too.
    kept = zlib.decompressobj(-15)
    assert [decode(f, kept).decode() for f in frames] == bodies


def test_small_or_incompressible_messages_go_out_plain() -> None:
    deflater = Deflater(min_bytes=256)
    small = Outgoing("pong", '{"type":"pong","t":1}')
    assert small.frame(deflater) is small.plain
    tiny = Outgoing("x", '"ok"')  # deflate's own framing makes it longer
    assert Deflater(min_bytes=0).compress(tiny.data) is None
    assert tiny.frame(Deflater(min_bytes=0)) is tiny.plain


def test_close_payloads_are_cut_on_a_character() -> None:
    payload = close_payload(1013, "é" * 100)
    assert payload[:2] == b"\x03\xf5" and len(payload) <= 125
    payload[2:].decode("utf-8")


def test_the_outbox_batches_what_waits_into_one_array_frame() -> None:
    box = Outbox()
    msgs = [outgoing({"type": "chat", "n": i}) for i in range(3)]
    for m in msgs:
        box.push(m)
    box.push(b"\x8a\x00")  # a pong keeps its place
    box.push(msgs[0])
    first = box.next_chunk(None)
    assert json.loads(decode(bytes(first))) == [{"type": "chat", "n": i} for i in range(3)]
    box.sent(len(first) - 2)
    assert bytes(box.next_chunk(None)) == bytes(first)[-2:]  # the tail comes first
    box.sent(2)
    assert bytes(box.next_chunk(None)) == b"\x8a\x00"
    box.sent(2)
    assert bytes(box.next_chunk(None)) == msgs[0].plain
    box.sent(len(msgs[0].plain))
    assert not box and box.bytes == 0


def test_a_batch_stays_bounded_and_dropping_keeps_a_half_written_frame() -> None:
    box = Outbox()
    for i in range(MAX_BATCH_MESSAGES + 5):
        box.push(outgoing({"type": "chat", "n": i}))
    batch = json.loads(decode(bytes(box.next_chunk(None))))
    assert len(batch) == MAX_BATCH_MESSAGES
    box.sent(3)
    box.drop_waiting()
    assert box.bytes == len(box.tail) > 0


def upgrade(*headers: str, method: str = "GET") -> bytes:
    lines = [f"{method} /ws/ABCD2345?x=1 HTTP/1.1", "Host: example.com:8000", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


GOOD = ("Upgrade: websocket", "Connection: keep-alive, Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13",
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits",
        "Origin: http://example.com:8000")


def test_a_valid_upgrade_is_parsed_in_pieces_and_keeps_what_follows() -> None:
    data = upgrade(*GOOD) + b"\x81\x80early"
    parser = HeadParser()
    assert parser.feed(data[:20]) is None
    request = parser.feed(data[20:])
    assert request is not None
    assert (request.path, request.host) == ("/ws/ABCD2345", "example.com:8000")
    assert request.headers["origin"] == "http://example.com:8000"
    assert request.extensions == ["permessage-deflate; client_max_window_bits"]
    assert request.trailing == b"\x81\x80early"
    answer = accept(request, "permessage-deflate; server_no_context_takeover").decode()
    token = base64.b64encode(hashlib.sha1(
        b"dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest()).decode()
    assert answer.startswith("HTTP/1.1 101 ")
    assert f"Sec-WebSocket-Accept: {token}\r\n" in answer
    assert "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover" in answer


@pytest.mark.parametrize(("request_bytes", "status"), [
    (upgrade(*GOOD, method="POST"), 405),
    (upgrade(*[h for h in GOOD if not h.startswith("Upgrade")]), 426),
    (upgrade(*[h for h in GOOD if not h.startswith("Sec-WebSocket-Version")]), 426),
    (upgrade(*[h for h in GOOD if not h.startswith("Sec-WebSocket-Key")]), 400),
    (b"GET /ws/X HTTP/1.1\r\nHost: a\r\nX: " + b"y" * 20_000 + b"\r\n\r\n", 431),
    (b"GET /ws/X HTTP/1.1\r\nBad Header Line\r\n\r\n", 400),
])
def test_bad_upgrades_are_refused_with_the_right_status(request_bytes: bytes,
                                                        status: int) -> None:
    with pytest.raises(HandshakeError) as exc:
        HeadParser().feed(request_bytes)
    assert exc.value.status == status and exc.value.code and exc.value.message


def test_refusals_have_the_apis_error_shape() -> None:
    answer = reject(403, "origin_not_allowed", "origin not allowed")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 403 Forbidden")
    assert b"Connection: close" in head
    assert json.loads(body) == {"error": {"code": "origin_not_allowed",
                                          "message": "origin not allowed"}}
