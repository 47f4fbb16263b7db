"""WS /ws/<code>: one player's connection, a reader and a writer in one nursery.

The reader parses, validates and rate-limits each frame and hands commands
to the room's inbox; the writer drains the connection's outbox, sending
everything pending in one frame (a JSON array) when more than one message
waits. Whichever ends first cancels the other.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import trio
from quart import Blueprint, Response, websocket

from drawgame.config import Config
from drawgame.rooms.connection import CloseFrame, Connection
from drawgame.rooms.room import Room, dumps
from drawgame.rooms.session import RESTART_CLOSE, ROOM_GONE_CLOSE, Session
from drawgame.services import Services
from drawgame.stats import Stats, message_type
from drawgame.web.context import services

blueprint = Blueprint("ws", __name__)

MAX_BATCH_MESSAGES = 256
MAX_BATCH_CHARS = 256 * 1024
"""A batched frame stays under this size (clients' default message limits are 1 MiB)."""
CLOSE_TIMEOUT_S = 2.0

NO_HELLO_CLOSE = (4401, "no hello in time")
OVERLOAD_CLOSE = 1013


def client_address(config: Config, headers: Any, remote: str | None) -> str:
    """The client's address; X-Forwarded-For is believed only when configured."""
    if config.trust_proxy_headers:
        forwarded = str(headers.get("X-Forwarded-For", ""))
        first = forwarded.split(",")[0].strip()
        if first:
            return first
    return remote or "unknown"


def origin_allowed(config: Config, origin: str | None, host: str | None) -> bool:
    """Same host as the request, or one of the configured origins.

    A missing Origin is allowed: browsers always send one, so its absence means
    a non-browser client (a bot, a smoke test), which cross-site rules do not
    concern.
    """
    if origin is None:
        return True
    origin = origin.rstrip("/")
    if origin in config.allowed_origins:
        return True
    return bool(host) and urlsplit(origin).netloc.lower() == (host or "").lower()


@blueprint.websocket("/ws/<code>")
async def room_socket(code: str) -> Response | None:
    svc = services()
    config = svc.config
    if not origin_allowed(config, websocket.headers.get("Origin"), websocket.headers.get("Host")):
        return Response("origin not allowed", status=403)
    ip = client_address(config, websocket.headers, websocket.remote_addr)
    await websocket.accept()
    room = svc.registry.get(code)
    refusal = _refusal(svc, ip)
    if refusal is not None or room is None:
        await _close(*(refusal or ROOM_GONE_CLOSE))
        return None
    svc.stats.connection_opened(ip)
    conn = Connection(ip, config.outbox_size)
    try:
        await _serve_connection(svc, room, conn)
    finally:
        svc.stats.connection_closed(ip)
        room.depart(conn)
        if conn.close_code is not None:
            with trio.CancelScope(shield=True):
                await _close(*conn.close_code)
    return None


def _refusal(svc: Services, ip: str) -> tuple[int, str] | None:
    config, stats = svc.config, svc.stats
    if svc.stopping:
        return RESTART_CLOSE
    if stats.ws_connections >= config.max_connections:
        return (OVERLOAD_CLOSE, "the server is full; try again later")
    if stats.connections_by_ip[ip] >= config.max_connections_per_ip:
        return (OVERLOAD_CLOSE, "too many connections from your address")
    return None


async def _close(code: int, reason: str) -> None:
    with trio.move_on_after(CLOSE_TIMEOUT_S):
        try:
            await websocket.close(code, reason)
        except Exception:  # the peer may already be gone; nothing is left to do
            pass


async def _serve_connection(svc: Services, room: Room, conn: Connection) -> None:
    async with trio.open_nursery() as nursery:

        async def until(watch: Any) -> None:
            await watch()
            nursery.cancel_scope.cancel()

        session = Session(conn, room, svc.config, svc.stats)
        nursery.start_soon(until, lambda: _reader(session))
        nursery.start_soon(until, lambda: _writer(conn, svc.stats))
        nursery.start_soon(until, conn.close_requested.wait)
        nursery.start_soon(_hello_deadline, conn, svc.config.hello_timeout_s)
        nursery.start_soon(_restart_before_joining, svc, conn)


async def _restart_before_joining(svc: Services, conn: Connection) -> None:
    """At a graceful shutdown, a connection not in a room yet is told to come back.

    Joined connections hear it from their room, which also writes its state.
    """
    await svc.shutting_down.wait()
    if conn.player_id is None:
        conn.send_text(dumps({"type": "shutdown", "reconnect_in_ms": svc.config.reconnect_in_ms}))
        conn.close(*RESTART_CLOSE)


async def _hello_deadline(conn: Connection, timeout_s: float) -> None:
    with trio.move_on_after(timeout_s):
        await conn.joined.wait()
        return
    conn.close_now(*NO_HELLO_CLOSE)


async def _reader(session: Session) -> None:
    while True:
        await session.frame(await websocket.receive(), trio.current_time())


async def _writer(conn: Connection, stats: Stats) -> None:
    """Send what is queued; several pending messages go out as one JSON array frame."""
    async for item in conn.outbox_reader:
        # One checkpoint before collecting: whatever the room queues meanwhile (the
        # rest of a busy turn) leaves in the same frame. Idle, it costs no latency.
        await trio.lowlevel.checkpoint()
        batch: list[str] = []
        size = 0
        while True:
            if isinstance(item, CloseFrame):
                await _send_batch(batch)
                conn.close_requested.set()
                return
            batch.append(item)
            stats.frames_out[message_type(item)] += 1
            size += len(item)
            if len(batch) >= MAX_BATCH_MESSAGES or size >= MAX_BATCH_CHARS:
                break
            try:
                item = conn.outbox_reader.receive_nowait()
            except trio.WouldBlock:
                break
        await _send_batch(batch)


async def _send_batch(batch: list[str]) -> None:
    if not batch:
        return
    await websocket.send(batch[0] if len(batch) == 1 else "[" + ",".join(batch) + "]")
