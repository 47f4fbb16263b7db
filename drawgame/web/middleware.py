"""ASGI middleware around the whole app: security headers and one log line per request."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import trio

from drawgame.logs import event, get_logger

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "media-src 'self' blob: data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

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

    The log line has method, path (never the query string, which could carry
    a secret), status and duration_ms. Request observers (the metrics) are
    called with (method, route path, status, seconds).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.observers: list[Callable[[str, str, int, float], None]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
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
            if status >= 500 or not _proxy_check(scope):
                event(log, level, "request", method=scope.get("method"), path=path,
                      status=status, duration_ms=round(elapsed * 1000, 2))
            for observer in self.observers:
                observer(scope.get("method", ""), path, status, elapsed)


_CHECK_HEADER = b"x-drawgame-check"


def _proxy_check(scope: Scope) -> bool:
    """A health check of the cluster's proxy (drawgame/ops/proxy.py ``CHECK_HEADER``)."""
    return scope.get("path") == "/api/health" and any(
        name == _CHECK_HEADER for name, _ in scope.get("headers", ()))
