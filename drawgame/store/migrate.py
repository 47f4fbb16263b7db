"""Schema migrations: ``migrations/NNNN_slug.sql`` applied in order, once each.

Each file runs in its own transaction and is recorded in
``schema_migrations`` with a SHA-256 checksum of its text. A recorded file
whose text changed afterwards is refused: history is never rewritten, a fix
is a new file.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import drawgame

FILE_PATTERN = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

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


def default_dir() -> Path:
    """The migrations shipped with the package (wheel) or beside it (checkout)."""
    package = Path(drawgame.__file__).resolve().parent
    for candidate in (package / "migrations", package.parent / "migrations"):
        if candidate.is_dir():
            return candidate
    raise MigrationError(f"no migrations folder found near {package}")


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


def _applied(conn: sqlite3.Connection) -> dict[int, sqlite3.Row]:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_migrations'"
    ).fetchone()
    if exists is None:
        return {}
    rows = conn.execute("SELECT version, name, checksum FROM schema_migrations").fetchall()
    return {row[0]: row for row in rows}


def pending_migrations(conn: sqlite3.Connection, folder: Path | None = None) -> list[Migration]:
    """The migrations not applied yet; raises if an applied one was edited."""
    migrations = load_migrations(folder or default_dir())
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


def apply_migrations(conn: sqlite3.Connection, folder: Path | None = None) -> list[Migration]:
    """Apply every pending migration, each in its own transaction; return them."""
    conn.execute(CREATE_TABLE)
    done: list[Migration] = []
    for migration in pending_migrations(conn, folder):
        conn.execute("BEGIN IMMEDIATE")
        try:
            _run_script(conn, migration.sql)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at)"
                " VALUES (?, ?, ?, ?)",
                (
                    migration.version,
                    migration.name,
                    migration.checksum,
                    datetime.now(UTC).isoformat(timespec="seconds"),
                ),
            )
        except BaseException as exc:
            conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise MigrationError(f"{migration.path.name}: {exc}") from exc
            raise
        conn.execute("COMMIT")
        done.append(migration)
    return done


def _run_script(conn: sqlite3.Connection, sql: str) -> None:
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
