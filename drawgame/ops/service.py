"""The service that runs a deployed instance: a systemd unit, or the built-in supervisor.

Both start the release that ``<root>/current`` points to, resolved when the
process starts (so a running server never picks up files of a newer
release), and stop it with SIGTERM: the graceful shutdown tells players to
reconnect and writes every room, so a restart does not end games.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shlex
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any, Protocol

from drawgame.ops.daemon import is_drawgame, read_pid
from drawgame.ops.instance import Instance
from drawgame.ops.supervise import error_line, read_state

STOP_MARGIN_S = 10.0
"""Time a server gets beyond its shutdown grace before it is killed."""
START_TIMEOUT_S = 60.0
OPEN_FILES_LIMIT = 65536
"""``LimitNOFILE`` of the systemd unit: every connection holds a descriptor, and systemd's
default soft limit (1024) is below what ``DRAWGAME_MAX_CONNECTIONS`` allows."""


class ServiceError(RuntimeError):
    """The service could not be started or stopped."""


class Service(Protocol):
    """What deploys, rollbacks and restores need from a service manager."""

    instance: Instance

    def describe(self) -> str: ...
    def install(self) -> None: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def reload(self) -> bool:
        """A rolling restart of a running cluster (SIGHUP); False when there is none."""
    def running(self) -> bool: ...
    def details(self) -> list[str]: ...
    def logs_command(self, lines: int, follow: bool) -> list[str]: ...


def systemd_running() -> bool:
    """Whether this box was booted with systemd (the test sd_booted() makes)."""
    return Path("/run/systemd/system").is_dir() and shutil.which("systemctl") is not None


def for_instance(instance: Instance, manager: str | None = None) -> Service:
    """The service of a deployed instance, by the configured manager (auto: detect)."""
    manager = manager or instance.ops.service_manager
    if manager == "auto":
        manager = "systemd" if systemd_running() else "supervisor"
    if manager == "systemd":
        return Systemd(instance)
    return Supervisor(instance)


def release_python(instance: Instance) -> Path:
    """The Python of the release ``current`` points to, with the link resolved now."""
    link = instance.current_link
    if not link.is_symlink():
        raise ServiceError(f"{link} does not exist: nothing is deployed")
    return link.resolve() / "venv" / "bin" / "python"


def _stop_wait_s(instance: Instance) -> float:
    return instance.config.shutdown_grace_s + STOP_MARGIN_S


class Supervisor:
    """``python -m drawgame serve --daemon``: the built-in supervisor (drawgame/ops/supervise.py)
    with a pidfile, a state file and a rotated log under the root."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance

    def describe(self) -> str:
        return (f"{self.instance.service_name} (built-in supervisor, pidfile "
                f"{self.instance.pidfile}, log {self.instance.log_file})")

    def install(self) -> None:
        for folder in (self.instance.pidfile.parent, self.instance.log_file.parent):
            folder.mkdir(parents=True, exist_ok=True)

    def pid(self) -> int | None:
        return read_pid(self.instance.pidfile)

    def running(self) -> bool:
        return self.pid() is not None

    def state(self) -> dict[str, Any] | None:
        """What the supervisor last wrote about itself and its workers."""
        return read_state(self.instance.pidfile)

    def details(self) -> list[str]:
        """Lines for ``make status``: each worker's state, restarts and last error."""
        state = self.state()
        if state is None:
            return []
        lines = []
        if state.get("status") == "failed" and not self.running():
            lines.append("FAILED: the supervisor gave up restarting the server (make logs; "
                         "make start-service tries again)")
        for worker in state.get("workers", []):
            text = (f"worker {worker.get('id')}: {worker.get('status')}"
                    + (f", pid {worker['pid']}" if worker.get("pid") else "")
                    + f", restarted {worker.get('restarts', 0)} time(s)"
                    + (f", next start in {worker['next_start_in_s']:g} s"
                       if worker.get("next_start_in_s") else ""))
            if worker.get("last_crash_at"):
                text += (f"; last crash at {worker['last_crash_at']}: "
                         f"{worker.get('last_exit')}: {worker.get('last_error')}")
            lines.append(text)
        return lines

    def command(self) -> list[str]:
        return [str(release_python(self.instance)), "-m", "drawgame", "serve", "--daemon",
                "--pidfile", str(self.instance.pidfile), "--log-file", str(self.instance.log_file)]

    def start(self) -> None:
        self.install()
        if self.running():
            raise ServiceError(f"{self.instance.service_name} is already running "
                               f"(pid {self.pid()})")
        root = self.instance.root
        assert root is not None
        try:
            done = subprocess.run(self.command(), cwd=root, env=self.instance.process_env(),
                                  capture_output=True, text=True, timeout=START_TIMEOUT_S + 15)
        except subprocess.TimeoutExpired:
            raise ServiceError("the server did not report back in time") from None
        if done.returncode != 0:
            output = (done.stderr or done.stdout).strip()
            first, _, rest = output.partition("\n")
            if not first.startswith("drawgame: "):  # it did not get as far as saying why
                first = "drawgame: the server did not start: " + error_line(output.splitlines())
                rest = output
            raise ServiceError(first.removeprefix("drawgame: ") + ("\n" + rest if rest else ""))

    def stop(self) -> None:
        pid = self.pid()
        if pid is None:
            return
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + _stop_wait_s(self.instance)
        while time.monotonic() < deadline:
            if not is_drawgame(pid):
                return
            time.sleep(0.05)
        # The supervisor is past its own deadline for the server: kill both.
        servers = [w.get("pid") for w in (self.state() or {}).get("workers", [])]
        for victim in [pid, *(p for p in servers if isinstance(p, int) and is_drawgame(p))]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(victim, signal.SIGKILL)
        time.sleep(0.2)
        if is_drawgame(pid):
            raise ServiceError(f"pid {pid} did not stop")

    def reload(self) -> bool:
        """SIGHUP to the running cluster (the supervisor's one server process)."""
        if self.instance.config.workers < 2 or not self.running():
            return False
        servers = [w.get("pid") for w in (self.state() or {}).get("workers", [])]
        target = next((p for p in servers if isinstance(p, int) and is_drawgame(p)), None)
        if target is None:
            return False
        os.kill(target, signal.SIGHUP)
        return True

    def logs_command(self, lines: int, follow: bool) -> list[str]:
        return ["tail", "-n", str(lines), *(["-F"] if follow else []), str(self.instance.log_file)]


def _unit_quote(text: str, *, expand: bool = False) -> str:
    """One double-quoted unit file word; ``expand``: for ExecStart=, where $ is special."""
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%")
    if expand:
        text = text.replace("$", "$$")
    return f'"{text}"'


def unit_text(instance: Instance, *, system: bool, user: str | None = None) -> str:
    """The systemd unit of an instance: data folder, settings, restart policy.

    ``system``: a system unit (else a user unit); ``user``: whom a system unit runs as.
    """
    root = instance.root
    assert root is not None
    env = "\n".join(f"Environment={_unit_quote(f'{k}={v}')}" for k, v in instance.env)
    # The shell resolves `current` when the server starts, so a running server never
    # loads modules of a release switched to after it started.
    start = _unit_quote(
        f'exec "$(readlink -f {shlex.quote(str(instance.current_link))})/venv/bin/python"'
        " -m drawgame serve", expand=True
    )
    user_line = f"User={user}\n" if user else ""
    return f"""[Unit]
Description=drawgame ({instance.name})
After=network-online.target
Wants=network-online.target
StartLimitIntervalSec=60
StartLimitBurst=5

[Service]
Type=simple
{user_line}WorkingDirectory={str(root).replace("%", "%%")}
{env}
ExecStart=/bin/sh -c {start}
ExecReload=/bin/kill -HUP $MAINPID
KillSignal=SIGTERM
LimitNOFILE={OPEN_FILES_LIMIT}
TimeoutStopSec={int(_stop_wait_s(instance))}
Restart=on-failure
RestartSec=2

[Install]
WantedBy={"multi-user.target" if system else "default.target"}
"""


class Systemd:
    """A generated unit, ``drawgame.service`` or ``drawgame-staging.service``.

    As root it is a system unit in /etc/systemd/system; otherwise a user unit
    in ~/.config/systemd/user driven with ``systemctl --user`` (run
    ``loginctl enable-linger`` once so it keeps running after you log out).
    """

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.system = os.geteuid() == 0

    @property
    def unit(self) -> str:
        return f"{self.instance.service_name}.service"

    @property
    def unit_path(self) -> Path:
        if self.system:
            return Path("/etc/systemd/system") / self.unit
        return Path.home() / ".config" / "systemd" / "user" / self.unit

    def _systemctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = ["systemctl", *([] if self.system else ["--user"]), *args]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if check and done.returncode != 0:
            raise ServiceError(f"{' '.join(cmd)}: {(done.stderr or done.stdout).strip()}")
        return done

    def describe(self) -> str:
        return f"{self.unit} (systemd, {self.unit_path})"

    def install(self) -> None:
        text = unit_text(self.instance, system=self.system, user=self._owner())
        if not self.unit_path.exists() or self.unit_path.read_text() != text:
            self.unit_path.parent.mkdir(parents=True, exist_ok=True)
            self.unit_path.write_text(text)
            self._systemctl("daemon-reload")
            self._systemctl("enable", self.unit)

    def _owner(self) -> str | None:
        """A system unit runs as the owner of the deployment folder, unless that is root."""
        root = self.instance.root
        if not self.system or root is None or not root.exists():
            return None
        uid = root.stat().st_uid
        return pwd.getpwuid(uid).pw_name if uid != 0 else None

    def running(self) -> bool:
        return self._systemctl("is-active", "--quiet", self.unit, check=False).returncode == 0

    def details(self) -> list[str]:
        """systemd's own view: active state, restarts, main pid."""
        done = self._systemctl("show", self.unit, "--property=ActiveState,SubState,NRestarts,"
                               "MainPID,Result", check=False)
        values = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
        if not values:
            return []
        return [f"systemd: {values.get('ActiveState')} ({values.get('SubState')}), main pid "
                f"{values.get('MainPID')}, restarted {values.get('NRestarts', '0')} time(s), "
                f"result {values.get('Result')}"]

    def start(self) -> None:
        self.install()
        self._systemctl("start", self.unit)

    def stop(self) -> None:
        self._systemctl("stop", self.unit, check=False)

    def reload(self) -> bool:
        if self.instance.config.workers < 2 or not self.running():
            return False
        self._systemctl("reload", self.unit)
        return True

    def logs_command(self, lines: int, follow: bool) -> list[str]:
        user = [] if self.system else ["--user"]
        return ["journalctl", *user, "-u", self.unit, "-n", str(lines), *(["-f"] if follow else [])]
