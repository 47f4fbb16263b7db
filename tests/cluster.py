"""A real cluster for tests: ``drawgame serve`` with several workers behind HAProxy.

The cluster runs as a process of its own (its supervisor, the proxy and the
workers are real processes, on free ports, with one SQLite file in the test's
folder). Players connect as any client would: they ask ``GET
/api/rooms/<code>`` where the room is served, open its ``ws_path`` through
the proxy, and, when their connection ends, ask again and resume with their
token.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
from trio_websocket import ConnectionClosed, HandshakeError

from tests.serverproc import free_port
from tests.wsclient import Message, WsClient, connect

ROOT = Path(__file__).resolve().parent.parent
RECONNECTABLE = {1006, 1011, 1012, 1013, 4300}
"""Closes after which a player asks where the room is and resumes."""


def require_haproxy() -> None:
    """Install Debian's HAProxy when it is missing (as `make start WORKERS=...` does)."""
    if shutil.which("haproxy") or Path("/usr/sbin/haproxy").exists():
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=False, env=env)
    done = subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "haproxy"], env=env,
                          check=False, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"HAProxy could not be installed: {done.stderr[-500:]}", pytrace=False)



@dataclass
class Cluster:
    proc: subprocess.Popen[str]
    url: str
    lines: list[str] = field(default_factory=list)
    root: str = ""
    """``DRAWGAME_ROOT_PATH``: every path the cluster answers is under it."""

    async def http(self, method: str, path: str, body: Any = None) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.url, timeout=5) as client:
            return await client.request(method, self.root + path, json=body)

    async def health(self) -> dict[str, Any]:
        answer = await self.http("GET", "/api/health")
        body: dict[str, Any] = answer.json()
        return body

    async def workers(self) -> dict[str, dict[str, Any]]:
        return {w["id"]: w for w in (await self.health())["cluster"]["workers"]}

    async def until_workers(self, check: Callable[[dict[str, dict[str, Any]]], bool],
                            within: float = 20.0) -> dict[str, dict[str, Any]]:
        with trio.fail_after(within):
            while True:
                try:
                    found = await self.workers()
                    if check(found):
                        return found
                except (httpx.HTTPError, ValueError, KeyError):
                    pass
                await trio.sleep(0.1)

    async def create_room(self, **settings: Any) -> dict[str, Any]:
        answer = await self.http("POST", "/api/rooms", {"private": False, "settings": settings})
        assert answer.status_code == 201, answer.text
        room: dict[str, Any] = answer.json()["room"]
        return room

    async def summary(self, code: str) -> dict[str, Any]:
        answer = await self.http("GET", f"/api/rooms/{code}")
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def events(self, name: str) -> list[dict[str, Any]]:
        found = []
        for line in list(self.lines):
            if line.startswith("{") and f'"{name}"' in line:
                data = json.loads(line)
                if data.get("event") == name:
                    found.append(data)
        return found


@asynccontextmanager
async def running_cluster(tmp_path: Path, workers: int = 3, nofile: int | None = None,
                          root: str = "", wait: bool = True, **env: str
                          ) -> AsyncIterator[Cluster]:
    """A cluster of ``workers`` behind HAProxy (``nofile``: a lower descriptor hard
    limit for the whole cluster, the proxy included; ``root``: its root path), once every
    worker is up (``wait``; else at once, the cluster just started)."""
    require_haproxy()
    port = free_port()
    environ = {
        **os.environ,
        "DRAWGAME_WORKERS": str(workers),
        "DRAWGAME_HOST": "127.0.0.1",
        "DRAWGAME_PORT": str(port),
        "DRAWGAME_DB_PATH": str(tmp_path / "cluster.sqlite3"),
        "DRAWGAME_LOG_FORMAT": "json",
        "DRAWGAME_ENV_FILE": str(tmp_path / "none.env"),
        "DRAWGAME_ENVIRONMENT": "test",
        "DRAWGAME_SHUTDOWN_GRACE_S": "3",
        "DRAWGAME_RECONNECT_IN_MS": "200",
        "DRAWGAME_ROOMS_PER_MINUTE_PER_IP": "1000",
        "DRAWGAME_RESTART_BACKOFF_S": "1",
        "PYTHONPATH": str(ROOT),
        "DRAWGAME_ROOT_PATH": root,
        **env,
    }
    proc = spawn(tmp_path, environ, nofile)
    cluster = Cluster(proc, f"http://127.0.0.1:{port}", root=root)

    def drain() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            cluster.lines.append(line.rstrip("\n"))

    threading.Thread(target=drain, daemon=True).start()
    try:
        if wait:
            await cluster.until_workers(
                lambda found: len(found) == workers and all(w["status"] == "up"
                                                            for w in found.values()), within=60)
        yield cluster
    except BaseException:
        # What the cluster said (its supervisor, workers and proxy) explains a failure.
        print("\n".join(["the cluster's log:", *cluster.lines[-400:]]), file=sys.stderr)
        raise
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            await trio.to_thread.run_sync(stop, proc)


def spawn(cwd: Path, env: dict[str, str], nofile: int | None = None) -> subprocess.Popen[str]:
    def limit() -> None:
        if nofile is not None:
            soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, nofile), nofile))

    return subprocess.Popen([sys.executable, "-m", "drawgame", "serve"], cwd=cwd, env=env,
                            stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            preexec_fn=limit)


def stop(proc: subprocess.Popen[str], within: float = 30.0) -> None:
    """Wait for a stopping cluster; kill it past ``within`` seconds."""
    try:
        proc.wait(timeout=within)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Seat:
    """A player who follows the room wherever it is served, resuming with the token."""

    def __init__(self, cluster: Cluster, stack: AsyncExitStack, code: str, name: str) -> None:
        self.cluster = cluster
        self.stack = stack
        self.code = code
        self.name = name
        self.client: WsClient | None = None
        self.token: str | None = None
        self.id: str | None = None
        self.welcomes: list[Message] = []
        self.closes: list[int] = []
        self.workers: list[str] = []

    @property
    def ws(self) -> WsClient:
        assert self.client is not None
        return self.client

    async def join(self, within: float = 20.0) -> Message:
        """Ask where the room is, connect there and (re)take the seat; retries while the
        room moves (a worker down, a takeover under way).

        No cancel scope around it: a connection entered into the test's exit stack
        must outlive this call (the clients' own timeouts bound each try)."""
        deadline = trio.current_time() + within
        while True:
            assert trio.current_time() < deadline, f"{self.name} found no room in {within} s"
            summary = await self.cluster.summary(self.code)
            url = "ws" + self.cluster.url.removeprefix("http") + summary["ws_path"]
            try:
                client = await self.stack.enter_async_context(connect(url, self.name))
            except (HandshakeError, OSError):
                await trio.sleep(0.2)
                continue
            try:
                welcome = await client.hello(token=self.token, within=5)
            except ConnectionClosed as exc:
                # Closed before the hello could be sent: a room that moved (4300) is
                # looked for again, like a close while waiting for the welcome.
                self.closes.append(exc.reason.code)
                await trio.sleep(0.2)
                continue
            except AssertionError:
                if client.close_code is not None:
                    self.closes.append(client.close_code)
                await trio.sleep(0.2)
                continue
            self.client, self.token, self.id = client, client.token, client.id
            self.welcomes.append(welcome)
            self.workers.append(str(summary["worker"]))
            return welcome

    async def wait_for(self, kind: str, predicate: Callable[[Message], bool] | None = None,
                       within: float = 20.0, since: Message | None = None) -> Message:
        """The next ``kind`` message (after ``since``, a message of this connection),
        following the room through reconnects."""
        deadline = trio.current_time() + within
        while True:
            left = deadline - trio.current_time()
            start = self.ws.after(since) if since is not None and since in self.ws.received \
                else 0
            try:
                return await self.ws.wait_for(kind, predicate, within=max(0.1, left),
                                              since=start)
            except AssertionError:
                if self.ws.close_code is None or left <= 0:
                    raise
                self.closes.append(self.ws.close_code)
                assert self.ws.close_code in RECONNECTABLE, self.ws.close_code
                await self.join(max(1.0, deadline - trio.current_time()))

    async def send(self, msg: Message) -> None:
        await self.ws.send(msg)

    async def settle(self) -> None:
        """Read what arrived; when the connection was closed meanwhile, resume."""
        await self.ws.drain(quiet_s=0.3)
        if self.ws.close_code is not None:
            self.closes.append(self.ws.close_code)
            assert self.ws.close_code in RECONNECTABLE, self.ws.close_code
            await self.join()
