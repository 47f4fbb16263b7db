"""The browser client: the lobby at /, a room at /r/<code>, its TV screen at /r/<code>/tv
(with the room's join QR code at /r/<code>/qr.svg), assets under /static/."""

from __future__ import annotations

import io
from pathlib import Path

import segno
from quart import Blueprint, Response, request, send_from_directory

from drawgame.config import Config
from drawgame.web.context import services
from drawgame.web.errors import error_response

STATIC_DIR = Path(__file__).resolve().parent / "static"
QR_SCALE = 10
"""SVG units per QR module; the page scales the picture to fit anyway."""

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


@blueprint.get("/r/<code>/tv")
async def tv_page(code: str) -> Response:
    return await _page("tv.html")


@blueprint.get("/r/<code>/qr.svg")
async def room_qr(code: str) -> Response:
    """The room's link as a QR code (SVG), for phones to join from the TV screen."""
    svc = services()
    room = svc.registry.get(code)
    if room is None:
        return error_response(404, "room_not_found", "there is no open room with this code")
    return Response(qr_svg(join_link(svc.config, request.host_url, room.code)), status=200,
                    content_type="image/svg+xml",
                    headers={"Cache-Control": "no-cache"})


def join_link(config: Config, host_url: str, code: str) -> str:
    """The room's link: on `DRAWGAME_PUBLIC_URL` when it is set, else on the host asked."""
    base = (config.public_url or host_url).rstrip("/")
    return f"{base}/r/{code}"


def qr_svg(link: str) -> bytes:
    """`link` as a QR code (error correction M), dark on white with the quiet zone."""
    out = io.BytesIO()
    segno.make(link, error="m", micro=False).save(
        out, kind="svg", scale=QR_SCALE, border=4, dark="#000", light="#fff", title=link,
        omitsize=True)
    return out.getvalue()


@blueprint.get("/static/<path:path>")
async def asset(path: str) -> Response:
    response: Response = await send_from_directory(STATIC_DIR, path)
    response.headers["Cache-Control"] = "no-cache"
    return response
