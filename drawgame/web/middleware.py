"""ASGI middleware around the whole app: security headers and one log line per request."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

import trio

from drawgame.logs import event, get_logger

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def content_security_policy(script_hashes: Iterable[str] = ()) -> str:
    """The policy of every response; a page with an inline import map names its hash."""
    scripts = " ".join(("'self'", *(f"'sha256-{h}'" for h in script_hashes)))
    return "; ".join((
        "default-src 'self'",
        f"script-src {scripts}",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "media-src 'self' blob: data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


CONTENT_SECURITY_POLICY = content_security_policy()

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)

log = get_logger("http")


class Middleware:
    """Adds the security headers to every HTTP response and logs each request.

    Under a root path (``DRAWGAME_ROOT_PATH``) it tells the app where that is:
    routes match below it, paths outside it answer 404, the root itself
    redirects to the lobby (``/draw`` to ``/draw/``).

    The log line has method, path (never the query string, which could carry
    a secret), status and duration_ms. Request observers (the metrics) are
    called with (method, route path, status, seconds).
    """

    def __init__(self, app: ASGIApp, root_path: str = "") -> None:
        self.app = app
        self.root_path = root_path
        self.observers: list[Callable[[str, str, int, float], None]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.root_path and scope["type"] in ("http", "websocket"):
            # Quart routes the path below it and answers 404 outside it.
            scope["root_path"] = self.root_path
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.root_path and scope.get("path") == self.root_path:
            await self.app_root(scope, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [h for h in SECURITY_HEADERS if h[0] not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            # quart-trio cancels the request's tasks as soon as the client side of the
            # exchange is over, which can land while hypercorn is still marking the
            # connection idle; an idle mark lost that way keeps a keep-alive connection
            # open through a graceful shutdown until the grace runs out. Hypercorn
            # shields its socket writes anyway, so shielding the send costs nothing.
            with trio.CancelScope(shield=True):
                await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            elapsed = time.perf_counter() - started
            path = scope.get("path", "")
            level = logging.WARNING if status >= 500 else logging.INFO
            # The cluster proxy's health check, every second per worker: not worth a line
            # (unless it fails).
            route = path.removeprefix(self.root_path) or "/"
            if status >= 500 or not _proxy_check(scope, route):
                event(log, level, "request", method=scope.get("method"), path=path,
                      status=status, duration_ms=round(elapsed * 1000, 2))
            for observer in self.observers:
                observer(scope.get("method", ""), route, status, elapsed)

    async def app_root(self, scope: Scope, send: Send) -> None:
        """``/draw`` itself: the lobby is at ``/draw/``."""
        query = scope.get("query_string", b"")
        location = self.root_path.encode() + b"/" + (b"?" + query if query else b"")
        await send({"type": "http.response.start", "status": 308,
                    "headers": [(b"location", location), (b"content-length", b"0"),
                                *SECURITY_HEADERS]})
        await send({"type": "http.response.body", "body": b""})


_CHECK_HEADER = b"x-drawgame-check"


def _proxy_check(scope: Scope, route: str) -> bool:
    """A health check of the cluster's proxy (drawgame/ops/proxy.py ``CHECK_HEADER``)."""
    return route == "/api/health" and any(
        name == _CHECK_HEADER for name, _ in scope.get("headers", ()))
