"""Real reverse proxies (Debian's caddy and nginx) in front of a real server, for the tests.

Each proxy runs the configuration shipped in ``deploy/`` with only what a test must
change (ports, certificate paths, the upstream, files in a temporary folder), on free
ports, with a local certificate: Caddy's own CA (``tls internal``) or one made here
with trustme for nginx. Players connect through ``wss://`` from chosen loopback
addresses (127.0.0.2, 127.0.0.3...), so the address the server sees for each can be
told apart from the proxy's.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import serverproc
import trio
import trustme
from trio_websocket import ConnectionRejected, WebSocketConnection, wrap_client_stream

from smoke.run import ROOM_SETTINGS, Player
from tests.serverproc import free_port

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
START_TIMEOUT_S = 30.0
APT_TIMEOUT_S = 900


# ---------------------------------------------------------------- packages and ports


def ensure_package(binary: str, package: str) -> str:
    """The path of ``binary``, installing the Debian ``package`` first when it is missing."""
    found = shutil.which(binary) or shutil.which(binary, path="/usr/sbin:/usr/bin")
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", package]):
        done = subprocess.run([*sudo, *command], env=env, capture_output=True, text=True,
                              timeout=APT_TIMEOUT_S)
        if done.returncode != 0:
            pytest.fail(f"{' '.join(command)} failed (this test needs Debian's {package}):\n"
                        f"{done.stderr[-2000:]}")
    found = shutil.which(binary) or shutil.which(binary, path="/usr/sbin:/usr/bin")
    assert found, f"{package} was installed but {binary} is not on the PATH"
    return found



def wait_listening(port: int, proc: subprocess.Popen[Any], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the proxy exited ({proc.returncode}):\n{log.read_text()}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"the proxy does not listen on {port}:\n{log.read_text()}")


def wait_certificate(proxy: Proxy) -> None:
    """Until a TLS handshake succeeds: Caddy listens before its local CA has signed the
    site's certificate, and meanwhile answers handshakes with an internal error."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            context = proxy.ssl_context()  # Caddy's root may not be written yet either
            with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as raw, \
                    context.wrap_socket(raw, server_hostname="localhost"):
                return
        except (ssl.SSLError, OSError) as exc:
            if time.monotonic() > deadline:
                raise AssertionError(f"no TLS handshake with {proxy.name}: {exc}\n"
                                     f"{proxy.log.read_text()}") from exc
            time.sleep(0.1)


def replace_once(text: str, old: str, new: str) -> str:
    """``text`` with ``old`` replaced, which must be there (the shipped file's shape)."""
    assert old in text, f"the shipped configuration no longer has {old!r}"
    return text.replace(old, new)


# ---------------------------------------------------------------- the proxies


@dataclass
class Proxy:
    """A running proxy: its public HTTPS port, the CA its certificate comes from, and the
    path drawgame is under (``DRAWGAME_ROOT_PATH``; empty: the whole site)."""

    name: str
    port: int
    ca_file: Path
    proc: subprocess.Popen[Any]
    log: Path
    root: str = ""

    @property
    def url(self) -> str:
        return f"https://localhost:{self.port}"

    @property
    def site(self) -> str:
        """drawgame's base URL through the proxy (under its root path)."""
        return self.url + self.root

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


@contextmanager
def caddy(folder: Path, upstream: str, root: str = "") -> Iterator[Proxy]:
    """deploy/Caddyfile with ``tls internal``, test ports and its files under ``folder``
    (drawgame under ``root``, as its ``DRAWGAME_ROOT_PATH`` setting says)."""
    binary = ensure_package("caddy", "caddy")
    port, http_port = free_port(), free_port()
    text = (DEPLOY / "Caddyfile").read_text()
    # The shipped global options block gets what a test needs: no admin endpoint, free
    # ports, and the local CA kept out of the system's trust store.
    text = replace_once(text, "\n{\n", "\n{\n\tadmin off\n\tskip_install_trust\n"
                        f"\thttp_port {http_port}\n\thttps_port {port}\n")
    config = folder / "Caddyfile"
    config.write_text(text)
    log = folder / "caddy.log"
    env = {**os.environ, "HOME": str(folder), "XDG_DATA_HOME": str(folder / "data"),
           "XDG_CONFIG_HOME": str(folder / "config"), "DRAWGAME_SITE": f"localhost:{port}",
           "DRAWGAME_UPSTREAM": upstream, "DRAWGAME_TLS": "internal",
           "DRAWGAME_ROOT_PATH": root}
    with open(log, "wb") as out:
        proc = subprocess.Popen([binary, "run", "--config", str(config), "--adapter",
                                 "caddyfile"], cwd=folder, env=env, stdout=out, stderr=out)
    proxy = Proxy("caddy", port, folder / "data/caddy/pki/authorities/local/root.crt", proc, log,
                  root)
    try:
        wait_listening(port, proc, log)
        wait_certificate(proxy)
        yield proxy
    finally:
        proxy.stop()


@contextmanager
def nginx(folder: Path, upstream: str, root: str = "") -> Iterator[Proxy]:
    """deploy/nginx.conf inside a minimal nginx.conf, with a certificate made here (with
    its two locations under ``root``, as its comments say, when that is given)."""
    binary = ensure_package("nginx", "nginx")
    port, http_port = free_port(), free_port()
    ca = trustme.CA()
    ca_file = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    leaf = ca.issue_cert("localhost", "127.0.0.1")
    cert, key = folder / "cert.pem", folder / "key.pem"
    cert.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    leaf.private_key_pem.write_to_path(str(key))
    site = (DEPLOY / "nginx.conf").read_text()
    for old, new in (
        ("server 127.0.0.1:8080;", f"server {upstream};"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{port} ssl http2;"),
        ("listen [::]:80;", ""),  # the test box may have no IPv6
        ("listen [::]:443 ssl http2;", ""),
        ("server_name game.example.org;", "server_name localhost;"),
        ("/etc/letsencrypt/live/game.example.org/fullchain.pem", str(cert)),
        ("/etc/letsencrypt/live/game.example.org/privkey.pem", str(key)),
    ):
        site = replace_once(site, old, new)
    if root:
        site = replace_once(site, "location = /metrics {", f"location = {root}/metrics {{")
        site = replace_once(site, "    location / {\n        proxy_pass",
                            f"    location {root}/ {{\n        proxy_pass")
    temp = {name: folder / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir()
    user = "user root;\n" if os.geteuid() == 0 else ""
    main = (f"{user}pid {folder}/nginx.pid;\nerror_log {folder}/error.log info;\n"
            "events { worker_connections 256; }\nhttp {\n"
            f"access_log {folder}/access.log;\n"
            + "".join(f"{name}_temp_path {path};\n" if name != "body" else
                      f"client_body_temp_path {path};\n" for name, path in temp.items())
            + site + "\n}\n")
    config = folder / "nginx.conf"
    config.write_text(main)
    log = folder / "nginx.out"
    with open(log, "wb") as out:
        proc = subprocess.Popen([binary, "-p", str(folder), "-c", str(config), "-g",
                                 "daemon off;"], cwd=folder, stdout=out, stderr=out)
    proxy = Proxy("nginx", port, ca_file, proc, folder / "error.log", root)
    try:
        wait_listening(port, proc, proxy.log)
        wait_certificate(proxy)
        yield proxy
    finally:
        proxy.stop()


# ---------------------------------------------------------------- the game server


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    @property
    def upstream(self) -> str:
        return self.url.removeprefix("http://")


@contextmanager
def game_server(folder: Path, **env: str) -> Iterator[Server]:
    """A real drawgame process behind the proxy (its log read on, so it never blocks)."""
    proc, url = serverproc.start_and_wait(folder, DRAWGAME_TRUST_PROXY_HEADERS="true", **env)
    server = Server(url, proc)

    def drain() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            server.lines.append(line)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        yield server
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        reader.join(timeout=5)


# ---------------------------------------------------------------- clients through the proxy


def https(proxy: Proxy, method: str, path: str, body: Any = None,
          source: str = "127.0.0.1") -> tuple[int, Any]:
    """One HTTPS request through the proxy from ``source``; (status, JSON body)."""
    import http.client

    conn = http.client.HTTPSConnection("localhost", proxy.port, timeout=10,
                                       context=proxy.ssl_context(), source_address=(source, 0))
    try:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        conn.request(method, path, body=data, headers=headers)
        answer = conn.getresponse()
        raw = answer.read()
        try:
            return answer.status, json.loads(raw) if raw else None
        except ValueError:  # the proxy's own page
            return answer.status, raw.decode(errors="replace")
    finally:
        conn.close()


def https_raw(proxy: Proxy, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    """One GET through the proxy: status, headers (lower-case names) and the body as it
    came (not decoded)."""
    import http.client

    conn = http.client.HTTPSConnection("localhost", proxy.port, timeout=10,
                                       context=proxy.ssl_context())
    try:
        conn.request("GET", path, headers={k.replace("_", "-"): v for k, v in headers.items()})
        answer = conn.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        conn.close()


@asynccontextmanager
async def wss(proxy: Proxy, path: str, *, source: str, origin: str | None = None,
              forwarded_for: str | None = None) -> AsyncIterator[WebSocketConnection]:
    """A WebSocket through the proxy over TLS, from the loopback address ``source``."""
    headers: list[tuple[bytes, bytes]] = []
    if origin is not None:
        headers.append((b"Origin", origin.encode()))
    if forwarded_for is not None:
        headers.append((b"X-Forwarded-For", forwarded_for.encode()))
    tcp = await trio.open_tcp_stream("127.0.0.1", proxy.port, local_address=source)
    stream = trio.SSLStream(tcp, proxy.ssl_context(), server_hostname="localhost",
                            https_compatible=True)
    async with trio.open_nursery() as nursery:
        ws = await wrap_client_stream(nursery, stream, f"localhost:{proxy.port}", path,
                                      extra_headers=headers)
        try:
            yield ws
        finally:
            with trio.move_on_after(2):  # a peer that never answers the close is let go
                await ws.aclose()
            nursery.cancel_scope.cancel()


async def refused_status(proxy: Proxy, path: str, origin: str) -> int | None:
    """The HTTP status the handshake was refused with (None: it was accepted)."""
    status = None
    try:
        async with wss(proxy, path, source="127.0.0.2", origin=origin):
            pass
    except* ConnectionRejected as group:
        status = next(exc.status_code for exc in group.exceptions
                      if isinstance(exc, ConnectionRejected))
    return status


async def hello(ws: WebSocketConnection, name: str) -> Player:
    player = Player(ws, name)
    await player.send({"type": "hello", "name": name})
    welcome = await player.expect("welcome")
    player.id, player.token = welcome["you"]["id"], welcome["you"]["token"]
    return player


def run_smoke(proxy: Proxy) -> subprocess.CompletedProcess[str]:
    """``python -m smoke https://...`` through the proxy, trusting its CA (the make
    smoke-prod path with DRAWGAME_PROD_URL set to the public name)."""
    return subprocess.run([sys.executable, "-m", "smoke", proxy.site], cwd=ROOT,
                          env={**os.environ, "SSL_CERT_FILE": str(proxy.ca_file)},
                          capture_output=True, text=True, timeout=120)


async def play_a_turn_through(proxy: Proxy) -> None:
    """Create a room, check Origin and X-Forwarded-For, play one turn, all through wss://.

    The server trusts the proxy's X-Forwarded-For and allows 2 WebSockets per client
    address, so what it refuses shows which address it saw.
    """
    origin = proxy.url
    status, created = await trio.to_thread.run_sync(
        lambda: https(proxy, "POST", f"{proxy.root}/api/rooms", {
            "name": "through " + proxy.name, "private": True,
            "settings": {**ROOM_SETTINGS, "max_players": 3}}, source="127.0.0.2"))
    assert status == 201, created
    path = f"{proxy.root}/ws/{created['code']}"
    with trio.fail_after(60):
        # A foreign Origin is refused at the handshake, through the proxy too.
        assert await refused_status(proxy, path, "https://evil.example") == 403
        async with wss(proxy, path, source="127.0.0.2", origin=origin) as ws_a, \
                wss(proxy, path, source="127.0.0.2", origin=origin) as ws_b:
            ada, bob = await hello(ws_a, "Ada"), await hello(ws_b, "Bob")
            # A third socket from 127.0.0.2 is over its limit, whatever address it claims:
            # the proxy replaced the client's X-Forwarded-For with the real one.
            async with wss(proxy, path, source="127.0.0.2", origin=origin,
                           forwarded_for="203.0.113.9") as ws_eve:
                assert await Player(ws_eve, "Eve").expect_close() == 1013
            # Another client address is counted on its own (the server does not see
            # every player as the proxy's one address).
            async with wss(proxy, path, source="127.0.0.3", origin=origin) as ws_cy:
                cy = await hello(ws_cy, "Cy")
                await cy.send({"type": "leave"})
                assert await cy.expect_close() == 1000
            await play_turn(ada, bob)


async def play_turn(host: Player, other: Player) -> None:
    """The host starts; the drawer chooses and draws; the other guesses right."""
    await host.send({"type": "start"})
    phase = await host.expect("phase", lambda m: m.get("phase") == "choosing")
    drawer, guesser = (host, other) if phase["drawer_id"] == host.id else (other, host)
    await drawer.expect("choices")
    await drawer.send({"type": "choose", "index": 0})
    word = (await drawer.expect("word"))["word"]
    await guesser.expect("phase", lambda m: m.get("phase") == "drawing")
    line = {"op": "line", "id": 1, "c": "#000000", "w": 4, "p": [10, 10, 500, 400]}
    await drawer.send({"type": "draw", "ops": [line]})
    relayed = await guesser.expect("draw")
    assert relayed["ops"][0]["op"] == "line"
    await guesser.send({"type": "chat", "text": word})
    await drawer.expect("correct", lambda m: m.get("player_id") == guesser.id)
    end = await guesser.expect("turn_end")
    assert (end["reason"], end["word"]) == ("all_guessed", word)
    assert end["points"][guesser.id] > 0 and end["points"][drawer.id] > 0


# ---------------------------------------------------------------- an upstream that takes notes


WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


@dataclass
class Seen:
    """One request an upstream connection carried: its number on the connection."""

    connection: int
    number: int
    upgrade: bool


@dataclass
class RecordingUpstream:
    """A minimal HTTP/1.1 server that notes which request came on which connection.

    Plain requests get a small keep-alive answer; an upgrade gets its 101 and the
    connection is then held until the proxy closes it.
    """

    port: int = 0
    seen: list[Seen] = field(default_factory=list)
    connections: int = 0

    async def serve(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        self.port = listeners[0].socket.getsockname()[1]
        task_status.started()
        await trio.serve_listeners(self.handle, listeners)

    async def handle(self, stream: trio.SocketStream) -> None:
        self.connections += 1
        connection, number, buffer = self.connections, 0, b""
        try:
            while True:
                while b"\r\n\r\n" not in buffer:
                    chunk = await stream.receive_some(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                number += 1
                headers = dict(line.split(b":", 1) for line in head.split(b"\r\n")[1:])
                headers = {k.strip().lower(): v.strip() for k, v in headers.items()}
                upgrade = headers.get(b"upgrade", b"").lower() == b"websocket"
                self.seen.append(Seen(connection, number, upgrade))
                if upgrade:
                    key = headers[b"sec-websocket-key"]
                    accept = base64.b64encode(hashlib.sha1(key + WS_GUID).digest())
                    await stream.send_all(b"HTTP/1.1 101 Switching Protocols\r\n"
                                          b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                          b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")
                    while await stream.receive_some(65536):
                        pass
                    return
                await stream.send_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                      b"Content-Length: 2\r\nConnection: keep-alive\r\n\r\nok")
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            return


def plain_get(proxy: Proxy) -> int:
    try:
        with urllib.request.urlopen(proxy.url + "/api/health", timeout=10,
                                    context=proxy.ssl_context()) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


async def upgrades_open_their_own_upstream_connection(proxy: Proxy,
                                                      upstream: RecordingUpstream) -> None:
    """Plain requests, then upgrades, alternating: each upgrade must be request 1 on a
    connection of its own, while plain requests do reuse kept-alive connections (so the
    check would see an upgrade sent down one of them)."""
    with trio.fail_after(60):
        for _ in range(3):
            for _ in range(3):
                assert await trio.to_thread.run_sync(plain_get, proxy) == 200
            async with wss(proxy, "/ws/ABCDEFGH", source="127.0.0.1"):
                pass
    upgrades = [s for s in upstream.seen if s.upgrade]
    plain = [s for s in upstream.seen if not s.upgrade]
    assert len(upgrades) == 3 and len(plain) == 9
    assert all(s.number == 1 for s in upgrades), upstream.seen
    assert len({s.connection for s in upgrades}) == 3
    assert any(s.number > 1 for s in plain), "the proxy never reused an upstream connection"
