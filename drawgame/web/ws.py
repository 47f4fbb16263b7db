"""WS /ws/<code>: the game's side of a player's WebSocket.

The server (web/server.py) hands every WebSocket upgrade for ``/ws/`` to
:class:`RoomSockets`: it refuses foreign origins before the handshake
(403), then, on the open socket, applies the connection limits, finds the
room and feeds each client message to a :class:`Session`, which hands
commands to the room. The room writes to the socket directly
(drawgame/transport). One task per connection: this one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import trio
from quart import Blueprint, Response

from drawgame.config import Config
from drawgame.rooms.connection import Connection, outgoing
from drawgame.rooms.room import MOVED_CLOSE
from drawgame.rooms.session import RESTART_CLOSE, ROOM_GONE_CLOSE, Session
from drawgame.services import Services
from drawgame.store import StoreClosed
from drawgame.store.connection import Error as DATABASE_ERRORS
from drawgame.transport.handshake import HandshakeError, UpgradeRequest
from drawgame.transport.websocket import ConnectionClosed, WebSocket
from drawgame.web.errors import error_response

blueprint = Blueprint("ws", __name__)

NO_HELLO_CLOSE = (4401, "no hello in time")
OVERLOAD_CLOSE = 1013
LOOKUP_FAILED_CLOSE = (OVERLOAD_CLOSE, "the room cannot be looked up right now; try again")
LOOKUP_ERRORS: tuple[type[Exception], ...] = (*DATABASE_ERRORS, StoreClosed)
"""What finding a room not in memory raises when the database fails."""
ROOM_PATH = re.compile(r"^(?:/w/[A-Za-z0-9-]{1,16})?/ws/([^/]{1,64})/?$")
"""``/ws/<code>``, or ``/w/<worker>/ws/<code>`` as the cluster's proxy routes it (below
the root path, when there is one)."""


def room_code(config: Config, path: str) -> str | None:
    """The room code of a WebSocket path, which must be under the root path."""
    root = config.root_path
    if root:
        if not path.startswith(root + "/"):
            return None
        path = path[len(root):]
    match = ROOM_PATH.match(path)
    return match.group(1) if match else None


def client_address(config: Config, headers: Mapping[str, str] | Any, remote: str | None) -> str:
    """The client's address; X-Forwarded-For is believed only when configured.

    ``headers`` is a mapping with lower-case names, or the app's case-insensitive one.
    """
    if config.trust_proxy_headers:
        forwarded = str(headers.get("x-forwarded-for", ""))
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
async def upgrade_on_a_kept_alive_connection(code: str) -> Response:
    """A WebSocket upgrade that was not the first request on its connection.

    The front door hands only a connection's first request to the WebSocket
    transport; an upgrade on a kept-alive HTTP connection reaches the app,
    which refuses it (a proxy must open a new upstream connection for it).
    """
    return error_response(426, "upgrade_not_first",
                          "open the WebSocket on a new connection, not a kept-alive one")


class RoomSockets:
    """Every player WebSocket of this process: admission, then one Session each."""

    def __init__(self, services: Services, max_connections: int) -> None:
        self.svc = services
        self.max_connections = max_connections
        self._waiting: set[Connection] = set()
        """Open connections without a seat yet: a restart must tell them too."""

    def check(self, request: UpgradeRequest) -> None:
        """Refuse before the handshake (HandshakeError) what must not open at all."""
        if room_code(self.svc.config, request.path) is None:
            raise HandshakeError(404, "not_found", "no such WebSocket path")
        if not origin_allowed(self.svc.config, request.headers.get("origin"), request.host):
            raise HandshakeError(403, "origin_not_allowed", "origin not allowed")

    async def serve(self, ws: WebSocket, request: UpgradeRequest) -> None:
        """Run one player's connection until it closes (the transport finishes the close)."""
        svc, config = self.svc, self.svc.config
        ip = client_address(config, request.headers, ws.peer)
        refusal = self._refusal(ip)
        if refusal is not None:
            ws.close(*refusal)
            return
        code = room_code(config, request.path)
        try:
            room, elsewhere = await svc.registry.find(code) if code else (None, None)
        except LOOKUP_ERRORS:  # a room not in memory needs the directory
            ws.close(*LOOKUP_FAILED_CLOSE)
            return
        if room is None:
            ws.close(*(MOVED_CLOSE if elsewhere is not None else ROOM_GONE_CLOSE))
            return
        conn = Connection(ip, ws)
        session = Session(conn, room, config, svc.stats)
        svc.stats.connection_opened(ip)
        self._waiting.add(conn)
        try:
            with trio.move_on_after(config.hello_timeout_s) as hello:
                conn.hello_scope = hello
                while True:
                    data = await ws.receive()
                    await session.frame(data, trio.current_time())
                    if conn.player_id is not None:
                        self._waiting.discard(conn)
            conn.close_now(*NO_HELLO_CLOSE)
        except ConnectionClosed:
            pass
        finally:
            self._waiting.discard(conn)
            svc.stats.connection_closed(ip)
            room.depart(conn)

    def _refusal(self, ip: str) -> tuple[int, str] | None:
        svc = self.svc
        if svc.stopping:
            return RESTART_CLOSE
        if svc.stats.ws_connections >= self.max_connections:
            return (OVERLOAD_CLOSE, "the server is full; try again later")
        if svc.stats.connections_by_ip[ip] >= svc.config.max_connections_per_ip:
            return (OVERLOAD_CLOSE, "too many connections from your address")
        return None

    def restart_waiting(self) -> None:
        """At a graceful shutdown, connections not in a room yet are told to come back.

        Joined connections hear it from their room, which also writes its state.
        """
        shutdown = outgoing({"type": "shutdown",
                             "reconnect_in_ms": self.svc.config.reconnect_in_ms})
        for conn in list(self._waiting):
            if conn.player_id is None:
                if conn.send(shutdown):
                    self.svc.stats.delivered(shutdown.kind, 1)
                conn.close(*RESTART_CLOSE)
