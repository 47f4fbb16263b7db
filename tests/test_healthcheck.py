"""``python -m drawgame.healthcheck``, the container's HEALTHCHECK, against a real server
and against a port where none listens."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import trio
from conftest import RunningServer

from drawgame.config import Config
from drawgame.healthcheck import local_url
from tests.serverproc import free_port


def check(port: int, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRAWGAME_")}
    env.update(DRAWGAME_HOST="0.0.0.0", DRAWGAME_PORT=str(port),
               DRAWGAME_ENV_FILE=str(tmp_path / "none.env"))
    return subprocess.run([sys.executable, "-m", "drawgame.healthcheck"], env=env,
                          capture_output=True, text=True, timeout=30)


async def test_a_serving_server_is_healthy(server: RunningServer, tmp_path: Path) -> None:
    done = await trio.to_thread.run_sync(check, server.port, tmp_path)
    assert (done.returncode, done.stdout.strip()) == (0, "ok"), done.stderr


def test_no_server_is_unhealthy(tmp_path: Path) -> None:
    done = check(free_port(), tmp_path)
    assert done.returncode == 1
    assert "no health answer" in done.stdout


def test_a_wildcard_address_is_asked_on_the_loopback() -> None:
    assert local_url(Config(host="0.0.0.0", port=8080)) == "http://127.0.0.1:8080"
    assert local_url(Config(host="::", port=8080)) == "http://[::1]:8080"
    assert local_url(Config(host="::1", port=81)) == "http://[::1]:81"
    assert local_url(Config(host="10.0.0.5", port=81)) == "http://10.0.0.5:81"
