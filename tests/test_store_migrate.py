import sqlite3
from pathlib import Path

import pytest

from drawgame.__main__ import main
from drawgame.store import MigrationError, apply_migrations, pending_migrations
from drawgame.store.db import connect
from drawgame.store.migrate import default_dir


def tables(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'index')")
    return {r[0] for r in rows}


def test_fresh_database_gets_every_migration(tmp_path: Path) -> None:
    conn = connect(tmp_path / "db.sqlite3")
    applied = apply_migrations(conn)
    assert [m.version for m in applied] == sorted(m.version for m in applied)
    assert applied[0].name == "0001_init"
    names = tables(conn)
    assert {"rooms", "players", "idx_rooms_active", "idx_players_room"} <= names
    recorded = conn.execute("SELECT version, name, checksum, applied_at FROM schema_migrations")
    rows = recorded.fetchall()
    assert [(r[0], r[1]) for r in rows] == [(m.version, m.name) for m in applied]
    assert all(len(r[2]) == 64 and r[3] for r in rows)
    index_sql = conn.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'idx_rooms_active'"
    ).fetchone()[0]
    assert "rooms(is_active)" in index_sql.replace(" ", "")


def test_rerun_is_a_no_op(tmp_path: Path) -> None:
    conn = connect(tmp_path / "db.sqlite3")
    apply_migrations(conn)
    before = conn.execute("SELECT * FROM schema_migrations").fetchall()
    assert apply_migrations(conn) == []
    assert conn.execute("SELECT * FROM schema_migrations").fetchall() == before


def copy_migrations(tmp_path: Path) -> Path:
    folder = tmp_path / "migrations"
    folder.mkdir()
    for path in default_dir().glob("*.sql"):
        (folder / path.name).write_text(path.read_text())
    return folder


def test_changed_applied_migration_is_refused(tmp_path: Path) -> None:
    folder = copy_migrations(tmp_path)
    conn = connect(tmp_path / "db.sqlite3")
    apply_migrations(conn, folder)
    first = folder / "0001_init.sql"
    first.write_text(first.read_text() + "\n-- edited later\n")
    with pytest.raises(MigrationError, match=r"0001_init\.sql was changed after it was applied"):
        apply_migrations(conn, folder)


def test_new_migration_applies_in_its_own_transaction(tmp_path: Path) -> None:
    folder = copy_migrations(tmp_path)
    conn = connect(tmp_path / "db.sqlite3")
    apply_migrations(conn, folder)
    (folder / "0900_good.sql").write_text("CREATE TABLE extra_a (id INTEGER);\n")
    (folder / "0901_bad.sql").write_text(
        "CREATE TABLE extra_b (id INTEGER);\nINSERT INTO nowhere VALUES (1);\n"
    )
    with pytest.raises(MigrationError, match=r"0901_bad\.sql"):
        apply_migrations(conn, folder)
    names = tables(conn)
    assert "extra_a" in names  # the good one committed
    assert "extra_b" not in names  # the failed file left nothing behind
    assert [m.name for m in pending_migrations(conn, folder)] == ["0901_bad"]


def test_badly_named_file_is_refused(tmp_path: Path) -> None:
    folder = copy_migrations(tmp_path)
    (folder / "2_oops.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=r"NNNN_slug\.sql"):
        apply_migrations(connect(tmp_path / "db.sqlite3"), folder)


def test_cli_dry_run_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "db.sqlite3"
    monkeypatch.setenv("DRAWGAME_DB_PATH", str(db))
    monkeypatch.chdir(tmp_path)
    assert main(["migrate", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would apply 0001_init.sql" in out
    assert not tables(sqlite3.connect(db))
    assert main(["migrate"]) == 0
    assert "applied 0001_init.sql" in capsys.readouterr().out
    assert main(["migrate", "--dry-run"]) == 0
    assert "0 pending migration(s)" in capsys.readouterr().out
