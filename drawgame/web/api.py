"""The rooms API and the language list (PROTOCOL.md, HTTP)."""

from __future__ import annotations

import gzip
import json
import unicodedata
from typing import Any

import trio
from quart import Blueprint, Response, jsonify, request

from drawgame.game.errors import GameError
from drawgame.game.filter import apply_filter
from drawgame.game.protocol import has_forbidden_chars, has_visible_char
from drawgame.game.settings import MAX_CUSTOM_WORDS, Settings
from drawgame.game.words import MAX_IMPORT_BYTES, parse_import
from drawgame.rooms.registry import MAX_ROOM_NAME, TooManyRooms
from drawgame.store.albums import thumbnail_album, visible_album
from drawgame.store.connection import Connection
from drawgame.web import pages
from drawgame.web.albums import album_limit
from drawgame.web.assets import REVALIDATE, Blob
from drawgame.web.body import json_body
from drawgame.web.context import services
from drawgame.web.errors import error_response
from drawgame.web.ws import client_address

blueprint = Blueprint("api", __name__)

CREATE_FIELDS = frozenset({"name", "private", "settings"})
MAINTENANCE_RETRY_AFTER_S = 60
"""What the maintenance 503 tells clients to wait (the end of maintenance is not known)."""


def _json(body: Any, status: int = 200) -> Response:
    response: Response = jsonify(body)
    response.status_code = status
    return response


@blueprint.get("/api/rooms")
async def list_rooms() -> Response:
    return _json({"rooms": await services().registry.public_rooms()})


@blueprint.get("/api/rooms/<code>")
async def get_room(code: str) -> Response:
    """The room's summary with where to connect (``worker``, ``ws_path``), whichever
    worker serves it; a room nobody serves any more is taken over here first."""
    summary = await services().registry.room_summary(code)
    if summary is None:
        return error_response(404, "room_not_found", "there is no open room with this code")
    # Under a root path, the WebSocket is there too (the directory knows only the worker).
    return _json({**summary, "ws_path": services().config.root_path + summary["ws_path"]})


@blueprint.get("/api/games/<game_id>")
async def get_game(game_id: str) -> Response:
    """A finished game's album: ranking and every turn's drawer, word and ops (blank where
    the drawer hid their drawings); rate-limited per address like every album read.

    ``?view=thumbs`` answers the drawings thinned for thumbnails (the album page shows
    those first). gzip-compressed when the client accepts it.
    """
    limited = album_limit()
    if limited is not None:
        return limited
    if len(game_id) > 64:
        return error_response(404, "game_not_found", "there is no finished game with this id")
    thumbs = request.args.get("view") == "thumbs"
    gzipped = "gzip" in request.headers.get("Accept-Encoding", "").lower()
    svc = services()

    def read(conn: Connection) -> bytes | None:
        return album_json(conn, game_id, thumbs=thumbs, gzipped=gzipped)

    album = await svc.store.read(read)
    if album is None:  # a game that just ended may still be on its way to the disk
        await svc.registry.recorder.flush()
        album = await svc.store.read(read)
    if album is None:
        return error_response(404, "game_not_found", "there is no finished game with this id")
    headers = {"Vary": "Accept-Encoding"}
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    return Response(album, status=200, content_type="application/json", headers=headers)


def album_json(conn: Connection, game_id: str, *, thumbs: bool = False,
               gzipped: bool = False) -> bytes | None:
    """The album as JSON bytes (gzip-compressed when asked), built in the reader's thread:
    a big album costs the event loop nothing."""
    album = visible_album(conn, game_id)
    if album is None:
        return None
    if thumbs:
        album = thumbnail_album(album)
    raw = json.dumps(album, separators=(",", ":")).encode()
    return gzip.compress(raw, compresslevel=5, mtime=0) if gzipped else raw


@blueprint.get("/api/languages")
async def languages() -> Response:
    """The word lists: the same until a restart, so compressed once and revalidated."""
    body = json.dumps({"languages": services().registry.words.languages()},
                      separators=(",", ":")).encode()
    return await pages.send(Blob(body, "application/json"), REVALIDATE)


@blueprint.post("/api/words/parse")
async def parse_words() -> Response:
    """Read a host's word file (text/plain) into words for `custom_words`, with a report.

    Stateless: the client puts the accepted words in a `settings` frame.
    """
    if request.mimetype not in ("", "text/plain"):
        return error_response(415, "unsupported_media_type",
                              "send the word file as text/plain (UTF-8)")
    if (request.content_length or 0) > MAX_IMPORT_BYTES:
        return _file_too_large()
    raw = await request.get_data(as_text=False)
    if not isinstance(raw, bytes) or len(raw) > MAX_IMPORT_BYTES:
        return _file_too_large()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return error_response(400, "bad_request", "the word file is not UTF-8 text")
    return _json(parse_import(text, MAX_CUSTOM_WORDS))


def _file_too_large() -> Response:
    return error_response(413, "too_large",
                          f"a word file may be at most {MAX_IMPORT_BYTES // 1024} KiB")


@blueprint.post("/api/rooms")
async def create_room() -> Response:
    svc = services()
    if svc.maintenance.on:
        message = svc.maintenance.message or "the server is in maintenance; try again later"
        return error_response(503, "maintenance", message,
                              Retry_After=str(MAINTENANCE_RETRY_AFTER_S))
    ip = client_address(svc.config, request.headers, request.remote_addr)
    if not svc.registry.create_limiter.take(ip, trio.current_time()):
        return error_response(429, "rate_limited", "too many rooms created; wait a minute",
                              Retry_After="60")
    body, problem = await _create_body()
    if problem is not None:
        return problem
    try:
        settings = Settings.from_dict(
            body.get("settings") or {}, languages=svc.registry.words.codes(),
            packs_for=svc.registry.words.pack_ids,
        )
    except GameError as exc:
        return error_response(422, exc.code, exc.message, exc.field)
    name = body.get("name")
    if name:
        name = apply_filter(svc.registry.filters.for_language(settings.language),
                            settings.chat_filter, name)
        if name is None:
            return error_response(422, "filtered",
                                  "the room name has a word the chat filter blocks", "name")
    try:
        summary = await svc.registry.create_room(name, bool(body.get("private")), settings)
    except TooManyRooms as exc:
        return error_response(503, "too_many_rooms", str(exc), Retry_After="30")
    code = summary["code"]
    return _json({"code": code, "url": f"{svc.config.root_path}/r/{code}", "room": summary}, 201)


async def _create_body() -> tuple[dict[str, Any], Response | None]:
    body, problem = await json_body(empty={})
    if problem is not None:
        return {}, problem
    if not isinstance(body, dict):
        return {}, error_response(400, "bad_json", "the body must be a JSON object")
    unknown = sorted(set(body) - CREATE_FIELDS)
    if unknown:
        return {}, error_response(422, "invalid_settings", f"unknown field {unknown[0]!r}",
                                  unknown[0])
    name = body.get("name")
    if name is not None:
        if not isinstance(name, str) or len(name.strip()) > MAX_ROOM_NAME:
            return {}, error_response(
                422, "invalid_settings", f"name must be text of 0..{MAX_ROOM_NAME} characters",
                "name")
        name = unicodedata.normalize("NFC", name).strip()
        if has_forbidden_chars(name):
            return {}, error_response(
                422, "invalid_settings", "name may not hold control characters", "name")
        if name and not has_visible_char(name):
            return {}, error_response(
                422, "invalid_settings", "name needs at least one visible character", "name")
        body["name"] = name
    if not isinstance(body.get("private", False), bool):
        return {}, error_response(422, "invalid_settings", "private must be true or false",
                                  "private")
    settings = body.get("settings")
    if settings is not None and not isinstance(settings, dict):
        return {}, error_response(422, "invalid_settings", "settings must be an object",
                                  "settings")
    return body, None
