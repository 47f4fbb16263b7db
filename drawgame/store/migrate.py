"""Schema migrations: ``migrations/NNNN_slug.sql`` applied in order, once each.

SQLite's are ``migrations/NNNN_slug.sql``; PostgreSQL's, the same schema in its
own types, are ``migrations/postgresql/NNNN_slug.sql`` with the same versions
and names (a test keeps the two folders in step). Each file runs in its own
transaction and is recorded in ``schema_migrations`` with a SHA-256 checksum
of its text. A recorded file whose text changed afterwards is refused:
history is never rewritten, a fix is a new file (in both folders).

Several processes may start at once on one database (workers): each
migration's transaction first takes the database's write lock (SQLite's
``BEGIN IMMEDIATE``, an advisory lock on PostgreSQL) and skips a version
another process applied meanwhile.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import drawgame
from drawgame.store.connection import (
    POSTGRESQL,
    SQLITE,
    Connection,
    Error,
    Row,
    begin,
    dialect,
    table_exists,
)

FILE_PATTERN = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

MIGRATION_LOCK = 0x64726177  # "draw": PostgreSQL's advisory lock for migrations
DIALECT_FOLDERS = {SQLITE: "", POSTGRESQL: "postgresql"}

CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at TEXT NOT NULL
)
"""


class MigrationError(RuntimeError):
    """The migrations folder or the database history is not usable."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path
    sql: str = field(repr=False)

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def default_dir(of: str = SQLITE) -> Path:
    """The migrations shipped with the package (wheel) or beside it (checkout), for
    ``of`` (``sqlite`` or ``postgresql``)."""
    package = Path(drawgame.__file__).resolve().parent
    for candidate in (package / "migrations", package.parent / "migrations"):
        if candidate.is_dir():
            return candidate / DIALECT_FOLDERS[of]
    raise MigrationError(f"no migrations folder found near {package}")


def folder_for(conn: Connection) -> Path:
    return default_dir(dialect(conn))


def load_migrations(folder: Path) -> list[Migration]:
    """Every migration file in ``folder``, sorted by version; names are checked."""
    found: dict[int, Migration] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix != ".sql":
            continue
        match = FILE_PATTERN.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: migration files are named NNNN_slug.sql")
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"{path.name}: version {version} appears twice")
        found[version] = Migration(version, path.stem, path, path.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


def _applied(conn: Connection) -> dict[int, Row]:
    if not table_exists(conn, "schema_migrations"):
        return {}
    rows = conn.execute("SELECT version, name, checksum FROM schema_migrations").fetchall()
    return {row[0]: row for row in rows}


def pending_migrations(conn: Connection, folder: Path | None = None) -> list[Migration]:
    """The migrations not applied yet; raises if an applied one was edited."""
    migrations = load_migrations(folder or folder_for(conn))
    applied = _applied(conn)
    for migration in migrations:
        row = applied.get(migration.version)
        if row is not None and row[2] != migration.checksum:
            raise MigrationError(
                f"migration {migration.path.name} was changed after it was applied "
                f"(recorded checksum {row[2][:12]}, file {migration.checksum[:12]}); "
                "restore the original file and put the change in a new migration"
            )
    return [m for m in migrations if m.version not in applied]


def apply_migrations(conn: Connection, folder: Path | None = None) -> list[Migration]:
    """Apply every pending migration, each in its own transaction; return them."""
    _locked(conn, lambda: conn.execute(CREATE_TABLE))
    done: list[Migration] = []
    for migration in pending_migrations(conn, folder):
        try:
            if _locked(conn, partial(_apply, conn, migration)):
                done.append(migration)
        except Error as exc:
            raise MigrationError(f"{migration.path.name}: {exc}") from exc
    return done


def check_migrations(conn: Connection, folder: Path | None = None) -> list[Migration]:
    """Apply every pending migration in one transaction, then roll it all back: whether
    they apply to this database, changing nothing (PostgreSQL: its DDL is transactional).
    """
    if dialect(conn) != POSTGRESQL:
        raise MigrationError("checking migrations in place needs PostgreSQL; on SQLite, "
                             "apply them to a copy of the file")
    begin(conn)
    try:
        conn.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
        conn.execute(CREATE_TABLE)
        pending = pending_migrations(conn, folder)
        for migration in pending:
            conn.execute(f"SAVEPOINT m{migration.version}")
            try:
                _run_script(conn, migration.sql)
            except Error as exc:
                raise MigrationError(f"{migration.path.name}: {exc}") from exc
            conn.execute(f"RELEASE m{migration.version}")
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    return pending


def _locked(conn: Connection, work: Callable[[], object]) -> bool:
    """``work()`` in a write transaction that holds the migrations' lock; True if it did
    something (it returns anything but False)."""
    begin(conn)
    try:
        if dialect(conn) == POSTGRESQL:
            conn.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
        result = work()
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result is not False


def _apply(conn: Connection, migration: Migration) -> bool:
    """Run one migration and record it; False if another process applied it first."""
    row = conn.execute("SELECT checksum FROM schema_migrations WHERE version = ?",
                       (migration.version,)).fetchone()
    if row is not None:
        return False
    _run_script(conn, migration.sql)
    conn.execute(
        "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
        (migration.version, migration.name, migration.checksum,
         datetime.now(UTC).isoformat(timespec="seconds")),
    )
    return True


def _run_script(conn: Connection, sql: str) -> None:
    if dialect(conn) == POSTGRESQL:  # several statements in one simple query, in our transaction
        conn.execute(sql)
        return
    # executescript() would COMMIT first; run statement by statement instead so
    # the whole file stays inside our transaction.
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                conn.execute(buffer)
            buffer = ""
    if buffer.strip() and not buffer.strip().startswith("--"):
        conn.execute(buffer)
