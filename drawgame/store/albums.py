"""Albums people keep: who may change one, what a player hid, a room's gallery.

A finished game's album is read by :func:`drawgame.store.games.load_album`;
this module adds what players decide about it afterwards:

- a player hides their own drawings (a row of ``album_hidden``): every album
  answer then carries those drawings as blank (``hidden``), the gallery's
  covers skip them. In a telephone game that is every drawing page they made;
  their sentences stay (a sentence is a line of the book's story more than
  personal data, and blanking it would break the books of the others: see
  docs/DURABILITY.md);
- the room's host deletes the album: the game's rows go (turns, ops, pages,
  page ops and the hidden rows with them), and every later read answers 404.

A player proves who they are with the seat token their browser holds: the
token's digest is looked up among the seats of the game's room (``players``),
which keeps seats that were left, so a player who left can still hide their
drawings. The host is the room's host now (the live room when this worker
serves it, else the room's latest snapshot); a closed room has no host, so
its albums can no longer be deleted, only outlived (retention).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

from drawgame.store.connection import Connection
from drawgame.store.games import load_album, replay

GALLERY_SIZE = 24
"""Albums a room's gallery lists (the newest)."""
COVER_POINTS = 3000
"""Points a gallery cover keeps at most: the drawing is thinned until it fits."""
THUMB_POINTS = 600
"""Points each drawing keeps at most in the album's thumbnail view (``?view=thumbs``)."""
COVER_TOLERANCE = 6
"""Logical units between two points a cover keeps, to start with (a thumbnail is about
a sixth of the canvas wide, so the points dropped do not show)."""


@dataclass(frozen=True)
class GameRef:
    """A finished game's row ids and its room, as the album actions need them."""

    id: int
    public_id: str
    room_id: int
    room_code: str
    room_active: bool
    snapshot_host: str | None


def token_digest(token: str) -> str:
    """The digest a seat's token is stored under (``players.token_hash``)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def finished_game(conn: Connection, public_id: str) -> GameRef | None:
    """The finished game ``public_id`` with its room, or None."""
    row = conn.execute(
        "SELECT g.id, g.public_id, g.room_id, r.code, r.is_active, r.snapshot FROM games g"
        " JOIN rooms r ON r.id = g.room_id WHERE g.public_id = ? AND g.finished_at IS NOT NULL",
        (public_id,),
    ).fetchone()
    if row is None:
        return None
    return GameRef(int(row[0]), str(row[1]), int(row[2]), str(row[3]), bool(row[4]),
                   _snapshot_host(row[5]))


def _snapshot_host(snapshot: str | None) -> str | None:
    if not snapshot:
        return None
    try:
        host = json.loads(snapshot).get("host_id")
    except (ValueError, AttributeError):
        return None
    return host if isinstance(host, str) else None


def seat_of(conn: Connection, room_id: int, token: str) -> str | None:
    """The public id of the seat in the room whose token this is, or None."""
    row = conn.execute(
        "SELECT public_id FROM players WHERE room_id = ? AND token_hash = ?",
        (room_id, token_digest(token)),
    ).fetchone()
    return None if row is None else str(row[0])


def hidden_authors(conn: Connection, game_id: int) -> set[str]:
    """The players who hid their drawings from this game's album."""
    rows = conn.execute(
        "SELECT player_public_id FROM album_hidden WHERE game_id = ?", (game_id,)).fetchall()
    return {str(r[0]) for r in rows}


def set_hidden(conn: Connection, game_id: int, player_id: str, hidden: bool, at: str) -> None:
    """Hide (or show again) every drawing of ``player_id`` in the game's album."""
    if hidden:
        conn.execute(
            "INSERT INTO album_hidden (game_id, player_public_id, hidden_at) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING", (game_id, player_id, at))
    else:
        conn.execute("DELETE FROM album_hidden WHERE game_id = ? AND player_public_id = ?",
                     (game_id, player_id))


def delete_game(conn: Connection, game_id: int) -> None:
    """Remove a game and its album for good (turns, turn ops, pages, page ops and hidden
    rows cascade)."""
    conn.execute("DELETE FROM games WHERE id = ?", (game_id,))


def visible_album(conn: Connection, public_id: str) -> dict[str, Any] | None:
    """The album as everyone may see it: the drawings their authors hid are blank.

    Every turn gains ``hidden`` (bool); a hidden turn keeps its word and drawer
    but answers ``ops: []``. So does every telephone page: a drawing page of a
    player who hid their drawings keeps its author and answers ``ops: []``; a
    sentence page is never hidden.
    """
    album = load_album(conn, public_id)
    if album is None:
        return None
    rows = conn.execute(
        "SELECT h.player_public_id FROM album_hidden h JOIN games g ON g.id = h.game_id"
        " WHERE g.public_id = ?", (public_id,)).fetchall()
    hidden = {str(r[0]) for r in rows}
    for turn in album.get("turns", []):
        turn["hidden"] = _blank_if(turn, turn.get("drawer"), hidden)
    for book in album.get("books", []) or []:
        for page in book.get("pages", []):
            page["hidden"] = page.get("kind") == "drawing" and _blank_if(
                page, page.get("author"), hidden)
    # An avatar is a drawing too: who hid their drawings hides their face.
    album["avatars"] = {pid: face for pid, face in album.get("avatars", {}).items()
                        if pid not in hidden}
    return album


def thumbnail_album(album: dict[str, Any]) -> dict[str, Any]:
    """The album with each drawing thinned for thumbnails: the pieces of a stroke merged
    into one op, then at most THUMB_POINTS points (what the album page shows first)."""
    for turn in album.get("turns", []):
        turn["ops"] = thin(merge_pieces(turn.get("ops", [])), THUMB_POINTS)
    for book in album.get("books", []) or []:
        for page in book.get("pages", []):
            if "ops" in page:
                page["ops"] = thin(merge_pieces(page["ops"]), THUMB_POINTS)
    album["view"] = "thumbs"
    return album


def merge_pieces(ops: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Consecutive pieces of one stroke (same kind, id, colour and width) as one op: each
    piece starts where the one before ended, so that point is kept once."""
    out: list[dict[str, Any]] = []
    for op in ops:
        last = out[-1] if out else None
        if (last is not None and op.get("op") in ("line", "erase")
                and all(last.get(k) == op.get(k) for k in ("op", "id", "c", "w"))):
            p = op.get("p", [])
            joined = p[2:] if last["p"][-2:] == p[:2] else p
            last["p"] = [*last["p"], *joined]
        else:
            out.append(dict(op))
    return out


def _blank_if(entry: dict[str, Any], who: Any, hidden: set[str]) -> bool:
    author = who.get("id") if isinstance(who, dict) else None
    if author not in hidden:
        return False
    entry["ops"] = []
    return True


# --- the gallery ------------------------------------------------------------------------


def room_gallery(conn: Connection, code: str) -> list[dict[str, Any]] | None:
    """The room's finished games, newest first (at most GALLERY_SIZE), or None when no
    room has this code. Each: ``game_id``, ``finished_at``, ``mode``, ``players`` (names:
    in ranking order, or a telephone game's book owners in book order), ``books`` (a
    telephone game's; 0 for a classic game), ``drawings`` (turns, or drawing pages),
    ``drawers``, ``hidden``, ``cover`` (thinned ops of the first drawing nobody hid and
    that shows something, or null)."""
    room = conn.execute("SELECT id FROM rooms WHERE code = ?", (code,)).fetchone()
    if room is None:
        return None
    games = conn.execute(
        "SELECT id, public_id, finished_at, ranking, mode FROM games"
        " WHERE room_id = ? AND finished_at IS NOT NULL ORDER BY finished_at DESC, id DESC"
        " LIMIT ?", (room[0], GALLERY_SIZE),
    ).fetchall()
    return [_telephone_item(conn, g) if g[4] == "telephone" else _gallery_item(conn, g)
            for g in games]


def _gallery_item(conn: Connection, game: Any) -> dict[str, Any]:
    game_id = int(game[0])
    turns = conn.execute(
        "SELECT id, drawer_public_id, drawer_name FROM turns"
        " WHERE game_id = ? AND ended_at IS NOT NULL ORDER BY number", (game_id,),
    ).fetchall()
    ranking = json.loads(game[3] or "[]")
    names = [str(r.get("name")) for r in sorted(ranking, key=lambda r: r.get("rank", 0))]
    for turn in turns:
        if turn[2] not in names:
            names.append(str(turn[2]))
    hidden = hidden_authors(conn, game_id)
    return {
        "game_id": game[1],
        "finished_at": game[2],
        "mode": "classic",
        "players": names,
        "books": 0,
        "drawings": len(turns),
        "drawers": sorted({str(t[1]) for t in turns}),
        "hidden": sorted(hidden),
        "cover": _cover(conn, _TURN_OPS, [int(t[0]) for t in turns if t[1] not in hidden]),
    }


def _telephone_item(conn: Connection, game: Any) -> dict[str, Any]:
    """A telephone game's gallery item: its book owners, its drawing pages, a cover from
    the first drawing page (book by book, page by page) nobody hid."""
    game_id = int(game[0])
    pages = conn.execute(
        "SELECT id, book, owner_name, author_public_id, author_name, kind FROM pages"
        " WHERE game_id = ? AND ended_at IS NOT NULL ORDER BY book, page", (game_id,),
    ).fetchall()
    names: list[str] = []
    for name in [*(str(p[2]) for p in pages), *(str(p[4]) for p in pages)]:
        if name not in names:
            names.append(name)
    drawings = [p for p in pages if p[5] == "drawing"]
    hidden = hidden_authors(conn, game_id)
    return {
        "game_id": game[1],
        "finished_at": game[2],
        "mode": "telephone",
        "players": names,
        "books": len({int(p[1]) for p in pages}),
        "drawings": len(drawings),
        "drawers": sorted({str(p[3]) for p in drawings}),
        "hidden": sorted(hidden),
        "cover": _cover(conn, _PAGE_OPS, [int(p[0]) for p in drawings if p[3] not in hidden]),
    }


_TURN_OPS = "SELECT ops FROM turn_ops WHERE turn_id = ? ORDER BY seq"
_PAGE_OPS = "SELECT ops FROM page_ops WHERE page_id = ? ORDER BY seq"


def _cover(conn: Connection, batches_sql: str, ids: list[int]) -> dict[str, Any] | None:
    """The first of these drawings (turns or pages, read by ``batches_sql``) that shows
    something, thinned for a cover."""
    for drawing in ids:
        batches = [json.loads(r[0]) for r in conn.execute(batches_sql, (drawing,))]
        ops = list(replay(batches).ops)
        if shows_something(ops):
            return {"ops": thin(ops, COVER_POINTS)}
    return None


def shows_something(ops: list[dict[str, Any]]) -> bool:
    """True when an effective drawing has a line or a fill after its last clear."""
    start = max((i + 1 for i, op in enumerate(ops) if op.get("op") == "clear"), default=0)
    return any(op.get("op") == "fill" or (op.get("op") == "line" and len(op.get("p", ())) >= 2)
               for op in ops[start:])


def thin(ops: list[dict[str, Any]], max_points: int) -> list[dict[str, Any]]:
    """The drawing with fewer points: in each stroke piece, a point closer than the
    tolerance to the last one kept goes (a piece's first and last points stay, so
    pieces still join); the tolerance doubles until at most ``max_points`` are left."""
    tolerance = COVER_TOLERANCE
    while True:
        out = [_thin_op(op, tolerance) for op in ops]
        points = sum(len(op.get("p", ())) // 2 for op in out)
        if points <= max_points or tolerance > 200:
            return out
        tolerance *= 2


def _thin_op(op: dict[str, Any], tolerance: float) -> dict[str, Any]:
    p = op.get("p")
    if op.get("op") not in ("line", "erase") or not isinstance(p, list) or len(p) <= 4:
        return op
    kept = [p[0], p[1]]
    for i in range(2, len(p) - 2, 2):
        if math.hypot(p[i] - kept[-2], p[i + 1] - kept[-1]) >= tolerance:
            kept += [p[i], p[i + 1]]
    kept += [p[-2], p[-1]]
    return {**op, "p": kept}
