"""Which servers use a database, whatever their port: the lock file beside it.

Every server process (``python -m drawgame serve``, under ``make start``, the
built-in supervisor or systemd) holds an ``flock`` on ``<db>.lock`` for its
whole life and writes one line there, its pid and the address it serves on.
The workers of a cluster share the database and hold the lock shared; a
single process on the SQLite file holds it exclusively: it is then the only
server on the file, which is why it needs no lease on its rooms (drawgame/
rooms/registry.py) and a second server refuses to start. An operation that
replaces the database (restore, a deploy's rollback of its migrations) takes
the lock exclusively, so it refuses while any server runs and no server
starts while it works. The kernel drops a dead process's lock,
so a crash never leaves the database locked; lines of dead servers are
ignored and cleared by the next server that finds itself alone.

On PostgreSQL there is no file to replace: the lock file (one per database
on this box, beside ``DRAWGAME_DB_PATH``'s folder) still tells where this box's
servers serve, and a restore sees every box's servers in the database's own
``pg_stat_activity`` (drawgame/ops/postgres.py).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from psycopg.conninfo import conninfo_to_dict

from drawgame.config import Config
from drawgame.ops.daemon import is_drawgame

SUFFIX = ".lock"


def target(config: Config) -> Path:
    """What the lock is held on: the SQLite file, or for PostgreSQL a name for its
    database (host, port, name; never the password) in the SQLite file's folder."""
    if not config.database_url:
        return Path(config.db_path)
    settings = conninfo_to_dict(config.database_url)
    where = "-".join(str(settings.get(key) or "local")
                     for key in ("host", "port", "dbname"))
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", where).strip("_")[:80]
    return Path(config.db_path).parent / f"postgresql-{slug}"


class DatabaseInUse(RuntimeError):
    """The database is used by a server (or being replaced) and cannot be taken now."""


def lock_path(db: Path) -> Path:
    return db.with_name(db.name + SUFFIX)


def servers(db: Path) -> list[dict[str, Any]]:
    """The live servers that announced themselves for ``db`` (pid, urls, started_at)."""
    try:
        text = lock_path(db).read_text(encoding="utf-8")
    except OSError:
        return []
    found = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("pid"), int) \
                and is_drawgame(entry["pid"]):
            found.append(entry)
    return found


def local_url(entry: dict[str, Any]) -> str | None:
    """A server's first address as a URL this box can open (a wildcard bind is loopback)."""
    urls = entry.get("urls") or []
    if not urls:
        return None
    url = str(urls[0])
    return url.replace("//0.0.0.0:", "//127.0.0.1:").replace("//[::]:", "//[::1]:")


def _describe(db: Path) -> str:
    running = servers(db)
    if not running:
        return (f"{db} is locked by another process (a server starting, or a restore "
                f"or rollback at work; the lock is {lock_path(db)})")
    who = ", ".join(f"pid {e['pid']}" + (f" at {local_url(e)}" if local_url(e) else "")
                    for e in running)
    return f"a server uses {db} ({who})"


def alone_on(config: Config) -> bool:
    """Whether this server must be the only one on its database: a single process (not a
    cluster's worker) on the SQLite file."""
    return not config.database_url and not config.worker_id


class ServerLock:
    """The lock a server holds on its database for as long as it runs (``exclusive``:
    no other server may run on it meanwhile)."""

    def __init__(self, db: Path, *, exclusive: bool = False) -> None:
        self.db = db
        self.exclusive = exclusive
        self.file: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock; raises DatabaseInUse while the database is being replaced (or,
        for an exclusive lock, while another server uses it)."""
        path = lock_path(self.db)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (held for the process)
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                handle.truncate(0)  # alone: the lines of earlier servers are stale
            except BlockingIOError:
                if self.exclusive:
                    raise
            if not self.exclusive:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise DatabaseInUse(_describe(self.db)) from None
        self.file = handle

    def announce(self, urls: list[str]) -> None:
        """Say where this server serves (one line, appended: other servers keep theirs)."""
        if self.file is None:
            return
        line = json.dumps({"pid": os.getpid(), "urls": urls,
                           "started_at": datetime.now(UTC).isoformat(timespec="seconds")})
        os.write(self.file.fileno(), (line + "\n").encode())

    def release(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


@contextlib.contextmanager
def exclusive(db: Path) -> Iterator[None]:
    """Hold ``db`` against every server while it is replaced; DatabaseInUse if one runs."""
    path = lock_path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DatabaseInUse(_describe(db)) from None
        yield
