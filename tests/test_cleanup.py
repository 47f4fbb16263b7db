"""Cleanup removes exactly the rooms and games past retention, with what hangs off them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from drawgame.store import Connection, apply_migrations
from drawgame.store.cleanup import cleanup
from drawgame.store.db import connect_to, in_transaction

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def at(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago)).isoformat(timespec="milliseconds")


@pytest.fixture
def conn(database: str) -> Connection:
    conn = connect_to(database)
    apply_migrations(conn)
    return conn


def add_room(
    conn: Connection, code: str, *, active: bool, closed_days: float | None
) -> int:
    closed = None if closed_days is None else at(closed_days)
    room = int(conn.execute(
        "INSERT INTO rooms (code, name, settings, is_active, created_at, last_active_at, closed_at)"
        " VALUES (?, ?, '{}', ?, ?, ?, ?) RETURNING id",
        (code, code, int(active), at(100), at(1), closed),
    ).fetchone()[0])
    for n in range(2):
        conn.execute(
            "INSERT INTO players (room_id, public_id, name, token_hash, joined_at)"
            " VALUES (?, ?, ?, 'h', ?)",
            (room, f"p_{code}{n}", f"n{n}", at(100)),
        )
    return room


def add_game(
    conn: Connection, room: int, public_id: str, finished_days: float | None
) -> None:
    finished = None if finished_days is None else at(finished_days)
    game = conn.execute(
        "INSERT INTO games (public_id, room_id, started_at, finished_at) VALUES (?, ?, ?, ?)"
        " RETURNING id",
        (public_id, room, at(100), finished),
    ).fetchone()[0]
    for number in (1, 2):
        turn = conn.execute(
            "INSERT INTO turns (game_id, number, round, drawer_public_id, drawer_name, started_at)"
            " VALUES (?, ?, 1, 'p', 'n', ?) RETURNING id",
            (game, number, at(100)),
        ).fetchone()[0]
        for seq in (1, 2, 3):
            conn.execute(
                "INSERT INTO turn_ops (turn_id, seq, ops) VALUES (?, ?, '[]')", (turn, seq)
            )
    for book in (0, 1, 2):  # and a telephone game's pages, so both kinds are covered
        page = conn.execute(
            "INSERT INTO pages (game_id, book, page, owner_public_id, owner_name,"
            " author_public_id, author_name, kind, started_at)"
            " VALUES (?, ?, 1, 'p', 'n', 'p', 'n', 'drawing', ?) RETURNING id",
            (game, book, at(100)),
        ).fetchone()[0]
        conn.execute("INSERT INTO page_ops (page_id, seq, ops) VALUES (?, 1, '[]')", (page,))


def remaining(conn: Connection, table: str, column: str) -> set[str]:
    return {row[0] for row in conn.execute(f"SELECT {column} FROM {table}")}


def test_removes_exactly_what_is_past_retention(conn: Connection) -> None:
    old_closed = add_room(conn, "OLDCLOSE", active=False, closed_days=31)
    recent_closed = add_room(conn, "NEWCLOSE", active=False, closed_days=29)
    active = add_room(conn, "ACTIVE", active=True, closed_days=None)
    add_game(conn, old_closed, "g_in_old_room", finished_days=None)  # goes with its room
    add_game(conn, recent_closed, "g_recent", finished_days=29)
    add_game(conn, active, "g_old_in_active_room", finished_days=40)
    add_game(conn, active, "g_unfinished", finished_days=None)

    counts = in_transaction(conn, lambda c: cleanup(c, 30, NOW))

    assert counts == {"rooms": 1, "players": 2, "games": 2, "turns": 4, "turn_ops": 12,
                      "pages": 6, "page_ops": 6}
    assert remaining(conn, "rooms", "code") == {"NEWCLOSE", "ACTIVE"}
    assert remaining(conn, "games", "public_id") == {"g_recent", "g_unfinished"}
    assert conn.execute("SELECT count(*) FROM players").fetchone()[0] == 4
    assert conn.execute("SELECT count(*) FROM turns").fetchone()[0] == 4
    assert conn.execute("SELECT count(*) FROM turn_ops").fetchone()[0] == 12
    assert conn.execute("SELECT count(*) FROM pages").fetchone()[0] == 6
    assert conn.execute("SELECT count(*) FROM page_ops").fetchone()[0] == 6


def test_a_second_run_finds_nothing(conn: Connection) -> None:
    add_room(conn, "OLDCLOSE", active=False, closed_days=90)
    in_transaction(conn, lambda c: cleanup(c, 30, NOW))
    assert in_transaction(conn, lambda c: cleanup(c, 30, NOW)) == dict.fromkeys(
        ("rooms", "players", "games", "turns", "turn_ops", "pages", "page_ops"), 0
    )


def test_an_active_room_is_kept_however_old(conn: Connection) -> None:
    # is_active = 1 wins over an old closed_at (a room reopened by recovery, say).
    add_room(conn, "ACTIVE", active=True, closed_days=365)
    assert in_transaction(conn, lambda c: cleanup(c, 30, NOW))["rooms"] == 0
    assert remaining(conn, "rooms", "code") == {"ACTIVE"}


def test_now_in_another_timezone_means_the_same_instant(conn: Connection) -> None:
    add_room(conn, "EDGE", active=False, closed_days=30.01)
    plus_two = NOW.astimezone(timezone(timedelta(hours=2)))
    assert in_transaction(conn, lambda c: cleanup(c, 30, plus_two))["rooms"] == 1


def test_naive_now_is_refused(conn: Connection) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        cleanup(conn, 30, datetime(2026, 1, 1))
