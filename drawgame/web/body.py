"""Reading a JSON request body, with the API's error shape for every way it can be bad."""

from __future__ import annotations

import json
from typing import Any

from quart import Response, request

from drawgame.web.errors import error_response


async def json_body(empty: Any) -> tuple[Any, Response | None]:
    """The request's JSON body (``empty`` when there is none), or a 400 ``bad_json``.

    The body must be UTF-8 and JSON; nesting too deep for the parser is bad
    JSON too, not a server error.
    """
    raw = await request.get_data(as_text=False)
    try:
        text = raw if isinstance(raw, str) else raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, error_response(
            400, "bad_json", f"the body is not valid UTF-8 (byte {exc.start})")
    if not text.strip():
        return empty, None
    try:
        return json.loads(text), None
    except RecursionError:
        return None, error_response(400, "bad_json", "the body's JSON nests too deep")
    except ValueError:
        return None, error_response(400, "bad_json", "the body is not valid JSON")
