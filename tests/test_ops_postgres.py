"""The operations on PostgreSQL: db-check, pg_dump backups, restores, migrations, the CLI."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import trio

from drawgame.config import Config
from drawgame.game.settings import Settings
from drawgame.services import open_services
from drawgame.store import Store
from drawgame.store.db import connect_to
from tests.pgserver import PgServer

ROOT = Path(__file__).resolve().parent.parent


def cli_env(url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRAWGAME_")}
    env.update({"DRAWGAME_DATABASE_URL": url, "DRAWGAME_ENV_FILE": os.devnull,
                "DRAWGAME_DB_PATH": str(tmp_path / "data" / "unused.sqlite3"),
                "DRAWGAME_BACKUP_DIR": str(tmp_path / "backups"), **extra})
    return env


async def cli(env: dict[str, str], *args: str) -> tuple[int, str]:
    local = [] if args[0] == "migrate" else ["--instance", "local"]
    done = await trio.run_process([sys.executable, "-m", "drawgame", *args, *local],
                                  env=env, capture_stdout=True, capture_stderr=True, check=False)
    return done.returncode, (done.stdout + done.stderr).decode()


def password_of(url: str) -> str:
    return url.split("//", 1)[1].split("@", 1)[0].split(":", 1)[1]


def codes(url: str) -> set[str]:
    conn = connect_to(url)
    try:
        return {row[0] for row in conn.execute("SELECT code FROM rooms")}
    finally:
        conn.close()


async def seeded(config: Config, pg_url: str, *names: str) -> set[str]:
    """A migrated database with a room per name; returns their codes."""
    async with open_services(config.replace(database_url=pg_url)) as svc:
        made = [await svc.registry.create_room(name, False, Settings()) for name in names]
        return {room["code"] for room in made}


async def test_db_check_reads_the_server_and_names_the_servers_connected(
    config: Config, pg_url: str, tmp_path: Path, pg_server: PgServer
) -> None:
    await seeded(config, pg_url, "one")
    env = cli_env(pg_url, tmp_path)
    code, out = await cli(env, "db-check")
    assert code == 0, out
    assert out.rstrip().endswith("database OK")
    last = sorted((ROOT / "migrations" / "postgresql").glob("*.sql"))[-1].stem
    assert f"migration(s) applied, last {last}" in out
    assert "rooms 1 (1 active)" in out and "no drawgame server connected" in out
    assert password_of(pg_url) not in out and "drawgame:***@" in out
    store = await Store.open(pg_url)
    try:
        code, out = await cli(env, "db-check")
        assert code == 0 and "1 drawgame server(s)" in out, out
    finally:
        await store.close()
    unreachable = cli_env(pg_server.url("nosuchdb"), tmp_path)
    code, out = await cli(unreachable, "db-check")
    assert code == 1 and "database NOT OK" in out
    assert password_of(pg_url) not in out


async def test_backup_and_restore_put_every_table_back(
    config: Config, pg_url: str, tmp_path: Path
) -> None:
    first = await seeded(config, pg_url, "kept")
    env = cli_env(pg_url, tmp_path, DRAWGAME_BACKUP_KEEP="2")
    code, out = await cli(env, "backup")
    assert code == 0, out
    dumps = sorted((tmp_path / "backups").glob("drawgame-*.dump"))
    assert len(dumps) == 1 and "pg_dump archive, read back" in out
    later = await seeded(config, pg_url, "later")
    conn = connect_to(pg_url)
    conn.execute("CREATE TABLE made_after (id INTEGER)")  # as a newer migration would
    conn.close()
    assert codes(pg_url) == first | later
    code, out = await cli(env, "restore", str(dumps[0]))
    assert code == 0, out
    assert codes(pg_url) == first
    conn = connect_to(pg_url)
    try:
        tables = {r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}
        # the identity columns go on from where the backup was, not from 1
        fresh = conn.execute("INSERT INTO rooms (code, name, settings, created_at,"
                             " last_active_at) VALUES ('NEWROOM1', 'n', '{}', 'x', 'x')"
                             " RETURNING id").fetchone()[0]
    finally:
        conn.close()
    assert "made_after" not in tables and {"rooms", "workers", "schema_migrations"} <= tables
    assert fresh == 2
    code, out = await cli(env, "backups")
    assert code == 0 and "before-restore" in out and "regular" in out, out
    assert later <= await trio.to_thread.run_sync(lambda: codes_in_dump(out))
    async with open_services(config.replace(database_url=pg_url)) as svc:  # it serves again
        assert set(svc.registry.rooms) == first | {"NEWROOM1"}


def codes_in_dump(listing: str) -> set[str]:
    """The room codes a before-restore dump holds (its data, read by pg_restore)."""
    import subprocess

    from drawgame.ops.postgres import tool

    path = next(line.split()[0] for line in listing.splitlines() if "before-restore" in line)
    text = subprocess.run([tool("pg_restore"), "--data-only", "--table=rooms", "--file=-", path],
                          capture_output=True, text=True, check=True).stdout
    return {line.split("\t")[1] for line in text.splitlines() if line[:1].isdigit()}


async def test_restore_refuses_while_a_server_is_connected_and_changes_nothing(
    config: Config, pg_url: str, tmp_path: Path
) -> None:
    first = await seeded(config, pg_url, "kept")
    env = cli_env(pg_url, tmp_path)
    assert (await cli(env, "backup"))[0] == 0
    (dump,) = (tmp_path / "backups").glob("*.dump")
    later = await seeded(config, pg_url, "later")
    store = await Store.open(pg_url)
    try:
        code, out = await cli(env, "restore", str(dump))
    finally:
        await store.close()
    assert code == 1 and "drawgame servers use" in out and "stop them first" in out, out
    assert codes(pg_url) == first | later
    sqlite_backup = tmp_path / "drawgame-20260101T000000000000Z.sqlite3"
    sqlite_backup.write_bytes(b"SQLite format 3\x00")
    code, out = await cli(env, "restore", str(sqlite_backup))
    assert code == 1 and "not a pg_dump archive" in out
    assert codes(pg_url) == first | later


async def test_migrate_check_token_cleanup_and_maintenance_from_the_cli(
    config: Config, pg_url: str, tmp_path: Path
) -> None:
    env = cli_env(pg_url, tmp_path)
    code, out = await cli(env, "migrate", "--check")  # nothing applied yet: all would apply
    assert code == 0 and "applies 0001_init.sql" in out, out
    assert not codes_table_exists(pg_url)
    await seeded(config, pg_url, "one")
    code, out = await cli(env, "token", "rotate")
    assert code == 0, out
    token = out.strip().splitlines()[-1]
    from drawgame.ops import admin_token

    conn = connect_to(pg_url)
    try:
        assert admin_token.matches(conn, token)
    finally:
        conn.close()
    code, out = await cli(env, "cleanup", "--days", "1")
    assert code == 0 and "rooms 0" in out, out
    code, out = await cli(env, "maintenance", "on", "--message", "Back soon")
    assert code == 0 and "drawgame:***@" in out and password_of(pg_url) not in out, out
    async with open_services(config.replace(database_url=pg_url)) as svc:
        assert svc.maintenance.on and svc.maintenance.message == "Back soon"


def codes_table_exists(url: str) -> bool:
    from drawgame.store.connection import table_exists

    conn = connect_to(url)
    try:
        return table_exists(conn, "rooms")
    finally:
        conn.close()
