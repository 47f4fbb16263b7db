"""One server WebSocket on a non-blocking socket: the trio part of the transport.

Writing never hops to another task while the socket takes the bytes: the
caller's ``send`` (the room, in its own task) writes the shared frame at
once. Only when the socket's buffer is full does the rest wait in the
connection's :class:`~drawgame.transport.outbox.Outbox`, and a writer task
drains it (everything waiting leaves as one frame). The outbox is bounded in
bytes and in time: past ``outbox_bytes``, or with nothing written for
``stall_s``, the client is a slow consumer and is dropped, whatever the
socket does.

Reading is the connection's one task: :meth:`WebSocket.receive` waits for
the socket, feeds the frame reader (inbound.py) and returns whole messages. Closing always
completes: after our close frame the connection keeps reading (and
discarding) until the client answers, closes, or ``close_timeout_s`` passes;
then the socket is closed (reset, when the client would not read).
"""

from __future__ import annotations

import contextlib
import socket
import struct
from collections import deque

import trio

from drawgame.transport.frames import (
    OP_CLOSE,
    OP_PONG,
    Deflater,
    Outgoing,
    close_payload,
    encode_frame,
)
from drawgame.transport.inbound import NO_STATUS, Close, FrameReader, Ping, ProtocolError
from drawgame.transport.outbox import Outbox

RECV_BYTES = 65536
_recv_buffer = bytearray(RECV_BYTES)
_recv_view = memoryview(_recv_buffer)
"""One receive buffer for every connection: a read is copied out before any checkpoint."""

SLOW_CONSUMER_CLOSE = (1013, "too slow to keep up: reconnect to resume")
ABNORMAL = 1006


class ConnectionClosed(Exception):
    """The WebSocket is finished: ``code`` is the peer's, ours, or 1006 (no close frame)."""

    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason


class WebSocket:
    """A server WebSocket after the handshake: non-blocking sends, one reading task."""

    __slots__ = (
        "_close_sent", "_closing", "_done", "_drained", "_inbox", "_peer_close", "_scope",
        "_writing", "aborted", "close_code", "close_timeout_s", "deflater", "outbox",
        "outbox_bytes", "peer", "reader", "sock", "stall_s", "writers",
    )

    def __init__(
        self,
        sock: socket.socket,
        reader: FrameReader,
        *,
        peer: str,
        deflater: Deflater | None,
        writers: trio.Nursery,
        outbox_bytes: int,
        stall_s: float,
        close_timeout_s: float,
    ) -> None:
        self.sock = sock
        self.reader: FrameReader | None = reader
        """None once nothing the client sends is parsed any more (after a violation)."""
        self.peer = peer
        self.deflater = deflater
        self.writers = writers
        self.outbox_bytes = outbox_bytes
        self.stall_s = stall_s
        self.close_timeout_s = close_timeout_s
        self.outbox = Outbox()
        self.close_code: tuple[int, str] | None = None
        """What we closed with (or are closing with)."""
        self.aborted = False
        self._writing = False
        self._closing = False
        self._close_sent = False
        self._done = False
        self._peer_close: tuple[int, str] | None = None
        self._inbox: deque[str | bytes] = deque()
        self._drained: trio.Event | None = None
        self._scope: trio.CancelScope | None = None

    # ------------------------------------------------------------ sending

    @property
    def closing(self) -> bool:
        return self._closing

    def send(self, msg: Outgoing) -> bool:
        """Send one message now, or queue it behind what waits; never blocks.

        False when the connection is closing (or was just dropped as a slow
        consumer), so the message will never arrive.
        """
        if self._closing:
            return False
        if self.outbox.bytes:
            self.outbox.push(msg)
            if self.outbox.bytes > self.outbox_bytes:
                self.close_now(*SLOW_CONSUMER_CLOSE)
                return False
            return True
        # The hot path of every broadcast, written out: one shared frame, one syscall.
        frame = msg.frame(self.deflater)
        try:
            sent = self.sock.send(frame)
        except BlockingIOError:
            sent = 0
        except OSError:
            self.abort()
            return True
        if sent < len(frame):
            self.outbox.keep_tail(frame, sent)
            self._start_writer()
        return True

    def send_raw(self, frame: bytes) -> None:
        """Send bytes that are already framed (handshake answer, pong, close)."""
        if self.outbox:
            self.outbox.push(frame)
        else:
            self._write(frame)

    def _write(self, frame: bytes) -> None:
        sent = self._try_send(frame)
        if sent < len(frame):
            self.outbox.keep_tail(frame, sent)
            self._start_writer()

    def _try_send(self, data: bytes | memoryview) -> int:
        if self.aborted:
            return len(data)
        try:
            return self.sock.send(data)
        except BlockingIOError:
            return 0
        except OSError:
            # The peer is gone: reading will see it too; nothing more can be written.
            self.abort()
            return len(data)

    def _start_writer(self) -> None:
        if not self._writing:
            self._writing = True
            self.writers.start_soon(self._drain)

    async def _drain(self) -> None:
        try:
            while self.outbox and not self.aborted:
                chunk = self.outbox.next_chunk(self.deflater)
                sent = self._try_send(chunk)
                self.outbox.sent(sent)
                if sent < len(chunk):
                    with trio.move_on_after(self.stall_s) as waited:
                        await trio.lowlevel.wait_writable(self.sock)
                    if waited.cancelled_caught:
                        # Nothing left in stall_s: a client that does not read is dropped
                        # whatever its socket buffers still hold.
                        self.close_code = self.close_code or SLOW_CONSUMER_CLOSE
                        self.abort()
        except trio.ClosedResourceError:
            pass
        finally:
            self._writing = False
            if self._drained is not None:
                self._drained.set()

    # ------------------------------------------------------------ closing

    def close(self, code: int, reason: str = "") -> None:
        """Close after everything queued: our close frame, then the client's answer."""
        if self._closing:
            return
        self._closing = True
        self.close_code = (code, reason)
        self._send_close(code, reason)
        self._limit_time(self.close_timeout_s)

    def _send_close(self, code: int, reason: str) -> None:
        if not self._close_sent:
            self._close_sent = True
            payload = b"" if code == NO_STATUS else close_payload(code, reason)
            self.send_raw(encode_frame(payload, OP_CLOSE))

    def close_now(self, code: int, reason: str = "") -> None:
        """Close at once: what waits is dropped (a frame half written is finished)."""
        self.outbox.drop_waiting()
        self.close(code, reason)

    def _limit_time(self, seconds: float) -> None:
        if self._scope is not None:
            self._scope.deadline = min(self._scope.deadline, trio.current_time() + seconds)

    def abort(self) -> None:
        """Drop the connection now (a reset, so the kernel frees its buffers at once)."""
        if self.aborted:
            return
        self.aborted = True
        self._closing = True
        self.outbox.drop_waiting()
        self.outbox.tail = memoryview(b"")
        self.outbox.bytes = 0
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        trio.lowlevel.notify_closing(self.sock)
        self.sock.close()

    # ------------------------------------------------------------ receiving

    async def receive(self) -> str | bytes:
        """The next whole message from the client.

        Raises ConnectionClosed once the connection is finished. After we
        started closing, the client's messages are read and discarded.
        """
        while True:
            if self._inbox:
                return self._inbox.popleft()
            if self._done or self.aborted:
                raise self._closed()
            await self._read()

    def _closed(self) -> ConnectionClosed:
        if self._peer_close is not None:
            return ConnectionClosed(*self._peer_close)
        if self.close_code is not None and not self.aborted:
            return ConnectionClosed(*self.close_code)
        return ConnectionClosed(ABNORMAL, "")

    async def _read(self) -> None:
        try:
            await trio.lowlevel.wait_readable(self.sock)
        except trio.ClosedResourceError:  # aborted meanwhile
            return
        try:
            n = self.sock.recv_into(_recv_buffer)
        except BlockingIOError:
            return
        except OSError:
            n = 0
        if n == 0:
            self._done = True
            return
        if self.reader is not None:
            self.take(bytes(_recv_view[:n]))

    def take(self, data: bytes) -> None:
        """Parse what the client sent: messages wait for :meth:`receive`."""
        assert self.reader is not None
        try:
            events = self.reader.feed(data)
        except ProtocolError as exc:
            # Our close frame names the violation (1002, 1007, 1009); what the client
            # sends after it is read and dropped until it closes or the time is up.
            self.reader = None
            self.close_now(exc.code, exc.reason)
            return
        for event in events:
            if isinstance(event, str | bytes):
                if not self._closing:
                    self._inbox.append(event)
            elif isinstance(event, Ping):
                if not self._closing:
                    self.send_raw(encode_frame(event.payload, OP_PONG))
            else:
                self._on_close(event)

    def _on_close(self, event: Close) -> None:
        self._peer_close = (event.code, event.reason)
        if not self._close_sent:
            # The client closes first: answer with its code; the close is then complete.
            self.close_code = self.close_code or self._peer_close
            self._closing = True
            self._send_close(event.code, event.reason)
        self._done = True

    async def finish(self) -> None:
        """Complete the close: our frame out, the client's answer in, then the socket shut.

        After a protocol violation the client's bytes can no longer be parsed, so
        its close frame cannot be seen: once our close frame is out, our side of
        the TCP connection is shut, and the client's end of the stream ends the
        wait. Bounded by the close timeout (set when closing began) and by the
        scope the server runs the connection in.
        """
        if not self._closing:
            self.close(1000, "")
        try:
            if self.reader is None and not self.aborted:
                await self._flushed()
                with contextlib.suppress(OSError):
                    self.sock.shutdown(socket.SHUT_WR)
            while not (self._done or self.aborted):
                self._inbox.clear()
                await self._read()
            # Let the last frames (our close answer) leave before the socket shuts.
            await self._flushed()
        finally:
            self.release()

    async def _flushed(self) -> None:
        if self.outbox and not self.aborted:
            self._drained = trio.Event()
            self._start_writer()
            await self._drained.wait()

    def release(self) -> None:
        """Close the socket: cleanly when the close handshake is done, else with a reset."""
        if self.aborted:
            return
        if not self._done or self.outbox:
            self.abort()
            return
        self.aborted = True
        trio.lowlevel.notify_closing(self.sock)
        self.sock.close()

    def run_in(self, scope: trio.CancelScope) -> None:
        """The scope the connection's task runs in: closing bounds its deadline."""
        self._scope = scope
        if self._closing:
            self._limit_time(self.close_timeout_s)
