"""The store's connections: one writer, a few readers, a probe, each used through a thread hop.

The database is SQLite (a file, the embedded default) or PostgreSQL (a
``postgresql://`` URL, through psycopg 3): both are used the same way, through
plain synchronous connections that speak one interface
(:mod:`drawgame.store.connection`).

SQLite allows one writer at a time; instead of fighting over locks we keep
one writing connection and hand it whole units of work. Each call of
:meth:`Store.run` or :meth:`Store.transaction` is one hop to a worker thread
(about 0.1 ms), so callers batch many statements into one function rather
than awaiting per row. On PostgreSQL the same design keeps one transaction
per unit of work and the statements of a unit on one connection.

In WAL mode readers never wait for the writer, nor the writer for them, so
reads that may take long (the album) go through :meth:`Store.read`, on a
small pool of read-only connections of their own, and health's
:meth:`Store.ping` has a connection of its own too: neither a batch of
writes nor a heavy album can hold it up. PostgreSQL's readers and probe are
connections of their own in the same way (readers are read-only sessions).
The room directory (heartbeats, leases, claims) writes through a connection
of its own too (:meth:`Store.directory`): a renewal never waits behind a
batch of records, nor do the records a worker took under its lease wait
behind a renewal that hangs.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import trio

from drawgame.config import Config
from drawgame.store.connection import POSTGRESQL, SQLITE, Connection, begin, dialect, is_url
from drawgame.store.postgresql import PgConnection, safe_url

T = TypeVar("T")

BUSY_TIMEOUT_MS = 5000
READ_CONNECTIONS = 2
"""Read-only connections for reads that may be slow (albums): one per core here."""


class StoreClosed(RuntimeError):
    """The store was closed; no more work is accepted."""


def location(config: Config) -> str:
    """Where the configured database is: the PostgreSQL URL, else the SQLite file."""
    return config.database_url or config.db_path


def describe(where: str | Path) -> str:
    """A location fit to show or log: a URL's password is masked."""
    return safe_url(str(where)) if is_url(where) else str(where)


def connect(path: str | Path, *, read_only: bool = False) -> sqlite3.Connection:
    """Open a SQLite connection with the pragmas every drawgame database uses.

    ``read_only``: a reader of the store (``PRAGMA query_only``): it can never
    write, so it never takes the write lock.
    """
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        str(path), isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
    )
    conn.row_factory = sqlite3.Row
    if not read_only:
        conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    if read_only:
        conn.execute("PRAGMA query_only=ON")
    return conn


def connect_to(where: str | Path, *, read_only: bool = False, role: str = "cli") -> Connection:
    """A connection to a store location: a SQLite file path or a PostgreSQL URL."""
    if is_url(where):
        return PgConnection(str(where), role, read_only=read_only)
    return connect(where, read_only=read_only)


def in_transaction(conn: Connection, work: Callable[[Connection], T]) -> T:
    """Run ``work`` inside one write transaction (BEGIN ... COMMIT), rolling back if it
    raises."""
    begin(conn)
    try:
        result = work(conn)
    except BaseException:
        if conn.in_transaction:  # SQLite may have rolled back already (a full disk does)
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result


def _unit(conn: Connection, work: Callable[[Connection], T]) -> T:
    """One unit of work in the worker thread; a lost PostgreSQL connection is opened
    again first (never in the middle of a unit)."""
    if isinstance(conn, PgConnection):
        return conn.run_unit(work)
    return work(conn)


def _finish(conn: Connection, checkpoint: bool) -> None:
    try:
        if checkpoint and dialect(conn) == SQLITE:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


@dataclass
class _Opened:
    writer: Connection
    readers: list[Connection]
    probe: Connection | None
    directory: Connection | None


def _open_all(where: str | Path, readers: int) -> _Opened:
    writer = connect_to(where, role="writer")
    if str(where) == ":memory:":
        return _Opened(writer, [], None, None)
    opened: list[Connection] = []
    try:
        opened.append(connect_to(where, role="directory"))
        opened.append(connect_to(where, read_only=True, role="probe"))
        for _ in range(readers):
            opened.append(connect_to(where, read_only=True, role="reader"))
    except BaseException:
        for conn in [writer, *opened]:
            conn.close()
        raise
    return _Opened(writer, opened[2:], opened[1], opened[0])


class _Line:
    """One connection and the lock that keeps it to one thread at a time."""

    def __init__(self, conn: Connection) -> None:
        self.conn: Connection | None = conn
        self.lock = trio.Lock()


class Store:
    """The database from trio: ``run``/``transaction`` write, ``read`` reads, ``ping`` probes.

    Each kind of call has its own connection(s), each used by one thread at
    a time. A hop is never abandoned on cancellation: work that started
    finishes, which keeps the database consistent at shutdown.
    """

    def __init__(
        self, conn: Connection, path: str,
        readers: list[Connection] | None = None,
        probe: Connection | None = None,
        directory: Connection | None = None,
    ) -> None:
        self._writer = _Line(conn)
        self._readers = [_Line(c) for c in readers or []]
        self._probe = _Line(probe) if probe is not None else self._writer
        self._directory = _Line(directory) if directory is not None else self._writer
        self._free = list(self._readers)
        self._read_slots = trio.Semaphore(max(1, len(self._readers)))
        self.path = path
        self.hops = 0
        self.busy_s = 0.0

    @classmethod
    async def open(cls, where: str | Path, readers: int = READ_CONNECTIONS) -> Store:
        """Connect to a SQLite file (creating the folder and file if needed) or a
        PostgreSQL URL, in a worker thread.

        An in-memory SQLite database has one connection for everything.
        """
        opened = await trio.to_thread.run_sync(_open_all, where, readers)
        return cls(opened.writer, str(where), opened.readers, opened.probe, opened.directory)

    @classmethod
    async def for_config(cls, config: Config) -> Store:
        """The configured database: ``DRAWGAME_DATABASE_URL``, else ``DRAWGAME_DB_PATH``."""
        return await cls.open(location(config))

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return POSTGRESQL if is_url(self.path) else SQLITE

    def __repr__(self) -> str:
        return f"Store({describe(self.path)!r})"

    async def _hop(self, line: _Line, work: Callable[[Connection], T]) -> T:
        async with line.lock:
            conn = line.conn
            if conn is None:
                raise StoreClosed("the store is closed")
            started = time.perf_counter()
            try:
                return await trio.to_thread.run_sync(_unit, conn, work)
            finally:
                self.hops += 1
                self.busy_s += time.perf_counter() - started

    async def run(self, work: Callable[[Connection], T]) -> T:
        """Run ``work(conn)`` on the writing connection, with no transaction around it."""
        return await self._hop(self._writer, work)

    async def transaction(self, work: Callable[[Connection], T]) -> T:
        """Run ``work(conn)`` as one write transaction in one thread hop."""
        return await self.run(lambda conn: in_transaction(conn, work))

    async def directory(self, work: Callable[[Connection], T], *, write: bool = True) -> T:
        """Run ``work(conn)`` on the room directory's connection, as one write transaction
        (``write``) or as plain reads: it neither waits for the recorder's batches nor
        makes them wait (on SQLite writes still take the file's write lock in turn, each
        for one short transaction)."""
        if not write:
            return await self._hop(self._directory, work)
        return await self._hop(self._directory, lambda conn: in_transaction(conn, work))

    async def read(self, work: Callable[[Connection], T]) -> T:
        """Run ``work(conn)`` on a read-only connection: it sees what was committed and
        neither waits for writes nor makes them wait."""
        if not self._readers:
            return await self.run(work)
        async with self._read_slots:
            line = self._free.pop()
            try:
                return await self._hop(line, work)
            finally:
                self._free.append(line)

    async def ping(self) -> float:
        """``SELECT 1`` on the probe connection (its own: nothing queues in front of it);
        returns the round trip in ms."""
        started = time.perf_counter()
        await self._hop(self._probe, lambda conn: conn.execute("SELECT 1").fetchone())
        return (time.perf_counter() - started) * 1000

    @property
    def closed(self) -> bool:
        return self._writer.conn is None

    async def close(self) -> None:
        """Wait for running hops, checkpoint SQLite's WAL and close every connection."""
        others = [line for line in (self._probe, self._directory) if line is not self._writer]
        for line in [*self._readers, *others]:
            await self._close_line(line, checkpoint=False)
        await self._close_line(self._writer, checkpoint=True)

    async def _close_line(self, line: _Line, *, checkpoint: bool) -> None:
        async with line.lock:
            conn, line.conn = line.conn, None
            if conn is None:
                return
            with trio.CancelScope(shield=True):
                await trio.to_thread.run_sync(_finish, conn, checkpoint)
