"""The SQLite connections: one writer, a few readers, a probe, each used through a thread hop.

SQLite allows one writer at a time; instead of fighting over locks we keep
one writing connection and hand it whole units of work. Each call of
:meth:`Store.run` or :meth:`Store.transaction` is one hop to a worker thread
(about 0.1 ms), so callers batch many statements into one function rather
than awaiting per row.

In WAL mode readers never wait for the writer, nor the writer for them, so
reads that may take long (the album) go through :meth:`Store.read`, on a
small pool of read-only connections of their own, and health's
:meth:`Store.ping` has a connection of its own too: neither a batch of
writes nor a heavy album can hold it up. Another store (PostgreSQL) offers
the same four calls.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import trio

T = TypeVar("T")

BUSY_TIMEOUT_MS = 5000
READ_CONNECTIONS = 2
"""Read-only connections for reads that may be slow (albums): one per core here."""


class StoreClosed(RuntimeError):
    """The store was closed; no more work is accepted."""


def connect(path: str | Path, *, read_only: bool = False) -> sqlite3.Connection:
    """Open a connection with the pragmas every drawgame database uses.

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


def in_transaction(conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``work`` inside BEGIN IMMEDIATE ... COMMIT, rolling back if it raises."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = work(conn)
    except BaseException:
        if conn.in_transaction:  # SQLite may have rolled back already (a full disk does)
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result


class _Line:
    """One connection and the lock that keeps it to one thread at a time."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn: sqlite3.Connection | None = conn
        self.lock = trio.Lock()


class Store:
    """The database from trio: ``run``/``transaction`` write, ``read`` reads, ``ping`` probes.

    Each kind of call has its own connection(s), each used by one thread at
    a time. A hop is never abandoned on cancellation: work that started
    finishes, which keeps the database consistent at shutdown.
    """

    def __init__(
        self, conn: sqlite3.Connection, path: str,
        readers: list[sqlite3.Connection] | None = None,
        probe: sqlite3.Connection | None = None,
    ) -> None:
        self._writer = _Line(conn)
        self._readers = [_Line(c) for c in readers or []]
        self._probe = _Line(probe) if probe is not None else self._writer
        self._free = list(self._readers)
        self._read_slots = trio.Semaphore(max(1, len(self._readers)))
        self.path = path
        self.hops = 0
        self.busy_s = 0.0

    @classmethod
    async def open(cls, path: str | Path, readers: int = READ_CONNECTIONS) -> Store:
        """Connect (creating the folder and file if needed) in a worker thread.

        An in-memory database has one connection for everything.
        """
        def open_all() -> tuple[sqlite3.Connection, list[sqlite3.Connection],
                                sqlite3.Connection | None]:
            writer = connect(path)
            if str(path) == ":memory:":
                return writer, [], None
            opened: list[sqlite3.Connection] = []
            try:
                for _ in range(readers + 1):
                    opened.append(connect(path, read_only=True))
            except BaseException:
                for conn in [writer, *opened]:
                    conn.close()
                raise
            return writer, opened[1:], opened[0]

        writer, reader_conns, probe = await trio.to_thread.run_sync(open_all)
        return cls(writer, str(path), reader_conns, probe)

    async def _hop(self, line: _Line, work: Callable[[sqlite3.Connection], T]) -> T:
        async with line.lock:
            conn = line.conn
            if conn is None:
                raise StoreClosed("the store is closed")
            started = time.perf_counter()
            try:
                return await trio.to_thread.run_sync(work, conn)
            finally:
                self.hops += 1
                self.busy_s += time.perf_counter() - started

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work(conn)`` on the writing connection, with no transaction around it."""
        return await self._hop(self._writer, work)

    async def transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work(conn)`` as one write transaction in one thread hop."""
        return await self.run(lambda conn: in_transaction(conn, work))

    async def read(self, work: Callable[[sqlite3.Connection], T]) -> T:
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
        """Wait for running hops, checkpoint the WAL and close every connection."""
        for line in [*self._readers, *([self._probe] if self._probe is not self._writer else [])]:
            await self._close_line(line, checkpoint=False)
        await self._close_line(self._writer, checkpoint=True)

    async def _close_line(self, line: _Line, *, checkpoint: bool) -> None:
        async with line.lock:
            conn, line.conn = line.conn, None
            if conn is None:
                return

            def finish() -> None:
                try:
                    if checkpoint:
                        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                finally:
                    conn.close()

            with trio.CancelScope(shield=True):
                await trio.to_thread.run_sync(finish)
