"""Batched persistence of what the rules report (``Record`` effects).

Rooms hand records over without waiting; a background task writes
everything pending in one transaction, one thread hop, at most
:data:`FLUSH_INTERVAL_S` after it arrived. A record that cannot be written
is logged and skipped without losing the rest of the batch: the batch is
written whole first (on PostgreSQL its statements pipelined, so a batch costs
a round trip per lookup rather than several per record); only when a record
fails is it written again record by record, each under its own savepoint.

While the database does not answer (locked, full, away), records wait in a
bounded queue and are all written, in order, when it answers again: a room
never waits for the store. A room's newer snapshot takes the place of the one
still waiting. When the queue is full (:data:`DRAWING_STOPS_AT` records, or
:data:`MAX_PENDING_OPS_BYTES` of drawing), rooms refuse new drawing with
``storage_full`` (the drawer is told; nothing is relayed that would not be
kept); only past :data:`MAX_PENDING` records is a record dropped, and then
logged and counted, never silently.
"""

from __future__ import annotations

import collections
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
import trio

from drawgame.game.effects import Record
from drawgame.game.ops import stored_size
from drawgame.logs import event, get_logger
from drawgame.store import Connection, Store
from drawgame.store.connection import Cursor, Error, OperationalError, pipelined

log = get_logger("recorder")

FLUSH_INTERVAL_S = 0.1
FLUSH_AT = 2000
"""Pending records that trigger a flush before the interval is over."""
RETRY_INTERVAL_S = 1.0
"""While writes fail, the next try comes this long after the last one (not at every record)."""
MAX_PENDING = 100_000
"""Records waiting to be written, at most: past it a new record is dropped, logged and
counted (only after a long outage: drawing stops well before)."""
DRAWING_STOPS_AT = 90_000
"""Records waiting at which rooms refuse new drawing (``storage_full``) until some are
written: the rest of MAX_PENDING is kept for what a game cannot do without (turns, scores,
seats)."""
MAX_PENDING_OPS_BYTES = 16 * 1024 * 1024
"""Drawing waiting to be written (counted as its largest stored JSON, ``stored_size``) at
which rooms refuse new drawing too; about 100 MB of memory at most."""
DRAWING_KINDS = frozenset({"ops", "page_ops"})
"""Records that hold drawing ops (counted against MAX_PENDING_OPS_BYTES)."""
LATE_AFTER_S = 10.0
"""A record waiting longer than this makes health report the database as failing, even
while no write has failed yet (a write that hangs)."""

FLUSH_NOW = frozenset({"game_over"})
"""Kinds written at once: players ask for the album as soon as a game ends."""

RECORD_ERRORS: tuple[type[Exception], ...] = (*Error, LookupError, KeyError, TypeError)
"""What one record that cannot be written raises (it is skipped, the batch goes on)."""

Pending = tuple[str, Record, str | float]
"""(room code, record, when): a UTC ISO 8601 text, or a Unix time formatted when written."""


def iso_time(unix: float) -> str:
    return datetime.fromtimestamp(unix, UTC).isoformat(timespec="milliseconds")


def utc_now() -> str:
    return iso_time(time.time())


def _room_id(conn: Connection, code: str) -> int:
    row = conn.execute("SELECT id FROM rooms WHERE code = ?", (code,)).fetchone()
    if row is None:
        raise LookupError(f"room {code} is not in the database")
    return int(row[0])


def _game_id(conn: Connection, public_id: str) -> int:
    row = conn.execute("SELECT id FROM games WHERE public_id = ?", (public_id,)).fetchone()
    if row is None:
        raise LookupError(f"game {public_id} is not in the database")
    return int(row[0])


def _turn_id(conn: Connection, game: str, number: int) -> int:
    row = conn.execute(
        "SELECT t.id FROM turns t JOIN games g ON g.id = t.game_id"
        " WHERE g.public_id = ? AND t.number = ?", (game, number)
    ).fetchone()
    if row is None:
        _game_id(conn, game)  # which of the two is missing
        raise LookupError(f"turn {number} of game {game} is not in the database")
    return int(row[0])


def _player_joined(conn: Connection, code: str, d: dict[str, Any], at: str) -> None:
    conn.execute(
        "INSERT INTO players (room_id, public_id, name, token_hash, spectator, joined_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (_room_id(conn, code), d["player_id"], d["name"], d["token_hash"],
         int(d["spectator"]), at),
    )


def _player_left(conn: Connection, code: str, d: dict[str, Any], at: str) -> None:
    conn.execute(
        "UPDATE players SET left_at = ? WHERE room_id = ? AND public_id = ?",
        (at, _room_id(conn, code), d["player_id"]),
    )


def _settings(conn: Connection, code: str, d: dict[str, Any], at: str) -> None:
    conn.execute("UPDATE rooms SET settings = ? WHERE code = ?", (json.dumps(d["settings"]), code))


def _game_started(conn: Connection, code: str, d: dict[str, Any], at: str) -> None:
    conn.execute(
        "INSERT INTO games (public_id, room_id, started_at, mode) VALUES (?, ?, ?, ?)",
        (d["game_id"], _room_id(conn, code), at, d.get("mode", "classic")),
    )


def _turn_started(conn: Connection, code: str, d: dict[str, Any], at: str) -> None:
    name = conn.execute(
        "SELECT name FROM players WHERE room_id = ? AND public_id = ?",
        (_room_id(conn, code), d["drawer_id"]),
    ).fetchone()
    conn.execute(
        "INSERT INTO turns (game_id, number, round, drawer_public_id, drawer_name, word,"
        " started_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (_game_id(conn, d["game_id"]), d["turn"], d["round"], d["drawer_id"],
         name[0] if name else "", d["word"], at),
    )


def _ops_at_once(conn: Connection, code: str, d: dict[str, Any], at: str) -> Cursor:
    """One statement finds the turn and appends its next batch (every busy room writes one
    with every flush), needing no answer before the next statement: a turn that is not
    there inserts no row (the batch is then written again record by record)."""
    return conn.execute(
        "INSERT INTO turn_ops (turn_id, seq, ops)"
        " SELECT t.id, (SELECT coalesce(max(o.seq), 0) + 1 FROM turn_ops o"
        " WHERE o.turn_id = t.id), ? FROM turns t JOIN games g ON g.id = t.game_id"
        " WHERE g.public_id = ? AND t.number = ?",
        (orjson.dumps(d["ops"]).decode(), d["game_id"], d["turn"]),
    )


def _ops(conn: Connection, code: str, d: dict[str, Any], at: str) -> None:
    if not _ops_at_once(conn, code, d, at).rowcount:
        raise LookupError(f"turn {d['turn']} of game {d['game_id']} is not in the database")


def _turn_ended(conn: Connection, code: str, d: dict[str, Any], at: str) -> None:
    conn.execute(
        "UPDATE turns SET ended_at = ?, duration_ms = ?, end_reason = ?, points = ?, word = ?"
        " WHERE id = ?",
        (at, d["duration_ms"], d["reason"], json.dumps(d["points"]), d["word"],
         _turn_id(conn, d["game_id"], d["turn"])),
    )


def _scores(conn: Connection, code: str, d: dict[str, Any], at: str) -> None:
    room = _room_id(conn, code)
    conn.executemany(
        "UPDATE players SET score = ? WHERE room_id = ? AND public_id = ?",
        [(score, room, pid) for pid, score in d["scores"].items()],
    )


def _game_over(conn: Connection, code: str, d: dict[str, Any], at: str) -> None:
    conn.execute(
        "UPDATE games SET finished_at = ?, ranking = ? WHERE public_id = ?",
        (at, json.dumps(d["ranking"]), d["game_id"]),
    )


def _step_started(conn: Connection, code: str, d: dict[str, Any], at: str) -> None:
    game = _game_id(conn, d["game_id"])
    conn.executemany(
        "INSERT INTO pages (game_id, book, page, owner_public_id, owner_name,"
        " author_public_id, author_name, kind, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(game, p["book"], p["page"], p["owner_id"], p["owner_name"], p["author_id"],
          p["author_name"], p["kind"], at) for p in d["pages"]],
    )


_PAGE = ("SELECT p.id FROM pages p JOIN games g ON g.id = p.game_id"
         " WHERE g.public_id = ? AND p.book = ? AND p.page = ?")


def _page_ops_at_once(conn: Connection, code: str, d: dict[str, Any], at: str) -> Cursor:
    """Like ``_ops_at_once``, for a telephone page's drawing."""
    return conn.execute(
        "INSERT INTO page_ops (page_id, seq, ops)"
        " SELECT p.id, (SELECT coalesce(max(o.seq), 0) + 1 FROM page_ops o"
        " WHERE o.page_id = p.id), ? FROM pages p JOIN games g ON g.id = p.game_id"
        " WHERE g.public_id = ? AND p.book = ? AND p.page = ?",
        (orjson.dumps(d["ops"]).decode(), d["game_id"], d["book"], d["page"]),
    )


def _page_ops(conn: Connection, code: str, d: dict[str, Any], at: str) -> None:
    if not _page_ops_at_once(conn, code, d, at).rowcount:
        raise LookupError(f"page {d['book']}/{d['page']} of game {d['game_id']} is not there")


def _page_text(conn: Connection, code: str, d: dict[str, Any], at: str) -> None:
    conn.execute(f"UPDATE pages SET text = ? WHERE id = ({_PAGE})",
                 (d["text"], d["game_id"], d["book"], d["page"]))


def _step_ended(conn: Connection, code: str, d: dict[str, Any], at: str) -> None:
    conn.executemany(
        f"UPDATE pages SET text = ?, ended_at = ?, duration_ms = ? WHERE id = ({_PAGE})",
        [(p["text"], at, p["duration_ms"], d["game_id"], p["book"], p["page"])
         for p in d["pages"]],
    )


def _page_reaction(conn: Connection, code: str, d: dict[str, Any], at: str) -> None:
    conn.execute(f"UPDATE pages SET likes = ?, dislikes = ? WHERE id = ({_PAGE})",
                 (d["likes"], d["dislikes"], d["game_id"], d["book"], d["page"]))


def _game_avatar(conn: Connection, code: str, d: dict[str, Any], at: str) -> None:
    game = _game_id(conn, d["game_id"])
    conn.execute("DELETE FROM game_avatars WHERE game_id = ? AND player_public_id = ?",
                 (game, d["player_id"]))
    if d["avatar"] is not None:
        conn.execute("INSERT INTO game_avatars (game_id, player_public_id, avatar)"
                     " VALUES (?, ?, ?)", (game, d["player_id"], d["avatar"]))


def _room_closed(conn: Connection, code: str, d: dict[str, Any], at: str) -> None:
    conn.execute(
        "UPDATE rooms SET is_active = 0, closed_at = ?, snapshot = NULL WHERE code = ?",
        (at, code),
    )


def _snapshot(conn: Connection, code: str, d: dict[str, Any], at: str) -> None:
    state = dict(d["state"], clean=bool(d.get("clean")))
    conn.execute(
        "UPDATE rooms SET snapshot = ?, snapshot_at = ? WHERE code = ? AND is_active = 1",
        (json.dumps(state, separators=(",", ":"), ensure_ascii=False), at, code),
    )


WRITERS: dict[str, Callable[[Connection, str, dict[str, Any], str], None]] = {
    "player_joined": _player_joined,
    "player_left": _player_left,
    "settings": _settings,
    "game_started": _game_started,
    "turn_started": _turn_started,
    "ops": _ops,
    "turn_ended": _turn_ended,
    "scores": _scores,
    "game_over": _game_over,
    "room_closed": _room_closed,
    "snapshot": _snapshot,
    "step_started": _step_started,
    "page_ops": _page_ops,
    "page_text": _page_text,
    "step_ended": _step_ended,
    "page_reaction": _page_reaction,
    "game_avatar": _game_avatar,
}


AT_ONCE: dict[str, Callable[[Connection, str, dict[str, Any], str], Cursor]] = {
    "ops": _ops_at_once,
    "page_ops": _page_ops_at_once,
}
"""Writers of the hot kinds in one statement each, for the pipelined first try: each
inserts or updates exactly one row, or the record cannot be written as it is."""


def coalesce(batch: list[Pending]) -> list[Pending]:
    """Fewer rows for the same facts: one op row per drawing per batch, the newest snapshot.

    Every ``ops`` record of a turn (``page_ops`` of a telephone page) joins the
    drawing's first one (ops keep their order), so a busy drawer costs one row
    per flush, not one per frame; of a room's snapshots only the newest is kept.
    """
    newest = {code: i for i, (code, record, _) in enumerate(batch) if record.kind == "snapshot"}
    merged: dict[tuple[Any, ...], list[Any]] = {}
    out: list[Pending] = []
    for i, (code, record, at) in enumerate(batch):
        if record.kind == "snapshot" and newest[code] != i:
            continue
        if record.kind in ("ops", "page_ops"):
            d = record.data
            key = (code, record.kind, d.get("game_id"), d.get("turn"), d.get("book"),
                   d.get("page"))
            ops = merged.get(key)
            if ops is not None:
                ops.extend(d.get("ops", ()))
                continue
            ops = merged[key] = list(d.get("ops", ()))
            record = Record(record.kind, {**d, "ops": ops})
        out.append((code, record, at))
    return out


Written = tuple[str, str, dict[str, Any], str]
"""(room code, record kind, its data, when as text)."""

Fence = Callable[[Any, set[str]], set[str]]
"""Which of these rooms this process may write (the room directory's owners)."""


def write_batch(conn: Connection, batch: list[Pending], fence: Fence | None = None
                ) -> tuple[list[str], int]:
    """Write the batch's records; return the errors of those skipped (one line each) and
    how many records were fenced off.

    A record that cannot be written (it names a row that is not there, a
    constraint refuses it) is skipped; an operational error (the disk is
    full, the database is locked or unreadable) fails the whole batch, which
    the recorder keeps and tries again, so a full disk loses nothing. With a
    ``fence``, records of rooms this worker no longer owns (another worker
    took them over) are dropped, inside the same transaction as the check.
    """
    coalesced = coalesce(batch)
    allowed = fence(conn, {code for code, _, _ in coalesced}) if fence is not None else None
    records: list[Written] = []
    fenced = 0
    for code, record, when in coalesced:
        if allowed is not None and code not in allowed:
            fenced += 1
        elif record.kind in WRITERS:
            at = when if isinstance(when, str) else iso_time(when)
            records.append((code, record.kind, record.data, at))
    conn.execute("SAVEPOINT batch")
    try:
        _at_once(conn, records)
        errors: list[str] = []
    except OperationalError:
        raise  # the database, not a record (disk full, locked, I/O): retry it all
    except RECORD_ERRORS:
        conn.execute("ROLLBACK TO batch")
        errors = _one_by_one(conn, records)
    conn.execute("RELEASE batch")
    touched: dict[str, str] = {}
    for code, _, _, at in records:  # the latest (a room's snapshot waits where its first did)
        touched[code] = max(at, touched.get(code, at))
    conn.executemany(
        "UPDATE rooms SET last_active_at = ? WHERE code = ?",
        [(at, code) for code, at in touched.items()],
    )
    return errors, fenced


def _at_once(conn: Connection, records: list[Written]) -> None:
    """Every record, pipelined; raises (LookupError if a one-row statement found no row)
    when any record cannot be written."""
    expected: list[Cursor] = []
    with pipelined(conn):
        for code, kind, data, at in records:
            fast = AT_ONCE.get(kind)
            if fast is None:
                WRITERS[kind](conn, code, data, at)
            else:
                expected.append(fast(conn, code, data, at))
    if any(cursor.rowcount != 1 for cursor in expected):
        raise LookupError("a record names a row that is not in the database")


def _one_by_one(conn: Connection, records: list[Written]) -> list[str]:
    """Each record under its own savepoint: the ones that fail are skipped and named."""
    errors: list[str] = []
    for code, kind, data, at in records:
        conn.execute("SAVEPOINT record")
        try:
            WRITERS[kind](conn, code, data, at)
        except OperationalError:
            raise
        except RECORD_ERRORS as exc:
            conn.execute("ROLLBACK TO record")
            errors.append(f"{kind} for room {code}: {exc}")
        conn.execute("RELEASE record")
    return errors


class Recorder:
    """Collects records from every room and writes them in batches."""

    def __init__(self, store: Store, fence: Fence | None = None) -> None:
        self.store = store
        self.fence = fence
        self.pending: list[Pending] = []
        """Records not handed to the database yet, in order."""
        self._snapshots: dict[str, int] = {}
        """Where each room's snapshot waits in ``pending`` (a newer one takes its place)."""
        self._in_flight: list[Pending] = []
        """The batch being written now (put back in front of ``pending`` if it fails)."""
        self._pending_ops_bytes = 0
        self._in_flight_ops_bytes = 0
        self.dropped: collections.Counter[str] = collections.Counter()
        """Records not kept because the queue was full, by kind."""
        self.refused_draws = 0
        """Draw frames refused (``storage_full``) because the queue was full."""
        self.fenced = 0
        """Records not written because another worker owns their room now."""
        self.written = 0
        self.batches = 0
        self._full_since: str | None = None
        self._wake = trio.Event()
        self._flushing = trio.Lock()
        self.on_batch: list[Callable[[list[Pending]], None]] = []
        self.last_error: str | None = None
        """Why the last batch could not be written; None once a batch is written again."""
        self.failing_since: str | None = None
        """When writes started failing (ISO 8601 UTC), while they fail."""

    # ------------------------------------------------------------ the queue

    @property
    def waiting(self) -> int:
        """Records not written yet: the batch being written and those pending."""
        return len(self._in_flight) + len(self.pending)

    @property
    def waiting_ops_bytes(self) -> int:
        return self._in_flight_ops_bytes + self._pending_ops_bytes

    @property
    def full(self) -> bool:
        """Whether new drawing must be refused: the queue holds as much as it may."""
        return self.waiting >= DRAWING_STOPS_AT or self.waiting_ops_bytes >= MAX_PENDING_OPS_BYTES

    def waiting_for_s(self, now: float | None = None) -> float:
        """How long the oldest record not written yet has waited (0 when none waits)."""
        for queue in (self._in_flight, self.pending):
            if queue:
                when = queue[0][2]
                if isinstance(when, float):
                    return max(0.0, (time.time() if now is None else now) - when)
        return 0.0

    def refuse_draw(self) -> None:
        """A room refused a draw frame because the queue is full (counted, logged once)."""
        self.refused_draws += 1
        self._note_full()

    def add(self, room_code: str, record: Record) -> None:
        """Queue a record (never blocks); the next flush writes it.

        Its time is kept as a number and formatted when written: a busy
        server adds thousands of op records a second, merged into a few rows.
        A room's snapshot replaces the one of the same room still waiting
        (only the newest is ever written). Past MAX_PENDING the record is
        dropped, counted and logged.
        """
        entry = (room_code, record, time.time())
        if record.kind == "snapshot":
            at = self._snapshots.get(room_code)
            if at is not None:
                self.pending[at] = entry
                return
        if self.waiting >= MAX_PENDING:
            self._drop(room_code, record)
            return
        if record.kind == "snapshot":
            self._snapshots[room_code] = len(self.pending)
        elif record.kind in DRAWING_KINDS:
            self._pending_ops_bytes += _ops_size(record)
        self.pending.append(entry)
        if len(self.pending) >= FLUSH_AT or record.kind in FLUSH_NOW:
            self._wake.set()

    def _drop(self, room_code: str, record: Record) -> None:
        self.dropped[record.kind] += 1
        self._note_full()
        event(log, logging.ERROR, "record_dropped", room=room_code, kind=record.kind,
              waiting=self.waiting, dropped=sum(self.dropped.values()),
              why="the write queue is full: the database has not answered for long")

    def _note_full(self) -> None:
        if self._full_since is None:
            self._full_since = utc_now()
            event(log, logging.ERROR, "record_queue_full", waiting=self.waiting,
                  drawing_bytes=self.waiting_ops_bytes, error=self.last_error,
                  what="new drawing is refused (storage_full) until records are written")

    def _requeue(self, batch: list[Pending]) -> None:
        """Put a batch that could not be written back in front of what came since, each
        room's newest snapshot in the place of its first."""
        merged: list[Pending] = []
        first: dict[str, int] = {}
        for entry in batch + self.pending:
            code, record, _ = entry
            if record.kind == "snapshot":
                if code in first:
                    merged[first[code]] = entry
                    continue
                first[code] = len(merged)
            merged.append(entry)
        self.pending, self._snapshots = merged, first

    # ------------------------------------------------------------ writing

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Flush every FLUSH_INTERVAL_S (sooner when much is pending) until cancelled;
        while writes fail, every RETRY_INTERVAL_S."""
        task_status.started()
        while True:
            if self.last_error is None:
                with trio.move_on_after(FLUSH_INTERVAL_S):
                    await self._wake.wait()
            else:
                await trio.sleep(RETRY_INTERVAL_S)
            self._wake = trio.Event()
            await self.flush()

    async def flush(self) -> None:
        """Write everything pending now, in one hop; shielded so it completes.

        A flush that finds another one writing waits for it, so when it returns
        every record added before the call is on disk (or kept after an error).
        """
        async with self._flushing:
            await self._write_pending()

    async def _write_pending(self) -> None:
        if not self.pending:
            return
        batch, self.pending, self._snapshots = self.pending, [], {}
        self._in_flight, self._in_flight_ops_bytes = batch, self._pending_ops_bytes
        self._pending_ops_bytes = 0
        try:
            with trio.CancelScope(shield=True):
                errors, fenced = await self.store.transaction(
                    lambda conn: write_batch(conn, batch, self.fence))
        except Exception as exc:  # the database itself failed: keep the batch for later
            self.last_error = f"{type(exc).__name__}: {exc}"
            self.failing_since = self.failing_since or utc_now()
            self._pending_ops_bytes += self._in_flight_ops_bytes
            self._in_flight, self._in_flight_ops_bytes = [], 0
            self._requeue(batch)
            event(log, logging.ERROR, "batch_not_written", records=len(batch),
                  waiting=self.waiting, error=self.last_error)
            return
        self._in_flight, self._in_flight_ops_bytes = [], 0
        if self.last_error is not None:
            event(log, logging.INFO, "batches_written_again", failing_since=self.failing_since,
                  records=len(batch))
        if self._full_since is not None and not self.full:
            event(log, logging.INFO, "record_queue_drained", full_since=self._full_since,
                  refused_draws=self.refused_draws, dropped=sum(self.dropped.values()))
            self._full_since = None
        self.last_error = self.failing_since = None
        self.written += len(batch) - len(errors) - fenced
        self.batches += 1
        if fenced:
            self.fenced += fenced
            event(log, logging.WARNING, "records_fenced", records=fenced,
                  why="another worker owns their room now")
        for error in errors:
            event(log, logging.ERROR, "record_not_written", error=error)
        for observer in self.on_batch:
            observer(batch)


def _ops_size(record: Record) -> int:
    ops = record.data.get("ops")
    try:
        return stored_size(ops) if isinstance(ops, list) else 0
    except (KeyError, TypeError):  # not ops as the rules make them: counted as nothing
        return 0
