"""What happens to each frame a client sends, whatever carries it.

The WebSocket reader and the tests' fake players both feed raw frames to a
:class:`Session`: it parses and validates the frame, applies the rate limits,
answers ``ping`` itself and puts every other command on the room's inbox.
Refused frames get an ``error`` on the connection; too many of them within a
minute close it (1008).
"""

from __future__ import annotations

import time
from typing import Any

from drawgame.config import Config
from drawgame.game.errors import BadMessage, GameError, RateLimited
from drawgame.game.protocol import Hello, Ping, parse_client_frame
from drawgame.rooms.connection import Connection, outgoing
from drawgame.rooms.limits import ConnectionLimits
from drawgame.rooms.room import CommandEvent, JoinEvent, Room, RoomClosed
from drawgame.stats import Stats


class StorageFull(GameError):
    """The server's write queue is full (its database has not answered for long): a
    `draw` is refused rather than relayed and then not kept."""

    code = "storage_full"


ABUSE_CLOSE = (1008, "too many refused messages")
ROOM_GONE_CLOSE = (4004, "room not found or closed")
RESTART_CLOSE = (1012, "server restarting")


class Session:
    """One connection's frame handling: parse, limit, answer pings, hand to the room."""

    def __init__(self, conn: Connection, room: Room, config: Config, stats: Stats) -> None:
        self.conn = conn
        self.room = room
        self.stats = stats
        self.limits = ConnectionLimits(config)

    async def frame(self, data: str | bytes, now: float) -> None:
        """Handle one frame.

        Once the connection is closing, frames are ignored: what is queued
        (the errors that explain the close) goes out before the close frame.
        """
        if self.conn.closing:
            return
        self.stats.messages_in.add()
        try:
            if not isinstance(data, str):
                raise BadMessage("frames must be JSON text")
            cmd = parse_client_frame(data)
            self.stats.frames_in[cmd.type] += 1
            if not self.limits.allow(cmd, now):
                raise RateLimited("too many messages: slow down", ref=cmd.type)
        except GameError as exc:
            self.refused(exc)
            if self.limits.abuse.strike(now):
                self.conn.close(*ABUSE_CLOSE)  # after the errors that explain it
            return
        if isinstance(cmd, Ping):
            pong = {"type": "pong", "t": cmd.t, "server_ms": int(time.time() * 1000)}
            self.send(pong)
            return
        if cmd.type == "draw" and self.room.hooks.store_full():
            self.room.hooks.refused_draw()
            self.refused(StorageFull("the server cannot save drawings right now; try again"
                                     " in a moment", ref="draw"))  # no strike: not abuse
            return
        item = (JoinEvent(self.conn, cmd) if isinstance(cmd, Hello)
                else CommandEvent(self.conn, cmd, arrived=now))
        try:
            if not self.room.handle_now(item):
                await self.room.submit(item)
        except RoomClosed as closed:
            self.conn.close(*(RESTART_CLOSE if closed.restart else ROOM_GONE_CLOSE))

    def refused(self, exc: GameError) -> None:
        self.stats.errors[exc.code] += 1
        self.send(exc.to_message())

    def send(self, msg: dict[str, Any]) -> None:
        out = outgoing(msg)
        if self.conn.send(out):
            self.stats.delivered(out.kind, 1)
