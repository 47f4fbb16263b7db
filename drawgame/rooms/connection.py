"""One player's connection as the room sees it: non-blocking sends and a close request.

The transport behind it (a real WebSocket, or a test's fake player) is a
:class:`Sink`. The room only ever calls methods here that never wait, so a
slow client can never slow the room: a sink that cannot keep up closes
itself as a slow consumer (the player resumes with their token).
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Protocol

import orjson
import trio

from drawgame.transport.frames import Outgoing

_ids = itertools.count(1)


class Sink(Protocol):
    """Where a connection's messages go (drawgame.transport.websocket.WebSocket)."""

    @property
    def closing(self) -> bool: ...

    @property
    def close_code(self) -> tuple[int, str] | None: ...

    def send(self, msg: Outgoing) -> bool:
        """Send or queue one message; False once the connection is closing."""

    def close(self, code: int, reason: str) -> None:
        """Close after what is already queued has been sent."""

    def close_now(self, code: int, reason: str) -> None:
        """Close at once, dropping whatever is still queued."""


def outgoing(msg: dict[str, Any]) -> Outgoing:
    """Serialize a server message once, for every recipient.

    orjson writes the compact UTF-8 JSON the standard library would (with
    ``separators=(",", ":"), ensure_ascii=False``), an order of magnitude
    faster: every stroke of every drawer is serialized here.
    """
    return Outgoing(msg["type"], orjson.dumps(msg))


class Connection:
    """The room's handle on one client connection."""

    __slots__ = ("hello_scope", "ip", "player_id", "serial", "sink")

    def __init__(self, ip: str, sink: Sink) -> None:
        self.serial = next(_ids)
        self.ip = ip
        self.sink = sink
        self.player_id: str | None = None
        self.hello_scope: trio.CancelScope | None = None
        """The deadline for `hello` (close 4401); lifted once the player is seated."""

    def __repr__(self) -> str:
        return f"<Connection {self.serial} player={self.player_id}>"

    @property
    def closing(self) -> bool:
        return self.sink.closing

    @property
    def close_code(self) -> tuple[int, str] | None:
        return self.sink.close_code

    def send(self, msg: Outgoing) -> bool:
        """Send one serialized message; a sink that cannot keep up closes itself."""
        return self.sink.send(msg)

    def close(self, code: int, reason: str) -> None:
        """Close after what is already queued has been sent."""
        self.sink.close(code, reason)

    def close_now(self, code: int, reason: str) -> None:
        """Close at once, dropping whatever is still queued."""
        self.sink.close_now(code, reason)

    def seated(self) -> None:
        """The room gave this connection a seat: no hello deadline any more."""
        if self.hello_scope is not None:
            self.hello_scope.deadline = math.inf
