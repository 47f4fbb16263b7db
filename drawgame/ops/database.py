"""Database operations: check, online backup, pruning, and putting a backup in place.

These are SQLite's (a file); PostgreSQL's forms of the same targets are in
drawgame/ops/postgres.py, and share the backup names and pruning here.

Backups use SQLite's backup API from a read-only connection: the copy is one
consistent snapshot even while the server writes (WAL readers never block
the writer), then it is switched to a single self-contained file (journal
mode DELETE) and integrity-checked before it gets its final name.
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from drawgame.store.connection import Connection, table_exists

BACKUP_PREFIX = "drawgame-"
BACKUP_SUFFIX = ".sqlite3"
BACKUP_SUFFIXES = (BACKUP_SUFFIX, ".dump")
"""SQLite copies, and PostgreSQL's pg_dump archives."""
COUNTED_TABLES = ("rooms", "players", "games", "turns", "turn_ops")


class DatabaseError(RuntimeError):
    """A database file is missing, unreadable or damaged."""


def open_existing(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """Open a database that must already exist (never creates an empty one)."""
    if not path.is_file():
        raise DatabaseError(f"no database file at {path}")
    mode = "ro" if read_only else "rw"
    try:
        conn = sqlite3.connect(f"file:{path.absolute()}?mode={mode}", uri=True, timeout=5,
                               isolation_level=None)
    except sqlite3.Error as exc:
        raise DatabaseError(f"{path}: {exc}") from None
    return conn


def integrity_problems(conn: sqlite3.Connection) -> list[str]:
    """SQLite's integrity check; an empty list means the file is sound."""
    rows = [str(row[0]) for row in conn.execute("PRAGMA integrity_check").fetchall()]
    return [] if rows == ["ok"] else rows


@dataclass
class CheckReport:
    """What ``db-check`` found, as labelled lines, and whether all is well."""

    path: Path
    ok: bool = True
    lines: list[tuple[str, str]] = field(default_factory=list)

    def add(self, label: str, text: str, *, failed: bool = False) -> None:
        self.lines.append((label, text))
        if failed:
            self.ok = False

    def render(self) -> str:
        width = max((len(label) for label, _ in self.lines), default=0)
        body = "\n".join(f"{label:<{width}}  {text}" for label, text in self.lines)
        verdict = "database OK" if self.ok else "database NOT OK"
        return f"{body}\n{verdict}"


def check(path: Path) -> CheckReport:
    """``SELECT 1``, the integrity and foreign key checks, and a few readable figures."""
    report = CheckReport(path)
    try:
        conn = open_existing(path, read_only=True)
    except DatabaseError as exc:
        report.add("database", str(exc), failed=True)
        return report
    try:
        size = sum(p.stat().st_size for p in _files(path) if p.exists())
        report.add("database", f"{path} ({size / 1024 / 1024:.2f} MiB with its WAL)")
        started = time.perf_counter()
        conn.execute("SELECT 1").fetchone()
        report.add("select 1", f"ok ({(time.perf_counter() - started) * 1000:.2f} ms)")
        started = time.perf_counter()
        problems = integrity_problems(conn)
        took = (time.perf_counter() - started) * 1000
        if problems:
            report.add("integrity", f"FAILED: {'; '.join(problems[:10])}", failed=True)
        else:
            report.add("integrity", f"ok ({took:.1f} ms)")
        orphans = conn.execute("PRAGMA foreign_key_check").fetchall()
        report.add("foreign keys", f"{len(orphans)} broken reference(s)" if orphans else "ok",
                   failed=bool(orphans))
        report.add("journal", str(conn.execute("PRAGMA journal_mode").fetchone()[0]))
        report.add("schema", _schema_line(conn))
        report.add("rows", rows_line(conn))
    except sqlite3.Error as exc:
        report.add("error", str(exc), failed=True)
    finally:
        conn.close()
    return report


def _schema_line(conn: sqlite3.Connection) -> str:
    try:
        rows = conn.execute(
            "SELECT version, name FROM schema_migrations ORDER BY version"
        ).fetchall()
    except sqlite3.OperationalError:
        return "no migrations applied"
    if not rows:
        return "no migrations applied"
    return f"{len(rows)} migration(s) applied, last {rows[-1][1]}"


def rows_line(conn: Connection) -> str:
    """How many rows the main tables hold (those that exist), on either database."""
    parts = []
    for table in COUNTED_TABLES:
        if not table_exists(conn, table):
            continue
        count = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        if table == "rooms":
            active = conn.execute("SELECT count(*) FROM rooms WHERE is_active = 1").fetchone()[0]
            parts.append(f"rooms {count} ({active} active)")
        else:
            parts.append(f"{table} {count}")
    return ", ".join(parts) or "no tables"


def _files(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def copy_consistent(source: Path, dest: Path) -> None:
    """Copy ``source`` (possibly live) to a new self-contained file ``dest``, checked.

    Written under a temporary name first; ``dest`` appears only once the copy
    passed the integrity check.
    """
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    src = open_existing(source, read_only=True)
    try:
        target = sqlite3.connect(partial, isolation_level=None)
        try:
            src.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")
            problems = integrity_problems(target)
        finally:
            target.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise DatabaseError(f"copying {source}: {exc}") from None
    finally:
        src.close()
    if problems:
        partial.unlink(missing_ok=True)
        raise DatabaseError(f"the copy of {source} failed its integrity check: {problems[:3]}")
    with open(partial, "rb") as f:
        os.fsync(f.fileno())
    partial.replace(dest)


def backup_name(now: datetime | None = None, label: str = "") -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    suffix = f"-{label}" if label else ""
    return f"{BACKUP_PREFIX}{stamp}{suffix}{BACKUP_SUFFIX}"


PREDEPLOY = "predeploy"
ASIDE = ("before-restore", "failed-deploy")


def list_backups(folder: Path, kind: str | None = None) -> list[Path]:
    """The backups in ``folder``, oldest first (their names start with the time).

    ``kind``: ``regular`` (``make backup``) or ``predeploy`` (a deploy's); None: both.
    """
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir()
             if p.name.startswith(BACKUP_PREFIX) and p.name.endswith(BACKUP_SUFFIXES)]
    if kind is not None:
        found = [p for p in found if (backup_kind(p) == kind)]
    return sorted(found, key=lambda p: p.name)


def backup_kind(path: Path) -> str:
    """``regular``, ``predeploy``, or (PostgreSQL's dumps of what a restore or a failed
    deploy replaced) ``before-restore`` / ``failed-deploy``."""
    for kind in (PREDEPLOY, *ASIDE):
        if f"-{kind}" in path.name:
            return kind
    return "regular"


def prune(folder: Path, keep: int, kind: str = "regular") -> list[Path]:
    """Delete all but the newest ``keep`` backups of ``kind``; return the deleted ones.

    Each kind has its own count, so frequent deploys never push out the daily backups.
    """
    found = list_backups(folder, kind)
    doomed = found[:-keep] if keep > 0 else found
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


def backup(db: Path, folder: Path, keep: int, label: str = "") -> tuple[Path, list[Path]]:
    """Online backup of ``db`` into ``folder``, checked; then prune its kind to ``keep``.

    Returns the new backup and the pruned ones.
    """
    dest = folder / backup_name(label=label)
    copy_consistent(db, dest)
    return dest, prune(folder, keep, backup_kind(dest))


def set_aside_copies(db: Path, why: str) -> list[Path]:
    """The databases set aside for ``why`` (``before-restore``, ``failed-deploy``), oldest
    first (main files; their WAL side files go with them)."""
    prefix = f"{db.name}.{why}-"
    if not db.parent.is_dir():
        return []
    return sorted(p for p in db.parent.iterdir()
                  if p.name.startswith(prefix) and not p.name.endswith(("-wal", "-shm")))


def prune_set_aside(db: Path, why: str, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` databases set aside for ``why``."""
    doomed = set_aside_copies(db, why)[:-keep]
    for path in doomed:
        for part in _files(path):
            part.unlink(missing_ok=True)
    return doomed


def set_aside(db: Path, why: str) -> Path | None:
    """Move the database (and its WAL side files) out of the way; return the new main path.

    With the server stopped there is no WAL content left, but the side files
    are moved with the main file all the same, so nothing is ever lost.
    """
    if not db.exists():
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    aside = db.with_name(f"{db.name}.{why}-{stamp}")
    for part, moved in zip(_files(db), _files(aside), strict=True):
        if part.exists():
            part.replace(moved)
    return aside


def put_in_place(source: Path, db: Path) -> None:
    """Install a copy of the backup ``source`` as ``db`` (which must not exist), checked."""
    if any(p.exists() for p in _files(db)):
        raise DatabaseError(f"{db} still exists; set it aside first")
    copy_consistent(source, db)
