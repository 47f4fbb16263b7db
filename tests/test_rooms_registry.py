"""The registry: room codes, creation limits and recovery bookkeeping."""

from __future__ import annotations

import pytest

from drawgame.config import Config
from drawgame.game.settings import Settings
from drawgame.rooms import registry as registry_module
from drawgame.rooms.registry import CODE_ALPHABET, TooManyRooms, insert_room, new_code
from drawgame.services import open_services
from drawgame.store import Connection, apply_migrations
from drawgame.store.db import connect_to


def test_codes_use_the_unambiguous_alphabet() -> None:
    codes = {new_code() for _ in range(500)}
    assert len(codes) == 500
    assert all(len(c) == 8 and set(c) <= set(CODE_ALPHABET) for c in codes)
    assert not set(CODE_ALPHABET) & set("0O1IL")


def seeded(database: str) -> Connection:
    conn = connect_to(database)
    apply_migrations(conn)
    conn.execute(
        "INSERT INTO rooms (code, name, settings, is_active, created_at, last_active_at,"
        " closed_at) VALUES ('AAAAAAAA', 'old', '{}', 0, 'x', 'x', 'x')"
    )
    return conn


def test_a_code_kept_by_a_closed_room_is_never_reused(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = seeded(database)
    conn.execute(
        "INSERT INTO rooms (code, name, settings, is_active, created_at, last_active_at)"
        " VALUES ('CCCCCCCC', 'live', '{}', 1, 'x', 'x')"
    )
    codes = iter(["AAAAAAAA", "CCCCCCCC", "BBBBBBBB"])
    monkeypatch.setattr(registry_module, "new_code", lambda: next(codes))
    code, name = insert_room(conn, "", 0, "{}", "now")
    assert code == "BBBBBBBB"
    assert name == "Room BBBB"
    rows = conn.execute("SELECT code, is_active FROM rooms ORDER BY code").fetchall()
    assert [tuple(r) for r in rows] == [("AAAAAAAA", 0), ("BBBBBBBB", 1), ("CCCCCCCC", 1)]


def test_no_free_code_is_an_error_not_a_crash(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = seeded(database)
    monkeypatch.setattr(registry_module, "new_code", lambda: "AAAAAAAA")
    with pytest.raises(TooManyRooms):
        insert_room(conn, "named", 0, "{}", "now")


async def test_room_limit(db_config: Config) -> None:
    async with open_services(db_config.replace(max_rooms=2)) as svc:
        await svc.registry.create_room("one", False, Settings())
        await svc.registry.create_room(None, True, Settings())
        with pytest.raises(TooManyRooms):
            await svc.registry.create_room("three", False, Settings())
        assert [s["name"] for s in await svc.registry.public_rooms()] == ["one"]
