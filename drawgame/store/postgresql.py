"""PostgreSQL through psycopg 3: plain synchronous connections behind the shared interface.

:class:`PgConnection` takes the SQL the rest of the code writes for SQLite's
``sqlite3`` module (``?`` or ``:name`` placeholders) and returns rows usable by
index and by name, so one statement serves both databases. Connections are in
autocommit mode, like SQLite's here: a write transaction is begun explicitly
(``BEGIN``) by the store. A connection that was lost (the server restarted, the
network dropped) is opened again at the start of the store's next unit of work,
never in the middle of one: a unit whose very first statement finds the
connection gone runs once more on a new one (nothing of it reached the
server); a unit that fails later fails, as a database error, for its caller to
handle (the recorder keeps its batch and writes it again).
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any, TypeVar

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.pq import TransactionStatus
from psycopg.rows import RowMaker

from drawgame.store.connection import Params

T = TypeVar("T")

CONNECT_TIMEOUT_S = 10
LOCK_TIMEOUT_MS = 5000
"""How long a statement waits for a row or table lock before it fails: SQLite's busy
timeout here (the recorder keeps a batch that failed and writes it again)."""
_BUSY = (TransactionStatus.ACTIVE, TransactionStatus.INTRANS, TransactionStatus.INERROR)


class PgRow:
    """One result row, by index (``row[0]``) or by column name (``row["code"]``)."""

    __slots__ = ("_names", "_values")

    def __init__(self, names: dict[str, int], values: tuple[Any, ...]) -> None:
        self._names = names
        self._values = values

    def __getitem__(self, key: int | str) -> Any:
        if isinstance(key, str):
            index = self._names.get(key)
            if index is None:
                index = self._names.get(key.lower())
            if index is None:
                raise IndexError(f"no such column: {key}")
            return self._values[index]
        return self._values[key]

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def keys(self) -> list[str]:
        return list(self._names)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PgRow):
            return NotImplemented
        return self._values == other._values and self._names == other._names

    def __hash__(self) -> int:
        return hash(self._values)

    def __repr__(self) -> str:
        return f"PgRow({dict(zip(self._names, self._values, strict=True))!r})"


def pg_row(cursor: psycopg.Cursor[Any]) -> RowMaker[PgRow]:
    """psycopg's row factory for :class:`PgRow` (one name map per result)."""
    described = cursor.description
    names = {column.name: i for i, column in enumerate(described or ())}

    def make(values: Sequence[Any]) -> PgRow:
        return PgRow(names, tuple(values))

    return make


_TOKENS = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|::|\?|:([A-Za-z_]\w*)|%""")


@lru_cache(maxsize=1024)
def to_pyformat(sql: str) -> str:
    """``?`` -> ``%s``, ``:name`` -> ``%(name)s``, ``%`` -> ``%%`` (psycopg reads ``%``
    everywhere, quotes included); in quoted text, comments and ``::`` casts nothing else
    changes. Cached: the code has a few hundred statements."""

    def swap(match: re.Match[str]) -> str:
        text = match.group(0)
        if text == "?":
            return "%s"
        if text == "%":
            return "%%"
        if match.group(1):
            return f"%({match.group(1)})s"
        return text.replace("%", "%%")

    return _TOKENS.sub(swap, sql)


def safe_url(url: str) -> str:
    """The URL with its password (in the user part or as ``?password=``) masked: for logs,
    errors and anything shown."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        if ":" in user:
            user = user.split(":", 1)[0] + ":***"
        netloc = f"{user}@{host}"
    query = re.sub(r"(?i)(^|&)(password=)[^&]*", r"\1\2***", parts.query)
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def application_name(role: str) -> str:
    """``drawgame <role> <host>:<pid>``: what ``pg_stat_activity`` shows of a connection, so
    an operation can tell which servers (of any box) use the database."""
    return f"drawgame {role} {socket.gethostname()[:30]}:{os.getpid()}"


def conninfo(url: str, role: str, *, read_only: bool = False) -> str:
    """libpq connection settings for one of the store's connections.

    The URL's own settings win, except that drawgame's ``options`` (the lock timeout,
    and read-only for readers) come first in any ``options`` it gives.
    """
    given = conninfo_to_dict(url)
    options = f"-c lock_timeout={LOCK_TIMEOUT_MS}"
    if read_only:
        options += " -c default_transaction_read_only=on"
    if given.get("options"):
        options = f"{options} {given['options']}"
    defaults: dict[str, Any] = {
        "connect_timeout": CONNECT_TIMEOUT_S,
        "application_name": application_name(role),
        "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
        "keepalives_count": 3,
    }
    return make_conninfo(**{**defaults, **given, "options": options})


class PgConnection:
    """A psycopg connection that speaks the store's interface (see connection.py)."""

    def __init__(self, url: str, role: str = "writer", *, read_only: bool = False) -> None:
        self.url = url
        self._conninfo = conninfo(url, role, read_only=read_only)
        self._raw = self._connect()
        self.done = 0
        """Statements that succeeded since :meth:`unit_starts`."""

    def _connect(self) -> psycopg.Connection[PgRow]:
        return psycopg.connect(self._conninfo, autocommit=True, row_factory=pg_row)

    def execute(self, sql: str, parameters: Params | None = None, /) -> psycopg.Cursor[PgRow]:
        if not parameters:
            cursor = self._raw.execute(sql)  # type: ignore[arg-type]
        else:
            cursor = self._raw.execute(to_pyformat(sql), parameters)  # type: ignore[arg-type]
        self.done += 1
        return cursor

    def executemany(self, sql: str, parameters: Iterable[Params], /) -> psycopg.Cursor[PgRow]:
        cursor = self._raw.cursor()
        cursor.executemany(to_pyformat(sql), parameters)  # type: ignore[arg-type]
        self.done += 1
        return cursor

    def pipeline(self) -> contextlib.AbstractContextManager[Any]:
        """psycopg's pipeline mode (see :func:`drawgame.store.connection.pipelined`)."""
        return self._raw.pipeline()

    @property
    def in_transaction(self) -> bool:
        return self._raw.info.transaction_status in _BUSY

    @property
    def server_version(self) -> int:
        return self._raw.info.server_version

    def revive(self) -> None:
        """Open the connection again if it was lost; the store calls this between units
        of work (what was in flight failed with an OperationalError)."""
        if self._raw.closed or self._raw.broken:
            self._raw.close()
            self._raw = self._connect()

    def run_unit(self, work: Callable[[PgConnection], T]) -> T:
        """``work(self)`` on a live connection; once more on a new one if the first
        statement found this one lost."""
        self.revive()
        self.done = 0
        try:
            return work(self)
        except psycopg.OperationalError:
            if self.done or not self._raw.broken:
                raise
        self.revive()
        self.done = 0
        return work(self)

    def close(self) -> None:
        self._raw.close()

    def __repr__(self) -> str:
        return f"PgConnection({safe_url(self.url)!r})"
