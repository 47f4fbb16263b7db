"""Raw WebSocket frames for tests: whatever a client may send, valid or not.

The real clients (trio-websocket, `websockets`, Chromium) only send what is
valid; these helpers build any frame (unmasked, fragmented, reserved bits,
bad opcodes, compressed) and read the server's frames back off a plain
socket, so the transport's answers to hostile input can be checked.
"""

from __future__ import annotations

import base64
import json
import os
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

import trio


def client_frame(payload: bytes, opcode: int = 0x1, *, fin: bool = True, mask: bool = True,
                 rsv: int = 0, length: int | None = None) -> bytes:
    """One client frame; ``length`` overrides the declared payload length."""
    n = len(payload) if length is None else length
    head = bytes([(0x80 if fin else 0) | rsv | opcode])
    bit = 0x80 if mask else 0
    if n < 126:
        head += bytes([bit | n])
    elif n < 65536:
        head += bytes([bit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([bit | 127]) + struct.pack("!Q", n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def text(msg: dict[str, Any] | str, **kw: Any) -> bytes:
    data = msg if isinstance(msg, str) else json.dumps(msg)
    return client_frame(data.encode(), **kw)


def deflated(data: bytes) -> bytes:
    """A permessage-deflate payload (the 00 00 ff ff tail left off)."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return (c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH))[:-4]


@dataclass
class ServerFrame:
    opcode: int
    payload: bytes
    compressed: bool

    @property
    def close_code(self) -> int | None:
        if self.opcode != 0x8:
            return None
        return struct.unpack("!H", self.payload[:2])[0] if len(self.payload) >= 2 else 1005

    def json(self) -> Any:
        return json.loads(self.payload)


@dataclass
class RawClient:
    """A plain socket after the handshake; frames are read one at a time."""

    sock: trio.SocketStream
    response: bytes
    buffer: bytes = b""
    inflater: Any = field(default_factory=lambda: zlib.decompressobj(-15))
    eof: bool = False

    @property
    def extensions(self) -> str:
        for line in self.response.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "sec-websocket-extensions":
                return value.strip()
        return ""

    async def send(self, data: bytes) -> None:
        await self.sock.send_all(data)

    async def _fill(self, n: int) -> bool:
        while len(self.buffer) < n:
            try:
                chunk = await self.sock.receive_some(65536)
            except trio.BrokenResourceError:
                chunk = b""
            if not chunk:
                self.eof = True
                return False
            self.buffer += chunk
        return True

    async def frame(self) -> ServerFrame | None:
        """The next server frame (None at the end of the stream)."""
        if not await self._fill(2):
            return None
        b0, b1 = self.buffer[0], self.buffer[1]
        assert not b1 & 0x80, "server frames are never masked"
        n, head = b1 & 0x7F, 2
        if n == 126:
            await self._fill(4)
            n, head = struct.unpack("!H", self.buffer[2:4])[0], 4
        elif n == 127:
            await self._fill(10)
            n, head = struct.unpack("!Q", self.buffer[2:10])[0], 10
        if not await self._fill(head + n):
            return None
        payload, self.buffer = self.buffer[head:head + n], self.buffer[head + n:]
        compressed = bool(b0 & 0x40)
        if compressed:
            payload = self.inflater.decompress(payload + b"\x00\x00\xff\xff")
        return ServerFrame(b0 & 0x0F, payload, compressed)

    async def messages(self, kind: str | None = None) -> dict[str, Any]:
        """The next JSON message (of ``kind``), flattening batches; control frames skipped."""
        while True:
            frame = await self.frame()
            assert frame is not None, "the stream ended"
            assert frame.opcode != 0x8, f"closed with {frame.close_code}"
            if frame.opcode != 0x1:
                continue
            data = frame.json()
            for msg in data if isinstance(data, list) else [data]:
                if kind is None or msg.get("type") == kind:
                    return dict(msg)

    async def close_frame(self) -> ServerFrame:
        """Read until the server's close frame; text frames before it are skipped."""
        while True:
            frame = await self.frame()
            assert frame is not None, "the stream ended without a close frame"
            if frame.opcode == 0x8:
                return frame

    async def until_eof(self) -> None:
        """Read and drop everything until the server closes the TCP connection."""
        while await self.frame() is not None:
            pass


async def open_raw(url: str, path: str, *, deflate: bool = False,
                   headers: dict[str, str] | None = None) -> RawClient:
    """Connect and upgrade ``path`` on the server at ``url`` (http://host:port)."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    sock = await trio.open_tcp_stream(host, int(port))
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Upgrade: websocket",
             "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
    if deflate:
        lines.append("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits")
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    await sock.send_all(("\r\n".join(lines) + "\r\n\r\n").encode())
    response = b""
    while b"\r\n\r\n" not in response:
        chunk = await sock.receive_some(4096)
        assert chunk, f"no answer to the upgrade: {response!r}"
        response += chunk
    head, _, rest = response.partition(b"\r\n\r\n")
    return RawClient(sock, head, rest)
