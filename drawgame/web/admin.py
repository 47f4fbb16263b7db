"""The admin API (``/api/admin/*``, bearer token) and the public maintenance notice.

Every admin request carries ``Authorization: Bearer <token>``: without it the
answer is 401, with a wrong token 403. The token's SHA-256 digest is read from
the database on each request and compared in constant time, so a rotation
(``make rotate-token``) takes effect at once, without a restart.
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, jsonify, request

from drawgame.ops import admin_token
from drawgame.text import operator_text_problem
from drawgame.web.body import json_body
from drawgame.web.context import services
from drawgame.web.errors import error_response

blueprint = Blueprint("admin", __name__)

MAX_MESSAGE = 200


def _json(body: Any, status: int = 200) -> Response:
    response: Response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.before_request
async def require_token() -> Response | None:
    """401 without a bearer token, 403 with a wrong one; public paths pass."""
    if not request.path.startswith("/api/admin/"):
        return None
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    presented = presented.strip()
    if scheme.lower() != "bearer" or not presented:
        return error_response(401, "unauthorized", "send Authorization: Bearer <admin token>",
                              WWW_Authenticate='Bearer realm="drawgame"')
    ok = await services().store.read(lambda conn: admin_token.matches(conn, presented))
    if not ok:
        return error_response(403, "forbidden", "the admin token is not valid")
    return None


def _maintenance_view() -> dict[str, Any]:
    state = services().maintenance
    return {"on": state.on, "message": state.message}


@blueprint.get("/api/maintenance")
async def maintenance_status() -> Response:
    """Public: whether maintenance is on and its message (the lobby shows a banner)."""
    return _json(_maintenance_view())


@blueprint.post("/api/admin/maintenance")
async def set_maintenance() -> Response:
    """``{"on": bool, "message"?: str}``: switch maintenance mode; answers the new state."""
    body, problem = await json_body(empty=None)
    if problem is not None:
        return problem
    if not isinstance(body, dict) or not isinstance(body.get("on"), bool):
        return error_response(422, "bad_request", 'send {"on": true|false, "message"?: text}',
                              "on")
    message = body.get("message", "")
    if not isinstance(message, str) or len(message.strip()) > MAX_MESSAGE:
        return error_response(422, "bad_request",
                              f"message must be text of at most {MAX_MESSAGE} characters",
                              "message")
    trouble = operator_text_problem(message)
    if trouble is not None:
        return error_response(422, "bad_request", f"message: {trouble}", "message")
    await services().set_maintenance(body["on"], message.strip())
    return _json({"maintenance": _maintenance_view()})


@blueprint.post("/api/admin/cleanup")
async def run_cleanup() -> Response:
    """Remove closed rooms and finished games past retention now; answers the counts."""
    svc = services()
    removed = await svc.clean_up()
    return _json({"retention_days": svc.config.retention_days, "removed": removed})
