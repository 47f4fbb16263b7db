"""A room: one trio task that owns a RoomState and applies the rules to it.

Connections never touch the state. They put events on the room's bounded
inbox (``submit``); the room task takes them one at a time, calls the pure
rule functions with ``trio.current_time()`` and carries out the effects:
each outgoing message is serialized once and the same frame goes to every
recipient (written at once when its socket takes it). Between events the
room sleeps until the rules' next deadline (a cancel scope replaced on
every loop, so a stale timer can never fire).
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import trio

from drawgame.game import rules
from drawgame.game.effects import Close, Effect, Record, Send
from drawgame.game.errors import BadToken, Forbidden, GameError, Maintenance, RoomFull
from drawgame.game.persist import dump_state
from drawgame.game.protocol import Command, Draw, Hello
from drawgame.game.state import RoomState
from drawgame.logs import event, get_logger
from drawgame.rooms.connection import Connection, outgoing
from drawgame.stats import Stats
from drawgame.transport.frames import Outgoing

log = get_logger("room")

ROOM_FULL_CLOSE = 4009
KICKED_CLOSE = 4001
REPLACED_CLOSE = 4409
MAINTENANCE_CLOSE = 1013
RESTART_CLOSE = 1012
ROOM_CLOSED_CLOSE = 4004
MOVED_CLOSE = (4300, "the room is served elsewhere now: ask where and reconnect")
SNAPSHOT_HEARTBEAT_S = 5.0
"""While a phase timer runs, the snapshot is rewritten at least this often, so after
a crash the timer resumes with at most this much more time than it had."""


def hash_token(token: str) -> str:
    """Tokens are stored and compared only as SHA-256 hex digests."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass
class JoinEvent:
    conn: Connection
    hello: Hello


@dataclass
class CommandEvent:
    conn: Connection
    cmd: Command
    arrived: float | None = None
    """When its frame was read (trio's clock), for the draw-handling figure."""


@dataclass
class GoneEvent:
    conn: Connection


@dataclass
class NoticeEvent:
    text: str


@dataclass
class TickEvent:
    """The room's next deadline has come (its timer task posts this)."""


@dataclass
class LostEvent:
    """Another worker holds the room's lease now: end at once, writing nothing."""


@dataclass
class StopEvent:
    """Ask the room to end for a graceful restart: players are told to come back."""

    reconnect_in_ms: int = 0


RoomEvent = (JoinEvent | CommandEvent | GoneEvent | NoticeEvent | TickEvent | StopEvent
             | LostEvent)


class RoomClosed(Exception):
    """The room has ended and takes no more events (``restart``: stopped for a restart)."""

    def __init__(self, code: str, restart: bool = False) -> None:
        super().__init__(code)
        self.restart = restart


@dataclass
class RoomHooks:
    """What a room needs from the outside: persistence, maintenance state, and stats."""

    record: Callable[[str, Record], None]
    maintenance: Callable[[], tuple[bool, str]]
    stats: Stats
    on_stop: Callable[[Room, StopEvent | LostEvent | None], None] = lambda room, stop: None
    lease_ok: Callable[[], bool] = lambda: True
    """Whether this worker may serve its rooms now: always, for a single process on
    SQLite; in a cluster, while its lease is valid by its own clock."""
    store_full: Callable[[], bool] = lambda: False
    """Whether the recorder's queue is full: new drawing is then refused, not dropped."""
    refused_draw: Callable[[], None] = lambda: None
    """A draw frame was refused because the queue is full (counted)."""


class Room:
    """One room's task and inbox; see the module docstring."""

    def __init__(
        self, state: RoomState, hooks: RoomHooks, *, inbox_size: int, idle_close_s: float
    ) -> None:
        self.state = state
        self.hooks = hooks
        self.idle_close_s = idle_close_s
        self.connections: dict[str, Connection] = {}
        self._inbox, self._inbox_reader = trio.open_memory_channel[RoomEvent](inbox_size)
        self._empty_since: float | None = None
        self._stop: StopEvent | LostEvent | None = None
        self._lost = False
        """Another worker holds this room's lease now (set at once by ``lose``)."""
        self._fenced_since: float | None = None
        """Since when the room serves nothing because its lease may have lapsed."""
        self._snapshot_due = True
        self._snapshot_at = -math.inf
        self._overflow: list[RoomEvent] = []
        """Events that must not be lost but found the inbox full (departures, notices);
        bounded by the connections and the operator's maintenance switches."""
        self.ended = trio.Event()
        self._wake_at = math.inf
        self._timer_scope: trio.CancelScope | None = None
        self._queued = 0
        """Events sent (or being sent) to the inbox that the room has not taken yet."""
        self._parked = False
        """The room task waits for its next event (and has none in hand)."""

    @property
    def code(self) -> str:
        return self.state.code

    # ------------------------------------------------------------ outside API

    async def submit(self, item: RoomEvent) -> None:
        """Queue an event; waits while the inbox is full. Raises RoomClosed."""
        self._queued += 1
        try:
            await self._inbox.send(item)
        except (trio.ClosedResourceError, trio.BrokenResourceError):
            self._queued -= 1
            raise RoomClosed(self.code, restart=self._stop is not None) from None
        except BaseException:
            self._queued -= 1
            raise

    def handle_now(self, item: JoinEvent | CommandEvent) -> bool:
        """Handle a client's event at once, in the caller's task, if the room is idle.

        The room waits for its next event with nothing queued: handling the
        event here, synchronously, is exactly what the room task would do
        next (no other task can run in between), minus two task switches per
        frame. False when events are queued (order matters) or the room is
        stopping: then ``submit`` it.
        """
        if not self._parked or self._queued or self._stop is not None or self._lost \
                or not self.hooks.lease_ok():
            return False
        self._handle(item)
        return True

    def depart(self, conn: Connection) -> None:
        """The connection is gone; never waits (a full inbox only delays the news)."""
        self.post(GoneEvent(conn))

    def post(self, item: RoomEvent) -> None:
        """Queue an event that must not be lost, without waiting: a full inbox only
        delays it until after the event in hand."""
        if not self.submit_nowait(item) and not self._inbox_closed():
            self._overflow.append(item)

    def _inbox_closed(self) -> bool:
        return self.ended.is_set() or self._stop is not None

    def submit_nowait(self, item: RoomEvent) -> bool:
        self._queued += 1
        try:
            self._inbox.send_nowait(item)
        except (trio.WouldBlock, trio.ClosedResourceError, trio.BrokenResourceError):
            self._queued -= 1
            return False
        return True

    def lose(self) -> None:
        """Another worker holds this room's lease now: the room ends at once, writing
        nothing, and its players are told to ask where it is (close 4300)."""
        self._lost = True
        self.post(LostEvent())

    def wake(self) -> None:
        """Look at the lease and the deadlines now: the lease lapsed (the room stops
        serving at once) or was renewed (its timer, stopped meanwhile, catches up)."""
        self.post(TickEvent())

    async def stop(self, reconnect_in_ms: int = 0) -> None:
        """Ask the room to end for a restart and wait until it has."""
        try:
            await self.submit(StopEvent(reconnect_in_ms))
        except RoomClosed:
            pass
        await self.ended.wait()

    # ------------------------------------------------------------ the task

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Serve events and deadlines until the room is idle too long or asked to stop."""
        self._empty_since = trio.current_time()
        self.write_snapshot(clean=False)
        task_status.started()
        try:
            async with self._inbox_reader, trio.open_nursery() as nursery:
                nursery.start_soon(self._timer)
                await self._loop()
                nursery.cancel_scope.cancel()
        finally:
            self._inbox.close()
            self.hooks.on_stop(self, self._stop)
            self.ended.set()

    async def _loop(self) -> None:
        self._arm_timer()
        while self._stop is None:
            self._parked = True
            try:
                item = await self._inbox_reader.receive()
            finally:
                self._parked = False
            self._queued -= 1
            if not self._lost and not self.hooks.lease_ok() \
                    and not isinstance(item, StopEvent):
                self._fenced(item)
                continue
            self._handle(LostEvent() if self._lost else item)
            if self._idle_expired():
                event(log, logging.INFO, "room_idle_closed", room=self.code)
                self._close_everyone(ROOM_CLOSED_CLOSE, "the room was closed")
                return

    def _fenced(self, item: RoomEvent) -> None:
        """The lease may have passed to another worker (this one was paused, or could not
        renew it): the room serves nothing and changes nothing until a renewal says
        whether it is still ours. Its players are told to ask where it is now (4300)
        instead of having what they send taken and neither relayed nor kept. Their
        departures wait (the rules hear of them once the room serves again); the timer
        stays stopped until ``wake``."""
        if isinstance(item, GoneEvent):
            self._overflow.append(item)
        elif isinstance(item, JoinEvent | CommandEvent):
            item.conn.close(*MOVED_CLOSE)
        if self._fenced_since is None:
            self._fenced_since = trio.current_time()
            event(log, logging.WARNING, "room_fenced", room=self.code,
                  players=len(self.connections),
                  why="the lease may have passed to another worker: players are told to"
                      " ask where the room is (4300)")
        for conn in self.connections.values():
            if not conn.closing:
                conn.close(*MOVED_CLOSE)

    def _handle(self, item: RoomEvent) -> None:
        """One event, then whatever became due (the room task or ``handle_now``)."""
        if self._fenced_since is not None and not self._lost \
                and not isinstance(item, StopEvent | LostEvent):
            event(log, logging.INFO, "room_serving_again", room=self.code,
                  fenced_s=round(trio.current_time() - self._fenced_since, 3))
            self._fenced_since = None
        if not isinstance(item, TickEvent):
            self._safely(self._dispatch, item)
        if isinstance(self._stop, LostEvent):
            return  # the room is another worker's now: nothing more is done or written
        while self._overflow:
            self._safely(self._dispatch, self._overflow.pop(0))
        # Most events (a stroke, a chat line) make nothing due: tick only when needed.
        wake_at = self._next_wakeup()
        if self._snapshot_due or wake_at <= trio.current_time():
            self._safely(self._tick)
            self._safely(self._snapshot_if_due)
            wake_at = self._next_wakeup()
        # An idle room past its time is closed by the room task: the timer fires at once.
        self._arm_timer(wake_at)

    async def _timer(self) -> None:
        """Post a TickEvent when the room's next deadline comes.

        One long-lived scope whose deadline the room moves (``_arm_timer``),
        rather than a new timeout around every wait for an event: the room
        handles dozens of draw frames a second, and its deadline changes only
        with the phase. Once fired, the timer waits for the room to arm it again.
        """
        while True:
            with trio.CancelScope(deadline=self._wake_at) as scope:
                self._timer_scope = scope
                await trio.sleep_forever()
            self._wake_at = math.inf
            self.post(TickEvent())

    def _arm_timer(self, wake_at: float | None = None) -> None:
        if wake_at is None:
            wake_at = self._next_wakeup()
        if wake_at != self._wake_at:
            self._wake_at = wake_at
            if self._timer_scope is not None:
                self._timer_scope.deadline = wake_at

    def _next_wakeup(self) -> float:
        candidates = [rules.next_deadline(self.state) or math.inf]
        if self._empty_since is not None:
            candidates.append(self._empty_since + self.idle_close_s)
        if self.state.deadline is not None:
            candidates.append(self._snapshot_at + SNAPSHOT_HEARTBEAT_S)
        return min(candidates)

    def _snapshot_if_due(self) -> None:
        now = trio.current_time()
        heartbeat = self.state.deadline is not None and (
            now >= self._snapshot_at + SNAPSHOT_HEARTBEAT_S
        )
        if self._snapshot_due or heartbeat:
            self.write_snapshot(clean=False)

    def write_snapshot(self, *, clean: bool) -> None:
        """Hand the room's runtime state to the recorder (``clean``: a graceful stop).

        Drawings are left out: their ops are persisted in batches as they are
        drawn, and recovery replays them.
        """
        now = trio.current_time()
        data = dump_state(self.state, now, drawings=False)
        self.hooks.record(self.code, Record("snapshot", {"state": data, "clean": clean}))
        self._snapshot_due = False
        self._snapshot_at = now

    def _idle_expired(self) -> bool:
        return (
            self._empty_since is not None
            and trio.current_time() >= self._empty_since + self.idle_close_s
        )

    def _safely(self, fn: Callable[..., None], *args: Any) -> None:
        # A bug in the rules must cost one event, never the room or the process.
        try:
            fn(*args)
        except Exception as exc:
            event(log, logging.ERROR, "room_error", room=self.code,
                  error=f"{type(exc).__name__}: {exc}")
            log.debug("room_error traceback", exc_info=exc)
            if args and isinstance(args[0], JoinEvent | CommandEvent):
                self._send_error(args[0].conn, "server_error", "the server could not do that")

    def _tick(self) -> None:
        self._apply(rules.tick(self.state, trio.current_time()))

    # ------------------------------------------------------------ events

    def _dispatch(self, item: RoomEvent) -> None:
        now = trio.current_time()
        if isinstance(item, CommandEvent):
            self._on_command(item.conn, item.cmd, now)
            if isinstance(item.cmd, Draw) and item.arrived is not None:
                self.hooks.stats.draw_handled.observe(trio.current_time() - item.arrived)
        elif isinstance(item, JoinEvent):
            self._on_join(item.conn, item.hello, now)
        elif isinstance(item, GoneEvent):
            self._on_gone(item.conn, now)
        elif isinstance(item, NoticeEvent):
            self._broadcast({"type": "notice", "text": item.text})
        elif isinstance(item, StopEvent):
            self._on_stop(item)
        elif isinstance(item, LostEvent):
            self._on_lost(item)

    def _on_command(self, conn: Connection, cmd: Command, now: float) -> None:
        pid = conn.player_id
        if pid is None or self.connections.get(pid) is not conn:
            self._send_error(conn, "not_joined", "send hello first", cmd.type)
            return
        try:
            effects = rules.handle(self.state, now, pid, cmd)
        except GameError as exc:
            self._send_error(conn, exc.code, exc.message, exc.ref or cmd.type)
            return
        self._apply(effects)

    def _on_join(self, conn: Connection, hello: Hello, now: float) -> None:
        if conn.closing:
            return
        if conn.player_id is not None:
            self._send_error(conn, "bad_message", "already joined", "hello")
            return
        token = hello.token or secrets.token_urlsafe(24)
        try:
            if hello.token:
                pid, effects = rules.resume(self.state, now, hash_token(token),
                                            avatar=hello.avatar, avatar_given=hello.avatar_given)
            else:
                pid, effects = self._seat_new(hello, token, now)
        except GameError as exc:
            self._refuse_join(conn, exc)
            return
        old = self.connections.get(pid)
        if old is not None and old is not conn:
            old.close(REPLACED_CLOSE, "replaced by a newer connection")
        conn.player_id = pid
        self.connections[pid] = conn
        self._watch_emptiness(now)
        welcome = {
            "type": "welcome",
            "you": {"id": pid, "token": token},
            "room": rules.snapshot(self.state, now, pid),
        }
        self._deliver(conn, outgoing(welcome))
        conn.seated()
        self._apply(effects, welcomed=pid)

    def _seat_new(self, hello: Hello, token: str, now: float) -> tuple[str, list[Effect]]:
        on, message = self.hooks.maintenance()
        if on:
            raise Maintenance(message or "the server is in maintenance: no new players")
        pid = self._new_player_id()
        effects = rules.join(self.state, now, pid, hello.name, hash_token(token), hello.spectate,
                             tv=hello.tv, marker=hello.marker, avatar=hello.avatar)
        return pid, effects

    def _new_player_id(self) -> str:
        while True:
            pid = "p_" + secrets.token_hex(5)
            if pid not in self.state.players:
                return pid

    def _refuse_join(self, conn: Connection, exc: GameError) -> None:
        self._send_error(conn, exc.code, exc.message, "hello")
        if isinstance(exc, RoomFull):
            conn.close(ROOM_FULL_CLOSE, exc.message)
        elif isinstance(exc, Maintenance):
            conn.close(MAINTENANCE_CLOSE, exc.message[:120])
        elif isinstance(exc, Forbidden):
            conn.close(KICKED_CLOSE, exc.message)
        elif not isinstance(exc, BadToken):
            return
        # bad_token, bad_name, name_taken: the connection stays for another hello.

    def _on_gone(self, conn: Connection, now: float) -> None:
        pid = conn.player_id
        if pid is None or self.connections.get(pid) is not conn:
            return
        del self.connections[pid]
        self._watch_emptiness(now)
        self._apply(rules.disconnect(self.state, now, pid))

    def _on_lost(self, lost: LostEvent) -> None:
        self._stop = lost
        self._close_everyone(*MOVED_CLOSE)

    def _watch_emptiness(self, now: float) -> None:
        """The room is empty while no player or spectator is connected: TV screens alone
        do not keep it open (a screen left on would hold a room for ever)."""
        players = self.state.players
        if any(pid not in players or not players[pid].tv for pid in self.connections):
            self._empty_since = None
        elif self._empty_since is None:
            self._empty_since = now

    def _on_stop(self, request: StopEvent) -> None:
        self._stop = request
        self.write_snapshot(clean=True)
        self._broadcast({"type": "shutdown", "reconnect_in_ms": request.reconnect_in_ms})
        self._close_everyone(RESTART_CLOSE, "server restarting")

    # ------------------------------------------------------------ effects

    def _apply(self, effects: list[Effect], welcomed: str | None = None) -> None:
        """Carry out effects in order; ``welcomed`` just got a snapshot that already
        shows the player list and chat these effects announce, so it is spared them."""
        for effect in effects:
            self._snapshot_due = self._snapshot_due or _changes_state(effect)
            if isinstance(effect, Send):
                covered = welcomed is not None and effect.msg.get("type") in IN_SNAPSHOT
                self._send(effect.to, effect.msg, skip=welcomed if covered else None)
            elif isinstance(effect, Close):
                conn = self.connections.pop(effect.player_id, None)
                if conn is not None:
                    conn.close(effect.code, effect.reason)
                    self._watch_emptiness(trio.current_time())
            else:
                self.hooks.record(self.code, effect)

    def _send(
        self, to: tuple[str, ...] | None, msg: dict[str, Any], skip: str | None = None
    ) -> None:
        if to is None:
            self._broadcast(msg, skip)
            return
        out = outgoing(msg)
        sent = 0
        for pid in to:
            conn = self.connections.get(pid)
            if conn is not None and pid != skip and conn.send(out):
                sent += 1
        self.hooks.stats.delivered(out.kind, sent)

    def _broadcast(self, msg: dict[str, Any], skip: str | None = None) -> None:
        out = outgoing(msg)
        sent = 0
        # A slow consumer closed by a send leaves the room only at its departure event.
        for pid, conn in self.connections.items():
            if pid != skip and conn.send(out):
                sent += 1
        self.hooks.stats.delivered(out.kind, sent)

    def _deliver(self, conn: Connection, out: Outgoing) -> None:
        if conn.send(out):
            self.hooks.stats.delivered(out.kind, 1)

    def _send_error(
        self, conn: Connection, code: str, message: str, ref: str | None = None
    ) -> None:
        self.hooks.stats.errors[code] += 1
        msg: dict[str, Any] = {"type": "error", "code": code, "message": message}
        if ref is not None:
            msg["ref"] = ref
        self._deliver(conn, outgoing(msg))

    def _close_everyone(self, code: int, reason: str) -> None:
        for conn in self.connections.values():
            conn.close(code, reason)
        self.connections.clear()


IN_SNAPSHOT = frozenset({"players", "chat", "avatar"})
"""What a `welcome` snapshot already shows, so the joiner is not sent it twice."""

NO_SNAPSHOT_SENDS = frozenset({"draw", "chat", "close", "pong", "error", "notice"})
"""Messages that change nothing a snapshot holds (ops are persisted on their own)."""

NO_SNAPSHOT_RECORDS = frozenset({"ops", "page_ops", "page_text", "snapshot"})
"""Records of what a snapshot leaves out (drawings, a page's text in progress): recovery
reads them back from the store, so they need no new snapshot."""


def _changes_state(effect: Effect) -> bool:
    if isinstance(effect, Send):
        return effect.msg.get("type") not in NO_SNAPSHOT_SENDS
    if isinstance(effect, Record):
        return effect.kind not in NO_SNAPSHOT_RECORDS
    return True
