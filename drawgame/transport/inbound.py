"""Client frames: wsproto parses them; this extension bounds and inflates them (no I/O).

wsproto hands every data frame's payload to its extensions as it arrives, in
pieces. :class:`MessageGuard` is the one extension every connection gets:

- it counts each message's bytes (after inflating) and stops the message at
  ``max_bytes`` with close code 1009, whatever the frames look like;
- when the client negotiated permessage-deflate, it inflates incrementally,
  never producing more than the limit: a small compressed frame that would
  inflate to hundreds of megabytes costs no more than ``max_bytes`` of
  output before the close;
- it also bounds the compressed bytes of one message (a stream of empty
  deflate blocks inflates to nothing and would never reach the limit).

Negotiation: the server answers ``server_no_context_takeover;
client_no_context_takeover``, so every compressed message in either
direction stands alone: the server compresses a broadcast once for every
recipient (frames.Deflater), and a connection keeps no inflate state between
messages (an idle player costs no zlib memory).
"""

from __future__ import annotations

import zlib

from wsproto.extensions import PerMessageDeflate
from wsproto.frame_protocol import CloseReason, FrameDecoder, FrameProtocol, Opcode, RsvBits

from drawgame.transport.frames import DEFLATE_TAIL

PERMESSAGE_DEFLATE = "permessage-deflate"
COMPRESSED_INPUT_FACTOR = 2
"""A compressed message may carry at most this many times ``max_bytes`` of input."""

Proto = FrameDecoder | FrameProtocol


def _params(offer: str) -> dict[str, str | None]:
    params: dict[str, str | None] = {}
    for part in offer.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        params[name.strip().lower()] = value.strip().strip('"') or None
    return params


class MessageGuard(PerMessageDeflate):
    """Bounds every client message in bytes; inflates permessage-deflate when negotiated."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(client_no_context_takeover=True, server_no_context_takeover=True)
        self.max_bytes = max_bytes
        self.negotiated = False
        self._out = 0
        self._in = 0

    # ------------------------------------------------------------ negotiation

    def enabled(self) -> bool:
        # Always in the frame pipeline: the size bound applies with or without deflate.
        return True

    def accept(self, offer: str) -> str | None:
        """Our answer to one permessage-deflate offer, or None to decline it."""
        params = _params(offer)
        bits = params.get("server_max_window_bits")
        if bits is not None and bits != str(zlib.MAX_WBITS):
            # The shared compressor uses the full window; a client that wants a smaller
            # one gets plain frames instead (this offer is declined, another may fit).
            return None
        known = {"server_no_context_takeover", "client_no_context_takeover",
                 "server_max_window_bits", "client_max_window_bits"}
        if set(params) - known:
            return None
        self.negotiated = True
        return "server_no_context_takeover; client_no_context_takeover"

    def negotiate(self, offers: list[str]) -> str | None:
        """The Sec-WebSocket-Extensions answer to the client's offers, if any fits."""
        for offer in offers:
            if offer.split(";", 1)[0].strip().lower() == PERMESSAGE_DEFLATE:
                answer = self.accept(offer)
                if answer is not None:
                    return f"{PERMESSAGE_DEFLATE}; {answer}"
        return None

    # ------------------------------------------------------------ inbound frames

    def frame_inbound_header(
        self, proto: Proto, opcode: Opcode, rsv: RsvBits, payload_length: int
    ) -> CloseReason | RsvBits:
        if not self.negotiated:
            return RsvBits(False, False, False)
        return super().frame_inbound_header(proto, opcode, rsv, payload_length)

    def frame_inbound_payload_data(self, proto: Proto, data: bytes) -> bytes | CloseReason:
        if opcode_is_control(proto):
            return data
        if not (self.negotiated and self._inbound_compressed and self._inbound_is_compressible):
            self._out += len(data)
            return CloseReason.MESSAGE_TOO_BIG if self._out > self.max_bytes else data
        self._in += len(data)
        if self._in > self.max_bytes * COMPRESSED_INPUT_FACTOR:
            return CloseReason.MESSAGE_TOO_BIG
        return self._inflate(data)

    def frame_inbound_complete(self, proto: Proto, fin: bool) -> bytes | CloseReason | None:
        if opcode_is_control(proto):
            return None
        if not fin:
            return None
        if self.negotiated and self._inbound_compressed and self._inbound_is_compressible:
            tail = self._inflate(DEFLATE_TAIL)
            self._decompressor = None  # client_no_context_takeover: nothing carries over
            self._inbound_compressed = None
        else:
            tail = None
            self._inbound_compressed = None
        self._out = self._in = 0
        return tail

    def _inflate(self, data: bytes) -> bytes | CloseReason:
        assert self._decompressor is not None
        room = self.max_bytes - self._out
        try:
            out = self._decompressor.decompress(data, room + 1)
        except zlib.error:
            return CloseReason.INVALID_FRAME_PAYLOAD_DATA
        self._out += len(out)
        if self._out > self.max_bytes or self._decompressor.unconsumed_tail:
            return CloseReason.MESSAGE_TOO_BIG
        return out


def opcode_is_control(proto: Proto) -> bool:
    """Whether the frame being decoded is a control frame (ping, pong, close)."""
    header = getattr(proto, "header", None)
    return header is not None and header.opcode.iscontrol()
