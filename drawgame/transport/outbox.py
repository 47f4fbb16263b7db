"""What a connection could not write yet (no I/O here).

Messages wait as shared :class:`~drawgame.transport.frames.Outgoing`
objects; when the socket takes bytes again, everything waiting leaves as one
frame (a JSON array when several messages wait: adaptive batching). Control
frames (pong, close) keep their place in the order. The byte count is
bounded by the caller: past it the client is a slow consumer.
"""

from __future__ import annotations

from collections import deque

from drawgame.transport.frames import Deflater, Outgoing, batch

MAX_BATCH_BYTES = 256 * 1024
"""A batch stays under this size (clients' default message limits are 1 MiB)."""
MAX_BATCH_MESSAGES = 256


class Outbox:
    """Pending messages and control frames, then the unsent rest of a frame."""

    __slots__ = ("_items", "bytes", "tail")

    def __init__(self) -> None:
        self._items: deque[Outgoing | bytes] = deque()
        self.tail = memoryview(b"")
        """The part of the last frame the socket did not take."""
        self.bytes = 0
        """Everything waiting: message payloads, control frames and the tail."""

    def __bool__(self) -> bool:
        return bool(self.tail) or bool(self._items)

    def push(self, item: Outgoing | bytes) -> None:
        self._items.append(item)
        self.bytes += item.size if isinstance(item, Outgoing) else len(item)

    def drop_waiting(self) -> None:
        """Forget every waiting message; the tail stays (a frame is never cut)."""
        self._items.clear()
        self.bytes = len(self.tail)

    def keep_tail(self, frame: bytes, sent: int) -> None:
        """A frame written directly that the socket took only ``sent`` bytes of."""
        self.tail = memoryview(frame)[sent:]
        self.bytes += len(self.tail)

    def next_chunk(self, deflater: Deflater | None) -> memoryview:
        """The bytes to write next: the tail, else one frame of what waits."""
        if self.tail:
            return self.tail
        first = self._items[0]
        if isinstance(first, bytes):
            self._items.popleft()
            self.bytes -= len(first)
            self.tail = memoryview(first)
            self.bytes += len(first)
            return self.tail
        messages: list[Outgoing] = []
        size = 0
        while self._items and isinstance(self._items[0], Outgoing):
            msg = self._items[0]
            assert isinstance(msg, Outgoing)
            if messages and (size + msg.size > MAX_BATCH_BYTES
                             or len(messages) >= MAX_BATCH_MESSAGES):
                break
            self._items.popleft()
            messages.append(msg)
            size += msg.size
        self.bytes -= size
        out = messages[0] if len(messages) == 1 else batch(messages)
        self.tail = memoryview(out.frame(deflater))
        self.bytes += len(self.tail)
        return self.tail

    def sent(self, n: int) -> None:
        """The socket took the first ``n`` bytes of the chunk from :meth:`next_chunk`."""
        self.tail = self.tail[n:]
        self.bytes -= n
