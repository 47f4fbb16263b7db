"""The one connection interface the code writes SQL against, whichever the database.

SQLite's own ``sqlite3.Connection`` implements it as it is; PostgreSQL's
connections come through :class:`drawgame.store.postgresql.PgConnection`, an
adapter that takes the same ``?`` (or ``:name``) placeholders and returns rows
usable by index and by name, like ``sqlite3.Row``. Call sites annotate
:class:`Connection` and write SQL both databases accept (``INSERT ... ON
CONFLICT DO NOTHING``, ``RETURNING id``, savepoints); the few statements that
differ (how a write transaction begins, whether a table exists) are asked of
this module.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol

import psycopg

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
URL_SCHEMES = ("postgresql://", "postgres://")

Params = Sequence[Any] | Mapping[str, Any]

Error: tuple[type[Exception], ...] = (sqlite3.Error, psycopg.Error)
"""Anything either database raises."""
OperationalError: tuple[type[Exception], ...] = (sqlite3.OperationalError,
                                                 psycopg.OperationalError)
"""The database itself failed (disk full, locked, connection lost), not one statement's data."""


class Row(Protocol):
    """A result row: ``row[0]``, ``row["code"]``, ``tuple(row)``, ``row.keys()``."""

    def __getitem__(self, key: int | str, /) -> Any: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Any]: ...
    def keys(self) -> list[str]: ...


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """What the store's callers may use of a connection (autocommit: transactions are
    begun explicitly, see :func:`drawgame.store.db.in_transaction`)."""

    def execute(self, sql: str, parameters: Params = ..., /) -> Cursor: ...
    def executemany(self, sql: str, parameters: Iterable[Params], /) -> Cursor: ...
    @property
    def in_transaction(self) -> bool: ...
    def close(self) -> None: ...


def is_url(location: str | object) -> bool:
    """Whether a store location is a PostgreSQL URL (else it is a SQLite file path)."""
    return isinstance(location, str) and location.startswith(URL_SCHEMES)


def dialect(conn: Connection) -> str:
    """``sqlite`` or ``postgresql``."""
    return SQLITE if isinstance(conn, sqlite3.Connection) else POSTGRESQL


def begin(conn: Connection) -> None:
    """Begin a write transaction: SQLite takes its write lock now (``IMMEDIATE``), so a
    transaction never fails halfway for want of it; PostgreSQL locks rows as it goes."""
    conn.execute("BEGIN IMMEDIATE" if dialect(conn) == SQLITE else "BEGIN")


def pipelined(conn: Connection) -> contextlib.AbstractContextManager[Any]:
    """A block whose statements PostgreSQL receives without a round trip each (psycopg's
    pipeline mode: a statement waits only when its result is read); errors may then
    surface at a later statement or at the block's end. Nothing changes on SQLite, which
    has no round trips."""
    pipeline = getattr(conn, "pipeline", None)
    return pipeline() if pipeline is not None else contextlib.nullcontext()


def table_exists(conn: Connection, name: str) -> bool:
    if dialect(conn) == SQLITE:
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    else:
        sql = ("SELECT 1 FROM information_schema.tables"
               " WHERE table_schema = current_schema() AND table_name = ?")
    return conn.execute(sql, (name,)).fetchone() is not None


def table_names(conn: Connection) -> list[str]:
    """The tables of the database (of its current schema on PostgreSQL), sorted."""
    if dialect(conn) == SQLITE:
        sql = ("SELECT name FROM sqlite_master WHERE type = 'table'"
               " AND name NOT LIKE 'sqlite_%' ORDER BY name")
    else:
        sql = ("SELECT table_name FROM information_schema.tables"
               " WHERE table_schema = current_schema() ORDER BY table_name")
    return [str(row[0]) for row in conn.execute(sql)]


def column_names(conn: Connection, table: str) -> list[str]:
    """A table's columns in their order."""
    if dialect(conn) == SQLITE:
        return [str(row[1]) for row in conn.execute(f"PRAGMA table_info({table})")]
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
        (table,),
    )
    return [str(row[0]) for row in rows]
