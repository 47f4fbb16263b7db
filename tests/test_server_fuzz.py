"""Hostile input of every kind against a real server process, over HTTP and WebSocket.

Whatever arrives (garbage request lines, made-up methods, broken bodies,
malformed or oversized WebSocket frames, hand-built frames no client library
would send, abrupt disconnects), the process stays up, never answers 500,
`/api/health` answers, and a fresh game can be played to its first correct
guess afterwards. Inputs come from a seeded generator, so every run sends the
same bytes, and every loop is bounded in count and time.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import random
import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import serverproc
import trio
from trio_websocket import ConnectionClosed, HandshakeError
from wsclient import WsClient, connect

SEED = 20261201
HTTP_CASES = 220
WS_FRAMES = 400

HOSTILE_VALUES: list[Any] = [
    None, True, False, 0, -1, 2**31, 2**53 + 1, 10**400, -(10**400), 1e308, -0.0, 0.5, "",
    " ", "x" * 5000, "\ud800", "a\u0000b", "\u202e\u200d\u3164", "%0a%0d", "\n\r\t",
    "<script>alert(1)</script>", "'; DROP TABLE rooms; --", "../../etc/passwd", [], {},
    [[[[[[[[[[]]]]]]]]]], {"$": {"$": {"$": None}}}, ["a"] * 300, {"op": "line"}, "NaN",
]
FIELDS = ["type", "name", "token", "spectate", "text", "index", "ops", "value", "player_id",
          "t", "settings", "rounds", "max_players", "custom_words", "custom_only", "language",
          "draw_time_s", "word_choices", "op", "p", "c", "w", "id", "x", "y"]
TYPES = ["hello", "settings", "start", "choose", "draw", "chat", "react", "kick", "vote_kick",
         "transfer_host", "ping", "leave", "welcome", "", "HELLO", "__proto__"]


# ---------------------------------------------------------------- the server


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str, Path]]:
    log_file = tmp_path / "server.log"
    proc, url = serverproc.start_and_wait_logging_to(
        tmp_path, log_file, DRAWGAME_ROOMS_PER_MINUTE_PER_IP="1000",
        DRAWGAME_MAX_CONNECTIONS_PER_IP="1000", DRAWGAME_MSG_RATE="1000",
        DRAWGAME_MSG_BURST="1000", DRAWGAME_CHAT_RATE="1000", DRAWGAME_CHAT_BURST="1000",
        DRAWGAME_ABUSE_LIMIT="10000", DRAWGAME_HELLO_TIMEOUT_S="5")
    try:
        yield proc, url, log_file
    finally:
        died = proc.poll() is not None
        serverproc.stop(proc)
        if died:  # say why: the end of its log and of its standard error
            print(log_file.read_text(errors="replace")[-4000:])
            print(proc.stderr.read()[-8000:] if proc.stderr and not proc.stderr.closed else "")


# ---------------------------------------------------------------- HTTP by hand


async def raw_exchange(host: str, port: int, data: bytes, within: float = 3.0) -> bytes:
    """Send ``data`` on a fresh connection and read what comes back until close or ``within``."""
    got = b""
    with trio.move_on_after(within):
        stream = await trio.open_tcp_stream(host, port)
        async with stream:
            try:
                await stream.send_all(data)
                while len(got) < 1_000_000:
                    chunk = await stream.receive_some(65536)
                    if not chunk:
                        break
                    got += chunk
                    if _complete(got):
                        break
            except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
                pass
    return got


def _complete(got: bytes) -> bool:
    head, sep, body = got.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            try:
                return len(body) >= int(value.strip())
            except ValueError:
                return True
    return True


def status_of(answer: bytes) -> int | None:
    first = answer.split(b"\r\n", 1)[0].split()
    if len(first) >= 2 and first[0].startswith(b"HTTP/") and first[1].isdigit():
        return int(first[1])
    return None


def request_bytes(method: bytes, target: bytes, headers: list[tuple[bytes, bytes]],
                  body: bytes = b"", version: bytes = b"HTTP/1.1") -> bytes:
    lines = [method + b" " + target + b" " + version, b"Host: fuzz", b"Connection: close"]
    lines += [name + b": " + value for name, value in headers]
    if body and not any(n.lower() == b"content-length" for n, _ in headers):
        lines.append(b"Content-Length: " + str(len(body)).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def hostile_json(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 3 or roll < 0.4:
        return rng.choice(HOSTILE_VALUES)
    if roll < 0.7:
        return {rng.choice(FIELDS): hostile_json(rng, depth + 1) for _ in range(rng.randint(0, 4))}
    return [hostile_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]


def http_cases(rng: random.Random, code: str) -> Iterator[bytes]:
    """Every kind of hostile request, then random mixtures of their parts."""
    paths = [b"/", b"/api/rooms", b"/api/rooms/" + code.encode(), b"/api/games/g_x",
             b"/api/health", b"/metrics", b"/api/admin/maintenance", b"/api/admin/cleanup",
             b"/api/languages", b"/r/" + code.encode(), b"/ws/" + code.encode(),
             b"/static/../../etc/passwd", b"/%ff%fe", b"/x%0a12:00 INFO forged", b"/%00",
             b"/" + b"a" * 10_000, b"//api//rooms", b"/api/rooms?x=" + b"%" * 100, b"*"]
    methods = [b"GET", b"POST", b"PUT", b"DELETE", b"PATCH", b"OPTIONS", b"HEAD", b"TRACE",
               b"CONNECT", b"FOO", b"G\xffT", b"get", b"X" * 300]
    bodies = [b"", b"{", b"[" * 100_000, b'{"name": "caf\xe9"}', b"\xff\xfe\x00",
              b'{"on": true, "message": "\\ud800"}', b'{"settings": ' + b"[" * 5000 + b"}",
              b"null", b"1e999999", b'{"name": "' + b"\\u3164" * 30 + b'"}',
              b'{"private": "yes", "settings": {"rounds": 1e9}}', b"x" * 300_000]
    auth = [(b"Authorization", b"Bearer " + b"x" * 100), (b"Authorization", b"Basic Zm9vOmJhcg=="),
            (b"Authorization", b"Bearer \xff\xfe"), (b"Authorization", b"")]
    fixed = [
        b"", b"\r\n\r\n", b"GARBAGE\r\n\r\n", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"y" * 70_000 + b"\r\n\r\n",
        b"GET / HTTP/1.1\r\n" + b"".join(b"H%d: v\r\n" % i for i in range(500)) + b"\r\n",
        b"POST /api/rooms HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{}",
        b"POST /api/rooms HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n{}",
        b"POST /api/rooms HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"POST /api/rooms HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"GET /ws/" + code.encode() + b" HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Version: 99\r\nSec-WebSocket-Key: !!\r\n\r\n",
        b"GET /ws/" + code.encode() + b" HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" * 50,
        b"GET / HTTP/1.0\r\n\r\n", b"GET /\r\n\r\n", b"\x00" * 1000,
    ]
    yield from fixed
    for method in methods:
        yield request_bytes(method, rng.choice(paths), [])
    for path in paths:
        yield request_bytes(b"GET", path, [])
    for body in bodies:
        for path in (b"/api/rooms", b"/api/admin/maintenance"):
            yield request_bytes(b"POST", path, [rng.choice(auth), (b"Content-Type",
                                                                    b"application/json")], body)
    for _ in range(HTTP_CASES - len(fixed) - len(methods) - len(paths) - 2 * len(bodies)):
        body = rng.choice(bodies) if rng.random() < 0.5 else json.dumps(
            hostile_json(rng)).encode()
        headers = rng.sample([*auth, (b"Content-Type", b"application/json"),
                              (b"X-Forwarded-For", b"\xff, 10.0.0.1, ::1, junk"),
                              (b"Origin", b"http://evil.example"),
                              (b"Content-Type", b"text/plain; charset=\xff")], rng.randint(0, 3))
        yield request_bytes(rng.choice(methods), rng.choice(paths), headers, body,
                            rng.choice([b"HTTP/1.1", b"HTTP/1.0"]))


# ---------------------------------------------------------------- WebSocket frames


def ws_text_frames(rng: random.Random) -> Iterator[str | bytes]:
    """Frames a client library can send: text that is not JSON, wrong shapes, wrong types."""
    fixed: list[str | bytes] = [
        "", " ", "{", "null", "[]", "[" * 100_000, '{"type": "ping", "t": NaN}', b"\x00\xff",
        json.dumps({"type": "hello", "name": "\u3164"}), json.dumps({"type": "chat"}),
        '{"type": "hello", "name": "\\ud800"}', '{"type": "chat", "text": "\\udfff"}',
        json.dumps({"type": "draw", "ops": [{"op": "line", "id": 1, "c": "#000000", "w": 1,
                                              "p": list(range(1024))}] * 64}),
        json.dumps({"type": "settings", "custom_words": ["w"] * 5000}),
        "x" * 70_000, json.dumps({"type": "chat", "text": "\u20ac" * 30_000}),
    ]
    yield from fixed
    for _ in range(WS_FRAMES - len(fixed)):
        roll = rng.random()
        if roll < 0.7:
            msg = {"type": rng.choice(TYPES)}
            for _ in range(rng.randint(0, 3)):
                msg[rng.choice(FIELDS)] = hostile_json(rng)
            yield json.dumps(msg)
        elif roll < 0.85:
            yield json.dumps(hostile_json(rng))
        else:
            yield bytes(rng.randrange(256) for _ in range(rng.randint(0, 64)))


def raw_ws_frame(opcode: int, payload: bytes, *, fin: bool = True, rsv: int = 0,
                 masked: bool = True, length: int | None = None) -> bytes:
    """One WebSocket frame built by hand, so it can break every rule of RFC 6455."""
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    n = len(payload) if length is None else length
    mask_bit = 0x80 if masked else 0
    if n < 126:
        head = bytes([first, mask_bit | n])
    elif n < 65536:
        head = bytes([first, mask_bit | 126]) + struct.pack("!H", n)
    else:
        head = bytes([first, mask_bit | 127]) + struct.pack("!Q", n)
    if not masked:
        return head + payload
    key = b"\x01\x02\x03\x04"
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def raw_ws_cases(code: str) -> list[bytes]:
    hello = json.dumps({"type": "hello", "name": "Raw"}).encode()
    return [
        raw_ws_frame(0x1, b"\xed\xa0\x80\xff"),  # a text frame that is not UTF-8
        raw_ws_frame(0x1, hello, fin=False) + raw_ws_frame(0x1, hello),  # no continuation
        raw_ws_frame(0x0, hello),  # a continuation of nothing
        raw_ws_frame(0x3, b"reserved opcode"),
        raw_ws_frame(0x1, hello, rsv=0b111),
        raw_ws_frame(0x1, hello, masked=False),
        raw_ws_frame(0x9, b"p" * 200),  # a control frame over 125 bytes
        raw_ws_frame(0x8, b"\x03"),  # a close frame with a one-byte payload
        raw_ws_frame(0x8, struct.pack("!H", 999) + b"\xff"),  # bad code, bad reason
        raw_ws_frame(0x1, b"", length=2**62),  # claims an enormous payload
        raw_ws_frame(0x1, hello, fin=False) + raw_ws_frame(0x9, b"ping")
        + raw_ws_frame(0x0, b"", fin=True),
        raw_ws_frame(0x1, b'{"type": "hello", "name": "Raw"', fin=False)
        + raw_ws_frame(0x0, b"x" * 70_000),
    ]


def handshake(code: str) -> bytes:
    key = base64.b64encode(os.urandom(16))
    return (b"GET /ws/" + code.encode() + b" HTTP/1.1\r\nHost: fuzz\r\n"
            b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            b"Sec-WebSocket-Key: " + key + b"\r\n\r\n")


async def raw_websocket(host: str, port: int, code: str, frames: bytes) -> None:
    """Open a WebSocket by hand, wait for the 101, then send ``frames`` as they are."""
    with trio.move_on_after(3):
        stream = await trio.open_tcp_stream(host, port)
        async with stream:
            try:
                await stream.send_all(handshake(code))
                answer = b""
                while b"\r\n\r\n" not in answer:
                    chunk = await stream.receive_some(4096)
                    if not chunk:
                        return
                    answer += chunk
                assert status_of(answer) == 101, answer[:200]
                await stream.send_all(frames)
                while await stream.receive_some(65536):
                    pass
            except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
                pass


# ---------------------------------------------------------------- after the storm


async def http_json(url: str, method: str = "GET", body: Any = None) -> tuple[int, Any]:
    parts = urlsplit(url)
    data = b"" if body is None else json.dumps(body).encode()
    raw = request_bytes(method.encode(), (parts.path or "/").encode(),
                        [(b"Content-Type", b"application/json")], data)
    answer = await raw_exchange(parts.hostname or "127.0.0.1", parts.port or 80, raw, within=10)
    status = status_of(answer)
    assert status is not None, answer[:200]
    return status, json.loads(answer.partition(b"\r\n\r\n")[2] or b"null")


async def play_a_fresh_game(url: str) -> None:
    """A new room, two players, a start, a chosen word and a correct guess."""
    status, created = await http_json(url + "/api/rooms", "POST",
                                      {"settings": {"rounds": 1, "word_choices": 1}})
    assert status == 201, created
    ws_url = "ws" + url.removeprefix("http") + "/ws/" + created["code"]
    async with connect(ws_url, "Ada") as ada, connect(ws_url, "Bob") as bob:
        await ada.hello()
        await bob.hello()
        await ada.send({"type": "start"})
        drawer, guesser = await _roles(ada, bob)
        await drawer.wait_for("choices")
        await drawer.send({"type": "choose", "index": 0})
        word = (await drawer.wait_for("word"))["word"]
        await drawer.send({"type": "draw", "ops": [
            {"op": "line", "id": 1, "c": "#112233", "w": 4, "p": [1, 2, 30, 40]}]})
        assert (await guesser.wait_for("draw"))["ops"][0]["p"] == [1, 2, 30, 40]
        await guesser.send({"type": "chat", "text": word})
        assert (await drawer.wait_for("correct"))["player_id"] == guesser.id


async def _roles(ada: WsClient, bob: WsClient) -> tuple[WsClient, WsClient]:
    phase = await ada.wait_for("phase", lambda m: m["phase"] == "choosing")
    return (ada, bob) if phase["drawer_id"] == ada.id else (bob, ada)


async def send_slice(ws_url: str, n: int, frames: list[str | bytes]) -> None:
    async with connect(ws_url, "Fuzz") as client:
        if n % 2 == 0:
            await client.send({"type": "hello", "name": f"Fuzz{n}"})
        for frame in frames:
            await client.send(frame)
        await client.drain(0.2)


# ---------------------------------------------------------------- the test


async def test_hostile_input_of_every_kind_leaves_the_server_up_and_playable(
    server_process: tuple[subprocess.Popen[str], str, Path],
) -> None:
    proc, url, log_file = server_process
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    rng = random.Random(SEED)
    with trio.fail_after(420):  # typically 20 s; every step below is bounded
        status, created = await http_json(url + "/api/rooms", "POST", {})
        assert status == 201
        code = created["code"]

        statuses: list[int] = []
        async with trio.open_nursery() as nursery:
            limit = trio.CapacityLimiter(8)

            async def send(data: bytes) -> None:
                async with limit:
                    answer = await raw_exchange(host, port, data)
                status = status_of(answer)
                if status is not None:
                    statuses.append(status)

            for data in http_cases(rng, code):
                nursery.start_soon(send, data)
        assert statuses and 500 not in statuses, sorted(set(statuses))
        assert proc.poll() is None

        ws_url = "ws" + url.removeprefix("http") + "/ws/" + code
        frames = list(ws_text_frames(rng))
        # A message over the size limit ends its connection (1009): each goes last on one
        # of its own (what follows it on the same connection is the other test's business).
        big = [f for f in frames if len(f if isinstance(f, bytes) else f.encode()) > 65536]
        small = [f for f in frames if f not in big]
        slices = [small[i:i + 50] for i in range(0, len(small), 50)] + [[f] for f in big]
        for n, frames_slice in enumerate(slices):  # a fresh connection for each slice
            try:
                # a server may stop reading a flooding client (backpressure): bounded here
                with trio.move_on_after(15):
                    await send_slice(ws_url, n, frames_slice)
            except (ConnectionClosed, HandshakeError, trio.BrokenResourceError, OSError):
                pass  # the server may close an abusive connection: that is its right

        assert serverproc.wait_for_exit(proc, 0.5) is None, "the server process died"

        status, health = await http_json(url + "/api/health")
        assert status == 200 and health["status"] in ("ok", "degraded"), health
        assert health["checks"]["database"]["status"] == "ok"
        await play_a_fresh_game(url)
    assert proc.poll() is None
    log = log_file.read_text(errors="replace")
    assert '"event": "server_error"' not in log and "Traceback" not in log


async def test_hand_built_frames_breaking_every_rule_leave_the_server_up(
    server_process: tuple[subprocess.Popen[str], str, Path],
) -> None:
    """Frames no client library sends: not UTF-8, reserved bits and opcodes, unmasked,
    oversized control frames, lying lengths, broken fragmentation, and frames sent
    before the handshake was answered."""
    proc, url, _ = server_process
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    with trio.fail_after(120):
        status, created = await http_json(url + "/api/rooms", "POST", {})
        assert status == 201
        code = created["code"]
        for frames in raw_ws_cases(code):
            with contextlib.suppress(OSError):
                await raw_websocket(host, port, code, frames)
                await raw_exchange(host, port, handshake(code) + frames, within=2.0)
            assert serverproc.wait_for_exit(proc, 0.2) is None, "the server process died"
        ws_url = "ws" + url.removeprefix("http") + "/ws/" + code
        with contextlib.suppress(ConnectionClosed, HandshakeError, OSError):
            async with connect(ws_url, "Big") as client:  # too big, then a binary message
                await client.send("x" * 70_000)
                await client.send(b"\x00")
                await client.drain(0.3)
        assert serverproc.wait_for_exit(proc, 0.5) is None, "the server process died"
        await play_a_fresh_game(url)
