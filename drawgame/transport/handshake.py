"""The opening handshake of a server WebSocket (no I/O here).

h11 parses the HTTP request; :func:`read_upgrade` checks that it is a
WebSocket upgrade (RFC 6455 section 4.2.1) and returns the parts the
endpoint decides on (path, Origin, headers, offered extensions) together
with whatever the client sent after the request. :func:`accept` and
:func:`reject` build the answers; the frames that follow are wsproto's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import h11
from wsproto.utilities import generate_accept_token, split_comma_header

WEBSOCKET_VERSION = b"13"
MAX_HEAD_BYTES = 16 * 1024
"""A handshake request larger than this is refused (431): its headers are all it has."""


class HandshakeError(Exception):
    """The request is not a WebSocket upgrade we can take; answer ``status``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class UpgradeRequest:
    """A valid WebSocket upgrade request, as the endpoint sees it."""

    target: str
    host: str
    headers: dict[str, str]
    """Every header, names in lower case (repeated headers joined with ", ")."""
    extensions: list[str]
    key: bytes
    trailing: bytes
    """Bytes the client sent after the request (its first frames, if it did not wait)."""

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


class HeadParser:
    """Feeds bytes to h11 until the request head is complete."""

    def __init__(self) -> None:
        self._h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD_BYTES)
        self._fed = 0

    def feed(self, data: bytes) -> UpgradeRequest | None:
        """Take received bytes; the request once its head is complete, else None."""
        self._fed += len(data)
        self._h11.receive_data(data)
        try:
            event = self._h11.next_event()
        except h11.RemoteProtocolError as exc:
            if exc.error_status_hint == 431:
                raise HandshakeError(431, "headers_too_large",
                                     "the request's headers are too large") from None
            raise HandshakeError(400, "bad_request", "not a valid HTTP request") from None
        if event is h11.NEED_DATA:
            return None
        if not isinstance(event, h11.Request):
            raise HandshakeError(400, "bad_request", "expected an HTTP request")
        trailing = bytes(self._h11.trailing_data[0])
        if self._fed - len(trailing) > MAX_HEAD_BYTES:
            raise HandshakeError(431, "headers_too_large", "the request's headers are too large")
        return _check(event, trailing)

    def end_of_input(self) -> None:
        """The client closed before finishing its request."""
        raise HandshakeError(400, "bad_request", "the request was cut short")


def _check(request: h11.Request, trailing: bytes) -> UpgradeRequest:
    headers: dict[str, str] = {}
    for raw_name, raw_value in request.headers:
        name = raw_name.decode("latin-1").lower()
        text = raw_value.decode("latin-1")
        headers[name] = f"{headers[name]}, {text}" if name in headers else text
    if request.method != b"GET":
        raise HandshakeError(405, "method_not_allowed", "a WebSocket opens with GET")
    connection = {t.lower() for t in split_comma_header(headers.get("connection", "").encode())}
    if "upgrade" not in connection or headers.get("upgrade", "").lower() != "websocket":
        raise HandshakeError(426, "upgrade_required", "this path takes WebSocket upgrades only")
    if headers.get("sec-websocket-version", "").encode() != WEBSOCKET_VERSION:
        raise HandshakeError(426, "upgrade_required", "WebSocket version 13 is required")
    key = headers.get("sec-websocket-key", "").strip().encode("latin-1")
    if not key:
        raise HandshakeError(400, "bad_request", "Sec-WebSocket-Key is missing")
    return UpgradeRequest(
        target=request.target.decode("latin-1"),
        host=headers.get("host", ""),
        headers=headers,
        extensions=split_comma_header(headers.get("sec-websocket-extensions", "").encode()),
        key=key,
        trailing=trailing,
    )


def accept(request: UpgradeRequest, extensions: str | None) -> bytes:
    """The 101 answer; ``extensions`` is the agreed Sec-WebSocket-Extensions value."""
    lines = [
        b"HTTP/1.1 101 Switching Protocols",
        b"Upgrade: websocket",
        b"Connection: Upgrade",
        b"Sec-WebSocket-Accept: " + generate_accept_token(request.key),
    ]
    if extensions:
        lines.append(b"Sec-WebSocket-Extensions: " + extensions.encode("ascii"))
    return b"\r\n".join(lines) + b"\r\n\r\n"


REASONS = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
           426: "Upgrade Required", 431: "Request Header Fields Too Large",
           503: "Service Unavailable"}


def reject(status: int, code: str, message: str, extra: dict[str, str] | None = None) -> bytes:
    """An HTTP error answer in the API's JSON error shape; the connection closes after it."""
    body = json.dumps({"error": {"code": code, "message": message}}).encode("utf-8")
    headers = {"Content-Type": "application/json", "Content-Length": str(len(body)),
               "Connection": "close", **(extra or {})}
    if status == 426:
        headers.setdefault("Sec-WebSocket-Version", "13")
        headers.setdefault("Upgrade", "websocket")
    head = f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode("latin-1") + b"\r\n" + body
