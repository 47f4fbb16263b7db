"""The WebSocket transport against a real server: real clients, hostile frames, bad peers.

Real clients: the `websockets` library (with and without permessage-deflate)
and Chromium (tests/test_browser_transport.py). Hostile and broken clients
are plain sockets (tests/rawws.py) that send what no library would, stop
reading, or never answer a close.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import trio
from conftest import Launch, RunningServer
from websockets.sync.client import connect as ws_connect

from tests.rawws import RawClient, client_frame, deflated, open_raw, text
from tests.serverproc import start_and_wait_logging_to, stop, wait_for_event

WAIT_S = 10.0


async def create_room(server: RunningServer, **settings: Any) -> str:
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as http:
        answer = await http.post("/api/rooms", json={"private": True, "settings": settings})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["code"])


async def health(server: RunningServer) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as http:
        body: dict[str, Any] = (await http.get("/api/health")).json()
    return body


async def until(server: RunningServer, check: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    with trio.fail_after(WAIT_S):
        while True:
            report = await health(server)
            if check(report):
                return report
            await trio.sleep(0.05)


async def joined(server: RunningServer, code: str, name: str, **kw: Any) -> RawClient:
    client = await open_raw(server.url, f"/ws/{code}", **kw)
    await client.send(text({"type": "hello", "name": name}))
    await client.messages("welcome")
    return client


async def no_close_wait(port: int) -> None:
    """Every server socket of ``port`` whose peer closed gets closed too (soon, not never)."""
    with trio.fail_after(3.0):
        while True:
            if not close_wait_sockets(port):
                return
            await trio.sleep(0.05)


def close_wait_sockets(port: int) -> int:
    """Server-side sockets of ``port`` in CLOSE-WAIT (the peer closed, we did not)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "08":
                count += 1
    return count


# ---------------------------------------------------------------- real clients


def _websockets_game(ws_url: str, compression: str | None) -> dict[str, Any]:
    """Two players with the `websockets` library; returns what the second one saw."""
    with ws_connect(ws_url, compression=compression, origin=None) as ada, \
            ws_connect(ws_url, compression=compression) as bob:
        ada.send(json.dumps({"type": "hello", "name": "Ada"}))
        json.loads(ada.recv(timeout=WAIT_S))
        bob.send(json.dumps({"type": "hello", "name": "Bob"}))
        welcome = json.loads(bob.recv(timeout=WAIT_S))
        long_line = "é" + "x" * 198  # compressed by the client when it can
        ada.send(json.dumps({"type": "chat", "text": long_line}))
        seen: list[dict[str, Any]] = []
        while not any(m.get("type") == "chat" and m.get("text") == long_line for m in seen):
            data = json.loads(bob.recv(timeout=WAIT_S))
            seen.extend(data if isinstance(data, list) else [data])
        extensions = bob.response.headers.get("Sec-WebSocket-Extensions") if bob.response else ""
        return {"welcome": welcome, "seen": seen, "extensions": extensions or ""}


async def test_the_websockets_library_plays_with_and_without_deflate(launch: Launch) -> None:
    server = await launch(deflate=True, deflate_min_bytes=64)
    plain = await launch(deflate=False)
    for running, compression, negotiated in ((server, "deflate", True), (server, None, False),
                                             (plain, "deflate", False)):
        code = await create_room(running)
        ws_url = "ws" + running.url.removeprefix("http") + f"/ws/{code}"
        with trio.fail_after(WAIT_S * 2):
            seen = await trio.to_thread.run_sync(_websockets_game, ws_url, compression)
        assert seen["welcome"]["type"] == "welcome"
        assert [p["name"] for p in seen["welcome"]["room"]["players"]] == ["Ada", "Bob"]
        assert ("permessage-deflate" in seen["extensions"]) is negotiated
        if negotiated:
            assert "server_no_context_takeover" in seen["extensions"]


# ---------------------------------------------------------------- hostile frames


async def test_fragments_pings_and_binary_frames_keep_the_connection(launch: Launch) -> None:
    server = await launch()
    code = await create_room(server)
    with trio.fail_after(WAIT_S):
        client = await open_raw(server.url, f"/ws/{code}")
        hello = json.dumps({"type": "hello", "name": "Ada"}).encode()
        await client.send(client_frame(hello[:5], fin=False)
                          + client_frame(b"still there?", opcode=0x9)
                          + client_frame(hello[5:12], opcode=0x0, fin=False)
                          + client_frame(hello[12:], opcode=0x0))
        pong = await client.frame()
        assert pong is not None and (pong.opcode, pong.payload) == (0xA, b"still there?")
        assert (await client.messages("welcome"))["you"]["id"]
        await client.send(client_frame(b'{"type":"ping","t":5}', opcode=0x2))
        error = await client.messages("error")
        assert error["code"] == "bad_message"
        await client.send(text({"type": "ping", "t": 6}))
        assert (await client.messages("pong"))["t"] == 6


async def test_protocol_violations_close_with_their_code_and_the_socket(launch: Launch) -> None:
    server = await launch(abuse_limit=1000)
    code = await create_room(server)
    cases = [
        (client_frame(b'{"type":"ping","t":1}', mask=False), 1002),
        (client_frame(b"x", rsv=0x20), 1002),
        (client_frame(b"x", opcode=0x5), 1002),
        (client_frame(b"x", opcode=0x0), 1002),
        (client_frame(b"\xc3\x28"), 1007),
        (client_frame(b"", length=200_000), 1009),
        (client_frame(b"\x03", opcode=0x8), 1002),
    ]
    for i, (frame, expected) in enumerate(cases):
        with trio.fail_after(WAIT_S):
            client = await joined(server, code, f"P{i}")
            await client.send(frame)
            closing = await client.close_frame()
            assert closing.close_code == expected, (frame[:2], closing)
            # The server shuts its side at once: the client sees the end of the stream
            # (no waiting out a timeout, no CLOSE-WAIT).
            await client.until_eof()
            await client.sock.aclose()
    report = await until(server, lambda h: h["performance"]["ws_connections"] == 0)
    assert report["status"] == "ok"
    await no_close_wait(server.port)


async def test_a_deflate_bomb_is_closed_with_1009_before_it_inflates(launch: Launch) -> None:
    server = await launch()
    code = await create_room(server)
    with trio.fail_after(WAIT_S):
        watcher = await joined(server, code, "Watcher")
        bomber = await joined(server, code, "Bomber", deflate=True)
        assert "permessage-deflate" in bomber.extensions
        bomb = deflated(b"\x00" * (192 * 1024 * 1024))
        rss_before = (await health(server))["performance"]["memory_rss_mb"]
        began = trio.current_time()
        await bomber.send(client_frame(bomb, rsv=0x40))
        assert (await bomber.close_frame()).close_code == 1009
        await watcher.send(text({"type": "ping", "t": 1}))
        assert (await watcher.messages("pong"))["t"] == 1
        # Inflating 192 MiB would take seconds; stopping at the limit takes nothing.
        assert trio.current_time() - began < 2.0
        report = await health(server)
        assert report["performance"]["memory_rss_mb"] - rss_before < 32


async def test_compressed_frames_flow_both_ways(launch: Launch) -> None:
    server = await launch(deflate_min_bytes=64)
    code = await create_room(server)
    with trio.fail_after(WAIT_S):
        ada = await joined(server, code, "Ada", deflate=True)
        line = ("a long line of chat " * 9).strip()
        payload = json.dumps({"type": "chat", "text": line}).encode()
        await ada.send(client_frame(deflated(payload), rsv=0x40))
        while True:
            frame = await ada.frame()
            assert frame is not None and frame.opcode == 0x1
            data = frame.json()
            msgs = data if isinstance(data, list) else [data]
            if any(m.get("type") == "chat" and m.get("text") == line for m in msgs):
                break
        assert frame.compressed


async def test_frames_sent_with_the_handshake_are_read(launch: Launch) -> None:
    server = await launch()
    code = await create_room(server)
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    with trio.fail_after(WAIT_S):
        stream = await trio.open_tcp_stream(host, int(port))
        head = (f"GET /ws/{code} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n").encode()
        await stream.send_all(head + text({"type": "hello", "name": "Eager"}))
        response = b""
        while b"\r\n\r\n" not in response:
            response += await stream.receive_some(4096)
        _, _, rest = response.partition(b"\r\n\r\n")
        client = RawClient(stream, response, rest)
        assert (await client.messages("welcome"))["room"]["players"][0]["name"] == "Eager"


# ---------------------------------------------------------------- peers that misbehave


def _quiet_socket_options(sock: trio.SocketStream) -> None:
    sock.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)


async def test_a_client_that_stops_reading_is_dropped_within_seconds(launch: Launch) -> None:
    server = await launch(outbox_bytes=16_384, slow_consumer_s=1.0, chat_rate=10_000.0,
                          chat_burst=100_000, abuse_limit=100_000)
    code = await create_room(server)
    with trio.fail_after(WAIT_S * 2):
        silent = await open_raw(server.url, f"/ws/{code}")
        _quiet_socket_options(silent.sock)
        await silent.send(text({"type": "hello", "name": "Silent"}))
        await silent.messages("welcome")
        talker = await joined(server, code, "Talker")
        rss_before = (await health(server))["performance"]["memory_rss_mb"]
        # The silent player reads nothing from now on; the talker floods the room.
        began = trio.current_time()
        dropped = False
        line = "x" * 190
        while not dropped:
            for _ in range(100):
                await talker.send(text({"type": "chat", "text": line}))
            with trio.move_on_after(0.05):
                while True:
                    msg = await talker.messages()
                    if msg["type"] == "players":
                        silent_seat = [p for p in msg["players"] if p["name"] == "Silent"]
                        dropped = bool(silent_seat) and not silent_seat[0]["connected"]
                        if dropped:
                            break
        assert trio.current_time() - began < 8.0
        report = await until(server, lambda h: h["performance"]["ws_connections"] == 1)
        assert report["performance"]["memory_rss_mb"] - rss_before < 32


async def test_a_graceful_stop_ends_within_the_grace_whatever_clients_do(
    launch: Launch,
) -> None:
    server = await launch(shutdown_grace_s=2.0, outbox_bytes=1_000_000, slow_consumer_s=60.0)
    code = await create_room(server)
    silent = await open_raw(server.url, f"/ws/{code}")
    _quiet_socket_options(silent.sock)
    await silent.send(text({"type": "hello", "name": "Silent"}))
    talker = await joined(server, code, "Talker")
    for _ in range(300):
        await talker.send(text({"type": "chat", "text": "y" * 190}))
    never_hello = await open_raw(server.url, f"/ws/{code}")
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    half_request = await trio.open_tcp_stream(host, int(port))
    await half_request.send_all(b"GET /ws/" + code.encode() + b" HTTP/1.1\r\nHost: x\r\n")
    idle_http = await trio.open_tcp_stream(host, int(port))
    began = time.monotonic()
    server.stop.set()
    with trio.fail_after(2.0 + 2.0):
        await server.done.wait()
    assert time.monotonic() - began < 2.0 + 1.5
    # The connection that had not joined was told to come back.
    assert (await never_hello.messages("shutdown"))["reconnect_in_ms"] >= 0
    assert (await never_hello.close_frame()).close_code == 1012
    for stream in (half_request, idle_http, silent.sock, talker.sock, never_hello.sock):
        await stream.aclose()


async def test_a_close_the_client_never_answers_still_ends(launch: Launch) -> None:
    server = await launch(hello_timeout_s=0.5, abuse_limit=2)
    code = await create_room(server)
    with trio.fail_after(WAIT_S * 2):
        gone = await open_raw(server.url, "/ws/ZZZZ2222")            # 4004
        no_hello = await open_raw(server.url, f"/ws/{code}")          # 4401
        abuser = await joined(server, code, "Abuser")                 # 1008
        for _ in range(3):
            await abuser.send(text({"type": "dance"}))
        for client, expected in ((gone, 4004), (no_hello, 4401), (abuser, 1008)):
            assert (await client.close_frame()).close_code == expected
        # None of them answers the close: the server closes its socket anyway.
        for client in (gone, no_hello, abuser):
            await client.until_eof()
        await until(server, lambda h: h["performance"]["ws_connections"] == 0)
        await no_close_wait(server.port)


async def test_a_client_that_closes_first_gets_its_close_answered(launch: Launch) -> None:
    server = await launch()
    code = await create_room(server)
    with trio.fail_after(WAIT_S):
        client = await joined(server, code, "Ada")
        await client.send(client_frame(struct.pack("!H", 4321) + b"bye", opcode=0x8))
        answer = await client.close_frame()
        assert answer.close_code == 4321
        await client.until_eof()
        await until(server, lambda h: h["performance"]["ws_connections"] == 0)


# ---------------------------------------------------------------- the front door


async def test_http_connections_are_capped_and_idle_ones_closed(launch: Launch) -> None:
    server = await launch(max_http_connections=16, http_keep_alive_s=1.0)
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    with trio.fail_after(WAIT_S):
        idle = [await trio.open_tcp_stream(host, int(port)) for _ in range(16)]
        await trio.sleep(0.2)
        extra = await trio.open_tcp_stream(host, int(port))
        answer = await extra.receive_some(4096)
        assert answer.startswith(b"HTTP/1.1 503 ") and b"Retry-After: 2" in answer
        assert b'"server_busy"' in answer
        # Connections that send nothing are closed after the keep-alive time...
        for stream in idle:
            assert await stream.receive_some(100) == b""
        # ...and then there is room again, for pages and WebSockets alike.
        code = await create_room(server)
        client = await joined(server, code, "Ada")
        await client.send(text({"type": "ping", "t": 1}))
        assert (await client.messages("pong"))["t"] == 1


async def one_shot(host: str, port: int, request: bytes) -> bytes:
    """One request on a new connection, kept alive (HTTP/1.1), its whole answer read; then
    the client closes (what a script or a health probe does)."""
    stream = await trio.open_tcp_stream(host, port)
    async with stream:
        await stream.send_all(request)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = await stream.receive_some(65536)
            assert chunk, answer
            answer += chunk
        head, body = answer.split(b"\r\n\r\n", 1)
        length = int(next(line.split(b":", 1)[1] for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:")))
        while len(body) < length:
            body += await stream.receive_some(65536)
        return head


@asynccontextmanager
async def server_process(tmp_path: Path, **env: str) -> AsyncIterator[tuple[str, int]]:
    """A server process (its log in a file) with these settings: its host and port."""
    proc, url = await trio.to_thread.run_sync(lambda: start_and_wait_logging_to(
        tmp_path, tmp_path / "server.log", DRAWGAME_ENVIRONMENT="test", **env))
    try:
        host, port = url.removeprefix("http://").rsplit(":", 1)
        yield host, int(port)
    finally:
        await trio.to_thread.run_sync(stop, proc)


async def test_a_client_that_closes_frees_its_connection_at_once(tmp_path: Path) -> None:
    # 16 connections allowed, kept alive for a minute: were a closed connection kept until
    # its keep-alive ran out (CLOSE-WAIT), requests would soon be refused.
    async with server_process(tmp_path, DRAWGAME_MAX_HTTP_CONNECTIONS="16",
                              DRAWGAME_HTTP_KEEP_ALIVE_S="60") as (host, port):
        get = f"GET /api/rooms HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
        made_up = f"BREW /api/rooms HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
        with trio.fail_after(60):
            statuses = [(await one_shot(host, port, made_up if i % 3 else get)).split(b" ")[1]
                        for i in range(300)]
            assert {s: statuses.count(s) for s in set(statuses)} == {b"200": 100, b"405": 200}
            await no_close_wait(port)
            server = RunningServer(url=f"http://{host}:{port}", stop=trio.Event(),
                                   done=trio.Event())
            assert (await health(server))["status"] == "ok"


async def test_one_address_holding_its_share_of_idle_sockets_locks_nobody_out(
    tmp_path: Path,
) -> None:
    # A budget of 64 HTTP connections, 8 for one address; connections idle for a minute.
    async with server_process(tmp_path, DRAWGAME_MAX_HTTP_CONNECTIONS="64",
                              DRAWGAME_MAX_HTTP_CONNECTIONS_PER_IP="8",
                              DRAWGAME_HTTP_KEEP_ALIVE_S="60") as (host, port):
        server = RunningServer(url=f"http://{host}:{port}", stop=trio.Event(), done=trio.Event())
        with trio.fail_after(WAIT_S):
            # 127.0.0.2 opens 100 connections that send nothing, or half a WebSocket upgrade.
            crowd = []
            for i in range(100):
                stream = await trio.open_tcp_stream(host, port, local_address="127.0.0.2")
                if i % 2:
                    await stream.send_all(b"GET /ws/ABCD2345 HTTP/1.1\r\n")
                crowd.append(stream)
            # Its share is taken at once; every connection past it is answered 429 right away.
            for stream in crowd[8:]:
                answer = await stream.receive_some(4096)
                assert answer.startswith(b"HTTP/1.1 429 "), answer
                assert b'"too_many_connections"' in answer and b"Retry-After: 2" in answer
            async with httpx.AsyncClient(base_url=server.url, timeout=5) as http:
                metrics = (await http.get("/metrics")).text
            assert 'drawgame_http_connections_refused_total{reason="per_address"} 92.0' \
                in metrics
            # Another address loads the page, creates a room and plays.
            async with httpx.AsyncClient(base_url=server.url, timeout=5) as http:
                page = await http.get("/")
                assert page.status_code == 200 and b"<html" in page.content.lower()
                assert (await http.get("/api/health")).json()["status"] == "ok"
            code = await create_room(server)
            ada = await joined(server, code, "Ada")
            bob = await joined(server, code, "Bob")
            await ada.send(text({"type": "chat", "text": "still here"}))
            while (await bob.messages("chat"))["text"] != "still here":
                pass
            for stream in crowd:
                await stream.aclose()


async def test_an_upgrade_on_a_kept_alive_connection_is_426(launch: Launch) -> None:
    server = await launch()
    code = await create_room(server)
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    with trio.fail_after(WAIT_S):
        stream = await trio.open_tcp_stream(host, int(port))
        await stream.send_all(f"GET /api/health HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        first = b""
        while b'"status"' not in first:
            first += await stream.receive_some(65536)
        assert first.startswith(b"HTTP/1.1 200")
        await stream.send_all((f"GET /ws/{code} HTTP/1.1\r\nHost: {host}\r\n"
                               "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                               "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        second = b""
        while b"upgrade_not_first" not in second:
            chunk = await stream.receive_some(65536)
            assert chunk, second
            second += chunk
        assert second.startswith(b"HTTP/1.1 426")


async def test_plain_requests_to_the_websocket_path_are_refused(launch: Launch) -> None:
    server = await launch()
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as http:
        answer = await http.get("/ws/ABCD2345")
        assert answer.status_code == 426
        assert answer.json()["error"]["code"] == "upgrade_required"
        nested = await http.get("/ws/a/b")
        assert nested.status_code == 426
        assert (await http.get("/api/health")).status_code == 200


def _descriptor_limit(limit: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

    return apply


def start_limited(tmp_path: Path, limit: int) -> tuple[subprocess.Popen[str], str]:
    """A server process whose descriptor limit (soft and hard) is ``limit``."""
    env = {**os.environ, "DRAWGAME_PORT": "0", "DRAWGAME_DB_PATH": str(tmp_path / "db.sqlite3"),
           "DRAWGAME_LOG_FORMAT": "json", "DRAWGAME_ENV_FILE": str(tmp_path / "none.env"),
           "DRAWGAME_SHUTDOWN_GRACE_S": "2", "DRAWGAME_HTTP_KEEP_ALIVE_S": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "drawgame", "serve"], cwd=tmp_path, env=env,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=_descriptor_limit(limit))
    serving = wait_for_event(proc, "serving")
    assert proc.stderr is not None
    threading.Thread(target=proc.stderr.read, daemon=True).start()  # the log never blocks it
    return proc, serving


async def test_idle_sockets_past_the_descriptor_limit_never_stop_the_server(
    tmp_path: Path,
) -> None:
    """The issue's case, scaled: 300 idle sockets against a limit of 256 descriptors."""
    proc, serving = await trio.to_thread.run_sync(start_limited, tmp_path, 256)
    try:
        assert serving["descriptors"] == 256
        assert serving["max_http_connections"] == (256 - 64) // 4
        url = serving["binds"][0]
        server = RunningServer(url=url, stop=trio.Event(), done=trio.Event())
        code = await create_room(server)
        player = await joined(server, code, "Ada")  # a WebSocket opened before the flood
        host, port = url.removeprefix("http://").rsplit(":", 1)
        with trio.fail_after(WAIT_S):
            # From 20 addresses: one address may hold only its share (16 here).
            idle = [await trio.open_tcp_stream(host, int(port),
                                               local_address=f"127.0.0.{2 + i % 20}")
                    for i in range(300)]
            # Past the cap, connections are answered at once (503), not left hanging...
            answer = await idle[-1].receive_some(4096)
            assert answer.startswith(b"HTTP/1.1 503 ")
            # ...the WebSocket in play goes on...
            await player.send(text({"type": "ping", "t": 1}))
            assert (await player.messages("pong"))["t"] == 1
            # ...and once the idle ones are closed (keep-alive: 1 s), health answers again.
            for stream in idle:
                await stream.aclose()
            report = await until(server, lambda h: h["status"] in ("ok", "degraded"))
            assert report["checks"]["database"]["status"] == "ok"
        assert proc.poll() is None
    finally:
        proc.terminate()
        await trio.to_thread.run_sync(proc.wait)
