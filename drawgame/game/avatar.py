"""Drawn avatars: a player's small face, validated, kept compact, sent once.

An avatar is a list of strokes on a square logical canvas of AVATAR_SIZE ×
AVATAR_SIZE; each stroke is one flat list of integers,
``[colour, width, x0, y0, x1, y1, ...]``: `colour` an index into
AVATAR_PALETTE (0 is the background white, the eraser's colour), `width`
1..AVATAR_MAX_WIDTH, then one or more points with coordinates 0..AVATAR_SIZE
- 1. A stroke of one point is a dot as wide as the stroke. Strokes are drawn
in order with round caps and joins on white. There is no undo, fill or
clear: the browser's editor does those and sends the result.

It is bounded by its size, not only by its counts: the compact JSON of the
strokes (`avatar_json`) is at most MAX_AVATAR_BYTES, so a seat's avatar
costs at most that much in memory, in a snapshot, and on the wire. Anything
else is refused with `bad_message` (the same checks as drawing ops,
`ops.py`, with tighter bounds and no clamping: the editor quantizes).
"""

from __future__ import annotations

from typing import Any

import orjson

from drawgame.game.errors import BadMessage

AVATAR_SIZE = 64
"""The logical canvas is AVATAR_SIZE × AVATAR_SIZE; coordinates are 0..AVATAR_SIZE - 1."""
AVATAR_PALETTE = (
    "#ffffff", "#1e1e1e", "#f4c7a1", "#a0673f", "#5c3b1e", "#e03131",
    "#f59f00", "#2f9e44", "#1971c2", "#9c36b5",
)
"""The avatar's colours, by index (the browser's editor mirrors them)."""
AVATAR_MAX_WIDTH = 48
"""The widest stroke (a single point this wide is a filled disc: a head)."""
MAX_AVATAR_STROKES = 40
MAX_AVATAR_BYTES = 512
"""The most bytes of compact JSON an avatar may take (`avatar_json`)."""

Avatar = list[list[int]]


def validate_avatar(raw: object, field: str = "avatar") -> str | None:
    """An avatar from a client as its compact JSON (None for null or no strokes).

    Raises BadMessage, naming the stroke and what is wrong with it, for
    anything but a list of at most MAX_AVATAR_STROKES strokes whose compact
    JSON is at most MAX_AVATAR_BYTES.
    """
    if raw is None:
        return None
    if not isinstance(raw, list) or len(raw) > MAX_AVATAR_STROKES:
        raise BadMessage(f"{field} must be a list of at most {MAX_AVATAR_STROKES} strokes",
                         field=field)
    if not raw:
        return None
    for i, stroke in enumerate(raw):
        _check_stroke(stroke, f"{field}[{i}]", field)
    text = orjson.dumps(raw).decode()
    if len(text) > MAX_AVATAR_BYTES:
        raise BadMessage(f"{field} takes {len(text)} bytes; at most {MAX_AVATAR_BYTES} "
                         "(fewer or shorter strokes)", field=field)
    return text


def _check_stroke(stroke: object, where: str, field: str) -> None:
    # Bounded before anything is counted: a stroke longer than the whole budget is refused
    # without looking at its items.
    if (not isinstance(stroke, list) or not 4 <= len(stroke) <= MAX_AVATAR_BYTES // 2
            or len(stroke) % 2):
        raise BadMessage(f"{where} must be [colour, width, x, y, ...] with at least one point",
                         field=field)
    if any(type(v) is not int for v in stroke):
        raise BadMessage(f"{where} must hold only integers", field=field)
    colour, width = stroke[0], stroke[1]
    if not 0 <= colour < len(AVATAR_PALETTE):
        raise BadMessage(f"{where} colour must be 0..{len(AVATAR_PALETTE) - 1}", field=field)
    if not 1 <= width <= AVATAR_MAX_WIDTH:
        raise BadMessage(f"{where} width must be 1..{AVATAR_MAX_WIDTH}", field=field)
    points = stroke[2:]
    if min(points) < 0 or max(points) >= AVATAR_SIZE:
        raise BadMessage(f"{where} coordinates must be 0..{AVATAR_SIZE - 1}", field=field)


def avatar_strokes(text: str | None) -> Avatar | None:
    """The strokes of a kept avatar (its compact JSON), for a message or a snapshot."""
    if text is None:
        return None
    strokes: Avatar = orjson.loads(text)
    return strokes


def restored_avatar(raw: Any) -> str | None:
    """An avatar read back from a room snapshot or the store: checked again, and dropped
    (None) rather than refused when it no longer passes (a lower bound since)."""
    if raw is None:
        return None
    try:
        return validate_avatar(orjson.loads(raw) if isinstance(raw, str) else raw)
    except (BadMessage, orjson.JSONDecodeError):
        return None
