"""The registry of this worker's rooms: it owns the nursery every room task runs in.

It also keeps this worker's part of the room directory (drawgame/rooms/
directory.py): it registers the worker, heartbeats and renews its leases
every second, stops the rooms it lost, and takes over rooms nobody serves
(a dead worker's, a stopped one's), from their snapshot and op log.

Leases only matter where another process could take a room over. A single
process on SQLite (no ``DRAWGAME_WORKER_ID``) cannot be raced: it holds the
database's lock file exclusively (drawgame/ops/serverlock.py), so no other
server runs on the file. It therefore never fences: a slow or failing
database never stops its rooms (the recorder queues what waits). Workers of a
cluster, and any process on PostgreSQL (which other boxes may share), fence
themselves when their lease may have passed to another worker: their rooms
close every player with 4300 and serve nothing until a renewal answers.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import random
import secrets
from collections.abc import Callable
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
from drawgame.game.views import summary_fields
from drawgame.game.words import WordBank
from drawgame.logs import event, get_logger
from drawgame.rooms import directory
from drawgame.rooms.directory import Entry, Me
from drawgame.rooms.limits import KeyedLimiter
from drawgame.rooms.recorder import RETRY_INTERVAL_S, Recorder, utc_now
from drawgame.rooms.room import LostEvent, NoticeEvent, Room, RoomHooks, StopEvent
from drawgame.stats import Stats
from drawgame.store import Connection, Row, Store
from drawgame.store import games as game_store
from drawgame.store.connection import SQLITE

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


@dataclass(frozen=True)
class Placement:
    """Where a new room goes: its worker, and the lease when this worker takes it now."""

    worker_id: str
    owner: str | None
    lease_until: float


def insert_room(
    conn: Connection, name: str, private: int, settings: str, now: str,
    place: Placement | None = None, summary: Callable[[str, str], str] | None = None,
) -> tuple[str, str]:
    """Insert a room under a fresh code: unique among every room kept, active or closed
    (the table's UNIQUE constraint decides, so concurrent creations cannot collide).

    ``place``: its worker and lease in the directory (none: any worker may take it);
    ``summary``: its first RoomSummary (JSON) from its code and name."""
    for _ in range(20):
        code = new_code()
        title = name or default_room_name(code)
        inserted = conn.execute(
            "INSERT INTO rooms (code, name, private, settings, is_active, created_at,"
            " last_active_at, worker_id, owner, lease_until, summary)"
            " VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO NOTHING",
            (code, title, private, settings, now, now,
             place.worker_id if place else None, place.owner if place else None,
             place.lease_until if place else 0, summary(code, title) if summary else None),
        ).rowcount
        if inserted:
            return code, title
    raise TooManyRooms("no free room code was found; try again")


def new_game_id() -> str:
    return "g_" + secrets.token_hex(8)


class Registry:
    """All active rooms of this process, their shared nursery and their recorder."""

    def __init__(self, config: Config, store: Store, stats: Stats, me: Me | None = None) -> None:
        self.config = config
        self.store = store
        self.stats = stats
        self.words = WordBank()
        self.me = me or Me.create(config.worker_id or "w1", "", routed=bool(config.worker_id))
        self.filters = FilterBank()
        self.fencing = self.me.routed or store.dialect != SQLITE
        """Whether another process may take this one's rooms over (a cluster's worker, or
        any process on PostgreSQL): then it serves a room only under a valid lease."""
        self.recorder = Recorder(store, fence=self._owned if self.fencing else None)
        self.rooms: dict[str, Room] = {}
        self._lease_valid_until = -math.inf
        """This worker may serve its rooms until then (trio's clock): the start of the
        last renewal that succeeded, plus the lease, minus a margin."""
        self._renewed = trio.Event()
        """Set (and replaced) at every renewal that succeeds."""
        self._takeover_after = -math.inf
        """No room is taken over from another worker before then (trio's clock): after
        its own lease lapsed, this worker first lets the others renew theirs."""
        self._summaries: dict[str, str] = {}
        """The RoomSummary last written to the directory, per room."""
        self._adopting: dict[str, trio.Event] = {}
        self.cluster: list[directory.WorkerRow] = []
        """Every worker of the directory, as last read (each second)."""
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
        """Hold the rooms' nursery and the recorder until cancelled; register this worker
        in the directory and keep its leases."""
        async with trio.open_nursery() as nursery:
            await nursery.start(self.recorder.run)
            await self._register()
            self._nursery = nursery
            nursery.start_soon(self._keep_directory)
            if self.fencing:
                nursery.start_soon(self._fence_on_lapse)
            task_status.started()
            await trio.sleep_forever()

    async def shutdown(self) -> None:
        """Graceful restart: every room tells its players, closes them (1012) and ends.

        Then every pending record is written, and the leases are given up so
        that another worker can take the rooms at once. The caller bounds the
        time.
        """
        async with trio.open_nursery() as nursery:
            for room in list(self.rooms.values()):
                nursery.start_soon(room.stop, self.config.reconnect_in_ms)
        await self._write_everything()
        me, now = self.me, directory.wall_time()
        try:
            with trio.CancelScope(shield=True):
                await self.store.directory(
                    lambda c: directory.release(c, me, now, stopped=True))
        except Exception as exc:  # the leases then run out by themselves
            event(log, logging.ERROR, "leases_not_released",
                  error=f"{type(exc).__name__}: {exc}")

    async def _write_everything(self) -> None:
        """Write every waiting record, trying again while the database does not answer,
        until the caller's deadline; what is still waiting then is logged, never lost
        silently."""
        try:
            while True:
                await self.recorder.flush()
                if not self.recorder.waiting:
                    return
                await trio.sleep(RETRY_INTERVAL_S)
        finally:
            if self.recorder.waiting:
                event(log, logging.ERROR, "records_not_written_at_stop",
                      records=self.recorder.waiting, error=self.recorder.last_error,
                      why="the database did not take them before the stop's deadline")

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
        """The room, when this worker serves it."""
        return self.rooms.get(normalize_code(code))

    async def find(self, code: str) -> tuple[Room | None, Entry | None]:
        """The room if this worker serves it (taking it over when nobody does);
        else its directory entry (served elsewhere), or (None, None) when there is no
        open room with this code."""
        code = normalize_code(code)
        room = self.rooms.get(code)
        if room is not None and self.lease_ok():
            return room, None
        entry = await self.store.directory(lambda c: directory.lookup(c, code), write=False)
        if room is not None:  # served here, but the lease lapsed: the directory decides
            if entry is not None and entry.owner == self.me.incarnation:
                return room, None  # still ours: its players are told 4300 until renewed
            room.lose()
        if entry is None:
            return None, None
        if await self._should_take(entry):
            room = await self.adopt(code)
            if room is not None:
                return room, None
            entry = await self.store.directory(lambda c: directory.lookup(c, code),
                                               write=False) or entry
        return None, entry

    async def create_room(self, name: str | None, private: bool, settings: Settings
                          ) -> dict[str, Any]:
        """Create and persist a new room on the least loaded live worker; start it when
        that is this one. Returns its RoomSummary. Raises TooManyRooms at the limit."""
        if len(self.rooms) >= self.config.max_rooms or self._nursery is None:
            raise TooManyRooms("the server has as many rooms as it may hold; try again later")
        place = await self._placement()
        title = (name or "").strip()[:MAX_ROOM_NAME]
        row = (int(private), json.dumps(settings.to_dict()), utc_now())

        def first_summary(code: str, room_name: str) -> str:
            return json.dumps(self._fresh_summary(code, room_name, private, settings))

        code, title = await self.store.transaction(
            lambda conn: insert_room(conn, title, *row, place, first_summary)
        )
        event(log, logging.INFO, "room_created", room=code, private=private,
              worker=place.worker_id)
        if place.owner is None:
            return self._with_place(self._fresh_summary(code, title, private, settings),
                                    place.worker_id)
        room = self._make_room(self._new_state(code, title, private, settings))
        await self._nursery.start(room.run)
        self.rooms[code] = room
        return self.summary(room)

    async def _placement(self) -> Placement:
        """The least loaded live worker (this one when alone, or when it is the one)."""
        now = directory.wall_time()
        all_workers, rooms = await self.store.directory(
            lambda c: (directory.workers(c), directory.room_counts(c)), write=False)
        live = [w for w in all_workers if w.live(now)]
        best = directory.least_loaded(live, rooms)
        if best is None or best.id == self.me.worker_id or not self.me.routed:
            return Placement(self.me.worker_id, self.me.incarnation, now + directory.LEASE_S)
        return Placement(best.id, None, now)

    async def recover(self) -> list[str]:
        """Take over, at start, every room that nobody serves and is this worker's to take.

        With one worker that is every room that was active when the process
        stopped. Each comes back from its last snapshot, its canvas from the
        persisted op batches; every seat is held for ``seat_grace_s`` from
        now. A room whose snapshot cannot be read is closed with a logged
        error: it never stops the start.
        """
        return await self._take_over()

    async def _take_over(self) -> list[str]:
        me, now = self.me, directory.wall_time()

        def scan(conn: Any) -> tuple[list[str], list[directory.WorkerRow]]:
            found = directory.workers(conn)
            return directory.mine_to_take(me, directory.orphans(conn, me, now), found, now), found

        codes, self.cluster = await self.store.directory(scan, write=False)
        if not self.may_take_over():
            return []
        adopted = []
        for code in codes:
            if code not in self.rooms and await self.adopt(code) is not None:
                adopted.append(code)
        return adopted

    async def _should_take(self, entry: Entry) -> bool:
        """Whether a room this worker was asked about is its to take over now."""
        if not self.may_take_over():
            return False
        now = directory.wall_time()
        all_workers = await self.store.directory(directory.workers, write=False)
        by_id = {w.id: w for w in all_workers}
        assigned = by_id.get(entry.worker_id or "")
        if entry.owner is None:
            return (entry.worker_id == self.me.worker_id or assigned is None
                    or not assigned.live(now))
        held = entry.lease_until >= now and assigned is not None \
            and assigned.incarnation == entry.owner
        return not held

    async def adopt(self, code: str) -> Room | None:
        """Claim room ``code`` in the directory and start it from what is stored.

        None when another worker got it first (or it is no longer open). Two
        requests for the same room here wait for one claim.
        """
        if code in self.rooms:
            return self.rooms[code]
        busy = self._adopting.get(code)
        if busy is not None:
            await busy.wait()
            return self.rooms.get(code)
        done = self._adopting[code] = trio.Event()
        try:
            return await self._adopt(code)
        finally:
            del self._adopting[code]
            done.set()

    async def _adopt(self, code: str) -> Room | None:
        assert self._nursery is not None
        me = self.me

        def take(conn: Any) -> Any:
            if not directory.claim(conn, me, code, directory.wall_time()):
                return None
            return game_store.active_room(conn, code)

        row = await self.store.directory(take)
        if row is None:
            return None
        try:
            state = await self._load(row)
        except (ValueError, TypeError, KeyError, GameError) as exc:
            event(log, logging.ERROR, "room_not_recovered", room=code,
                  error=f"{type(exc).__name__}: {exc}")
            await self._close_unreadable(code)
            return None
        room = self._make_room(state)
        await self._nursery.start(room.run)
        self.rooms[code] = room
        event(log, logging.INFO, "room_recovered", room=code, phase=state.phase,
              players=len(state.players), worker=me.worker_id)
        return room

    # ------------------------------------------------------------ the directory

    def serving_at(self, url: str) -> None:
        """Where this worker listens (shown in the directory from the next heartbeat)."""
        self.me = dataclasses.replace(self.me, url=url)

    async def _register(self) -> None:
        me, now, started = self.me, directory.wall_time(), trio.current_time()
        await self.store.directory(lambda c: directory.register(c, me, now))
        self._lease_valid_until = started + directory.LEASE_S - directory.LEASE_MARGIN_S

    async def _keep_directory(self) -> None:
        """Every HEARTBEAT_S: heartbeat, renew the leases, stop lost rooms, take over
        rooms nobody serves. A failed round is logged and tried again."""
        while True:
            await trio.sleep(directory.HEARTBEAT_S)
            try:
                await self.renew()
                await self._take_over()
            except Exception as exc:  # the database may be away; the lease says how long
                event(log, logging.ERROR, "directory_failed",
                      error=f"{type(exc).__name__}: {exc}")

    async def renew(self) -> None:
        """One heartbeat: renew every lease; rooms no longer ours stop at once."""
        me, started, now = self.me, trio.current_time(), directory.wall_time()
        changed = self._changed_summaries()
        counts = (len(self.rooms), self.stats.ws_connections)
        owned = await self.store.directory(
            lambda c: directory.heartbeat(c, me, now, *counts, changed))
        lapsed = not self.lease_ok()
        for code, text in changed:
            self._summaries[code] = text
        for code, room in list(self.rooms.items()):
            if code not in owned and code not in self._adopting and self.fencing:
                event(log, logging.WARNING, "room_lost", room=code, worker=me.worker_id)
                room.lose()
        self._lease_valid_until = started + directory.LEASE_S - directory.LEASE_MARGIN_S
        if lapsed and self.fencing:
            # Every worker's heartbeat may be as old as this one's was (a database that
            # stalled for everyone): give the others a lease's time to renew theirs before
            # taking any of their rooms.
            self._takeover_after = trio.current_time() + directory.LEASE_S
            event(log, logging.INFO, "lease_renewed", worker=me.worker_id,
                  rooms=len(owned))
            for room in self.rooms.values():
                room.wake()
        renewed, self._renewed = self._renewed, trio.Event()
        renewed.set()

    def lease_ok(self) -> bool:
        """Whether this process may serve its rooms now (always, when nobody can take
        them over)."""
        return not self.fencing or trio.current_time() < self._lease_valid_until

    def may_take_over(self) -> bool:
        """Whether rooms another worker held may be taken over now."""
        return self.lease_ok() and trio.current_time() >= self._takeover_after

    async def _fence_on_lapse(self) -> None:
        """When the lease lapses, every room stops serving at once (its players are told
        4300), not only at its next event; then wait for a renewal."""
        while True:
            await trio.sleep_until(self._lease_valid_until)
            if self.lease_ok():
                continue
            event(log, logging.WARNING, "lease_lapsed", worker=self.me.worker_id,
                  rooms=len(self.rooms), why="no renewal of the lease answered in time")
            for room in list(self.rooms.values()):
                room.wake()
            await self._renewed.wait()

    def _owned(self, conn: Any, codes: set[str]) -> set[str]:
        return directory.owned(conn, self.me, codes)

    def _changed_summaries(self) -> list[tuple[str, str]]:
        changed = []
        for code, room in self.rooms.items():
            text = json.dumps(self._summary_of(room), separators=(",", ":"))
            if self._summaries.get(code) != text:
                changed.append((code, text))
        return changed

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
        query = None if state.mode is None else state.mode.content_query(state)
        if state.mode is not None and query is not None:
            content = await self.store.run(lambda c: game_store.read_content(c, query))
            state.mode.restore(state, content)
        return state

    def _make_room(self, state: Any) -> Room:
        hooks = RoomHooks(
            record=self._record,
            maintenance=lambda: (self.maintenance.on, self.maintenance.message),
            stats=self.stats,
            on_stop=self._room_stopped,
            lease_ok=self.lease_ok,
            store_full=lambda: self.recorder.full,
            refused_draw=self.recorder.refuse_draw,
        )
        return Room(state, hooks, inbox_size=self.config.inbox_size,
                    idle_close_s=self.config.room_idle_close_s)

    def _record(self, code: str, record: Record) -> None:
        self.recorder.add(code, record)

    def _room_stopped(self, room: Room, stop: StopEvent | LostEvent | None) -> None:
        self.rooms.pop(room.code, None)
        self._summaries.pop(room.code, None)
        if stop is None:  # closed for being idle; a room stopped for a restart stays active
            self.recorder.add(room.code, Record("room_closed", {}))

    # ------------------------------------------------------------ views

    def summary(self, room: Room) -> dict[str, Any]:
        """The protocol's RoomSummary, with where to connect (``worker``, ``ws_path``)."""
        return self._with_place(self._summary_of(room), self.me.worker_id)

    def _summary_of(self, room: Room) -> dict[str, Any]:
        state = room.state
        return {
            "code": state.code,
            "name": state.name,
            "private": state.private,
            "phase": state.phase,
            "players": sum(1 for _ in state.seated()),
            "max_players": state.settings.max_players,
            **summary_fields(state, trio.current_time()),
            "language": state.settings.language,
        }

    @staticmethod
    def _fresh_summary(code: str, name: str, private: bool, settings: Settings
                       ) -> dict[str, Any]:
        return {"code": code, "name": name, "private": private, "phase": "lobby",
                "players": 0, "max_players": settings.max_players, "round": 0,
                "rounds": settings.rounds, "mode": settings.mode, "step": None,
                "steps": None, "language": settings.language}

    def _with_place(self, summary: dict[str, Any], worker_id: str | None) -> dict[str, Any]:
        return {**summary, "worker": worker_id,
                "ws_path": self.me.ws_path(worker_id, str(summary["code"]))}

    async def room_summary(self, code: str) -> dict[str, Any] | None:
        """RoomSummary of any open room, wherever it is served (None: no such room)."""
        room, entry = await self.find(code)
        if room is not None:
            return self.summary(room)
        if entry is None or entry.summary is None:
            return None
        return self._with_place(entry.summary, entry.worker_id)

    async def public_rooms(self) -> list[dict[str, Any]]:
        """Open public rooms (not full) of every worker, fullest first.

        This worker's own rooms are read live; the others' come from the
        directory, as their owners last wrote them (at most a second old).
        """
        local = {code: self.summary(room) for code, room in self.rooms.items()
                 if not room.state.private}
        entries = await self.store.read(directory.public_entries)
        listed = dict(local)
        for entry in entries:
            if entry.code not in listed and entry.summary is not None:
                listed[entry.code] = self._with_place(entry.summary, entry.worker_id)
        open_rooms = [s for s in listed.values() if s["players"] < s["max_players"]]
        return sorted(open_rooms, key=lambda s: (-s["players"], s["code"]))
