"""The batched recorder against a real database: a SQLite file, then PostgreSQL."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from drawgame.game.effects import Record
from drawgame.game.ops import stored_size
from drawgame.rooms import recorder as recorder_module
from drawgame.rooms.recorder import Recorder, coalesce, utc_now
from drawgame.store import Store, apply_migrations
from drawgame.store import db as db_module


def ops(*ids: int) -> list[dict[str, object]]:
    return [{"op": "line", "id": i, "c": "#000000", "w": 2, "p": [i, i]} for i in ids]


def test_coalesce_merges_a_turns_ops_in_order_and_keeps_the_newest_snapshot() -> None:
    at = utc_now()
    batch = [
        ("AAAA", Record("ops", {"game_id": "g1", "turn": 1, "ops": ops(1)}), at),
        ("AAAA", Record("snapshot", {"state": {"n": 1}}), at),
        ("BBBB", Record("ops", {"game_id": "g2", "turn": 4, "ops": ops(7)}), at),
        ("AAAA", Record("ops", {"game_id": "g1", "turn": 1, "ops": ops(2, 3)}), at),
        ("AAAA", Record("snapshot", {"state": {"n": 2}}), at),
        ("AAAA", Record("ops", {"game_id": "g1", "turn": 2, "ops": ops(9)}), at),
    ]
    out = coalesce(batch)
    assert [(c, r.kind) for c, r, _ in out] == [
        ("AAAA", "ops"), ("BBBB", "ops"), ("AAAA", "snapshot"), ("AAAA", "ops")]
    assert [o["id"] for o in out[0][1].data["ops"]] == [1, 2, 3]
    assert out[2][1].data["state"] == {"n": 2}
    assert [o["id"] for o in out[3][1].data["ops"]] == [9]
    assert [o["id"] for o in batch[0][1].data["ops"]] == [1]  # the input is left as it was


async def seeded_store(database: str) -> Store:
    store = await Store.open(database)
    await store.run(apply_migrations)
    now = utc_now()
    await store.transaction(lambda c: c.execute(
        "INSERT INTO rooms (code, name, settings, created_at, last_active_at)"
        " VALUES ('ROOMCODE', 'r', '{}', ?, ?)", (now, now)))
    return store


async def test_one_flush_one_hop_and_a_bad_record_loses_nothing_else(database: str) -> None:
    store = await seeded_store(database)
    rec = Recorder(store)
    rec.add("ROOMCODE", Record("player_joined", {"player_id": "p_1", "name": "Ada",
                                                 "spectator": False, "token_hash": "h"}))
    rec.add("ROOMCODE", Record("game_started", {"game_id": "g_1"}))
    rec.add("ROOMCODE", Record("turn_started", {"game_id": "g_1", "turn": 1, "round": 1,
                                                "drawer_id": "p_1", "word": "cat"}))
    rec.add("NOSUCHRM", Record("game_started", {"game_id": "g_x"}))  # unknown room
    for i in range(30):
        rec.add("ROOMCODE", Record("ops", {"game_id": "g_1", "turn": 1, "ops": ops(i)}))
    hops = store.hops
    await rec.flush()
    assert store.hops == hops + 1
    rows = await store.run(lambda c: c.execute("SELECT seq, ops FROM turn_ops").fetchall())
    assert len(rows) == 1 and [o["id"] for o in json.loads(rows[0][1])] == list(range(30))
    drawer = await store.run(lambda c: c.execute("SELECT drawer_name FROM turns").fetchone())
    assert drawer[0] == "Ada"
    assert rec.pending == []
    await store.close()


async def test_a_failing_database_keeps_the_batch_for_the_next_flush(database: str) -> None:
    store = await seeded_store(database)
    rec = Recorder(store)
    rec.add("ROOMCODE", Record("game_started", {"game_id": "g_1"}))
    await store.close()
    await rec.flush()  # logged, not raised
    assert len(rec.pending) == 1


def test_a_room_s_newer_snapshot_takes_the_place_of_the_one_waiting() -> None:
    rec = Recorder(store=None)  # type: ignore[arg-type]
    for n in range(1000):  # a long outage: a snapshot every 5 s per room
        rec.add("AAAA", Record("snapshot", {"state": {"n": n}}))
        rec.add("BBBB", Record("snapshot", {"state": {"n": -n}}))
    rec.add("AAAA", Record("ops", {"game_id": "g", "turn": 1, "ops": ops(1)}))
    assert [(c, r.kind, r.data.get("state")) for c, r, _ in rec.pending] == [
        ("AAAA", "snapshot", {"n": 999}), ("BBBB", "snapshot", {"n": -999}),
        ("AAAA", "ops", None)]


def test_past_the_queue_s_maximum_records_are_dropped_counted_and_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(recorder_module, "MAX_PENDING", 4)
    monkeypatch.setattr(recorder_module, "DRAWING_STOPS_AT", 2)
    rec = Recorder(store=None)  # type: ignore[arg-type]
    rec.add("ROOMCODE", Record("ops", {"game_id": "g", "turn": 1, "ops": ops(1)}))
    assert not rec.full
    rec.add("ROOMCODE", Record("ops", {"game_id": "g", "turn": 1, "ops": ops(2)}))
    assert rec.full  # drawing stops here; what a game cannot do without still waits
    rec.add("ROOMCODE", Record("turn_ended", {"game_id": "g", "turn": 1}))
    rec.add("ROOMCODE", Record("snapshot", {"state": {}}))
    rec.add("ROOMCODE", Record("game_over", {"game_id": "g", "ranking": []}))
    rec.add("ROOMCODE", Record("snapshot", {"state": {"newer": True}}))  # takes its place
    assert [r.kind for _, r, _ in rec.pending] == ["ops", "ops", "turn_ended", "snapshot"]
    assert rec.pending[-1][1].data["state"] == {"newer": True}
    assert rec.dropped == {"game_over": 1}
    assert [r.getMessage() for r in caplog.records].count("record_dropped") == 1
    assert "record_queue_full" in [r.getMessage() for r in caplog.records]


def test_the_queue_is_full_for_drawing_at_its_bytes_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recorder_module, "MAX_PENDING_OPS_BYTES", 2000)
    rec = Recorder(store=None)  # type: ignore[arg-type]
    big = [{"op": "line", "id": 1, "c": "#000000", "w": 2, "p": [5] * 300}]  # 1,559 bytes
    rec.add("ROOMCODE", Record("ops", {"game_id": "g", "turn": 1, "ops": big}))
    assert not rec.full and rec.waiting_ops_bytes == stored_size(big)
    rec.add("ROOMCODE", Record("ops", {"game_id": "g", "turn": 1, "ops": big}))
    assert rec.full and rec.waiting == 2


async def test_records_wait_while_the_file_is_locked_and_are_all_written_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another connection holds the SQLite file (BEGIN EXCLUSIVE) through several tries."""
    monkeypatch.setattr(db_module, "BUSY_TIMEOUT_MS", 50)
    store = await seeded_store(str(tmp_path / "db.sqlite3"))
    rec = Recorder(store)
    rec.add("ROOMCODE", Record("game_started", {"game_id": "g_1"}))
    rec.add("ROOMCODE", Record("player_joined", {"player_id": "p_1", "name": "Ada",
                                                 "spectator": False, "token_hash": "h"}))
    rec.add("ROOMCODE", Record("turn_started", {"game_id": "g_1", "turn": 1, "round": 1,
                                                "drawer_id": "p_1", "word": "cat"}))
    other = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    for i in range(1, 4):
        rec.add("ROOMCODE", Record("ops", {"game_id": "g_1", "turn": 1, "ops": ops(i)}))
        rec.add("ROOMCODE", Record("snapshot", {"state": {"n": i}}))
        await rec.flush()
        assert rec.last_error is not None and "locked" in rec.last_error
        assert rec.waiting == 3 + i + 1  # every record kept; one snapshot of the room
    other.execute("ROLLBACK")
    other.close()
    await rec.flush()
    assert rec.last_error is None and rec.waiting == 0 and sum(rec.dropped.values()) == 0
    rows = await store.run(lambda c: c.execute(
        "SELECT o.ops FROM turn_ops o ORDER BY o.seq").fetchall())
    assert [op["id"] for row in rows for op in json.loads(row[0])] == [1, 2, 3]
    snapshot = await store.run(lambda c: c.execute(
        "SELECT snapshot FROM rooms WHERE code = 'ROOMCODE'").fetchone()[0])
    assert json.loads(snapshot)["n"] == 3
    await store.close()


async def test_ops_for_a_turn_not_there_are_skipped_and_the_rest_is_written(
    database: str,
) -> None:
    store = await seeded_store(database)
    rec = Recorder(store)
    rec.add("ROOMCODE", Record("game_started", {"game_id": "g_1"}))
    rec.add("ROOMCODE", Record("turn_started", {"game_id": "g_1", "turn": 1, "round": 1,
                                                "drawer_id": "p_1", "word": "cat"}))
    await rec.flush()
    rec.add("ROOMCODE", Record("ops", {"game_id": "g_1", "turn": 1, "ops": ops(1, 2)}))
    rec.add("ROOMCODE", Record("ops", {"game_id": "g_1", "turn": 7, "ops": ops(3)}))  # no turn 7
    rec.add("ROOMCODE", Record("snapshot", {"state": {"n": 1}}))
    errors: list[str] = []
    rec.on_batch.append(lambda batch: errors.append("batch"))
    await rec.flush()
    rows = await store.run(lambda c: c.execute(
        "SELECT t.number, o.seq, o.ops FROM turn_ops o JOIN turns t ON t.id = o.turn_id"
    ).fetchall())
    assert [(r[0], r[1], [o["id"] for o in json.loads(r[2])]) for r in rows] == [(1, 1, [1, 2])]
    snapshot = await store.run(lambda c: c.execute(
        "SELECT snapshot FROM rooms WHERE code = 'ROOMCODE'").fetchone()[0])
    assert json.loads(snapshot)["n"] == 1
    assert rec.written == 2 + 2 and errors == ["batch"]  # the skipped record is not counted
    await store.close()
