"""One player's connection as the room sees it: a bounded outbox and a close request.

The transport (the WebSocket handler, or a test's fake player) drains the
outbox and watches for the close request. The room only ever calls the
non-blocking methods here, so a slow client can never slow the room: when
its outbox is full it is disconnected (it can resume with its token).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import trio

SLOW_CONSUMER_CLOSE = (1013, "too slow to keep up: reconnect to resume")

_ids = itertools.count(1)


@dataclass(frozen=True)
class CloseFrame:
    """Queued after the last message: the writer closes with this code once it gets here."""

    code: int
    reason: str


OutItem = str | CloseFrame


class Connection:
    """The room's handle on one client connection."""

    def __init__(self, ip: str = "", outbox_size: int = 512) -> None:
        self.serial = next(_ids)
        self.ip = ip
        self.player_id: str | None = None
        self.outbox, self.outbox_reader = trio.open_memory_channel[OutItem](outbox_size)
        self.joined = trio.Event()
        self.close_requested = trio.Event()
        self.close_code: tuple[int, str] | None = None

    def __repr__(self) -> str:
        return f"<Connection {self.serial} player={self.player_id}>"

    @property
    def closing(self) -> bool:
        return self.close_code is not None

    def send_text(self, text: str) -> bool:
        """Queue one serialized message; a full outbox disconnects the client."""
        if self.close_code is not None:
            return False
        try:
            self.outbox.send_nowait(text)
        except trio.WouldBlock:
            self.close_now(*SLOW_CONSUMER_CLOSE)
            return False
        except (trio.ClosedResourceError, trio.BrokenResourceError):
            return False
        return True

    def close(self, code: int, reason: str) -> None:
        """Close after what is already queued has been sent."""
        if self.close_code is not None:
            return
        try:
            self.outbox.send_nowait(CloseFrame(code, reason))
        except (trio.WouldBlock, trio.ClosedResourceError, trio.BrokenResourceError):
            self.close_now(code, reason)
            return
        self.close_code = (code, reason)

    def close_now(self, code: int, reason: str) -> None:
        """Close at once, dropping whatever is still queued."""
        if self.close_code is None or not self.close_requested.is_set():
            self.close_code = self.close_code or (code, reason)
            self.close_requested.set()
