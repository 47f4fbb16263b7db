"""The single SQLite connection and the thread hop that serializes its use.

SQLite allows one writer at a time; instead of fighting over locks we keep
one connection and hand it whole units of work. Each call of :meth:`Store.run`
or :meth:`Store.transaction` is one hop to a worker thread (about 0.1 ms), so
callers batch many statements into one function rather than awaiting per row.
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


class StoreClosed(RuntimeError):
    """The store was closed; no more work is accepted."""


def connect(path: str | Path) -> sqlite3.Connection:
    """Open a connection with the pragmas every drawgame database uses."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        str(path), isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
    )
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return conn


def in_transaction(conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``work`` inside BEGIN IMMEDIATE ... COMMIT, rolling back if it raises."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = work(conn)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result


class Store:
    """One SQLite connection used from trio through ``trio.to_thread.run_sync``.

    Calls are serialized by a lock, so at most one thread touches the
    connection at any moment. A hop is never abandoned on cancellation: a
    write that started finishes, which keeps the database consistent at
    shutdown.
    """

    def __init__(self, conn: sqlite3.Connection, path: str) -> None:
        self._conn: sqlite3.Connection | None = conn
        self._lock = trio.Lock()
        self.path = path
        self.hops = 0
        self.busy_s = 0.0

    @classmethod
    async def open(cls, path: str | Path) -> Store:
        """Connect (creating the folder and file if needed) in a worker thread."""
        conn = await trio.to_thread.run_sync(connect, path)
        return cls(conn, str(path))

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work(conn)`` in the worker thread, with no transaction around it."""
        async with self._lock:
            conn = self._conn
            if conn is None:
                raise StoreClosed("the store is closed")
            started = time.perf_counter()
            try:
                return await trio.to_thread.run_sync(work, conn)
            finally:
                self.hops += 1
                self.busy_s += time.perf_counter() - started

    async def transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work(conn)`` as one transaction in one thread hop."""
        return await self.run(lambda conn: in_transaction(conn, work))

    async def ping(self) -> float:
        """Run ``SELECT 1`` through the thread and return the round trip in ms."""
        started = time.perf_counter()
        await self.run(lambda conn: conn.execute("SELECT 1").fetchone())
        return (time.perf_counter() - started) * 1000

    @property
    def closed(self) -> bool:
        return self._conn is None

    async def close(self) -> None:
        """Wait for the running hop, checkpoint the WAL and close the connection."""
        async with self._lock:
            conn, self._conn = self._conn, None
            if conn is None:
                return

            def finish() -> None:
                try:
                    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                finally:
                    conn.close()

            with trio.CancelScope(shield=True):
                await trio.to_thread.run_sync(finish)
