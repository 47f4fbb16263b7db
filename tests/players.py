"""Fake players for room tests: a real Connection and Session, no network.

A FakePlayer feeds frames through the same Session the WebSocket reader
uses and reads what the room sent to its :class:`MemorySink`, which stands
where the WebSocket transport would (bounded in bytes like a real outbox),
so room tests exercise everything but the socket itself.
"""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import trio
import trio.testing

from drawgame.config import Config
from drawgame.game import rules
from drawgame.game.effects import Record
from drawgame.game.settings import Settings
from drawgame.game.words import WordBank
from drawgame.rooms.connection import Connection
from drawgame.rooms.room import GoneEvent, Room, RoomHooks, StopEvent
from drawgame.rooms.session import Session
from drawgame.stats import Stats
from drawgame.transport.frames import Outgoing
from drawgame.transport.websocket import SLOW_CONSUMER_CLOSE

WORDS = WordBank()


@dataclass
class Harness:
    room: Room
    config: Config
    stats: Stats
    records: list[tuple[str, Record]] = field(default_factory=list)
    maintenance: list[Any] = field(default_factory=lambda: [False, ""])
    stops: list[StopEvent | None] = field(default_factory=list)

    def player(self, name: str, outbox_bytes: int | None = None) -> FakePlayer:
        sink = MemorySink(outbox_bytes or self.config.outbox_bytes)
        return FakePlayer(self, name, Connection("10.0.0.1", sink), sink)

    def kinds(self) -> list[str]:
        return [r.kind for _, r in self.records]


@asynccontextmanager
async def running_room(
    config: Config | None = None, seed: int = 7, **settings: Any
) -> AsyncIterator[Harness]:
    """A room task in its own nursery; cancelled when the block ends."""
    config = config or Config(environment="test")
    stats = Stats()
    state = rules.new_room(
        "TESTROOM", "Test room", False, Settings(**settings), random.Random(seed), WORDS.words,
        languages=WORDS.codes(), seat_grace_s=config.seat_grace_s,
    )
    holder: list[Harness] = []
    hooks = RoomHooks(
        record=lambda code, record: holder[0].records.append((code, record)),
        maintenance=lambda: (holder[0].maintenance[0], holder[0].maintenance[1]),
        stats=stats,
        on_stop=lambda room, stop: holder[0].stops.append(stop),
    )
    room = Room(state, hooks, inbox_size=config.inbox_size, idle_close_s=config.room_idle_close_s)
    harness = Harness(room, config, stats)
    holder.append(harness)
    async with trio.open_nursery() as nursery:
        await nursery.start(room.run)
        yield harness
        nursery.cancel_scope.cancel()


class MemorySink:
    """The far end of a fake player's connection: what the room sent, until drained.

    Like the real transport's outbox it is bounded in bytes: past the bound
    the client is a slow consumer, closed with 1013 and its messages dropped.
    """

    def __init__(self, outbox_bytes: int) -> None:
        self.limit = outbox_bytes
        self.waiting: list[bytes] = []
        self.bytes = 0
        self.closing = False
        self.close_code: tuple[int, str] | None = None

    def send(self, msg: Outgoing) -> bool:
        if self.closing:
            return False
        self.waiting.append(msg.data)
        self.bytes += msg.size
        if self.bytes > self.limit and len(self.waiting) > 1:
            self.close_now(*SLOW_CONSUMER_CLOSE)
            return False
        return True

    def close(self, code: int, reason: str) -> None:
        if not self.closing:
            self.closing = True
            self.close_code = (code, reason)

    def close_now(self, code: int, reason: str) -> None:
        self.waiting.clear()
        self.bytes = 0
        self.close(code, reason)

    def take(self) -> list[bytes]:
        taken, self.waiting, self.bytes = self.waiting, [], 0
        return taken


class FakePlayer:
    def __init__(self, harness: Harness, name: str, conn: Connection, sink: MemorySink) -> None:
        self.harness = harness
        self.name = name
        self.conn = conn
        self.sink = sink
        self.session = Session(conn, harness.room, harness.config, harness.stats)
        self.received: list[dict[str, Any]] = []
        self.frames = 0
        self._closed: tuple[int, str] | None = None
        self.id: str | None = None
        self.token: str | None = None

    async def send(self, msg: dict[str, Any] | str | bytes) -> None:
        data = msg if isinstance(msg, str | bytes) else json.dumps(msg)
        await self.session.frame(data, trio.current_time())
        await trio.testing.wait_all_tasks_blocked()

    async def hello(self, token: str | None = None, spectate: bool = False) -> dict[str, Any]:
        msg: dict[str, Any] = {"type": "hello", "name": self.name}
        if token is not None:
            msg["token"] = token
        if spectate:
            msg["spectate"] = True
        await self.send(msg)
        welcome = self.last("welcome")
        self.id, self.token = welcome["you"]["id"], welcome["you"]["token"]
        return welcome

    async def drop(self) -> None:
        """The connection goes away (as the WebSocket handler reports it)."""
        await self.harness.room.submit(GoneEvent(self.conn))
        await trio.testing.wait_all_tasks_blocked()

    def drain(self) -> list[dict[str, Any]]:
        new: list[dict[str, Any]] = []
        for item in self.sink.take():
            self.frames += 1
            data = json.loads(item)
            new.extend(data if isinstance(data, list) else [data])
        if self.sink.close_code is not None and self._closed is None:
            self._closed = self.sink.close_code
        self.received.extend(new)
        return new

    @property
    def closed(self) -> tuple[int, str] | None:
        """How the room closed this connection (None: still open)."""
        self.drain()
        return self._closed

    def of(self, kind: str) -> list[dict[str, Any]]:
        self.drain()
        return [m for m in self.received if m["type"] == kind]

    def last(self, kind: str) -> dict[str, Any]:
        found = self.of(kind)
        seen = [m["type"] for m in self.received]
        assert found, f"{self.name} has no {kind!r} message; got {seen}"
        return found[-1]

    def errors(self) -> list[str]:
        return [m["code"] for m in self.of("error")]

    def clear(self) -> None:
        self.drain()
        self.received.clear()


async def settle() -> None:
    await trio.testing.wait_all_tasks_blocked()


async def join_all(harness: Harness, *names: str) -> list[FakePlayer]:
    players = [harness.player(name) for name in names]
    for p in players:
        await p.hello()
    return players


def drawer_of(players: list[FakePlayer]) -> FakePlayer:
    phase = players[0].last("phase")
    return next(p for p in players if p.id == phase["drawer_id"])


async def choose(players: list[FakePlayer], index: int = 0) -> tuple[FakePlayer, str]:
    """The current drawer picks a word; returns the drawer and the word."""
    drawer = drawer_of(players)
    await drawer.send({"type": "choose", "index": index})
    return drawer, drawer.last("word")["word"]


def stroke(stroke_id: int, *points: int, colour: str = "#112233", width: int = 6) -> dict[str, Any]:
    return {"op": "line", "id": stroke_id, "c": colour, "w": width, "p": list(points)}
