"""The front door: one port for HTTP (hypercorn) and WebSockets (drawgame's transport).

Every accepted connection is looked at once: when its first request line
asks for ``GET /ws/...``, drawgame's own transport takes the socket (wsproto
for the handshake and the frames, the socket written directly); anything
else goes to hypercorn's trio server with the bytes already read put back in
front, so HTTP behaves exactly as hypercorn alone. A WebSocket upgrade must
be the first request on its connection (browsers open a new one for every
WebSocket; proxies must not reuse a kept-alive upstream connection for it:
deploy/ shows how); a later one on a kept-alive HTTP connection is answered
426 by the app.

Bounds: concurrent HTTP connections (including WebSockets not yet past
their handshake) are capped below the descriptor limit, leaving room for the
WebSockets, and capped per client address (an IPv6 /64 counts as one
address), so that one address cannot take the whole budget: past its share a
new connection is answered 429 at once, without taking a slot. A client's
end of stream closes its connection at once (hypercorn's trio server would
keep an idle keep-alive connection in CLOSE-WAIT until its keep-alive
timer). The soft descriptor limit is raised to the hard one at start. A
graceful stop has one deadline for everything.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import re
import resource
import socket
from collections import Counter
from dataclasses import dataclass
from typing import Any, Protocol

import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio.lifespan import Lifespan
from hypercorn.trio.tcp_server import TCPServer
from hypercorn.trio.worker_context import WorkerContext
from hypercorn.typing import ConnectionState
from hypercorn.utils import wrap_app

from drawgame.config import Config
from drawgame.logs import event, get_logger
from drawgame.stats import Stats
from drawgame.transport.frames import Deflater
from drawgame.transport.handshake import HandshakeError, HeadParser, UpgradeRequest, accept, reject
from drawgame.transport.inbound import FrameReader, negotiate
from drawgame.transport.websocket import ConnectionClosed, WebSocket
from drawgame.web.middleware import SECURITY_HEADERS

log = get_logger("server")

WS_REQUEST_LINE = rb"^GET (?:/w/[A-Za-z0-9-]{1,16})?/ws/"


def ws_request_line(root_path: str) -> re.Pattern[bytes]:
    """A request line for drawgame's WebSocket transport: ``/ws/...`` under the root path
    (``DRAWGAME_ROOT_PATH``); outside it the app answers 404."""
    return re.compile(WS_REQUEST_LINE.replace(b"^GET ", b"^GET " + re.escape(root_path.encode())))
MAX_REQUEST_LINE = 8192
HANDSHAKE_TIMEOUT_S = 10.0
CLOSE_TIMEOUT_S = 3.0
SEND_BUFFER_BYTES = 128 * 1024
"""The kernel's send buffer of a WebSocket (autotuning would let it grow to megabytes)."""
DESCRIPTORS_RESERVED = 64
"""Descriptors kept for everything that is not a client socket: the database, logs."""
HEADERS = {name.decode(): value.decode() for name, value in SECURITY_HEADERS}
BUSY_ANSWER = reject(503, "server_busy", "too many connections; try again shortly",
                     {"Retry-After": "2", **HEADERS})
PER_IP_ANSWER = reject(429, "too_many_connections",
                       "too many open connections from your address; close some and try again",
                       {"Retry-After": "2", **HEADERS})
PER_IP_SHARE = 8
"""One address may hold at most this fraction of the HTTP budget (1/8)."""
PER_IP_FLOOR = 16
"""...but never fewer connections than this."""


class WebSocketEndpoint(Protocol):
    """What the front door needs from the game's WebSocket side (web/ws.py)."""

    def check(self, request: UpgradeRequest) -> None:
        """Raise HandshakeError for a request that must be refused before the handshake."""

    async def serve(self, ws: WebSocket, request: UpgradeRequest) -> None:
        """Run the open WebSocket until it closes."""


@dataclass(frozen=True)
class Caps:
    """Connection bounds, derived from the settings and the descriptor limit."""

    descriptors: int
    http: int
    websockets: int
    http_per_ip: int
    """Open HTTP (and not yet upgraded) connections of one client address; 0: no cap
    (behind a proxy, whose own address every connection has)."""

    @classmethod
    def for_config(cls, config: Config) -> Caps:
        descriptors = raise_descriptor_limit()
        room = max(32, descriptors - DESCRIPTORS_RESERVED)
        http = min(config.max_http_connections, max(16, room // 4))
        websockets = min(config.max_connections, max(16, room - http))
        per_ip = min(config.max_http_connections_per_ip, max(PER_IP_FLOOR, http // PER_IP_SHARE))
        return cls(descriptors, http, websockets, 0 if config.trust_proxy_headers else per_ip)


def raise_descriptor_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard limit where allowed; return the soft one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft


def address_key(peer: str) -> str:
    """What one client address is for the per-address cap: the address itself, or an
    IPv6 address's /64 (one subscriber's whole prefix)."""
    try:
        ip = ipaddress.ip_address(peer)
    except ValueError:
        return peer
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return peer


class _TCPServer(TCPServer):
    """Hypercorn's trio server, but a connection ends at the client's end of stream.

    Hypercorn's reader stops at the FIN, yet the keep-alive timer task of an
    idle connection keeps the connection (its slot, its descriptor, the
    socket in CLOSE-WAIT) for the whole keep-alive time. Once the client has
    closed its side, no further request can come: the timer is stopped, and
    a response still being sent completes as before.
    """

    async def _read_data(self) -> None:
        await super()._read_data()
        await self.idle_task.stop()


class PrefixedStream(trio.abc.HalfCloseableStream):
    """A socket stream that first yields bytes already read from it (for hypercorn)."""

    def __init__(self, stream: trio.SocketStream, prefix: bytes) -> None:
        self._stream = stream
        self._prefix = prefix
        self.socket = stream.socket

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        if self._prefix:
            data, self._prefix = self._prefix, b""
            await trio.lowlevel.checkpoint()
            return data
        return await self._stream.receive_some(max_bytes)

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        await self._stream.send_all(data)

    async def wait_send_all_might_not_block(self) -> None:
        await self._stream.wait_send_all_might_not_block()

    async def send_eof(self) -> None:
        await self._stream.send_eof()

    async def aclose(self) -> None:
        await self._stream.aclose()


def bind(config: Config) -> list[socket.socket]:
    """Listening sockets for the configured host and port (all its addresses)."""
    sockets: list[socket.socket] = []
    port = config.port
    for family, kind, proto, _, address in socket.getaddrinfo(
        config.host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    ):
        sock = socket.socket(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            # Port 0: every address of the host gets the port the first one was given.
            sock.bind((address[0], port, *address[2:]))
            sock.listen(1024)
            sock.setblocking(False)
        except OSError:
            sock.close()
            if sockets:
                continue
            raise
        port = sock.getsockname()[1]
        sockets.append(sock)
    return sockets


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if sock.family == socket.AF_INET6 else f"http://{host}:{port}"


class FrontDoor:
    """Accepts connections on the public port and gives each to HTTP or to the WebSockets."""

    def __init__(self, config: Config, app: Any, hypercorn: HypercornConfig,
                 websockets: WebSocketEndpoint, caps: Caps, stats: Stats | None = None) -> None:
        self.config = config
        self.hypercorn = hypercorn
        self.app = wrap_app(app, hypercorn.wsgi_max_body_size, "asgi")
        self.websockets = websockets
        self.ws_request_line = ws_request_line(config.root_path)
        self.caps = caps
        self.stats = stats or Stats()
        self.context = WorkerContext(None)
        self.lifespan_state: dict[str, Any] = {}
        self.deflater = Deflater(config.deflate_min_bytes) if config.deflate else None
        self.by_address: Counter[str] = Counter()
        """Open HTTP (and not yet upgraded) connections per client address."""
        self.ws_open = 0
        self._accepting = trio.CancelScope()
        self._connections: trio.Nursery | None = None

    async def serve(self, *, task_status: trio.TaskStatus[list[str]] = trio.TASK_STATUS_IGNORED
                    ) -> None:
        """Serve until :meth:`shutdown`; report the bound URLs when listening."""
        listeners = bind(self.config)
        try:
            lifespan = Lifespan(self.app, self.hypercorn, self.lifespan_state)
            async with trio.open_nursery() as lifespan_nursery:
                await lifespan_nursery.start(lifespan.handle_lifespan)
                await lifespan.wait_for_startup()
                async with trio.open_nursery() as connections:
                    self._connections = connections
                    with self._accepting:
                        async with trio.open_nursery() as accepting:
                            for sock in listeners:
                                accepting.start_soon(self._accept_loop, sock, connections)
                            task_status.started([url_of(s) for s in listeners])
                    for sock in listeners:
                        sock.close()
                await lifespan.wait_for_shutdown()
                lifespan_nursery.cancel_scope.cancel()
        finally:
            for sock in listeners:
                sock.close()

    @property
    def http_open(self) -> int:
        """Open HTTP connections, with WebSockets not yet past their handshake."""
        return self.stats.http_connections

    async def shutdown(self, deadline: float) -> None:
        """Stop taking connections; what is open gets until ``deadline``, then is cut."""
        self._accepting.cancel()
        await self.context.terminated.set()  # hypercorn: idle keep-alive connections close
        if self._connections is not None:
            self._connections.cancel_scope.deadline = deadline

    # ------------------------------------------------------------ accepting

    async def _accept_loop(self, listener: socket.socket, connections: trio.Nursery) -> None:
        while True:
            await trio.lowlevel.wait_readable(listener)
            while True:
                try:
                    sock, address = listener.accept()
                except BlockingIOError:
                    break
                except OSError as exc:
                    if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                        event(log, logging.WARNING, "accept_failed", error=str(exc))
                        await trio.sleep(0.1)
                        break
                    if exc.errno in (errno.ECONNABORTED, errno.EPROTO):
                        continue
                    raise
                peer = _peer(address)
                key = address_key(peer)
                if self.http_open >= self.caps.http:
                    self.stats.http_refused["busy"] += 1
                    _answer_and_close(sock, BUSY_ANSWER)
                    continue
                if self.caps.http_per_ip and self.by_address[key] >= self.caps.http_per_ip:
                    self.stats.http_refused["per_address"] += 1
                    _answer_and_close(sock, PER_IP_ANSWER)
                    continue
                sock.setblocking(False)
                if sock.family in (socket.AF_INET, socket.AF_INET6):
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                slot = self._take_slot(key)
                connections.start_soon(self._connection, sock, peer, slot)

    def _take_slot(self, key: str) -> _Slot:
        self.stats.http_connections += 1
        self.by_address[key] += 1
        return _Slot(self, key)

    def _free_slot(self, key: str) -> None:
        self.stats.http_connections -= 1
        self.by_address[key] -= 1
        if self.by_address[key] <= 0:
            del self.by_address[key]

    async def _connection(self, sock: socket.socket, peer: str, slot: _Slot) -> None:
        try:
            first = await _read_request_line(sock, self.config.http_keep_alive_s)
            if not first:
                return
            if self.ws_request_line.match(first):
                await self._websocket(sock, peer, first, slot)
            else:
                await self._http(sock, first)
                sock = None  # type: ignore[assignment]  # the stream closed it
        except OSError:
            pass
        finally:
            slot.free()
            if sock is not None and sock.fileno() != -1:
                trio.lowlevel.notify_closing(sock)
                sock.close()

    async def _http(self, sock: socket.socket, first: bytes) -> None:
        stream = PrefixedStream(trio.SocketStream(trio.socket.from_stdlib_socket(sock)), first)
        server = _TCPServer(self.app, self.hypercorn, self.context,
                            ConnectionState(self.lifespan_state.copy()), stream)  # type: ignore[arg-type]
        await server.run()

    # ------------------------------------------------------------ websockets

    async def _websocket(self, sock: socket.socket, peer: str, first: bytes, slot: _Slot
                         ) -> None:
        self.ws_open += 1
        try:
            request = await self._handshake(sock, first)
            if request is None:
                return
            slot.free()  # upgraded: from now on the WebSocket limits apply
            # A client that stops reading holds at most this much in the kernel (plus
            # the outbox) before it counts as a slow consumer.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
            agreed = negotiate(request.extensions) if self.deflater else None
            reader = FrameReader(self.config.max_frame_bytes, deflate=agreed is not None)
            ws = WebSocket(sock, reader, peer=peer,
                           deflater=self.deflater if agreed else None,
                           writers=self._connections or _never(),
                           outbox_bytes=self.config.outbox_bytes,
                           stall_s=self.config.slow_consumer_s,
                           close_timeout_s=CLOSE_TIMEOUT_S)
            ws.send_raw(accept(request, agreed))
            await self._run_websocket(ws, request)
            sock = None  # type: ignore[assignment]  # the WebSocket closed it
        finally:
            self.ws_open -= 1
            if sock is not None and sock.fileno() != -1:
                trio.lowlevel.notify_closing(sock)
                sock.close()

    async def _handshake(self, sock: socket.socket, first: bytes) -> UpgradeRequest | None:
        parser = HeadParser()
        try:
            with trio.fail_after(HANDSHAKE_TIMEOUT_S):
                request = parser.feed(first)
                while request is None:
                    data = await _recv(sock)
                    if not data:
                        parser.end_of_input()
                    request = parser.feed(data)
            self.websockets.check(request)
        except trio.TooSlowError:
            return None
        except HandshakeError as refused:
            _answer_and_close(sock, reject(refused.status, refused.code, refused.message,
                                           HEADERS))
            return None
        return request

    async def _run_websocket(self, ws: WebSocket, request: UpgradeRequest) -> None:
        try:
            with trio.CancelScope() as scope:
                ws.run_in(scope)
                if request.trailing:
                    ws.take(request.trailing)
                try:
                    await self.websockets.serve(ws, request)
                except ConnectionClosed:
                    pass
                await ws.finish()
        finally:
            ws.release()


class _Slot:
    """One connection's place in the HTTP budget and in its address's share, freed once
    (when the connection ends, or when it becomes a WebSocket)."""

    def __init__(self, door: FrontDoor, key: str) -> None:
        self.door = door
        self.key: str | None = key

    def free(self) -> None:
        if self.key is not None:
            self.door._free_slot(self.key)
            self.key = None


async def _recv(sock: socket.socket) -> bytes:
    while True:
        try:
            return sock.recv(MAX_REQUEST_LINE)
        except BlockingIOError:
            await trio.lowlevel.wait_readable(sock)


async def _read_request_line(sock: socket.socket, timeout_s: float) -> bytes:
    """Bytes up to the end of the first request line (or more); b"" if none came in time."""
    data = b""
    with trio.move_on_after(timeout_s):
        while b"\n" not in data and len(data) < MAX_REQUEST_LINE:
            chunk = await _recv(sock)
            if not chunk:
                return b""
            data += chunk
        return data
    return b""


def _answer_and_close(sock: socket.socket, answer: bytes) -> None:
    """Best effort: write a short answer without waiting, then close."""
    try:
        sock.setblocking(False)
        sock.send(answer)
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    trio.lowlevel.notify_closing(sock)
    sock.close()


def _peer(address: Any) -> str:
    return str(address[0]) if isinstance(address, tuple) else "unix"


def _never() -> trio.Nursery:
    raise RuntimeError("WebSockets are served only while the server runs")
