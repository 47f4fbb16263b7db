"""The built-in supervisor: ``serve --daemon`` for boxes and containers without systemd.

It runs in the background (its pid in the pidfile) and runs the server as a
child process: it writes the child's output to the service log, rotated by
size (``DRAWGAME_LOG_MAX_BYTES``, ``DRAWGAME_LOG_BACKUPS``); it restarts the
child when it exits without being asked, after a delay that starts at
``DRAWGAME_RESTART_BACKOFF_S`` and doubles up to :data:`BACKOFF_MAX_S`; and
after ``DRAWGAME_RESTART_LIMIT`` crashes within :data:`CRASH_WINDOW_S` it
gives up, says so in the log and in its state file, and exits. SIGTERM stops
the child gracefully (it tells players to reconnect and writes every room),
then the supervisor.

The state file (``<pidfile stem>.state.json``, beside the pidfile) says what
the supervisor does and, for each worker process, its pid, how often it was
restarted and its last exit and error: ``make status`` reads it. There is one
worker today; the supervisor runs a list of them, so several workers behind a
proxy add entries, not a new design.
"""

from __future__ import annotations

import contextlib
import json
import logging
import logging.handlers
import os
import re
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import trio

from drawgame.config import Config
from drawgame.logs import JsonFormatter

CRASH_WINDOW_S = 600.0
"""Crashes older than this are forgotten when deciding to give up."""
BACKOFF_MAX_S = 30.0
MAX_LINE_CHARS = 65536
"""A longer line of the server's output is cut (the supervisor's memory stays bounded)."""
TAIL_LINES = 200
STOP_MARGIN_S = 5.0
"""Time the server gets beyond its shutdown grace before it is killed."""
READY_TIMEOUT_S = 60.0
STATE_SUFFIX = ".state.json"


def state_path(pidfile: Path) -> Path:
    return pidfile.with_name(pidfile.stem + STATE_SUFFIX)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# ---------------------------------------------------------------- the log


class RotatingLog(logging.handlers.RotatingFileHandler):
    """The service log, rotated by size (the standard library's handler).

    The supervisor's own standard output and error point at the log as well
    (a traceback of the supervisor itself lands there): after each rotation
    they are pointed at the new file.
    """

    def __init__(self, path: Path, max_bytes: int, backups: int, *, own_output: bool) -> None:
        super().__init__(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
        self.own_output = own_output
        self.setFormatter(logging.Formatter("%(message)s"))
        self.json = JsonFormatter()

    def doRollover(self) -> None:
        super().doRollover()
        if self.own_output and self.stream is not None:
            self.stream.flush()
            for fd in (1, 2):
                os.dup2(self.stream.fileno(), fd)

    def line(self, text: str) -> None:
        """One line of the server's output, as it came."""
        self.emit(logging.makeLogRecord({"msg": text, "levelno": logging.INFO}))

    def event(self, level: int, what: str, **fields: Any) -> None:
        """One event of the supervisor, as a JSON line like the server's own."""
        record = logging.makeLogRecord({"msg": what, "levelno": level, "levelname":
                                        logging.getLevelName(level),
                                        "name": "drawgame.supervisor", "fields": fields})
        self.line(self.json.format(record))


# ---------------------------------------------------------------- the error line


_EXCEPTION_LINE = re.compile(r"^[\s|]*((?:[A-Za-z_][\w]*\.)*[A-Z]\w*(?:Error|Exception|Exit|"
                             r"Interrupt|Warning|Failure))(?::\s*(.*))?$")
_GROUPS = ("ExceptionGroup", "BaseExceptionGroup", "MultiError")


ERROR_WINDOW = 60
"""Only the last lines of a server's output are searched for why it failed."""


def error_line(lines: Iterable[str]) -> str:
    """The line that says why a server failed, from the end of its output.

    In order: the server's own last word (a final ``drawgame: ...`` line), the
    last error event of the JSON log, the innermost exception of a traceback;
    else it says there was none (a ``kill -9`` leaves no word). Only the last
    :data:`ERROR_WINDOW` lines count, and a line with the admin token never.
    """
    seen = [line.rstrip() for line in lines if line.strip() and "admin token" not in line]
    seen = seen[-ERROR_WINDOW:]
    if not seen:
        return "no output"
    if seen[-1].startswith("drawgame: "):
        return seen[-1].removeprefix("drawgame: ")
    for line in reversed(seen):
        if line.startswith("{"):
            try:
                data = json.loads(line)
            except ValueError:
                continue
            if isinstance(data, dict) and data.get("level") in ("error", "critical"):
                detail = data.get("error") or "".join(
                    str(data.get("exc", "")).strip().splitlines()[-1:])
                return f"{data.get('event')}: {detail}" if detail else str(data.get("event"))
    for line in reversed(seen):
        match = _EXCEPTION_LINE.match(line)
        if match and match.group(1).rsplit(".", 1)[-1] not in _GROUPS:
            return line.strip(" |")
    return "no error in its output"


# ---------------------------------------------------------------- one worker


@dataclass
class Policy:
    """When to restart and when to give up (the settings, with tests' shorter values)."""

    backoff_s: float = 1.0
    restart_limit: int = 5
    stop_wait_s: float = 15.0

    @classmethod
    def from_config(cls, config: Config) -> Policy:
        return cls(config.restart_backoff_s, config.restart_limit,
                   config.shutdown_grace_s + STOP_MARGIN_S)


@dataclass
class WorkerState:
    """What ``make status`` shows of one worker process."""

    id: str
    status: str = "starting"
    """starting | running | restarting | stopping | stopped | failed"""
    pid: int | None = None
    started_at: str | None = None
    restarts: int = 0
    last_exit: str | None = None
    """How the last crash ended (``killed by SIGKILL``, ``exit code 1``...)."""
    last_error: str | None = None
    """The last crash's error line (drawgame/ops/supervise.py ``error_line``)."""
    last_crash_at: str | None = None
    next_start_in_s: float | None = None


class StartFailed(Exception):
    """The first start of a worker did not get as far as serving."""


@dataclass
class Worker:
    """One server process, started again when it crashes."""

    state: WorkerState
    command: list[str]
    env: dict[str, str]
    policy: Policy
    log: RotatingLog
    changed: Callable[[], None]
    crashes: deque[float] = field(default_factory=deque)
    process: trio.Process | None = None
    stop_requested: trio.Event = field(default_factory=trio.Event)
    finished: trio.Event = field(default_factory=trio.Event)

    @property
    def stopping(self) -> bool:
        return self.stop_requested.is_set()

    async def run(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Start the server; report once it serves (or raise StartFailed); then keep it up."""
        try:
            await self._keep_up(task_status)
        finally:
            self.finished.set()

    async def _keep_up(self, task_status: trio.TaskStatus[None]) -> None:
        first = True
        while True:
            ready, tail, code = await self._run_once(task_status if first else None)
            if self.stopping:
                self._set(status="stopped", pid=None)
                return
            why = error_line(tail)
            if first and not ready:
                self._set(status="failed", pid=None, last_exit=describe_exit(code),
                          last_error=why, last_crash_at=now_iso())
                raise StartFailed(why)
            first = False
            if not await self._after_crash(code, why):
                return

    async def _after_crash(self, code: int | None, why: str) -> bool:
        """Log the crash; wait the backoff and return True, or give up and return False."""
        now = time.monotonic()
        self.crashes.append(now)
        while self.crashes and self.crashes[0] < now - CRASH_WINDOW_S:
            self.crashes.popleft()
        exit_text = describe_exit(code)
        if len(self.crashes) >= self.policy.restart_limit:
            self._set(status="failed", pid=None, last_exit=exit_text, last_error=why,
                      last_crash_at=now_iso(), next_start_in_s=None)
            self.log.event(logging.ERROR, "supervisor_gave_up", worker=self.state.id,
                           crashes=len(self.crashes), window_s=CRASH_WINDOW_S,
                           exit=exit_text, error=why)
            return False
        delay = min(BACKOFF_MAX_S, self.policy.backoff_s * 2 ** (len(self.crashes) - 1))
        self._set(status="restarting", pid=None, last_exit=exit_text, last_error=why,
                  last_crash_at=now_iso(), next_start_in_s=round(delay, 2))
        self.log.event(logging.ERROR, "server_crashed", worker=self.state.id, exit=exit_text,
                       error=why, restart_in_s=round(delay, 2), crashes=len(self.crashes))
        with trio.move_on_after(delay):
            await self.stop_requested.wait()
        if self.stopping:
            self._set(status="stopped", next_start_in_s=None)
            return False
        self.state.restarts += 1
        return True

    async def _run_once(
        self, task_status: trio.TaskStatus[None] | None
    ) -> tuple[bool, list[str], int | None]:
        """One life of the server process: (whether it served, its last lines, exit code)."""
        read_ready, write_ready = os.pipe()
        tail: deque[str] = deque(maxlen=TAIL_LINES)
        ready = False
        try:
            process = await trio.lowlevel.open_process(
                [*self.command, "--ready-fd", str(write_ready)], env=self.env,
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                pass_fds=(write_ready,))
        finally:
            os.close(write_ready)
        self.process = process
        self._set(status="starting", pid=process.pid, started_at=now_iso(),
                  next_start_in_s=None)
        if self.state.restarts:
            self.log.event(logging.WARNING, "server_restarting", worker=self.state.id,
                           pid=process.pid, restarts=self.state.restarts)
        async with trio.open_nursery() as nursery:
            assert process.stdout is not None
            nursery.start_soon(self._copy_output, process.stdout, tail)

            async def await_ready() -> None:
                nonlocal ready
                async with trio.lowlevel.FdStream(read_ready) as pipe:
                    got = b""
                    while b"\n" not in got:
                        chunk = await pipe.receive_some(256)
                        if not chunk:
                            return
                        got += chunk
                ready = True
                self._set(status="stopping" if self.stopping else "running")
                if task_status is not None:
                    task_status.started()

            nursery.start_soon(await_ready)
            code = await process.wait()
        self.process = None
        return ready, list(tail), code

    async def _copy_output(self, stream: trio.abc.ReceiveStream, tail: deque[str]) -> None:
        pending = b""
        async for chunk in stream:
            pending += chunk
            *lines, pending = pending.split(b"\n")
            if len(pending) > MAX_LINE_CHARS:
                lines.append(pending[:MAX_LINE_CHARS] + b" [cut]")
                pending = b""
            for raw in lines:
                text = raw.decode("utf-8", errors="replace")
                if len(text) > MAX_LINE_CHARS:
                    text = text[:MAX_LINE_CHARS] + " [cut]"
                tail.append(text)
                self.log.line(text)
        if pending:
            text = pending.decode("utf-8", errors="replace")
            tail.append(text)
            self.log.line(text)

    def stop(self) -> None:
        """Ask the server to stop (SIGTERM: its graceful shutdown); no restart after."""
        self.stop_requested.set()
        if self.process is not None and self.process.returncode is None:
            self._set(status="stopping")
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()

    def _set(self, **changes: Any) -> None:
        for key, value in changes.items():
            setattr(self.state, key, value)
        self.changed()


def describe_exit(code: int | None) -> str:
    if code is None:
        return "unknown"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


# ---------------------------------------------------------------- the supervisor


@dataclass
class Supervision:
    """Every worker of the service, the log, the state file and the signals."""

    workers: list[Worker]
    log: RotatingLog
    state_file: Path
    status: str = "starting"

    def write_state(self) -> None:
        state = {"supervisor_pid": os.getpid(), "status": self.status,
                 "updated_at": now_iso(), "workers": [asdict(w.state) for w in self.workers]}
        partial = self.state_file.with_name(self.state_file.name + ".partial")
        partial.write_text(json.dumps(state, indent=2) + "\n")
        partial.replace(self.state_file)

    async def run(self, report: Callable[[str], None]) -> int:
        """Start every worker, ``report`` the outcome of the first start, supervise.

        Returns the supervisor's exit code: 0 after a requested stop, 1 when a
        first start failed or a worker was given up on.
        """
        self.log.event(logging.INFO, "supervisor_started", pid=os.getpid(),
                       workers=len(self.workers))
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._watch_signals)
            failure = await self._start_all(nursery)
            if failure is not None:
                self.stop_all()
                await self._await_stopped()
                self._finish("failed")
                report(f"failed {failure}")
                nursery.cancel_scope.cancel()
                return 1
            self.status = "running"
            self.write_state()
            report("ready " + " ".join(str(w.state.pid) for w in self.workers))
            await self._await_stopped()
            nursery.cancel_scope.cancel()
        gave_up = any(w.state.status == "failed" for w in self.workers)
        self._finish("failed" if gave_up else "stopped")
        return 1 if gave_up else 0

    async def _start_all(self, nursery: trio.Nursery) -> str | None:
        """Start the workers one by one; None once all serve, else why one did not."""
        try:
            with trio.fail_after(READY_TIMEOUT_S):
                for worker in self.workers:
                    await nursery.start(worker.run)
        except trio.TooSlowError:
            return f"not serving within {READY_TIMEOUT_S:g} s"
        except StartFailed as exc:
            return str(exc)
        except BaseExceptionGroup as group:  # depending on trio, start() may wrap it
            failed, _ = group.split(StartFailed)
            if failed is None:
                raise
            return str(_first_leaf(failed))
        return None

    def _finish(self, status: str) -> None:
        self.status = status
        self.write_state()
        self.log.event(logging.ERROR if status == "failed" else logging.INFO,
                       "supervisor_stopped", status=status)

    async def _await_stopped(self) -> None:
        for worker in self.workers:
            await worker.finished.wait()

    def stop_all(self) -> None:
        self.status = "stopping"
        for worker in self.workers:
            worker.stop()
        self.write_state()

    async def _watch_signals(self) -> None:
        with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
            async for _ in signals:
                self.log.event(logging.INFO, "supervisor_stopping")
                self.stop_all()
                deadline = max(w.policy.stop_wait_s for w in self.workers)
                with trio.move_on_after(deadline):
                    await self._await_stopped()
                for worker in self.workers:  # past its grace: a server that hangs is killed
                    worker.kill()
                return


def _first_leaf(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def supervise(config: Config, pidfile: Path, log_file: Path,
              report: Callable[[str], None]) -> int:
    """Run the service in this (daemonized) process until it is stopped or given up on."""
    log = RotatingLog(log_file, config.log_max_bytes, config.log_backups, own_output=True)
    env = {**os.environ, "DRAWGAME_LOG_FILE": ""}  # the server writes to us, we to the log
    command = [sys.executable, "-m", "drawgame", "serve"]
    supervision = Supervision([], log, state_path(pidfile))
    worker = Worker(WorkerState("w1"), command, env, Policy.from_config(config), log,
                    supervision.write_state)
    supervision.workers.append(worker)
    supervision.write_state()
    try:
        return trio.run(supervision.run, report)
    finally:
        log.close()


def read_state(pidfile: Path) -> dict[str, Any] | None:
    """The supervisor's state file, if there is a readable one."""
    try:
        data = json.loads(state_path(pidfile).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
