"""Database operations on PostgreSQL: check, backup and restore with the server's own tools.

The SQLite operations (drawgame/ops/database.py) work on a file; on
PostgreSQL the same make targets use what PostgreSQL ships: ``make db-check``
asks the server, ``make backup`` runs ``pg_dump`` (custom format, checked by
reading its table of contents back), ``make restore`` replays a dump with
``pg_restore`` and ``psql`` in one transaction, after a ``before-restore`` dump
of what it replaces. The client tools come with Debian's ``postgresql-client``
package; their major version must be at least the server's.

No server may use the database while it is restored: every drawgame
connection names itself (``application_name`` ``drawgame <role> <host>:<pid>``),
so a restore sees the servers of every box in ``pg_stat_activity`` and refuses
while any is connected.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict, make_conninfo

from drawgame.ops.database import (
    CheckReport,
    DatabaseError,
    backup_kind,
    backup_name,
    prune,
    rows_line,
)
from drawgame.store.connection import Connection, Error, table_exists, table_names
from drawgame.store.postgresql import PgConnection, safe_url

DUMP_SUFFIX = ".dump"
TOOL_TIMEOUT_S = 3600
CLIENT_PACKAGE = "postgresql-client"


def connect(url: str, role: str = "cli") -> Connection:
    """A connection for an operation; an unreachable server is a DatabaseError."""
    try:
        return PgConnection(url, role)
    except Error as exc:
        raise DatabaseError(f"cannot connect to {safe_url(url)}: {exc}") from None


def tool(name: str) -> str:
    """The path of a PostgreSQL client tool (on the PATH, else Debian's folders)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                        key=lambda p: int(p.parent.parent.name)
                        if p.parent.parent.name.isdigit() else 0)
    if candidates:
        return str(candidates[-1])
    raise DatabaseError(f"{name} is not installed: install Debian's {CLIENT_PACKAGE} package "
                        f"(apt-get install {CLIENT_PACKAGE}), of the server's major version "
                        "or newer")


def tool_env(url: str, app: str) -> tuple[str, dict[str, str]]:
    """A connection string without the password, and an environment that carries it: the
    password never appears on a command line (``ps`` shows those to every user)."""
    settings = conninfo_to_dict(url)
    password = settings.pop("password", None)
    env = {**os.environ, "PGAPPNAME": app}
    if password is not None:
        env["PGPASSWORD"] = str(password)
    return make_conninfo("", **settings), env


def _run(command: list[str], env: dict[str, str], what: str, stdin: str | None = None,
         ) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, input=stdin,
                              timeout=TOOL_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise DatabaseError(f"{what}: {command[0]} did not finish in {TOOL_TIMEOUT_S} s") from None
    if done.returncode != 0:
        raise DatabaseError(f"{what}: {(done.stderr or done.stdout).strip()[-2000:]}")
    return done


# ------------------------------------------------------------------ check


def check(url: str) -> CheckReport:
    """``SELECT 1``, the server, the schema version, row counts and who is connected."""
    report = CheckReport(Path(safe_url(url)))
    try:
        conn = connect(url)
    except DatabaseError as exc:
        report.add("database", str(exc), failed=True)
        return report
    try:
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        report.add("database", f"{safe_url(url)} ({size / 1024 / 1024:.2f} MiB)")
        started = time.perf_counter()
        conn.execute("SELECT 1").fetchone()
        report.add("select 1", f"ok ({(time.perf_counter() - started) * 1000:.2f} ms)")
        version = conn.execute("SHOW server_version").fetchone()[0]
        report.add("server", f"PostgreSQL {version} (it checks its own pages and keys)")
        report.add("schema", schema_line(conn))
        report.add("rows", rows_line(conn))
        report.add("connections", connections_line(conn))
    except Error as exc:
        report.add("error", str(exc), failed=True)
    finally:
        conn.close()
    return report


def schema_line(conn: Connection) -> str:
    if not table_exists(conn, "schema_migrations"):
        return "no migrations applied"
    rows = conn.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
    if not rows:
        return "no migrations applied"
    return f"{len(rows)} migration(s) applied, last {rows[-1][1]}"


def servers(conn: Connection) -> list[str]:
    """The drawgame servers connected to the database (``host:pid``, from their
    connections' names), whatever box they run on."""
    rows = conn.execute(
        "SELECT DISTINCT application_name FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        " AND application_name LIKE 'drawgame %'"
    ).fetchall()
    found = set()
    for row in rows:
        words = str(row[0]).split()
        if len(words) >= 3 and words[1] in ("writer", "reader", "probe"):
            found.add(words[2])
    return sorted(found)


def connections_line(conn: Connection) -> str:
    running = servers(conn)
    if not running:
        return "no drawgame server connected"
    return f"{len(running)} drawgame server(s): {', '.join(running)}"


# ------------------------------------------------------------------ backup


def dump(url: str, dest: Path) -> Path:
    """``pg_dump`` the database into ``dest`` (custom format), checked by listing it back;
    ``dest`` appears only once the dump is complete."""
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    conninfo, env = tool_env(url, "drawgame backup")
    try:
        _run([tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
              f"--file={partial}", f"--dbname={conninfo}"], env, f"pg_dump of {safe_url(url)}")
        verify(partial)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    with open(partial, "rb") as f:
        os.fsync(f.fileno())
    partial.replace(dest)
    return dest


def verify(archive: Path) -> list[str]:
    """The tables a dump holds (from its table of contents); raises if it is unreadable."""
    if not archive.is_file():
        raise DatabaseError(f"no backup file at {archive}")
    done = _run([tool("pg_restore"), "--list", str(archive)], dict(os.environ),
                f"{archive} is not a readable pg_dump archive")
    tables = [line.split()[-2] for line in done.stdout.splitlines()
              if " TABLE DATA " in line and len(line.split()) >= 2]
    if "rooms" not in tables:
        raise DatabaseError(f"{archive} holds no drawgame tables (rooms is missing)")
    return tables


def dump_name(label: str = "") -> str:
    return backup_name(label=label).removesuffix(".sqlite3") + DUMP_SUFFIX


def backup(url: str, folder: Path, keep: int, label: str = "") -> tuple[Path, list[Path]]:
    """A checked dump into ``folder``, then only the newest ``keep`` of its kind are kept."""
    dest = dump(url, folder / dump_name(label))
    return dest, prune(folder, keep, backup_kind(dest))


# ------------------------------------------------------------------ restore


def refuse_while_used(url: str) -> None:
    """DatabaseError naming the servers (of any box) connected to the database."""
    conn = connect(url)
    try:
        running = servers(conn)
    finally:
        conn.close()
    if running:
        raise DatabaseError(f"drawgame servers use {safe_url(url)} ({', '.join(running)}): "
                            "stop them first (nothing was changed)")


def restore(url: str, archive: Path) -> None:
    """Replace every table of the database with the dump's, in one transaction: on any
    error nothing changes. The caller made sure no server is connected."""
    verify(archive)
    conn = connect(url)
    try:
        current = table_names(conn)
    finally:
        conn.close()
    drop = "".join(f'DROP TABLE IF EXISTS "{name}" CASCADE;\n' for name in current)
    script = _run([tool("pg_restore"), "--no-owner", "--no-privileges", "--file=-",
                   str(archive)], dict(os.environ), f"reading {archive}").stdout
    conninfo, env = tool_env(url, "drawgame restore")
    _run([tool("psql"), "--no-psqlrc", "--quiet", "--single-transaction",
          "--set=ON_ERROR_STOP=1", f"--dbname={conninfo}", "--file=-"], env,
         f"restoring {archive} into {safe_url(url)}", stdin=drop + script)


def applied_versions(url: str) -> set[int]:
    conn = connect(url)
    try:
        if not table_exists(conn, "schema_migrations"):
            return set()
        return {int(row[0]) for row in conn.execute("SELECT version FROM schema_migrations")}
    finally:
        conn.close()

