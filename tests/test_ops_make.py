"""The Makefile as an operator meets it: help, one precedence for the server's address,
``make health`` on the right port, and output into a closed pipe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import serverproc

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(sys.executable).parent.parent


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """An operator's folder: make runs with this checkout's Makefile and venv, here."""
    (tmp_path / "pyproject.toml").touch()
    os.utime(tmp_path / "pyproject.toml", (0, 0))  # older than the venv: nothing to install
    return tmp_path


def make(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith("DRAWGAME_") and k not in ("HOST", "PORT", "DB", "MAKEFLAGS")}
    return subprocess.run(["make", "--no-print-directory", "-f", str(ROOT / "Makefile"),
                           f"VENV={VENV}", *args], cwd=folder, env={**environ, **env},
                          capture_output=True, text=True, timeout=120)


def start_line(done: subprocess.CompletedProcess[str]) -> str:
    return next(line for line in done.stdout.splitlines() if line.startswith("start "))


def test_help_shows_values_not_make_variables(folder: Path) -> None:
    done = make(folder, "help")
    assert done.returncode == 0, done.stderr
    assert "$(" not in done.stdout
    assert "127.0.0.1:8000 (DB=data/drawgame.sqlite3)" in start_line(done)
    (folder / ".env").write_text("DRAWGAME_PORT=9300\n")
    assert ":9300 " in start_line(make(folder, "help"))
    assert ":9301 " in start_line(make(folder, "help", DRAWGAME_PORT="9301"))
    assert ":9302 " in start_line(make(folder, "help", "PORT=9302", DRAWGAME_PORT="9301"))


def test_health_asks_the_port_the_settings_name(folder: Path) -> None:
    server, url = serverproc.start_and_wait(folder)
    port = url.rsplit(":", 1)[1]
    try:
        (folder / ".env").write_text(f"DRAWGAME_PORT={port}\n")
        for args, env in (((), {}),  # .env
                          ((), {"DRAWGAME_PORT": port}),  # the environment over .env
                          ((f"PORT={port}",), {"DRAWGAME_PORT": "1"})):  # make's over both
            if env.get("DRAWGAME_PORT") == port:
                (folder / ".env").write_text("DRAWGAME_PORT=1\n")
            done = make(folder, "health", *args, **env)
            assert done.returncode == 0, (args, env, done.stdout + done.stderr)
            assert '"status": "ok"' in done.stdout
        assert make(folder, "health").returncode != 0  # .env now names port 1: nobody there
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_output_into_a_closed_pipe_is_not_an_error(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written (`| head -0`)
    try:
        done = subprocess.run([sys.executable, "-m", "drawgame", "url", "--instance", "local"],
                              stdout=write_end, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                              env={**os.environ, "DRAWGAME_ENV_FILE": os.devnull}, timeout=60)
    finally:
        os.close(write_end)
    assert done.returncode == 0
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
