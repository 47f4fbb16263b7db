"""A small real WebSocket client for tests, on trio-websocket.

It speaks PROTOCOL.md as any outside client would: it sends JSON objects,
flattens the server's array frames (adaptive batching) into single messages,
keeps every message it received in order, and records the close code when
the server closes the connection. Messages are pulled from the socket only
while a test waits for something; trio-websocket's own reader task keeps
draining the socket meanwhile (a large message queue), so a test that does
not read for a while never looks like a slow consumer to the server.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import trio
from trio_websocket import ConnectionClosed, WebSocketConnection, open_websocket_url

Message = dict[str, Any]
Predicate = Callable[[Message], bool]

DEFAULT_TIMEOUT_S = 5.0
QUEUE_SIZE = 10_000
BARRIER_ID = "p_barrier"
"""No player has this id: `vote_kick` of it is refused by the room itself (`unknown_player`)."""


class WsClient:
    """One connection: what it received, in order, and how it was closed."""

    def __init__(self, ws: WebSocketConnection, name: str = "") -> None:
        self.ws = ws
        self.name = name
        self.received: list[Message] = []
        self.frames = 0
        self.close_code: int | None = None
        self.close_reason: str | None = None
        self.id: str | None = None
        self.token: str | None = None
        self._taken: set[int] = set()

    def __repr__(self) -> str:
        return f"<WsClient {self.name} {self.id}>"

    # ------------------------------------------------------------ sending

    async def send(self, msg: Message | str | bytes) -> None:
        """Send a dict as JSON text, or a raw str/bytes frame as it is."""
        await self.ws.send_message(msg if isinstance(msg, str | bytes) else json.dumps(msg))

    async def hello(
        self, name: str | None = None, token: str | None = None, *, spectate: bool = False,
        within: float = DEFAULT_TIMEOUT_S,
    ) -> Message:
        """Join (or resume with ``token``) and wait for ``welcome``; remembers id and token."""
        self.name = name or self.name
        msg: Message = {"type": "hello", "name": self.name}
        if token is not None:
            msg["token"] = token
        if spectate:
            msg["spectate"] = True
        await self.send(msg)
        welcome = await self.wait_for("welcome", within=within)
        self.id, self.token = welcome["you"]["id"], welcome["you"]["token"]
        return welcome

    async def barrier(self, within: float = DEFAULT_TIMEOUT_S) -> None:
        """Return once the room has handled everything this client sent before.

        The room handles each connection's commands in order, and queues its
        answers on the connection's outbox in order, so when the answer to
        this probe arrives, every message the room queued for this client
        because of earlier commands (from anyone) has arrived too.
        """
        mark = len(self.received)
        await self.send({"type": "vote_kick", "player_id": BARRIER_ID})
        await self.wait_for(
            "error", lambda m: m["code"] == "unknown_player", within=within, since=mark
        )

    # ------------------------------------------------------------ receiving

    async def _pull(self) -> None:
        """Take one frame off the socket and keep its messages (ConnectionClosed at the end)."""
        try:
            data = await self.ws.get_message()
        except ConnectionClosed as exc:
            self._closed(exc)
            raise
        self.frames += 1
        parsed = json.loads(data)
        self.received.extend(parsed if isinstance(parsed, list) else [parsed])

    def _closed(self, exc: ConnectionClosed) -> None:
        if self.close_code is None:
            self.close_code = exc.reason.code
            self.close_reason = exc.reason.reason

    def _find(self, kind: str, predicate: Predicate | None, since: int) -> int | None:
        for i in range(since, len(self.received)):
            msg = self.received[i]
            if i not in self._taken and msg.get("type") == kind and (
                predicate is None or predicate(msg)
            ):
                return i
        return None

    async def wait_for(
        self,
        kind: str,
        predicate: Predicate | None = None,
        within: float = DEFAULT_TIMEOUT_S,
        *,
        since: int = 0,
    ) -> Message:
        """The earliest message of ``kind`` (matching ``predicate``) not yet returned.

        Looks at messages from index ``since`` on, reading from the socket
        until one arrives; every message read stays in ``received`` in order.
        Fails (AssertionError) after ``within`` seconds or when the server
        closes the connection first, naming what did arrive.
        """
        deadline = trio.current_time() + within
        while True:
            found = self._find(kind, predicate, since)
            if found is not None:
                self._taken.add(found)
                return self.received[found]
            with trio.move_on_at(deadline):
                try:
                    await self._pull()
                except ConnectionClosed:
                    raise AssertionError(
                        f"{self.name}: closed with {self.close_code} while waiting for "
                        f"{kind!r}; got {self.types()}"
                    ) from None
                continue
            raise AssertionError(
                f"{self.name}: no {kind!r} within {within} s; got {self.types()}"
            )

    async def wait_closed(self, within: float = DEFAULT_TIMEOUT_S) -> int:
        """Read until the server closes the connection; returns the close code."""
        with trio.fail_after(within):
            while self.close_code is None:
                try:
                    await self._pull()
                except ConnectionClosed:
                    break
        assert self.close_code is not None
        return self.close_code

    async def drain(self, quiet_s: float = 0.1) -> list[Message]:
        """Read whatever arrives until ``quiet_s`` passes without a frame; returns it."""
        start = len(self.received)
        while self.close_code is None:
            with trio.move_on_after(quiet_s):
                try:
                    await self._pull()
                except ConnectionClosed:
                    break
                continue
            break
        return self.received[start:]

    def after(self, msg: Message) -> int:
        """The index just past ``msg`` (a message this client received): for ``since``."""
        return next(i for i, m in enumerate(self.received) if m is msg) + 1

    def of(self, kind: str, since: int = 0) -> list[Message]:
        """Every message of ``kind`` received so far (from index ``since``)."""
        return [m for m in self.received[since:] if m.get("type") == kind]

    def types(self, since: int = 0) -> list[str]:
        return [str(m.get("type")) for m in self.received[since:]]


@asynccontextmanager
async def connect(
    url: str,
    name: str = "",
    *,
    origin: str | None = None,
    headers: list[tuple[str, str]] | None = None,
    disconnect_timeout: float = 1.0,
) -> AsyncIterator[WsClient]:
    """Open a WebSocket to ``url`` (with an ``Origin`` header when given).

    Raises trio-websocket's ConnectionRejected when the server refuses the
    handshake (its ``status_code`` is the HTTP status).
    """
    extra = list(headers or [])
    if origin is not None:
        extra.append(("Origin", origin))
    async with open_websocket_url(
        url,
        extra_headers=extra,
        message_queue_size=QUEUE_SIZE,
        connect_timeout=DEFAULT_TIMEOUT_S,
        disconnect_timeout=disconnect_timeout,
    ) as ws:
        yield WsClient(ws, name)
