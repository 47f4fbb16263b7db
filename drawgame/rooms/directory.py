"""The room directory: which worker process serves each room, under a lease it renews.

Every worker (one process, one core) registers in the ``workers`` table and
heartbeats every :data:`HEARTBEAT_S`. Each room row names the worker that
serves it (``worker_id``, for routing: the proxy sends ``/w/<id>/`` to that
worker) and the worker process holding its lease (``owner``, an
incarnation: ``<id>:<host>:<pid>:<random>``) until ``lease_until`` (Unix
seconds). The owner renews its leases with every heartbeat; a worker that
stops renewing loses its rooms :data:`LEASE_S` later, and a live worker
claims them (the room comes back from its snapshot and op log, as after a
crash). A claim is one conditional UPDATE, so two workers can never both
win it, and ``epoch`` counts the claims.

No split brain: a worker serves a room only while its own lease is valid by
its own clock, measured from *before* the renewal it last saw succeed,
minus :data:`LEASE_MARGIN_S`; a worker paused past its lease (SIGSTOP, a
long stall) therefore stops handling events before anyone else may claim,
and when it runs again it learns from the directory which rooms it lost.
The recorder writes a room's records only while this worker is its owner
(:meth:`Directory.owned`), so a late writer cannot touch a room another
worker took over.

The SQL here is plain (``?`` placeholders, ``ON CONFLICT``) and runs on the
store's writing connection, SQLite or PostgreSQL.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

LEASE_S = 5.0
"""A room's lease: a worker that stops renewing loses the room after this long."""
HEARTBEAT_S = 1.0
"""How often a worker heartbeats, renews its leases and looks for rooms to take over."""
LOST_AFTER_S = 3.0
"""A worker whose heartbeat is older than this is ``lost`` (health degraded)."""
LEASE_MARGIN_S = 1.0
"""A worker stops serving a room this long before its lease ends by the directory's clock
(room for clock differences between boxes and for the renewal's own time)."""
ANYONE_AFTER_S = 3.0
"""A room to take over goes to the least loaded live worker; past this long, to anyone."""


@dataclass(frozen=True)
class Me:
    """This worker process as the directory knows it."""

    worker_id: str
    incarnation: str
    pid: int
    host: str
    url: str
    routed: bool
    """Behind the cluster's proxy: clients reach this worker through ``/w/<id>/``."""

    @classmethod
    def create(cls, worker_id: str, url: str, *, routed: bool) -> Me:
        host = socket.gethostname()
        pid = os.getpid()
        incarnation = f"{worker_id}:{host}:{pid}:{secrets.token_hex(4)}"
        return cls(worker_id, incarnation, pid, host, url, routed)

    def ws_path(self, worker_id: str | None, code: str) -> str:
        """Where a client opens room ``code``'s WebSocket."""
        if not self.routed or not worker_id:
            return f"/ws/{code}"
        return f"/w/{worker_id}/ws/{code}"


@dataclass(frozen=True)
class Entry:
    """One room's directory row."""

    code: str
    worker_id: str | None
    owner: str | None
    lease_until: float
    summary: dict[str, Any] | None
    private: bool


@dataclass(frozen=True)
class WorkerRow:
    id: str
    incarnation: str
    pid: int
    host: str
    url: str
    status: str
    heartbeat_at: float
    active_rooms: int
    ws_connections: int

    def live(self, now: float) -> bool:
        return self.status == "up" and now - self.heartbeat_at <= LOST_AFTER_S

    def health(self, now: float) -> dict[str, Any]:
        """The worker as ``/api/health`` ``cluster.workers`` shows it."""
        status = self.status
        if status == "up" and not self.live(now):
            status = "lost"
        return {"id": self.id, "pid": self.pid, "host": self.host, "status": status,
                "active_rooms": self.active_rooms, "ws_connections": self.ws_connections,
                "last_seen_ms": max(0, int((now - self.heartbeat_at) * 1000))}


# ---------------------------------------------------------------- statements
# Each takes a connection of the store (in its thread) and runs in the caller's
# transaction.

def register(conn: Any, me: Me, now: float) -> None:
    """This worker's row, up (a restart of the same worker takes its row over)."""
    conn.execute(
        "INSERT INTO workers (id, incarnation, pid, host, url, status, started_at,"
        " heartbeat_at, active_rooms, ws_connections) VALUES (?, ?, ?, ?, ?, 'up', ?, ?, 0, 0)"
        " ON CONFLICT (id) DO UPDATE SET incarnation = excluded.incarnation,"
        " pid = excluded.pid, host = excluded.host, url = excluded.url, status = 'up',"
        " started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at,"
        " active_rooms = 0, ws_connections = 0",
        (me.worker_id, me.incarnation, me.pid, me.host, me.url, now, now),
    )


def heartbeat(
    conn: Any, me: Me, now: float, rooms: int, connections: int,
    summaries: Sequence[tuple[str, str]],
) -> set[str]:
    """Heartbeat, renew every lease this worker holds; return the rooms it still owns.

    ``summaries``: (code, RoomSummary JSON) of rooms whose summary changed.
    """
    conn.execute(
        "UPDATE workers SET heartbeat_at = ?, active_rooms = ?, ws_connections = ?,"
        " status = 'up', url = ? WHERE id = ? AND incarnation = ?",
        (now, rooms, connections, me.url, me.worker_id, me.incarnation),
    )
    conn.execute("UPDATE rooms SET lease_until = ? WHERE owner = ? AND is_active = 1",
                 (now + LEASE_S, me.incarnation))
    if summaries:
        conn.executemany("UPDATE rooms SET summary = ? WHERE code = ? AND owner = ?",
                         [(text, code, me.incarnation) for code, text in summaries])
    rows = conn.execute("SELECT code FROM rooms WHERE owner = ? AND is_active = 1",
                        (me.incarnation,)).fetchall()
    return {str(row[0]) for row in rows}


def claim(conn: Any, me: Me, code: str, now: float) -> bool:
    """Take room ``code`` if nobody holds it (or its holder is gone); True when taken.

    Taken means: no owner; or a lease that ran out; or an owner that is not
    its worker's current incarnation any more (that worker was restarted, so
    the process that held the lease is gone); or this very process.
    """
    taken = conn.execute(
        "UPDATE rooms SET owner = ?, worker_id = ?, lease_until = ?, epoch = epoch + 1"
        " WHERE code = ? AND is_active = 1 AND (owner IS NULL OR owner = ? OR lease_until < ?"
        " OR owner NOT IN (SELECT incarnation FROM workers))",
        (me.incarnation, me.worker_id, now + LEASE_S, code, me.incarnation, now),
    ).rowcount
    return bool(taken)


def release(conn: Any, me: Me, now: float, stopped: bool) -> None:
    """Give up every lease (a graceful stop): any worker may claim the rooms at once."""
    conn.execute("UPDATE rooms SET owner = NULL, lease_until = ? WHERE owner = ?",
                 (now, me.incarnation))
    if stopped:
        conn.execute("UPDATE workers SET status = 'stopped', heartbeat_at = ?"
                     " WHERE id = ? AND incarnation = ?", (now, me.worker_id, me.incarnation))


def owned(conn: Any, me: Me, codes: Iterable[str]) -> set[str]:
    """Which of ``codes`` this worker owns right now (the recorder's fence)."""
    wanted = sorted(set(codes))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        marks = ", ".join("?" for _ in chunk)
        rows = conn.execute(f"SELECT code FROM rooms WHERE owner = ? AND code IN ({marks})",
                            (me.incarnation, *chunk)).fetchall()
        found |= {str(row[0]) for row in rows}
    return found


def workers(conn: Any) -> list[WorkerRow]:
    rows = conn.execute(
        "SELECT id, incarnation, pid, host, url, status, heartbeat_at, active_rooms,"
        " ws_connections FROM workers ORDER BY id").fetchall()
    return [WorkerRow(str(r[0]), str(r[1]), int(r[2]), str(r[3]), str(r[4]), str(r[5]),
                      float(r[6]), int(r[7]), int(r[8])) for r in rows]


def room_counts(conn: Any) -> dict[str, int]:
    """Open rooms per worker, from the rooms themselves (a worker's own count in its row
    is up to a heartbeat old; rooms just placed count at once here)."""
    rows = conn.execute("SELECT worker_id, COUNT(*) FROM rooms WHERE is_active = 1"
                        " AND worker_id IS NOT NULL GROUP BY worker_id").fetchall()
    return {str(row[0]): int(row[1]) for row in rows}


def lookup(conn: Any, code: str) -> Entry | None:
    row = conn.execute(
        "SELECT code, worker_id, owner, lease_until, summary, private FROM rooms"
        " WHERE code = ? AND is_active = 1", (code,)).fetchone()
    return None if row is None else _entry(row)


def public_entries(conn: Any) -> list[Entry]:
    rows = conn.execute(
        "SELECT code, worker_id, owner, lease_until, summary, private FROM rooms"
        " WHERE is_active = 1 AND private = 0 AND summary IS NOT NULL").fetchall()
    return [_entry(row) for row in rows]


def orphans(conn: Any, me: Me, now: float) -> list[Entry]:
    """Active rooms that no live process holds: released, expired, or held by a process
    its worker has since replaced."""
    rows = conn.execute(
        "SELECT r.code, r.worker_id, r.owner, r.lease_until, r.summary, r.private"
        " FROM rooms r LEFT JOIN workers w ON w.id = r.worker_id"
        " WHERE r.is_active = 1 AND (r.owner IS NULL OR r.owner <> ?)"
        " AND (r.owner IS NULL OR r.lease_until < ? OR w.incarnation IS NULL"
        " OR w.incarnation <> r.owner) ORDER BY r.code",
        (me.incarnation, now)).fetchall()
    return [_entry(row) for row in rows]


def _entry(row: Any) -> Entry:
    summary = json.loads(row[4]) if row[4] else None
    return Entry(str(row[0]), row[1], row[2], float(row[3] or 0), summary, bool(row[5]))


# ---------------------------------------------------------------- decisions (no I/O)


def least_loaded(live: Sequence[WorkerRow], rooms: dict[str, int]) -> WorkerRow | None:
    """The live worker with the fewest open rooms (ties: the lowest id)."""
    return min(live, key=lambda w: (rooms.get(w.id, 0), w.id), default=None)


def mine_to_take(me: Me, found: Sequence[Entry], all_workers: Sequence[WorkerRow],
                 now: float) -> list[str]:
    """Of the rooms nobody serves, those this worker should claim now.

    A room assigned to a live worker that has not claimed it yet (a room just
    made for it) waits for that worker. The others are dealt out over the
    live workers, least loaded first, so a dead worker's rooms spread; one
    left unclaimed for :data:`ANYONE_AFTER_S` goes to whoever sees it.
    """
    live = sorted((w for w in all_workers if w.live(now)), key=lambda w: (w.active_rooms, w.id))
    live_ids = {w.id for w in live}
    take: list[str] = []
    deal = 0
    for entry in found:
        if entry.owner is None and entry.worker_id in live_ids:
            if entry.worker_id == me.worker_id:
                take.append(entry.code)
            elif now - entry.lease_until > ANYONE_AFTER_S * 2:
                take.append(entry.code)  # its worker never came for it
            continue
        designated = live[deal % len(live)].id if live else me.worker_id
        deal += 1
        if designated == me.worker_id or now - entry.lease_until > ANYONE_AFTER_S:
            take.append(entry.code)
    return take


def wall_time() -> float:
    return time.time()
