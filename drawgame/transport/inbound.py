"""Client frames in, whole messages out: RFC 6455 section 5 for a server (no I/O here).

:class:`FrameReader` takes the bytes a client sent and returns what they
mean: complete messages (``str`` for text, ``bytes`` for binary), pings, and
the client's close. Anything else the RFC forbids raises
:class:`ProtocolError` with the close code to answer: 1002 for a protocol
violation (an unmasked frame, a reserved bit or opcode, a control frame
fragmented or too long, a continuation out of place, a bad close frame),
1007 for text that is not UTF-8, 1009 for a message past the limit.

Sizes are bounded before anything is buffered: a frame that declares more
payload than the limit allows is refused on its header, so a client can
never make the server hold more than ``max_bytes`` (plus one frame header)
of one message. With permessage-deflate the limit applies to the inflated
bytes: inflating is incremental and stops at the limit, so a small frame
that would inflate to hundreds of megabytes costs no more than ``max_bytes``
of output; the compressed input of one message is bounded too (empty deflate
blocks inflate to nothing and would otherwise never reach the limit).

Negotiation (:func:`negotiate`): the server answers
``server_no_context_takeover; client_no_context_takeover``, so every
compressed message stands alone in both directions: the server compresses a
broadcast once for every recipient (frames.Deflater), and a connection
keeps no inflate state between messages (an idle player costs no zlib memory).

Written here rather than taken from wsproto, which drawgame used first:
measured on this machine, wsproto's frame parser took 13 µs for a
150-byte draw frame, this one about 2 µs, and the relay of strokes parses
thousands a second.
"""

from __future__ import annotations

import zlib

from drawgame.transport.frames import DEFLATE_TAIL, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT

OP_CONTINUATION = 0x0
OP_BINARY = 0x2
PROTOCOL_ERROR_CLOSE = 1002
INVALID_DATA_CLOSE = 1007
TOO_BIG_CLOSE = 1009
NO_STATUS = 1005
PERMESSAGE_DEFLATE = "permessage-deflate"
COMPRESSED_INPUT_FACTOR = 2
"""A compressed message may carry at most this many times ``max_bytes`` of input."""
MAX_CONTROL_PAYLOAD = 125
_CLOSE_CODES_NEVER_SENT = frozenset({1004, 1005, 1006, 1015})


class ProtocolError(Exception):
    """The client broke the protocol: close with ``code``."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason


class Ping:
    __slots__ = ("payload",)

    def __init__(self, payload: bytes) -> None:
        self.payload = payload


class Close:
    """The client's close frame (``code`` 1005 when it carried none)."""

    __slots__ = ("code", "reason")

    def __init__(self, code: int, reason: str) -> None:
        self.code = code
        self.reason = reason


Event = str | bytes | Ping | Close


def unmask(data: bytes, mask: bytes) -> bytes:
    """XOR the payload with the repeated 4-byte mask (as big integers: one C loop each)."""
    n = len(data)
    if n == 0:
        return b""
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(key, "little")).to_bytes(n, "little")


def negotiate(offers: list[str]) -> str | None:
    """The Sec-WebSocket-Extensions answer to a client's offers, or None (no deflate)."""
    known = {"server_no_context_takeover", "client_no_context_takeover",
             "server_max_window_bits", "client_max_window_bits"}
    for offer in offers:
        name, *params = (part.strip() for part in offer.split(";"))
        if name.lower() != PERMESSAGE_DEFLATE:
            continue
        values = {}
        for param in params:
            key, _, value = param.partition("=")
            values[key.strip().lower()] = value.strip().strip('"')
        if set(values) - known:
            continue
        # The shared compressor uses the full window: a client that wants a smaller one
        # gets plain frames (this offer is declined; a later one may fit).
        bits = values.get("server_max_window_bits")
        if bits and bits != str(zlib.MAX_WBITS):
            continue
        return f"{PERMESSAGE_DEFLATE}; server_no_context_takeover; client_no_context_takeover"
    return None


class FrameReader:
    """Parses one connection's client frames; see the module docstring."""

    __slots__ = ("_buffer", "_closed", "_compressed", "_deflate", "_inflater", "_max",
                 "_opcode", "_parts", "_raw", "_size")

    def __init__(self, max_bytes: int, deflate: bool = False) -> None:
        self._max = max_bytes
        self._deflate = deflate
        self._buffer = b""
        self._closed = False
        self._opcode: int | None = None
        """The opcode of the message being received in fragments, if any."""
        self._parts: list[bytes] = []
        self._size = 0
        self._raw = 0
        self._compressed = False
        self._inflater: zlib._Decompress | None = None

    def feed(self, data: bytes) -> list[Event]:
        """Take received bytes; return the events they complete, in order."""
        if self._closed:
            return []
        buf = self._buffer + data if self._buffer else data
        events: list[Event] = []
        pos, end = 0, len(buf)
        while end - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            if not b1 & 0x80:
                raise ProtocolError(PROTOCOL_ERROR_CLOSE, "client frames must be masked")
            length = b1 & 0x7F
            head = 2
            if length == 126:
                if end - pos < 4:
                    break
                length = int.from_bytes(buf[pos + 2:pos + 4], "big")
                head = 4
            elif length == 127:
                if end - pos < 10:
                    break
                length = int.from_bytes(buf[pos + 2:pos + 10], "big")
                head = 10
            self._check_header(b0, length)
            start = pos + head + 4
            if end - start < length:
                break
            payload = unmask(buf[start:start + length], buf[pos + head:start])
            pos = start + length
            event = self._frame(b0, payload)
            if event is not None:
                events.append(event)
                if isinstance(event, Close):
                    self._closed = True
                    break
        self._buffer = buf[pos:] if pos < end else b""
        return events

    def _check_header(self, b0: int, length: int) -> None:
        opcode = b0 & 0x0F
        if opcode >= 0x8:
            if not b0 & 0x80 or length > MAX_CONTROL_PAYLOAD:
                raise ProtocolError(PROTOCOL_ERROR_CLOSE, "control frames must be whole and short")
            if b0 & 0x70:
                raise ProtocolError(PROTOCOL_ERROR_CLOSE, "reserved bits set on a control frame")
            return
        if b0 & 0x30 or (b0 & 0x40 and (not self._deflate or opcode == OP_CONTINUATION)):
            raise ProtocolError(PROTOCOL_ERROR_CLOSE, "reserved bits set")
        compressed = bool(b0 & 0x40) or (opcode == OP_CONTINUATION and self._compressed)
        limit = self._max * (COMPRESSED_INPUT_FACTOR if compressed else 1)
        if (self._raw if compressed else self._size) + length > limit:
            raise ProtocolError(TOO_BIG_CLOSE, "message too big")

    def _frame(self, b0: int, payload: bytes) -> Event | None:
        opcode = b0 & 0x0F
        if opcode >= 0x8:
            return self._control(opcode, payload)
        if opcode == OP_CONTINUATION:
            if self._opcode is None:
                raise ProtocolError(PROTOCOL_ERROR_CLOSE, "a continuation frame with no message")
        elif opcode in (OP_TEXT, OP_BINARY):
            if self._opcode is not None:
                raise ProtocolError(PROTOCOL_ERROR_CLOSE, "a new message before the last one ended")
            self._opcode = opcode
            self._compressed = bool(b0 & 0x40)
        else:
            raise ProtocolError(PROTOCOL_ERROR_CLOSE, f"reserved opcode {opcode:#x}")
        if self._compressed:
            self._raw += len(payload)
            payload = self._inflate(payload)
        else:
            self._size += len(payload)
        if not b0 & 0x80:
            self._parts.append(payload)
            return None
        return self._message(payload)

    def _message(self, last: bytes) -> str | bytes:
        if self._compressed:
            last += self._inflate(DEFLATE_TAIL)
            self._inflater = None  # client_no_context_takeover: nothing carries over
        data = b"".join((*self._parts, last)) if self._parts else last
        opcode = self._opcode
        self._opcode, self._parts, self._size, self._raw = None, [], 0, 0
        self._compressed = False
        if opcode == OP_BINARY:
            return data
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError(INVALID_DATA_CLOSE, "text that is not UTF-8") from None

    def _inflate(self, data: bytes) -> bytes:
        if self._inflater is None:
            self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        room = self._max - self._size
        try:
            out = self._inflater.decompress(data, room + 1)
        except zlib.error:
            raise ProtocolError(INVALID_DATA_CLOSE,
                                "compressed data that does not inflate") from None
        self._size += len(out)
        if self._size > self._max or self._inflater.unconsumed_tail:
            raise ProtocolError(TOO_BIG_CLOSE, "message too big")
        return out

    def _control(self, opcode: int, payload: bytes) -> Event | None:
        if opcode == OP_PING:
            return Ping(payload)
        if opcode == OP_PONG:
            return None
        if opcode != OP_CLOSE:
            raise ProtocolError(PROTOCOL_ERROR_CLOSE, f"reserved opcode {opcode:#x}")
        if not payload:
            return Close(NO_STATUS, "")
        if len(payload) == 1:
            raise ProtocolError(PROTOCOL_ERROR_CLOSE, "a close frame with one byte")
        code = int.from_bytes(payload[:2], "big")
        if not (1000 <= code <= 1014 or 3000 <= code <= 4999) or code in _CLOSE_CODES_NEVER_SENT:
            raise ProtocolError(PROTOCOL_ERROR_CLOSE, f"close code {code} is not allowed")
        try:
            reason = payload[2:].decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError(INVALID_DATA_CLOSE, "a close reason that is not UTF-8") from None
        return Close(code, reason)
