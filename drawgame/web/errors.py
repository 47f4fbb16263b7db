"""The one JSON error shape of the HTTP API."""

from __future__ import annotations

from typing import Any

from quart import Response, jsonify


def error_response(
    status: int, code: str, message: str, field: str | None = None, **headers: str
) -> Response:
    """``{"error": {"code", "message", "field"?}}`` with the given status."""
    body: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        body["field"] = field
    response: Response = jsonify({"error": body})
    response.status_code = status
    for name, value in headers.items():
        response.headers[name.replace("_", "-")] = value
    return response
