"""Server frames, built once and shared by every recipient (no I/O here).

A server message is serialized to JSON once (:class:`Outgoing`); its frame,
plain or compressed with permessage-deflate, is built the first time a
recipient needs it and the same bytes object goes to every other recipient.
Compression uses no context takeover (a full flush after each message), so
one compressed frame is valid for every client, whatever it decoded before.
"""

from __future__ import annotations

import struct
import zlib

OP_TEXT = 0x1
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA
FIN = 0x80
RSV1 = 0x40
DEFLATE_TAIL = b"\x00\x00\xff\xff"
"""What a sync or full flush ends with; permessage-deflate leaves it off the wire."""
MAX_CLOSE_REASON = 123
"""A close frame's payload is at most 125 bytes: the code and this much reason."""


def frame_header(length: int, opcode: int = OP_TEXT, compressed: bool = False) -> bytes:
    """The header of a final, unmasked frame of ``length`` payload bytes."""
    first = FIN | opcode | (RSV1 if compressed else 0)
    if length < 126:
        return bytes((first, length))
    if length < 65536:
        return struct.pack("!BBH", first, 126, length)
    return struct.pack("!BBQ", first, 127, length)


def encode_frame(payload: bytes, opcode: int = OP_TEXT, compressed: bool = False) -> bytes:
    return frame_header(len(payload), opcode, compressed) + payload


def close_payload(code: int, reason: str) -> bytes:
    """A close frame's payload: the code, then the reason cut to fit, on a character."""
    data = reason.encode("utf-8")
    if len(data) > MAX_CLOSE_REASON:
        data = data[:MAX_CLOSE_REASON].decode("utf-8", "ignore").encode("utf-8")
    return struct.pack("!H", code) + data


class Deflater:
    """permessage-deflate for server messages, shared by every connection.

    Each message is compressed on its own (a full flush resets the window), so
    the frame suits any client: those that keep a context and those that
    asked for ``server_no_context_takeover``. Messages shorter than
    ``min_bytes`` are not worth the CPU and go out plain.
    """

    def __init__(self, min_bytes: int = 256, level: int = 6) -> None:
        self.min_bytes = min_bytes
        self._compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)

    def compress(self, data: bytes) -> bytes | None:
        """The compressed payload, or None when it would not be smaller."""
        out = self._compressor.compress(data) + self._compressor.flush(zlib.Z_FULL_FLUSH)
        out = out[: -len(DEFLATE_TAIL)]
        return out if len(out) < len(data) else None


class Outgoing:
    """One server message: its JSON once, each frame variant at most once.

    ``kind`` is the message's ``type`` (the metrics count frames by it; a
    batch is ``"batch"``).
    """

    __slots__ = ("_deflated", "_plain", "data", "kind", "size")

    def __init__(self, kind: str, text: str | bytes) -> None:
        self.kind = kind
        self.data = text.encode("utf-8") if isinstance(text, str) else text
        self.size = len(self.data)
        self._plain: bytes | None = None
        self._deflated: bytes | None = None

    def frame(self, deflater: Deflater | None) -> bytes:
        """The frame for a connection that negotiated ``deflater`` (None: plain)."""
        if deflater is not None and self.size >= deflater.min_bytes:
            if self._deflated is None:
                packed = deflater.compress(self.data)
                self._deflated = (
                    encode_frame(packed, compressed=True) if packed is not None else self.plain
                )
            return self._deflated
        return self.plain

    @property
    def plain(self) -> bytes:
        if self._plain is None:
            self._plain = encode_frame(self.data)
        return self._plain


def batch(messages: list[Outgoing]) -> Outgoing:
    """Several messages as one JSON array message (PROTOCOL.md: adaptive batching)."""
    out = Outgoing.__new__(Outgoing)
    out.kind = "batch"
    out.data = b"[" + b",".join(m.data for m in messages) + b"]"
    out.size = len(out.data)
    out._plain = None
    out._deflated = None
    return out
