"""db-check, online backups with pruning, and putting a backup back in place."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import urllib.request
from pathlib import Path

import pytest
import serverproc
import trio
from conftest import RunningServer, start_server

from drawgame.config import Config
from drawgame.ops import database, serverlock
from drawgame.services import open_services


def cli_env(config: Config, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRAWGAME_")}
    env.update({"DRAWGAME_DB_PATH": config.db_path, "DRAWGAME_ENV_FILE": os.devnull, **extra})
    return env


async def cli(env: dict[str, str], *args: str) -> tuple[int, str]:
    done = await trio.run_process([sys.executable, "-m", "drawgame", *args, "--instance", "local"],
                                  env=env, capture_stdout=True, capture_stderr=True, check=False)
    return done.returncode, (done.stdout + done.stderr).decode()


def rooms(path: Path | str) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {row[0] for row in conn.execute("SELECT code FROM rooms")}
    finally:
        conn.close()


def add_room(path: Path | str, code: str) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("INSERT INTO rooms (code, name, settings, created_at, last_active_at)"
                     " VALUES (?, 'r', '{}', 'now', 'now')", (code,))
    conn.close()


def wreck_a_page(path: Path) -> None:
    data = bytearray(path.read_bytes())
    assert len(data) >= 4 * 4096
    data[2 * 4096:3 * 4096] = b"\xff" * 4096
    path.write_bytes(bytes(data))


@pytest.fixture
async def migrated(config: Config) -> Path:
    async with open_services(config):
        pass
    return Path(config.db_path)


async def test_db_check_reports_a_sound_database(config: Config, migrated: Path) -> None:
    add_room(migrated, "ROOMAAAA")
    rc, out = await cli(cli_env(config), "db-check")
    assert rc == 0, out
    assert out.splitlines()[-1] == "database OK"
    labels = [line.split("  ")[0].strip() for line in out.splitlines()[:-1]]
    assert labels == ["database", "select 1", "integrity", "foreign keys", "journal", "schema",
                      "rows"]
    assert any(line.startswith("integrity") and " ok (" in line for line in out.splitlines())
    assert "rooms 1 (1 active)" in out


async def test_db_check_fails_on_a_damaged_or_missing_file(
    config: Config, migrated: Path, tmp_path: Path
) -> None:
    add_room(migrated, "ROOMAAAA")
    wreck_a_page(migrated)
    report = database.check(migrated)
    assert report.ok is False
    assert report.render().splitlines()[-1] == "database NOT OK"
    rc, out = await cli(cli_env(config, DRAWGAME_DB_PATH=str(tmp_path / "none.db")), "db-check")
    assert rc == 1
    assert "no database file" in out
    assert not (tmp_path / "none.db").exists()  # checking never creates a database


async def test_backup_while_serving_is_consistent_checked_and_pruned(
    config: Config, tmp_path: Path, nursery: trio.Nursery
) -> None:
    server = await start_server(nursery, config.replace(rooms_per_minute_per_ip=10_000))
    backups = tmp_path / "backups"
    env = cli_env(config, DRAWGAME_BACKUP_DIR=str(backups), DRAWGAME_BACKUP_KEEP="2")
    made: list[str] = []

    async def create_rooms(stop: trio.Event) -> None:
        def create() -> str:
            req = urllib.request.Request(server.url + "/api/rooms", data=b"{}", method="POST")
            with urllib.request.urlopen(req, timeout=5) as answer:
                return str(json.load(answer)["code"])

        while not stop.is_set():
            made.append(await trio.to_thread.run_sync(create))

    with trio.fail_after(30):
        stop = trio.Event()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(create_rooms, stop)
            outputs = []
            for _ in range(3):
                rc, out = await cli(env, "backup")
                assert rc == 0, out
                outputs.append(out)
            stop.set()
    files = database.list_backups(backups)
    assert len(files) == 2  # three made, pruned to DRAWGAME_BACKUP_KEEP
    assert "removed 1" in outputs[-1]
    newest = files[-1]
    assert str(newest) in outputs[-1] and "integrity ok" in outputs[-1]
    assert database.check(newest).ok
    conn = sqlite3.connect(newest)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
    conn.close()
    in_backup = rooms(newest)
    assert in_backup and in_backup <= set(made)  # a snapshot of a moment of the live database
    assert not list(backups.glob("*.partial"))


async def test_restore_round_trip_on_a_stopped_local_instance(
    config: Config, migrated: Path, tmp_path: Path
) -> None:
    env = cli_env(config, DRAWGAME_BACKUP_DIR=str(tmp_path / "b"))
    add_room(migrated, "BEFORE11")
    rc, out = await cli(env, "backup")
    assert rc == 0, out
    backup = database.list_backups(tmp_path / "b")[-1]
    add_room(migrated, "AFTER111")
    rc, out = await cli(env, "restore", str(backup))
    assert rc == 0, out
    assert rooms(migrated) == {"BEFORE11"}
    aside = [p for p in migrated.parent.iterdir() if ".before-restore-" in p.name
             and not p.name.endswith(("-wal", "-shm"))]
    assert len(aside) == 1 and rooms(aside[0]) == {"BEFORE11", "AFTER111"}
    async with open_services(config) as svc:  # the restored file serves
        assert await svc.store.ping() > 0


async def test_restore_refuses_a_damaged_backup_and_a_running_local_server(
    server: RunningServer, config: Config, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"not a database" * 100)
    env = cli_env(config, DRAWGAME_HOST="127.0.0.1", DRAWGAME_PORT=str(server.port))
    rc, out = await cli(env, "restore", str(bad))
    assert rc == 1 and "not a sound database" in out
    good = tmp_path / "good.sqlite3"
    database.copy_consistent(Path(config.db_path), good)
    rc, out = await cli(env, "restore", str(good))
    assert rc == 1 and "stop it first" in out
    assert rooms(config.db_path) == set()  # untouched


def test_set_aside_moves_the_wal_files_with_the_database(tmp_path: Path) -> None:
    db = tmp_path / "x.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").write_text(suffix or "main")
    aside = database.set_aside(db, "test")
    assert aside is not None and aside.read_text() == "main"
    assert Path(f"{aside}-wal").read_text() == "-wal"
    assert not any(Path(f"{db}{s}").exists() for s in ("", "-wal", "-shm"))


def test_prune_keeps_the_newest(tmp_path: Path) -> None:
    names = [database.backup_name(label=str(i)) for i in range(5)]
    for name in names:
        (tmp_path / name).write_text("x")
    (tmp_path / "other.sqlite3").write_text("not a backup")
    removed = database.prune(tmp_path, 2)
    assert [p.name for p in removed] == sorted(names)[:3]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*sorted(names)[3:],
                                                                 "other.sqlite3"])


async def test_restore_finds_a_server_on_the_database_whatever_its_port(
    config: Config, migrated: Path, tmp_path: Path
) -> None:
    """The server's lock beside the database gives it away, not its address."""
    good = tmp_path / "good.sqlite3"
    database.copy_consistent(migrated, good)
    add_room(migrated, "LIVE1111")
    proc, url = serverproc.start_and_wait(tmp_path, DRAWGAME_DB_PATH=str(migrated))
    try:
        env = cli_env(config, DRAWGAME_PORT="1")  # the configured address is not its own
        rc, out = await cli(env, "restore", str(good))
        assert rc == 1, out
        assert f"a server uses {migrated} (pid {proc.pid} at {url})" in out
        assert "stop it first" in out and rooms(migrated) == {"LIVE1111"}
        assert not [p for p in migrated.parent.iterdir() if ".before-restore-" in p.name]
        done = await trio.run_process([sys.executable, "-m", "drawgame", "health"], env=env,
                                      capture_stdout=True, check=False)
        assert done.returncode == 0 and b'"status": "ok"' in done.stdout  # found it too
    finally:
        proc.terminate()
        await trio.to_thread.run_sync(proc.wait)
    rc, out = await cli(env, "restore", str(good))  # stopped: now it may
    assert rc == 0, out
    assert rooms(migrated) == set()


def test_a_server_does_not_start_while_its_database_is_being_replaced(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    with serverlock.exclusive(db):
        proc = serverproc.start(tmp_path, DRAWGAME_DB_PATH=str(db))
        assert proc.wait(timeout=30) == 1
        assert proc.stderr is not None
        assert "locked by another process" in proc.stderr.read()
    assert serverlock.servers(db) == []


def test_a_second_single_server_on_the_same_file_refuses_to_start(tmp_path: Path) -> None:
    """A single server holds its SQLite file alone (its rooms need no lease: nobody else
    can serve them), so another one started on it, on another port, stops at once."""
    db = tmp_path / "db.sqlite3"
    first, url = serverproc.start_and_wait(tmp_path, DRAWGAME_DB_PATH=str(db))
    try:
        second = serverproc.start(tmp_path, DRAWGAME_DB_PATH=str(db))
        assert second.wait(timeout=30) == 1
        assert second.stderr is not None
        assert f"a server uses {db} (pid {first.pid} at {url}): stop it first" \
            in second.stderr.read()
        assert [s["pid"] for s in serverlock.servers(db)] == [first.pid]
    finally:
        serverproc.stop(first)


def test_each_kind_of_backup_has_its_own_retention(tmp_path: Path) -> None:
    regular = [database.backup_name(label="") .replace(".sqlite3", f"{i}.sqlite3")
               for i in range(3)]
    predeploy = [database.backup_name(label=f"predeploy-2026010{i}T000000Z-abc")
                 for i in range(4)]
    for name in [*regular, *predeploy]:
        (tmp_path / name).write_text("x")
    assert database.prune(tmp_path, 2) == [tmp_path / sorted(regular)[0]]
    assert len(database.list_backups(tmp_path, database.PREDEPLOY)) == 4  # untouched
    removed = database.prune(tmp_path, 1, database.PREDEPLOY)
    assert [p.name for p in removed] == sorted(predeploy)[:3]
    assert len(database.list_backups(tmp_path, "regular")) == 2


def test_set_aside_copies_are_pruned_by_kind(tmp_path: Path) -> None:
    db = tmp_path / "drawgame.sqlite3"
    made: dict[str, list[Path]] = {"before-restore": [], "failed-deploy": []}
    for why in made:
        for _ in range(4):
            db.write_text("main")
            Path(f"{db}-wal").write_text("wal")
            aside = database.set_aside(db, why)
            assert aside is not None
            made[why].append(aside)
    removed = database.prune_set_aside(db, "before-restore", 2)
    assert removed == made["before-restore"][:2]
    assert not any(Path(f"{p}{s}").exists() for p in removed for s in ("", "-wal"))
    assert database.set_aside_copies(db, "before-restore") == made["before-restore"][2:]
    assert database.set_aside_copies(db, "failed-deploy") == made["failed-deploy"]  # apart
