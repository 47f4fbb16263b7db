"""Drawing ops: validation, normalization, clamping, and the turn's op log."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drawgame.game import ops as ops_mod
from drawgame.game.errors import BadOp, CanvasFull
from drawgame.game.ops import OpLog, validate_ops


def line(i: int, *p: int, op: str = "line") -> dict[str, Any]:
    return {"op": op, "id": i, "c": "#112233", "w": 4, "p": list(p)}


def test_line_normalized_and_clamped() -> None:
    raw = [{"op": "line", "id": 1, "c": "#AABBCC", "w": 60, "p": [-5, 800, 1000.4, 10.6]}]
    assert validate_ops(raw) == [
        {"op": "line", "id": 1, "c": "#aabbcc", "w": 60, "p": [0, 750, 1000, 11]}
    ]


def test_huge_coordinates_clamped() -> None:
    out = validate_ops([{"op": "fill", "x": 10**30, "y": -1e300, "c": "#000000"}])
    assert out == [{"op": "fill", "x": 1000, "y": 0, "c": "#000000"}]


def test_undo_clear_erase() -> None:
    out = validate_ops([{"op": "undo"}, {"op": "clear"}, line(2, 1, 2, op="erase")])
    assert [o["op"] for o in out] == ["undo", "clear", "erase"]


@pytest.mark.parametrize(
    "bad",
    [
        None, {}, [], [{"op": "undo"}] * 65, "line",
        [{"op": "spray"}], [{"type": "line"}], [["line"]],
        [{"op": "undo", "x": 1}],
        [{"op": "line", "id": 1, "c": "#112233", "w": 4}],
        [line(-1, 1, 2)], [line(2**31 + 1, 1, 2)], [{**line(1, 1, 2), "id": True}],
        [{**line(1, 1, 2), "id": 1.0}],
        [{**line(1, 1, 2), "c": "red"}], [{**line(1, 1, 2), "c": "#12345"}],
        [{**line(1, 1, 2), "c": "#1234567"}],
        [{**line(1, 1, 2), "w": 0}], [{**line(1, 1, 2), "w": 61}], [{**line(1, 1, 2), "w": 4.5}],
        [line(1)], [line(1, 1, 2, 3)], [{**line(1), "p": [1, 2] * 513}],
        [{**line(1), "p": [1, True]}], [{**line(1), "p": [1, "2"]}],
        [{**line(1), "p": [1, float("nan")]}], [{**line(1), "p": [float("inf"), 2]}],
        [{**line(1), "p": "1,2"}],
        [{"op": "fill", "x": 1, "y": 2}], [{"op": "fill", "x": 1, "y": None, "c": "#000000"}],
        [{**line(1, 1, 2), "extra": 1}],
    ],
)
def test_refused(bad: object) -> None:
    with pytest.raises(BadOp):
        validate_ops(bad)


def test_error_names_index_and_field() -> None:
    with pytest.raises(BadOp) as e:
        validate_ops([line(1, 1, 2), {**line(2, 1, 2), "w": 99}])
    assert "ops[1].w" in e.value.message


def test_max_sizes_accepted() -> None:
    assert len(validate_ops([line(1, 5, 5)] * 64)) == 64
    assert len(validate_ops([{**line(1), "p": [1, 2] * 512}])[0]["p"]) == 1024


def test_oplog_undo_removes_whole_stroke_sent_in_pieces() -> None:
    log = OpLog()
    log.apply([line(1, 0, 0, 5, 5), line(2, 1, 1), line(2, 2, 2)])
    log.apply([line(2, 3, 3), {"op": "undo"}])
    assert log.ops == [line(1, 0, 0, 5, 5)]
    assert log.points == 2


def test_oplog_undo_fill_and_clear_one_at_a_time() -> None:
    log = OpLog()
    fill = {"op": "fill", "x": 1, "y": 1, "c": "#ffffff"}
    log.apply([line(1, 0, 0), fill, {"op": "clear"}])
    log.apply([{"op": "undo"}])
    assert log.ops == [line(1, 0, 0), fill]
    log.apply([{"op": "undo"}])
    assert log.ops == [line(1, 0, 0)]
    log.apply([{"op": "undo"}, {"op": "undo"}])  # undo on empty is harmless
    assert log.ops == []
    assert log.points == 0


def test_oplog_undo_is_not_kept_and_replays() -> None:
    batches = [[line(1, 0, 0)], [line(2, 1, 1), {"op": "undo"}], [line(3, 2, 2)]]
    log = OpLog()
    for b in batches:
        log.apply(b)
    assert all(o["op"] != "undo" for o in log.ops)
    assert OpLog(log.ops).ops == log.ops == [line(1, 0, 0), line(3, 2, 2)]


def test_oplog_cap_refuses_whole_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ops_mod, "MAX_TURN_OPS", 3)
    log = OpLog()
    log.apply([line(1, 0, 0), line(2, 0, 0)])
    with pytest.raises(CanvasFull):
        log.apply([line(3, 0, 0), line(4, 0, 0)])
    assert len(log.ops) == 2  # nothing of the refused batch was applied
    log.apply([{"op": "undo"}])  # undo still works when full
    log.apply([line(3, 0, 0), line(4, 0, 0)])
    assert len(log.ops) == 3


def test_oplog_point_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ops_mod, "MAX_TURN_POINTS", 3)
    log = OpLog()
    log.apply([line(1, 0, 0, 1, 1)])
    with pytest.raises(CanvasFull) as e:
        log.apply([line(2, 0, 0, 1, 1)])
    assert e.value.code == "canvas_full"
    assert log.points == 2


def test_drawing_and_undoing_cannot_store_without_bound() -> None:
    """A stroke drawn and undone leaves the canvas empty but still costs stored room."""
    log = OpLog()
    frame = [line(1, *range(0, 2 * ops_mod.MAX_POINTS_PER_LINE)), {"op": "undo"}]
    size = ops_mod.stored_size(frame)
    frames = 0
    with pytest.raises(CanvasFull) as e:
        for _ in range(ops_mod.MAX_TURN_STORED_BYTES // size + 2):
            log.apply(frame)
            frames += 1
    assert e.value.code == "canvas_full"
    assert log.ops == [] and log.points == 0
    assert frames == ops_mod.MAX_TURN_STORED_BYTES // size
    assert log.stored_bytes <= ops_mod.MAX_TURN_STORED_BYTES


def test_stored_ops_cap_counts_undo_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ops_mod, "MAX_TURN_STORED_OPS", 4)
    log = OpLog()
    log.apply([line(1, 1, 1), {"op": "undo"}])
    log.apply([line(2, 1, 1), {"op": "undo"}])
    with pytest.raises(CanvasFull):
        log.apply([{"op": "clear"}])
    assert log.stored_ops == 4 and log.ops == []
    log.clear()
    log.apply([{"op": "clear"}])  # a new turn has its whole budget again


def test_replay_of_a_stored_turn_ignores_the_caps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ops_mod, "MAX_TURN_STORED_OPS", 1)
    batches = [[line(1, 1, 1), line(2, 3, 3)], [{"op": "undo"}]]
    replayed = OpLog.replayed(batches)
    assert replayed.ops == [line(1, 1, 1)] and replayed.stored_ops == 3


@given(st.lists(st.one_of(
    st.builds(lambda i, w, p: {"op": "line", "id": i, "c": "#a1b2c3", "w": w, "p": p},
              st.integers(0, ops_mod.MAX_STROKE_ID), st.integers(1, 60),
              st.lists(st.integers(0, 1000), min_size=2, max_size=64).filter(
                  lambda p: len(p) % 2 == 0)),
    st.builds(lambda x, y: {"op": "fill", "x": x, "y": y, "c": "#ffffff"},
              st.integers(0, 1000), st.integers(0, 750)),
    st.just({"op": "undo"}), st.just({"op": "clear"})), min_size=1, max_size=8))
def test_the_stored_size_is_never_less_than_the_stored_json(ops: list[dict[str, Any]]) -> None:
    assert ops_mod.stored_size(ops) >= len(json.dumps(ops, separators=(",", ":")))
