"""The server as a separate process, for tests that signal or kill it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


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
