"""The command line, as an operator runs it: a real process, real signals."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


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


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_then_signal_exits_0_quickly(tmp_path: Path, sig: signal.Signals) -> None:
    proc = start(tmp_path)
    try:
        serving = wait_for_event(proc, "serving")
        url = serving["binds"][0]
        with urllib.request.urlopen(url + "/api/health", timeout=5) as answer:
            assert json.load(answer)["status"] == "ok"
        sent = time.monotonic()
        proc.send_signal(sig)
        assert proc.wait(timeout=5) == 0
        assert time.monotonic() - sent < 5
        assert (tmp_path / "db.sqlite3").exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_invalid_setting_stops_start_up_with_exit_2(tmp_path: Path) -> None:
    proc = start(tmp_path, DRAWGAME_MAX_CONNECTIONS="lots")
    assert proc.wait(timeout=20) == 2
    assert proc.stderr is not None
    err = proc.stderr.read().strip()
    assert err == (
        "drawgame: invalid DRAWGAME_MAX_CONNECTIONS='lots': expected an integer 1..100000"
    )
