"""Several worker processes behind HAProxy on one public port: ``DRAWGAME_WORKERS=N``.

``python -m drawgame serve`` with ``DRAWGAME_WORKERS`` above 1 runs this
supervisor instead of a server. It applies pending migrations once, starts
HAProxy on the public host and port (drawgame/ops/proxy.py) and N workers,
each a plain server (``DRAWGAME_WORKER_ID=w1``...) on its own port of
``DRAWGAME_WORKER_HOST``, and keeps them up:

- a worker that dies is started again (drawgame/ops/supervise.py's
  ``Worker``), but only after its rooms' leases ran out, so that the live
  workers take its rooms over first (the room directory,
  drawgame/rooms/directory.py) and health shows it ``lost`` meanwhile;
- SIGHUP restarts the workers one at a time (a rolling restart): each stops
  gracefully (its players are told to reconnect, its rooms are released),
  the others take its rooms over, and the next waits until it serves again;
- SIGTERM or SIGINT stops every worker gracefully, then the proxy.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import trio

from drawgame.config import Config
from drawgame.logs import event, get_logger
from drawgame.ops.proxy import Upstream, config_text, haproxy_binary
from drawgame.ops.supervise import STOP_MARGIN_S, Policy, Worker, WorkerState
from drawgame.rooms.directory import HEARTBEAT_S, LEASE_S

log = get_logger("cluster")

PROXY_READY_TIMEOUT_S = 10.0
PROXY_RESTART_S = 1.0
ROUTED_TIMEOUT_S = 10.0
"""How long a started worker may take to be routed by the proxy before the next starts."""


class ConsoleLog:
    """Where workers' output and the cluster's own events go: standard error.

    (Under the built-in supervisor that is the service log; under ``make
    start`` the terminal.) The same two calls as supervise.RotatingLog; the
    cluster's events are log lines in the configured format.
    """

    def line(self, text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    def event(self, level: int, what: str, **fields: Any) -> None:
        event(log, level, what, **fields)


def free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def upstreams(config: Config) -> list[Upstream]:
    """This box's workers: ids from ``DRAWGAME_WORKER_FIRST``, ports from
    ``DRAWGAME_WORKER_PORT`` on (free ones when it is 0)."""
    host = config.worker_host
    found = []
    for i in range(config.workers):
        port = config.worker_port + i if config.worker_port else free_port(host)
        found.append(Upstream(f"w{config.worker_first + i}", host, port))
    return found


class Cluster:
    """The workers and the proxy of one box, and the signals that drive them."""

    def __init__(self, config: Config, ready_fd: int | None, run_dir: Path) -> None:
        self.config = config
        self.ready_fd = ready_fd
        self.run_dir = run_dir
        self.log = ConsoleLog()
        self.upstreams = upstreams(config)
        self.workers: dict[str, Worker] = {}
        self.proxy: trio.Process | None = None
        self.stopping = trio.Event()
        self.policy = Policy(
            backoff_s=max(config.restart_backoff_s, LEASE_S + HEARTBEAT_S),
            restart_limit=config.restart_limit,
            stop_wait_s=config.shutdown_grace_s + STOP_MARGIN_S,
        )

    # ------------------------------------------------------------ running

    async def run(self) -> int:
        """Start the proxy and the workers, then supervise until stopped; the exit code."""
        # Signals are taken from the start: one that comes while the workers start waits
        # until they have (instead of ending this process and leaving them running).
        with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT, signal.SIGHUP) as signals:
            async with trio.open_nursery() as nursery:
                if self.config.proxy == "haproxy":
                    await nursery.start(self._run_proxy)
                for up in self.upstreams:
                    await nursery.start(self._start_worker, up, nursery)
                self.log.event(logging.INFO, "cluster_ready",
                               workers=[u.id for u in self.upstreams],
                               public=f"{self.config.host}:{self.config.port}")
                if self.ready_fd is not None:  # the built-in supervisor waits for this line
                    os.write(self.ready_fd, b"ready\n")
                    os.close(self.ready_fd)
                nursery.start_soon(self._watch_signals, nursery, signals)
                await self.stopping.wait()
                await self._stop_workers()
                self._stop_proxy()
                nursery.cancel_scope.cancel()
        failed = [w.state.id for w in self.workers.values() if w.state.status == "failed"]
        return 1 if failed else 0

    def _worker(self, up: Upstream) -> Worker:
        env = {
            **os.environ,
            "DRAWGAME_WORKER_ID": up.id,
            # Each worker's health lists those of this box that do not serve yet.
            "DRAWGAME_WORKERS": str(self.config.workers),
            "DRAWGAME_WORKER_FIRST": str(self.config.worker_first),
            "DRAWGAME_HOST": up.host,
            "DRAWGAME_PORT": str(up.port),
            # The proxy writes X-Forwarded-For (drawgame/ops/proxy.py): the workers read it.
            "DRAWGAME_TRUST_PROXY_HEADERS": "true",
            "DRAWGAME_LOG_FILE": "",
            # As resolved here (make start's development default included).
            "DRAWGAME_ENVIRONMENT": self.config.environment,
            "DRAWGAME_ROOT_PATH": self.config.root_path,
        }
        command = [self.config.worker_python or sys.executable, "-m", "drawgame", "serve"]
        worker = Worker(WorkerState(up.id), command, env, self.policy, self.log,  # type: ignore[arg-type]
                        lambda: None)
        self.workers[up.id] = worker
        return worker

    async def _start_worker(self, up: Upstream, nursery: trio.Nursery,
                            task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
                            ) -> None:
        worker = self._worker(up)
        await nursery.start(worker.run)
        if self.config.proxy == "haproxy":
            await self._until_routed(up)
        task_status.started()

    async def _until_routed(self, up: Upstream) -> None:
        """Wait until the proxy routes the worker's prefix to it (its health check has
        passed): until then a room placed there would be answered 503 by the proxy."""
        host = self._local_host()
        probe = (f"GET {self.config.root_path}/w/{up.id}/ws/ HTTP/1.1\r\nHost: {host}\r\n"
                 "Connection: close\r\n\r\n").encode()
        with trio.move_on_after(ROUTED_TIMEOUT_S):
            while True:
                status = b""
                with contextlib.suppress(OSError, trio.BrokenResourceError):
                    stream = await trio.open_tcp_stream(host, self.config.port)
                    async with stream:
                        await stream.send_all(probe)
                        status = await stream.receive_some(64)
                # The worker answers a plain request to a WebSocket path with 426.
                if status.startswith(b"HTTP/1.1 426"):
                    return
                await trio.sleep(0.05)
        self.log.event(logging.WARNING, "worker_not_routed", worker=up.id,
                       waited_s=ROUTED_TIMEOUT_S)

    async def rolling_restart(self, nursery: trio.Nursery) -> None:
        """Restart the workers one at a time; each serves again before the next stops."""
        self.log.event(logging.INFO, "rolling_restart_started")
        for up in self.upstreams:
            if self.stopping.is_set():
                return
            old = self.workers[up.id]
            old.stop()
            with trio.move_on_after(self.policy.stop_wait_s):
                await old.finished.wait()
            old.kill()
            await old.finished.wait()
            await nursery.start(self._start_worker, up, nursery)
            self.log.event(logging.INFO, "worker_restarted", worker=up.id)
        self.log.event(logging.INFO, "rolling_restart_done")

    async def _stop_workers(self) -> None:
        for worker in self.workers.values():
            worker.stop()
        with trio.move_on_after(self.policy.stop_wait_s):
            for worker in self.workers.values():
                await worker.finished.wait()
        for worker in self.workers.values():  # past the grace: a worker that hangs is killed
            worker.kill()

    async def _watch_signals(self, nursery: trio.Nursery,
                             signals: AsyncIterator[int]) -> None:
        async for signum in signals:
            if signum == signal.SIGHUP:
                nursery.start_soon(self.rolling_restart, nursery)
                continue
            self.log.event(logging.INFO, "cluster_stopping")
            self.stopping.set()
            return

    # ------------------------------------------------------------ the proxy

    async def _run_proxy(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
                         ) -> None:
        """Run HAProxy, started again when it dies; report once it listens."""
        binary = haproxy_binary()
        cfg, pidfile = self.run_dir / "haproxy.cfg", self.run_dir / "haproxy.pid"
        cfg.write_text(config_text(self.config, self.upstreams, pidfile))
        first = True
        while not self.stopping.is_set():
            process = await trio.lowlevel.open_process(
                [binary, "-db", "-f", str(cfg)], stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            self.proxy = process
            async with trio.open_nursery() as inner:
                assert process.stdout is not None
                inner.start_soon(self._copy, process.stdout)
                if first:
                    await self._until_listening(process)
                    task_status.started()
                    first = False
                code = await process.wait()
            if self.stopping.is_set():
                return
            self.log.event(logging.ERROR, "proxy_crashed", exit=code,
                           restart_in_s=PROXY_RESTART_S)
            await trio.sleep(PROXY_RESTART_S)

    def _local_host(self) -> str:
        """Where this box reaches the public address."""
        host = "127.0.0.1" if self.config.host in ("0.0.0.0", "") else self.config.host
        return "::1" if host == "::" else host

    async def _until_listening(self, process: trio.Process) -> None:
        host = self._local_host()
        with trio.fail_after(PROXY_READY_TIMEOUT_S):
            while True:
                if process.returncode is not None:
                    raise RuntimeError(f"HAProxy stopped at start (exit {process.returncode}); "
                                       "its output is above")
                try:
                    stream = await trio.open_tcp_stream(host, self.config.port)
                except OSError:
                    await trio.sleep(0.05)
                    continue
                await stream.aclose()
                return

    async def _copy(self, stream: trio.abc.ReceiveStream) -> None:
        pending = b""
        async for chunk in stream:
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for raw in lines:
                if raw.strip():
                    self.log.event(logging.WARNING, "proxy",
                                   line=raw.decode("utf-8", "replace")[:2000])

    def _stop_proxy(self) -> None:
        if self.proxy is not None and self.proxy.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proxy.terminate()


def migrate_once(config: Config) -> list[str]:
    """Apply pending migrations before any worker starts (they would race for them)."""
    from drawgame.store import apply_migrations
    from drawgame.store.db import connect_to, location

    conn = connect_to(location(config))
    try:
        return [m.path.name for m in apply_migrations(conn)]
    finally:
        conn.close()


def run_cluster(config: Config, ready_fd: int | None) -> int:
    """``serve`` with several workers: the whole cluster of this box, until stopped."""
    applied = migrate_once(config)
    if applied:
        event(log, logging.INFO, "migrations_applied", files=applied)
    with tempfile.TemporaryDirectory(prefix="drawgame-cluster-") as run_dir:
        cluster = Cluster(config, ready_fd, Path(run_dir))
        try:
            return trio.run(cluster.run)
        except Exception as exc:
            print(f"drawgame: the cluster stopped: {_innermost(exc)}", file=sys.stderr,
                  flush=True)
            return 1


def _innermost(exc: BaseException) -> str:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc}"
