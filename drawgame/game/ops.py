"""Drawing ops: validation of the drawer's `draw` frames and the turn's op log.

An op is an object whose `op` field names its kind (PROTOCOL.md's "op"
column), e.g. `{"op": "line", "id": 3, "c": "#1a2b3c", "w": 8, "p": [10, 20, 30, 40]}`.
Coordinates live on the fixed 1000 × 750 logical canvas and are clamped into it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from drawgame.game.errors import BadOp, CanvasFull

CANVAS_W = 1000
CANVAS_H = 750
MAX_OPS_PER_FRAME = 64
MAX_POINTS_PER_LINE = 512
MAX_STROKE_ID = 2**31
MIN_WIDTH = 1
MAX_WIDTH = 60
MAX_TURN_OPS = 20_000
"""Cap on the ops kept for one turn (after undo); past it `draw` gets `canvas_full`."""
MAX_TURN_POINTS = 400_000
"""Cap on the points kept for one turn; past it `draw` gets `canvas_full`."""
MAX_TURN_STORED_OPS = 50_000
"""Cap on the ops one turn stores, undone ones and `undo` itself included."""
MAX_TURN_STORED_BYTES = 4 * 1024 * 1024
"""Cap on the bytes of JSON one turn stores (every accepted frame's ops, undo included)."""



@dataclass(frozen=True)
class OpLimits:
    """The budgets of one drawing: kept after undo, and stored (undo included)."""

    ops: int
    points: int
    stored_ops: int
    stored_bytes: int


def turn_limits() -> OpLimits:
    """A classic turn's drawing (read when a drawing is checked, so the caps stay settable)."""
    return OpLimits(MAX_TURN_OPS, MAX_TURN_POINTS, MAX_TURN_STORED_OPS, MAX_TURN_STORED_BYTES)

OP_KINDS = ("line", "erase", "fill", "undo", "clear")
STROKE_KINDS = frozenset({"line", "erase"})
_FIELDS: dict[str, frozenset[str]] = {
    "line": frozenset({"op", "id", "c", "w", "p"}),
    "erase": frozenset({"op", "id", "c", "w", "p"}),
    "fill": frozenset({"op", "x", "y", "c"}),
    "undo": frozenset({"op"}),
    "clear": frozenset({"op"}),
}
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")

Op = dict[str, Any]


def validate_ops(raw: object) -> list[Op]:
    """Validate a `draw` frame's `ops` and return them normalized.

    Normalized means: only the known fields, colours lowercased, coordinates
    rounded to integers and clamped into the canvas. Anything malformed raises
    BadOp naming the op's index and the field, and nothing is kept.
    """
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_OPS_PER_FRAME:
        raise BadOp(f"ops must be a list of 1..{MAX_OPS_PER_FRAME} ops", field="ops")
    return [validate_op(item, i) for i, item in enumerate(raw)]


def validate_op(item: object, index: int = 0) -> Op:
    """Validate one op (see `validate_ops`); `index` only makes messages precise."""
    where = f"ops[{index}]"
    if not isinstance(item, dict):
        raise BadOp(f"{where} must be an object", field="ops")
    kind = item.get("op")
    if not isinstance(kind, str) or kind not in _FIELDS:
        raise BadOp(f"{where}.op must be one of {', '.join(OP_KINDS)}", field="ops")
    if item.keys() != _FIELDS[kind]:
        extra = set(item) - _FIELDS[kind]
        if extra:
            raise BadOp(f"{where} has unknown field {sorted(map(str, extra))[0]!r}", field="ops")
        missing = _FIELDS[kind] - set(item)
        raise BadOp(f"{where} is missing {sorted(missing)[0]!r}", field="ops")
    if kind in STROKE_KINDS:
        return _stroke(kind, item, where)
    if kind == "fill":
        return {"op": "fill", "x": _coord(item["x"], CANVAS_W, f"{where}.x"),
                "y": _coord(item["y"], CANVAS_H, f"{where}.y"),
                "c": _colour(item["c"], f"{where}.c")}
    return {"op": kind}


def _stroke(kind: str, item: dict[str, Any], where: str) -> Op:
    stroke_id = _int(item["id"], 0, MAX_STROKE_ID, f"{where}.id")
    width = _int(item["w"], MIN_WIDTH, MAX_WIDTH, f"{where}.w")
    return {"op": kind, "id": stroke_id, "c": _colour(item["c"], f"{where}.c"), "w": width,
            "p": _points(item["p"], f"{where}.p")}


def _int(value: object, lo: int, hi: int, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise BadOp(f"{where} must be an integer {lo}..{hi}", field="ops")
    return value


def _colour(value: object, where: str) -> str:
    if not isinstance(value, str) or not _COLOUR.fullmatch(value):
        raise BadOp(f"{where} must be a colour like #1a2b3c", field="ops")
    return value.lower()


def _coord(value: object, limit: int, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadOp(f"{where} must be a number", field="ops")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise BadOp(f"{where} must be a finite number", field="ops")
        value = round(min(max(value, -1.0), limit + 1.0))
    return min(max(value, 0), limit)


_INT_ONLY = {int}


def _points(value: object, where: str) -> list[int]:
    max_len = 2 * MAX_POINTS_PER_LINE
    if not isinstance(value, list) or len(value) % 2 or not 2 <= len(value) <= max_len:
        raise BadOp(
            f"{where} must be a flat list of 1..{MAX_POINTS_PER_LINE} x,y points", field="ops"
        )
    # The common case, checked in bulk: integers already inside the canvas (every
    # stroke of every drawer goes through here, on the room's hot path).
    if (set(map(type, value)) == _INT_ONLY and min(value) >= 0
            and max(value[0::2]) <= CANVAS_W and max(value[1::2]) <= CANVAS_H):
        return list(value)
    return [
        _coord(v, CANVAS_H if i % 2 else CANVAS_W, f"{where}[{i}]") for i, v in enumerate(value)
    ]


def op_points(op: Op) -> int:
    """How many points an op holds (0 for non-stroke ops)."""
    return len(op["p"]) // 2 if op["op"] in STROKE_KINDS else 0


_LONGEST_OP = {"line": 57, "erase": 58, "fill": 44, "undo": 13, "clear": 14}
"""Compact JSON of each op kind with its longest id, width and coordinates, points aside."""
_LONGEST_COORDINATE = 5
"""``1000`` and a comma: no coordinate takes more in a stroke's points."""


def stored_size(ops: Sequence[Op]) -> int:
    """The most bytes the ops can take in the stored log (their compact JSON, an array).

    Counted, not serialized: every stroke of every drawer goes through here, and
    an upper bound is all a cap needs.
    """
    size = 1 + len(ops)  # the brackets and the commas between ops
    for op in ops:
        size += _LONGEST_OP[op["op"]]
        points = op.get("p")
        if points is not None:
            size += _LONGEST_COORDINATE * len(points)
    return size


class OpLog:
    """The turn's effective drawing: `ops` replays to exactly the drawer's canvas.

    `undo` is never kept: it removes the last action, i.e. when the last kept
    op is a `line`/`erase`, every `line`/`erase` op with that stroke id (a
    stroke sent in pieces goes at once), when it is a `fill` or `clear`, that
    op. Pieces of a stroke are kept as sent (not merged), so replaying the log
    draws exactly what the live `draw` relay drew.

    Two budgets bound a turn: what is kept (MAX_TURN_OPS, MAX_TURN_POINTS,
    after undo) and what is stored, since the turn's log keeps every accepted
    frame (MAX_TURN_STORED_OPS, MAX_TURN_STORED_BYTES, undone ops and `undo`
    included), so drawing and undoing cannot grow the database without bound.
    """

    def __init__(self, ops: Iterable[Op] = (), limits: OpLimits | None = None) -> None:
        self.limits = limits
        self.ops: list[Op] = []
        self.points = 0
        self.stored_ops = 0
        self.stored_bytes = 0
        for op in ops:
            self._apply_one(op)
        self._count_stored(self.ops)

    @classmethod
    def replayed(cls, batches: Iterable[Sequence[Op]], limits: OpLimits | None = None
                 ) -> OpLog:
        """The log rebuilt from stored batches, in order, without checking the caps.

        What was stored was accepted when it was drawn; a later, lower cap must
        not make an old turn unreadable.
        """
        log = cls(limits=limits)
        for batch in batches:
            for op in batch:
                log._apply_one(op)
            log._count_stored(batch)
        return log

    def apply(self, ops: Sequence[Op]) -> None:
        """Apply validated ops in order; CanvasFull (nothing applied) past the caps."""
        lim = self.limits or turn_limits()
        added = sum(1 for op in ops if op["op"] != "undo")
        points = sum(op_points(op) for op in ops)
        if len(self.ops) + added > lim.ops or self.points + points > lim.points:
            raise CanvasFull(
                f"the drawing is full ({lim.ops} ops or {lim.points} points); undo to go on"
            )
        size = stored_size(ops)
        if (self.stored_ops + len(ops) > lim.stored_ops
                or self.stored_bytes + size > lim.stored_bytes):
            raise CanvasFull(
                "this drawing has used all its room (undone strokes count too);"
                " wait for the next one"
            )
        for op in ops:
            self._apply_one(op)
        self.stored_ops += len(ops)
        self.stored_bytes += size

    def _count_stored(self, ops: Sequence[Op]) -> None:
        if ops:
            self.stored_ops += len(ops)
            self.stored_bytes += stored_size(ops)

    def _apply_one(self, op: Op) -> None:
        if op["op"] == "undo":
            self._undo()
            return
        self.points += op_points(op)
        self.ops.append(op)

    def _undo(self) -> None:
        if not self.ops:
            return
        last = self.ops[-1]
        if last["op"] not in STROKE_KINDS:
            self.ops.pop()
            return
        stroke = last["id"]
        kept = [op for op in self.ops if op["op"] not in STROKE_KINDS or op["id"] != stroke]
        self.points -= sum(op_points(op) for op in self.ops) - sum(op_points(op) for op in kept)
        self.ops = kept

    def clear(self) -> None:
        """Forget everything (a new turn)."""
        self.ops = []
        self.points = 0
        self.stored_ops = 0
        self.stored_bytes = 0
