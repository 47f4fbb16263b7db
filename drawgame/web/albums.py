"""Albums people keep: the album page, a room's gallery, hiding and deleting an album.

- ``GET /a/<game_id>``: the album page (``static/album.html``), with Open Graph
  tags naming the album, so a pasted link shows something; 404 when there is
  no such finished game (never was, deleted, or past retention).
- ``GET /api/rooms/<code>/albums``: the room's gallery, newest first.
- ``DELETE /api/games/<game_id>`` ``{"token"}``: the room's host deletes the album.
- ``POST /api/games/<game_id>/hide`` ``{"token", "hidden"?}``: a player hides (or
  shows again) their own drawings.

The token is the seat token the player's browser holds for the room; it is
never shown or logged. Every read and action here takes a token from the
same per-address bucket as ``GET /api/games/<id>`` (``album_reads_per_minute_per_ip``).
"""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import quote

import trio
from quart import Blueprint, Response, current_app, jsonify, request

from drawgame.game.hints import clusters
from drawgame.game.protocol import MAX_TOKEN_LEN
from drawgame.rooms.limits import KeyedLimiter
from drawgame.rooms.recorder import utc_now
from drawgame.store import albums
from drawgame.store.connection import Connection
from drawgame.web import pages
from drawgame.web.body import json_body
from drawgame.web.context import services
from drawgame.web.errors import error_response
from drawgame.web.ws import client_address

MAX_GAME_ID = 64
OG_WORDS = 6
"""Words the link preview's description names at most."""
OG_SENTENCES = 3
"""A telephone album's first sentences the link preview's description quotes at most."""
OG_SENTENCE_CHARS = 60
"""Characters of each quoted sentence at most (a longer one is cut, with …)."""

blueprint = Blueprint("albums", __name__)

_LIMITER_KEY = "drawgame.album_reads"
GAME_NOT_FOUND = ("game_not_found", "there is no finished game with this id")


def album_limit() -> Response | None:
    """A 429 when this address has used its album requests for now, else None."""
    svc = services()
    limiter = current_app.extensions.get(_LIMITER_KEY)
    if limiter is None:
        per_minute = svc.config.album_reads_per_minute_per_ip
        limiter = current_app.extensions[_LIMITER_KEY] = KeyedLimiter(
            rate=per_minute / 60, burst=per_minute)
    ip = client_address(svc.config, request.headers, request.remote_addr)
    if limiter.take(ip, trio.current_time()):
        return None
    return error_response(429, "rate_limited", "too many album requests; wait a minute",
                          Retry_After="60")


def _json(body: Any, status: int = 200) -> Response:
    response: Response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the album page ---------------------------------------------------------------------


@blueprint.get("/a/<game_id>")
async def album_page(game_id: str) -> Response:
    """The album page; its Open Graph tags are filled from the album's summary."""
    limited = album_limit()
    if limited is not None:
        return limited
    preview, heading = None, None
    if len(game_id) <= MAX_GAME_ID:
        preview, heading = await services().store.read(
            lambda conn: (link_preview(conn, game_id), album_heading(conn, game_id)))
    title, description = preview or ("drawgame", "This album does not exist (any more).")
    meta = ""
    if heading is not None:
        finished, names = heading
        meta = f"{finished} · " + pages.text("gallery.players", names=", ".join(names))
    return await pages.page("album.html", values={
        "og_title": html.escape(title), "og_description": html.escape(description),
        "game_id": quote(game_id, safe=""), "album_meta": html.escape(meta)},
        status=200 if preview else 404)


def album_heading(conn: Connection, game_id: str) -> tuple[str, list[str]] | None:
    """When the game ended (``2026-11-27 20:00 UTC``) and every name in its album, as the
    album page's heading says them before its script writes the date the browser's way:
    the ranking's, then the drawers' and books' authors it lacks (``names()`` of
    album-page.js). None when there is no such finished game."""
    game = conn.execute(
        "SELECT id, finished_at, ranking FROM games WHERE public_id = ?"
        " AND finished_at IS NOT NULL", (game_id,)).fetchone()
    if game is None:
        return None
    ranking = sorted(json.loads(game[2] or "[]"), key=lambda r: r.get("rank", 0))
    names = [str(r.get("name")) for r in ranking]
    more = conn.execute(
        "SELECT drawer_name FROM turns WHERE game_id = ? AND ended_at IS NOT NULL"
        " ORDER BY number", (game[0],)).fetchall() + conn.execute(
        "SELECT author_name FROM pages WHERE game_id = ? AND ended_at IS NOT NULL"
        " ORDER BY book, page", (game[0],)).fetchall()
    for (name,) in more:
        if name and str(name) not in names:
            names.append(str(name))
    finished = str(game[1])
    return f"{finished[:10]} {finished[11:16]} UTC", names


def link_preview(conn: Connection, game_id: str) -> tuple[str, str] | None:
    """(title, description) of a link to the album, from its names and words (a telephone
    game: its books' first sentences); no drawing is read. None when there is no such
    finished game."""
    game = conn.execute(
        "SELECT id, finished_at, ranking, mode FROM games WHERE public_id = ?"
        " AND finished_at IS NOT NULL", (game_id,)).fetchone()
    if game is None:
        return None
    if game[3] == "telephone":
        return _books_preview(conn, int(game[0]), str(game[1])[:10])
    turns = conn.execute("SELECT drawer_name, word FROM turns WHERE game_id = ?"
                         " AND ended_at IS NOT NULL ORDER BY number", (game[0],)).fetchall()
    ranking = sorted(json.loads(game[2] or "[]"), key=lambda r: r.get("rank", 0))
    names = [str(r.get("name")) for r in ranking] or sorted({str(t[0]) for t in turns})
    words = [str(t[1]) for t in turns if t[1]]
    count = len(turns)
    title = f"drawgame album: {count} drawing{'' if count == 1 else 's'}"
    shown = ", ".join(words[:OG_WORDS]) + ("…" if len(words) > OG_WORDS else "")
    description = f"Drawn by {_and(names)} on {str(game[1])[:10]}"
    return title, f"{description}: {shown}." if shown else f"{description}."


def _books_preview(conn: Connection, game_id: int, date: str) -> tuple[str, str]:
    """A telephone album's preview: how many books, whose, and how the first ones begin
    (the first sentence of each book that is not empty; sentences are never hidden)."""
    rows = conn.execute(
        "SELECT book, owner_name, kind, text FROM pages WHERE game_id = ?"
        " AND ended_at IS NOT NULL ORDER BY book, page", (game_id,)).fetchall()
    owners: dict[int, str] = {}
    firsts: dict[int, str] = {}
    for book, owner, kind, text in rows:
        owners.setdefault(int(book), str(owner))
        sentence = " ".join(str(text or "").split())
        if kind == "text" and sentence:
            firsts.setdefault(int(book), sentence)
    count = len(owners)
    title = f"drawgame album: {count} book{'' if count == 1 else 's'}"
    description = f"Books by {_and(list(owners.values()))} on {date}"
    quoted = [f"“{_cut(firsts[b], OG_SENTENCE_CHARS)}”" for b in sorted(firsts)]
    shown = ", ".join(quoted[:OG_SENTENCES]) + ("…" if len(quoted) > OG_SENTENCES else "")
    return title, f"{description}: {shown}" if shown else f"{description}."


def _cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` grapheme clusters (an emoji or an accent is never
    split), the last one … when it is cut."""
    parts = clusters(text)
    return text if len(parts) <= limit else "".join(parts[:limit - 1]).rstrip() + "…"


def _and(names: list[str]) -> str:
    if len(names) <= 1:
        return names[0] if names else "nobody"
    return ", ".join(names[:-1]) + " and " + names[-1]


# --- the gallery ------------------------------------------------------------------------


@blueprint.get("/api/rooms/<code>/albums")
async def gallery(code: str) -> Response:
    """The albums of the room's past games, newest first."""
    limited = album_limit()
    if limited is not None:
        return limited
    found = None
    if len(code) <= MAX_GAME_ID:
        found = await services().store.read(lambda conn: albums.room_gallery(conn, code))
    if found is None:
        return error_response(404, "room_not_found", "there is no room with this code")
    return _json({"albums": found})


# --- hiding and deleting ------------------------------------------------------------------


async def _token_body(*fields: str) -> tuple[dict[str, Any], Response | None]:
    body, problem = await json_body(empty={})
    if problem is not None:
        return {}, problem
    if not isinstance(body, dict):
        return {}, error_response(400, "bad_json", "the body must be a JSON object")
    unknown = sorted(set(body) - {"token", *fields})
    if unknown:
        return {}, error_response(422, "bad_request", f"unknown field {unknown[0]!r}",
                                  unknown[0])
    token = body.get("token")
    if not isinstance(token, str) or not 1 <= len(token) <= MAX_TOKEN_LEN:
        return {}, error_response(422, "bad_request",
                                  f"token must be your seat's token (1..{MAX_TOKEN_LEN} "
                                  "characters)", "token")
    return body, None


@blueprint.delete("/api/games/<game_id>")
async def delete_album(game_id: str) -> Response:
    """The room's host deletes the album for everyone: 204, then 404 for every read."""
    limited = album_limit()
    if limited is not None:
        return limited
    body, problem = await _token_body()
    if problem is not None:
        return problem
    svc = services()
    if len(game_id) > MAX_GAME_ID:
        return error_response(404, *GAME_NOT_FOUND)

    def find(conn: Connection) -> albums.GameRef | None:
        return albums.finished_game(conn, game_id)

    ref = await svc.store.read(find)
    if ref is None:
        return error_response(404, *GAME_NOT_FOUND)
    live = svc.registry.get(ref.room_code)
    host = live.state.host_id if live is not None else (
        ref.snapshot_host if ref.room_active else None)
    token = str(body["token"])

    def delete(conn: Connection) -> str:
        again = albums.finished_game(conn, game_id)
        if again is None:
            return "gone"
        seat = albums.seat_of(conn, again.room_id, token)
        if seat is None:
            return "forbidden"
        if host is None or seat != host:
            return "not_host"
        albums.delete_game(conn, again.id)
        return "deleted"

    outcome = await svc.store.transaction(delete)
    if outcome == "gone":
        return error_response(404, *GAME_NOT_FOUND)
    if outcome == "forbidden":
        return error_response(403, "forbidden", "this token holds no seat in the game's room")
    if outcome == "not_host":
        return error_response(403, "not_host", "only the room's host can delete its albums")
    return Response(b"", status=204, headers={"Cache-Control": "no-store"})


@blueprint.post("/api/games/<game_id>/hide")
async def hide_drawings(game_id: str) -> Response:
    """A player hides their own drawings from the album (``hidden`` false shows them
    again): ``{"player_id", "hidden"}``."""
    limited = album_limit()
    if limited is not None:
        return limited
    body, problem = await _token_body("hidden")
    if problem is not None:
        return problem
    hidden = body.get("hidden", True)
    if not isinstance(hidden, bool):
        return error_response(422, "bad_request", "hidden must be true or false", "hidden")
    if len(game_id) > MAX_GAME_ID:
        return error_response(404, *GAME_NOT_FOUND)
    token = str(body["token"])
    at = utc_now()

    def hide(conn: Connection) -> str | None:
        ref = albums.finished_game(conn, game_id)
        if ref is None:
            return None
        seat = albums.seat_of(conn, ref.room_id, token)
        if seat is not None:
            albums.set_hidden(conn, ref.id, seat, hidden, at)
        return seat or ""

    seat = await services().store.transaction(hide)
    if seat is None:
        return error_response(404, *GAME_NOT_FOUND)
    if not seat:
        return error_response(403, "forbidden", "this token holds no seat in the game's room")
    return _json({"player_id": seat, "hidden": hidden})
