"""The browser client: the lobby at /, a room at /r/<code>, assets under /static/."""

from __future__ import annotations

from pathlib import Path

from quart import Blueprint, Response, send_from_directory

STATIC_DIR = Path(__file__).resolve().parent / "static"

blueprint = Blueprint("pages", __name__)


async def _page(name: str) -> Response:
    response: Response = await send_from_directory(STATIC_DIR, name)
    response.headers["Cache-Control"] = "no-cache"
    return response


@blueprint.get("/")
async def lobby() -> Response:
    return await _page("index.html")


@blueprint.get("/r/<code>")
async def room_page(code: str) -> Response:
    return await _page("room.html")


@blueprint.get("/static/<path:path>")
async def asset(path: str) -> Response:
    response: Response = await send_from_directory(STATIC_DIR, path)
    response.headers["Cache-Control"] = "no-cache"
    return response
