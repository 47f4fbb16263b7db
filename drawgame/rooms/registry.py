"""The registry of active rooms: it owns the nursery every room task runs in."""

from __future__ import annotations

import json
import logging
import random
import secrets
from dataclasses import dataclass
from typing import Any

import trio

from drawgame.config import Config
from drawgame.game import rules
from drawgame.game.effects import Record
from drawgame.game.errors import GameError
from drawgame.game.filter import FilterBank
from drawgame.game.persist import load_state
from drawgame.game.settings import Settings
from drawgame.game.state import RoomState
from drawgame.game.words import WordBank
from drawgame.logs import event, get_logger
from drawgame.rooms.limits import KeyedLimiter
from drawgame.rooms.recorder import Recorder, utc_now
from drawgame.rooms.room import NoticeEvent, Room, RoomHooks, StopEvent
from drawgame.stats import Stats
from drawgame.store import Connection, Row, Store
from drawgame.store import games as game_store

log = get_logger("registry")

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
"""Room code letters: no 0/O, 1/I/L, so a code read aloud or typed is unambiguous."""
CODE_LENGTH = 8
MAX_ROOM_NAME = 40


class TooManyRooms(Exception):
    """The configured number of active rooms is reached."""


@dataclass(frozen=True)
class Maintenance:
    """Maintenance mode: persisted by Services, read here by every room."""

    on: bool = False
    message: str = ""


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(code: str) -> str:
    return code.strip().upper()


def default_room_name(code: str) -> str:
    return f"Room {code[:4]}"


def insert_room(
    conn: Connection, name: str, private: int, settings: str, now: str
) -> tuple[str, str]:
    """Insert a room under a fresh code: unique among every room kept, active or closed
    (the table's UNIQUE constraint decides, so concurrent creations cannot collide)."""
    for _ in range(20):
        code = new_code()
        title = name or default_room_name(code)
        inserted = conn.execute(
            "INSERT INTO rooms (code, name, private, settings, is_active, created_at,"
            " last_active_at) VALUES (?, ?, ?, ?, 1, ?, ?) ON CONFLICT DO NOTHING",
            (code, title, private, settings, now, now),
        ).rowcount
        if inserted:
            return code, title
    raise TooManyRooms("no free room code was found; try again")


def new_game_id() -> str:
    return "g_" + secrets.token_hex(8)


class Registry:
    """All active rooms of this process, their shared nursery and their recorder."""

    def __init__(self, config: Config, store: Store, stats: Stats) -> None:
        self.config = config
        self.store = store
        self.stats = stats
        self.words = WordBank()
        self.filters = FilterBank()
        self.recorder = Recorder(store)
        self.rooms: dict[str, Room] = {}
        self.maintenance = Maintenance()
        per_minute = config.rooms_per_minute_per_ip
        self.create_limiter = KeyedLimiter(rate=per_minute / 60, burst=per_minute)
        self._nursery: trio.Nursery | None = None

    # ------------------------------------------------------------ figures

    @property
    def active_rooms(self) -> int:
        return len(self.rooms)

    @property
    def active_players(self) -> int:
        return sum(len(room.connections) for room in self.rooms.values())

    # ------------------------------------------------------------ lifecycle

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Hold the rooms' nursery and the recorder until cancelled."""
        async with trio.open_nursery() as nursery:
            await nursery.start(self.recorder.run)
            self._nursery = nursery
            task_status.started()
            await trio.sleep_forever()

    async def shutdown(self) -> None:
        """Graceful restart: every room tells its players, closes them (1012) and ends.

        Then every pending record is written. The caller bounds the time.
        """
        async with trio.open_nursery() as nursery:
            for room in list(self.rooms.values()):
                nursery.start_soon(room.stop, self.config.reconnect_in_ms)
        await self.recorder.flush()

    def announce_maintenance(self, on: bool, message: str) -> None:
        """Tell every room that maintenance mode changed (players see a notice)."""
        self.maintenance = Maintenance(on, message)
        if on:
            text = "Maintenance: no new players for now; games in progress go on."
            text = f"{text} {message}" if message else text
        else:
            text = "Maintenance is over."
        for room in self.rooms.values():
            room.post(NoticeEvent(text))

    # ------------------------------------------------------------ rooms

    def get(self, code: str) -> Room | None:
        return self.rooms.get(normalize_code(code))

    async def create_room(self, name: str | None, private: bool, settings: Settings) -> Room:
        """Create, persist and start a new room; raises TooManyRooms at the limit."""
        if len(self.rooms) >= self.config.max_rooms or self._nursery is None:
            raise TooManyRooms("the server has as many rooms as it may hold; try again later")
        title = (name or "").strip()[:MAX_ROOM_NAME]
        row = (int(private), json.dumps(settings.to_dict()), utc_now())
        code, title = await self.store.transaction(
            lambda conn: insert_room(conn, title, *row)
        )
        room = self._make_room(self._new_state(code, title, private, settings))
        await self._nursery.start(room.run)
        self.rooms[code] = room
        event(log, logging.INFO, "room_created", room=code, private=private)
        return room

    async def recover(self) -> list[str]:
        """Bring back every room that was active when the process stopped.

        Each comes back from its last snapshot, its canvas from the persisted
        op batches; every seat is held for ``seat_grace_s`` from now. A room
        whose snapshot cannot be read is closed with a logged error: it never
        stops the start.
        """
        assert self._nursery is not None
        recovered: list[str] = []
        for row in await self.store.run(game_store.active_rooms):
            code = row["code"]
            try:
                state = await self._load(row)
            except (ValueError, TypeError, KeyError, GameError) as exc:
                event(log, logging.ERROR, "room_not_recovered", room=code,
                      error=f"{type(exc).__name__}: {exc}")
                await self._close_unreadable(code)
                continue
            room = self._make_room(state)
            await self._nursery.start(room.run)
            self.rooms[code] = room
            recovered.append(code)
            event(log, logging.INFO, "room_recovered", room=code, phase=state.phase,
                  players=len(state.players))
        return recovered

    def _new_state(self, code: str, name: str, private: bool, settings: Settings) -> RoomState:
        return rules.new_room(
            code, name, private, settings, random.Random(secrets.randbits(64)),
            self.words.words, languages=self.words.codes(), seat_grace_s=self.config.seat_grace_s,
            new_id=new_game_id, filters=self.filters,
        )

    async def _close_unreadable(self, code: str) -> None:
        at = utc_now()
        await self.store.transaction(lambda c: game_store.close_room(c, code, at))

    async def _load(self, row: Row) -> RoomState:
        if row["snapshot"] is None:  # created just before a crash: an empty lobby again
            settings = Settings.from_dict(json.loads(row["settings"]), languages=self.words.codes())
            return self._new_state(row["code"], row["name"], bool(row["private"]), settings)
        data = json.loads(row["snapshot"])
        state = load_state(
            data, trio.current_time(), words_for=self.words.words, new_id=new_game_id,
            languages=self.words.codes(), seat_grace_s=self.config.seat_grace_s,
            filters=self.filters,
        )
        if state.phase in ("drawing", "reveal") and state.game_id is not None:
            game, turn = state.game_id, state.turn
            batches = await self.store.run(lambda c: game_store.turn_op_batches(c, game, turn))
            state.oplog = game_store.replay(batches)
        return state

    def _make_room(self, state: Any) -> Room:
        hooks = RoomHooks(
            record=self._record,
            maintenance=lambda: (self.maintenance.on, self.maintenance.message),
            stats=self.stats,
            on_stop=self._room_stopped,
        )
        return Room(state, hooks, inbox_size=self.config.inbox_size,
                    idle_close_s=self.config.room_idle_close_s)

    def _record(self, code: str, record: Record) -> None:
        self.recorder.add(code, record)

    def _room_stopped(self, room: Room, stop: StopEvent | None) -> None:
        self.rooms.pop(room.code, None)
        if stop is None:  # closed for being idle; a room stopped for a restart stays active
            self.recorder.add(room.code, Record("room_closed", {}))

    # ------------------------------------------------------------ views

    def summary(self, room: Room) -> dict[str, Any]:
        """The protocol's RoomSummary."""
        state = room.state
        return {
            "code": state.code,
            "name": state.name,
            "private": state.private,
            "phase": state.phase,
            "players": sum(1 for _ in state.seated()),
            "max_players": state.settings.max_players,
            "round": state.round,
            "rounds": state.settings.rounds,
            "language": state.settings.language,
        }

    def public_rooms(self) -> list[dict[str, Any]]:
        """Open public rooms (not full), fullest first."""
        listed = [
            self.summary(room)
            for room in self.rooms.values()
            if not room.state.private
        ]
        open_rooms = [s for s in listed if s["players"] < s["max_players"]]
        return sorted(open_rooms, key=lambda s: (-s["players"], s["code"]))
