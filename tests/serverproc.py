"""The server as a separate process, for tests that signal or kill it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (for servers that must come back on it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(tmp_path: Path, **env: str) -> subprocess.Popen[str]:
    environ = {
        **os.environ,
        "DRAWGAME_PORT": "0",
        "DRAWGAME_DB_PATH": str(tmp_path / "db.sqlite3"),
        "DRAWGAME_LOG_FORMAT": "json",
        "DRAWGAME_ENV_FILE": str(tmp_path / "none.env"),
        "DRAWGAME_SHUTDOWN_GRACE_S": "3",
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "drawgame", "serve"],
        cwd=tmp_path, env=environ, stderr=subprocess.PIPE, text=True,
    )


def wait_for_event(proc: subprocess.Popen[str], name: str, timeout: float = 20) -> dict[str, Any]:
    assert proc.stderr is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        if line.startswith("{"):
            data: dict[str, Any] = json.loads(line)
            if data.get("event") == name:
                return data
    raise AssertionError(f"no {name!r} log line (exit code {proc.poll()})")


def start_and_wait(tmp_path: Path, **env: str) -> tuple[subprocess.Popen[str], str]:
    """Start the server process and return it with its URL once it serves."""
    proc = start(tmp_path, **env)
    return proc, wait_for_event(proc, "serving")["binds"][0]


def start_and_wait_logging_to(
    tmp_path: Path, log_file: Path, timeout: float = 20, **env: str
) -> tuple[subprocess.Popen[str], str]:
    """Start the server with its log in ``log_file`` (a busy server can never block on a
    full stderr pipe) and return it with its URL once it serves."""
    proc = start(tmp_path, DRAWGAME_LOG_FILE=str(log_file), **env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        for line in log_file.read_text().splitlines() if log_file.exists() else ():
            if line.startswith("{") and json.loads(line).get("event") == "serving":
                return proc, str(json.loads(line)["binds"][0])
        time.sleep(0.05)
    proc.kill()
    _, err = proc.communicate()
    raise AssertionError(f"the server did not serve (exit code {proc.poll()}): {err[-2000:]}")


def stop(proc: subprocess.Popen[str], timeout: float = 20) -> int:
    """SIGTERM, then wait; kill if it does not stop in time. Returns the exit code."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def wait_for_exit(proc: subprocess.Popen[str], timeout: float) -> int | None:
    """The exit code if the process ends within ``timeout`` seconds, else None."""
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
