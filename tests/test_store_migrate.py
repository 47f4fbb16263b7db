"""Migrations on both databases: applied once each, checksums, one transaction each."""

from pathlib import Path

import pytest

from drawgame.__main__ import main
from drawgame.store import Connection, MigrationError, apply_migrations, pending_migrations
from drawgame.store.connection import column_names, dialect, table_names
from drawgame.store.db import connect_to
from drawgame.store.migrate import check_migrations, default_dir, load_migrations


def tables(conn: Connection) -> set[str]:
    """Tables and indexes."""
    if dialect(conn) == "sqlite":
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'index')")
    else:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            " UNION SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
    return {r[0] for r in rows}


@pytest.fixture
def conn(database: str) -> Connection:
    return connect_to(database)


def test_fresh_database_gets_every_migration(conn: Connection) -> None:
    applied = apply_migrations(conn)
    assert [m.version for m in applied] == sorted(m.version for m in applied)
    assert applied[0].name == "0001_init"
    names = tables(conn)
    assert {"rooms", "players", "idx_rooms_active", "idx_players_room"} <= names
    recorded = conn.execute("SELECT version, name, checksum, applied_at FROM schema_migrations"
                            " ORDER BY version")
    rows = recorded.fetchall()
    assert [(r[0], r[1]) for r in rows] == [(m.version, m.name) for m in applied]
    assert all(len(r[2]) == 64 and r[3] for r in rows)
    if dialect(conn) == "sqlite":
        index_sql = conn.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'idx_rooms_active'"
        ).fetchone()[0]
    else:
        index_sql = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_rooms_active'"
        ).fetchone()[0]
    assert "rooms" in index_sql and "(is_active)" in index_sql.replace(" ", "")


def test_rerun_is_a_no_op(conn: Connection) -> None:
    apply_migrations(conn)
    before = conn.execute("SELECT * FROM schema_migrations ORDER BY version").fetchall()
    assert apply_migrations(conn) == []
    assert conn.execute("SELECT * FROM schema_migrations ORDER BY version").fetchall() == before


def copy_migrations(tmp_path: Path, conn: Connection) -> Path:
    folder = tmp_path / "migrations"
    folder.mkdir()
    for path in default_dir(dialect(conn)).glob("*.sql"):
        (folder / path.name).write_text(path.read_text())
    return folder


def test_changed_applied_migration_is_refused(tmp_path: Path, conn: Connection) -> None:
    folder = copy_migrations(tmp_path, conn)
    apply_migrations(conn, folder)
    first = folder / "0001_init.sql"
    first.write_text(first.read_text() + "\n-- edited later\n")
    with pytest.raises(MigrationError, match=r"0001_init\.sql was changed after it was applied"):
        apply_migrations(conn, folder)


def test_new_migration_applies_in_its_own_transaction(tmp_path: Path, conn: Connection) -> None:
    folder = copy_migrations(tmp_path, conn)
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


def test_a_version_another_process_applied_meanwhile_is_skipped(
    tmp_path: Path, database: str
) -> None:
    first, second = connect_to(database), connect_to(database)
    folder = copy_migrations(tmp_path, first)
    apply_migrations(first, folder)
    (folder / "0900_extra.sql").write_text("CREATE TABLE extra_a (id INTEGER);\n")
    pending = pending_migrations(second, folder)
    assert [m.name for m in pending] == ["0900_extra"]
    assert [m.name for m in apply_migrations(first, folder)] == ["0900_extra"]
    # the second process had seen it pending: it finds it applied under the lock
    assert apply_migrations(second, folder) == []
    assert second.execute("SELECT count(*) FROM schema_migrations WHERE version = 900"
                          ).fetchone()[0] == 1


def test_badly_named_file_is_refused(tmp_path: Path, conn: Connection) -> None:
    folder = copy_migrations(tmp_path, conn)
    (folder / "2_oops.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=r"NNNN_slug\.sql"):
        apply_migrations(conn, folder)


def test_check_applies_and_rolls_back_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    conn = connect_to(pg_url)
    folder = copy_migrations(tmp_path, conn)
    apply_migrations(conn, folder)
    (folder / "0900_good.sql").write_text("ALTER TABLE rooms ADD COLUMN extra INTEGER;\n")
    assert [m.name for m in check_migrations(conn, folder)] == ["0900_good"]
    assert "extra" not in column_names(conn, "rooms")  # rolled back
    assert [m.name for m in pending_migrations(conn, folder)] == ["0900_good"]
    (folder / "0901_bad.sql").write_text("ALTER TABLE nowhere ADD COLUMN x INTEGER;\n")
    with pytest.raises(MigrationError, match=r"0901_bad\.sql"):
        check_migrations(conn, folder)
    assert not conn.in_transaction


def test_check_in_place_is_refused_on_sqlite(tmp_path: Path) -> None:
    with pytest.raises(MigrationError, match="PostgreSQL"):
        check_migrations(connect_to(tmp_path / "db.sqlite3"))


def test_both_folders_hold_the_same_migrations() -> None:
    sqlite_names = [m.name for m in load_migrations(default_dir("sqlite"))]
    pg_names = [m.name for m in load_migrations(default_dir("postgresql"))]
    assert sqlite_names == pg_names
    assert default_dir("postgresql").parent == default_dir("sqlite")


def test_both_databases_get_the_same_tables_and_columns(tmp_path: Path, pg_url: str) -> None:
    lite, pg = connect_to(tmp_path / "db.sqlite3"), connect_to(pg_url)
    apply_migrations(lite)
    apply_migrations(pg)
    assert table_names(lite) == table_names(pg)
    for table in table_names(lite):
        assert column_names(lite, table) == column_names(pg, table), table
    indexes = {r[0] for r in lite.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}
    assert indexes and indexes <= tables(pg)


def test_cli_dry_run_writes_nothing(
    tmp_path: Path, database: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    variable = "DRAWGAME_DATABASE_URL" if database.startswith("postgresql") else "DRAWGAME_DB_PATH"
    monkeypatch.setenv(variable, database)
    monkeypatch.chdir(tmp_path)
    assert main(["migrate", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would apply 0001_init.sql" in out
    assert not tables(connect_to(database))
    assert main(["migrate"]) == 0
    out = capsys.readouterr().out
    assert "applied 0001_init.sql" in out
    assert main(["migrate", "--dry-run"]) == 0
    out += capsys.readouterr().out
    assert "0 pending migration(s)" in out
    if variable == "DRAWGAME_DATABASE_URL":  # the password is never shown
        password = database.split(":")[2].split("@")[0]
        assert password not in out and "drawgame:***@" in out
