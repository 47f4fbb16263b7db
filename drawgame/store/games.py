"""Reading back what the recorder wrote: room snapshots, turn ops, pages and the album."""

from __future__ import annotations

import json
from typing import Any

from drawgame.game.modes.base import Content, ContentQuery, StoredPage
from drawgame.game.ops import OpLog
from drawgame.store.connection import Connection, Row


def active_rooms(conn: Connection) -> list[Row]:
    """Every room still marked active: code, name, private, settings, snapshot (or None)."""
    return conn.execute(
        "SELECT code, name, private, settings, snapshot FROM rooms WHERE is_active = 1"
        " ORDER BY id"
    ).fetchall()


def active_room(conn: Connection, code: str) -> Row | None:
    """One active room's row, as ``active_rooms`` gives them."""
    row: Row | None = conn.execute(
        "SELECT code, name, private, settings, snapshot FROM rooms"
        " WHERE code = ? AND is_active = 1", (code,)
    ).fetchone()
    return row


def close_room(conn: Connection, code: str, at: str) -> None:
    conn.execute(
        "UPDATE rooms SET is_active = 0, closed_at = ?, snapshot = NULL WHERE code = ?", (at, code)
    )


def turn_op_batches(conn: Connection, game: str, turn: int) -> list[list[dict[str, Any]]]:
    """The op batches of one turn in the order they were drawn (undo included)."""
    rows = conn.execute(
        "SELECT o.ops FROM turn_ops o JOIN turns t ON t.id = o.turn_id"
        " JOIN games g ON g.id = t.game_id WHERE g.public_id = ? AND t.number = ?"
        " ORDER BY o.seq",
        (game, turn),
    )
    return [json.loads(row[0]) for row in rows]


def read_content(conn: Connection, query: ContentQuery) -> Content:
    """What a recovered game asked for (ModeRules.content_query): turn op batches, pages."""
    turns = {turn: turn_op_batches(conn, query.game_id, turn) for turn in query.turns}
    pages = game_pages(conn, query.game_id) if query.pages else ()
    return Content(turns=turns, pages=pages)


def replay(batches: list[list[dict[str, Any]]]) -> OpLog:
    """The effective drawing: batches applied in order, undo applied (caps not checked)."""
    return OpLog.replayed(batches)


def load_album(conn: Connection, game: str) -> dict[str, Any] | None:
    """The finished game's album (PROTOCOL.md's GET /api/games/<id>), or None."""
    row = conn.execute(
        "SELECT g.id, g.public_id, g.finished_at, g.ranking, r.code, g.mode FROM games g"
        " JOIN rooms r ON r.id = g.room_id WHERE g.public_id = ? AND g.finished_at IS NOT NULL",
        (game,),
    ).fetchone()
    if row is None:
        return None
    turns = conn.execute(
        "SELECT id, number, drawer_public_id, drawer_name, word, duration_ms FROM turns"
        " WHERE game_id = ? AND ended_at IS NOT NULL ORDER BY number",
        (row[0],),
    ).fetchall()
    return {
        "game_id": row[1],
        "room_code": row[4],
        "finished_at": row[2],
        "mode": row[5],
        "ranking": json.loads(row[3] or "[]"),
        "turns": [_album_turn(conn, t) for t in turns],
        "books": _album_books(conn, int(row[0])),
        "avatars": _album_avatars(conn, int(row[0])),
    }


def _album_avatars(conn: Connection, game_id: int) -> dict[str, Any]:
    """The players' drawn avatars as the game kept them, by player id."""
    rows = conn.execute("SELECT player_public_id, avatar FROM game_avatars WHERE game_id = ?"
                        " ORDER BY player_public_id", (game_id,)).fetchall()
    return {str(r[0]): json.loads(r[1]) for r in rows}


def _album_turn(conn: Connection, turn: Row) -> dict[str, Any]:
    batches = [
        json.loads(r[0])
        for r in conn.execute("SELECT ops FROM turn_ops WHERE turn_id = ? ORDER BY seq", (turn[0],))
    ]
    return {
        "drawer": {"id": turn[2], "name": turn[3]},
        "word": turn[4],
        "ops": list(replay(batches).ops),
        "duration_ms": turn[5],
    }


def _album_books(conn: Connection, game_id: int) -> list[dict[str, Any]]:
    """A telephone game's books, each page as the album shows it (empty for a classic game)."""
    rows = conn.execute(
        "SELECT id, book, owner_public_id, owner_name, author_public_id, author_name, kind,"
        " text, duration_ms, likes, dislikes FROM pages"
        " WHERE game_id = ? AND ended_at IS NOT NULL ORDER BY book, page", (game_id,)
    ).fetchall()
    books: dict[int, dict[str, Any]] = {}
    for r in rows:
        book = books.setdefault(int(r[1]), {"owner": {"id": r[2], "name": r[3]}, "pages": []})
        page: dict[str, Any] = {"author": {"id": r[4], "name": r[5]}, "kind": r[6]}
        if r[6] == "text":
            page["text"] = r[7]
        else:
            page["ops"] = list(replay(_page_batches(conn, int(r[0]))).ops)
        page.update(duration_ms=r[8], likes=int(r[9]), dislikes=int(r[10]))
        book["pages"].append(page)
    return [books[j] for j in sorted(books)]


def game_pages(conn: Connection, game: str) -> tuple[StoredPage, ...]:
    """Every telephone page of a game, with its latest text and op batches."""
    rows = conn.execute(
        "SELECT p.id, p.book, p.page, p.text FROM pages p JOIN games g ON g.id = p.game_id"
        " WHERE g.public_id = ? ORDER BY p.book, p.page", (game,)
    ).fetchall()
    return tuple(
        StoredPage(book=int(r[1]), page=int(r[2]), text=str(r[3] or ""),
                   batches=tuple(_page_batches(conn, int(r[0]))))
        for r in rows
    )


def _page_batches(conn: Connection, page_id: int) -> list[list[dict[str, Any]]]:
    rows = conn.execute("SELECT ops FROM page_ops WHERE page_id = ? ORDER BY seq", (page_id,))
    return [json.loads(row[0]) for row in rows]
