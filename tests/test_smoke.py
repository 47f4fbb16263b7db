"""The smoke tests pass against a healthy server and name the step that fails otherwise."""

from __future__ import annotations

import json
import socket
import sys
import urllib.request
from pathlib import Path

import trio
from conftest import RunningServer, start_server

from drawgame.config import Config
from drawgame.ops import admin_token
from drawgame.store.db import connect, in_transaction
from smoke.run import smoke

ROOT = Path(__file__).resolve().parent.parent
STEPS = ["health", "create room", "join", "start", "choose", "draw", "guess", "turn end",
         "leave", "not listed"]


async def run_smoke(url: str) -> tuple[str | None, list[str]]:
    lines: list[str] = []
    with trio.fail_after(30):
        failed = await smoke(url, lines.append)
    return failed, lines


async def test_smoke_passes_and_leaves_nothing_listed(server: RunningServer) -> None:
    failed, lines = await run_smoke(server.url)
    assert failed is None, "\n".join(lines)
    assert [line.split()[0] for line in lines] == ["ok"] * len(STEPS)
    assert [_step(line) for line in lines] == STEPS
    assert "reason all_guessed" in lines[STEPS.index("turn end")]
    with trio.fail_after(10):
        rooms = await trio.to_thread.run_sync(_get, server.url + "/api/rooms")
    assert '"rooms":[]' in rooms.replace(" ", "")


def _step(line: str) -> str:
    # "ok     0.012s  create room     3.2 ms  private room ..." -> "create room"
    return line[15:28].strip()


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return answer.read().decode()


async def test_cli_exits_0_and_prints_each_step_with_its_time(server: RunningServer) -> None:
    with trio.fail_after(30):
        done = await trio.run_process([sys.executable, "-m", "smoke", server.url], cwd=ROOT,
                                      capture_stdout=True, capture_stderr=True, check=False)
    out = done.stdout.decode()
    assert done.returncode == 0, out + done.stderr.decode()
    assert out.splitlines()[-1].startswith("smoke: all steps passed in ")
    for step in STEPS:
        assert any(line.startswith("ok") and _step(line) == step and "s  " in line
                   for line in out.splitlines()), step


async def test_a_server_in_maintenance_fails_at_create_room(
    server: RunningServer, config: Config
) -> None:
    conn = connect(config.db_path)
    token = in_transaction(conn, admin_token.rotate)
    conn.close()
    req = urllib.request.Request(server.url + "/api/admin/maintenance", method="POST",
                                 data=json.dumps({"on": True, "message": "upgrading"}).encode(),
                                 headers={"Authorization": f"Bearer {token}"})
    await trio.to_thread.run_sync(lambda: urllib.request.urlopen(req, timeout=5).close())
    with trio.fail_after(30):
        done = await trio.run_process([sys.executable, "smoke/run.py", server.url], cwd=ROOT,
                                      capture_stdout=True, check=False)
    out = done.stdout.decode().splitlines()
    assert done.returncode == 1
    assert out[-1].startswith("smoke: FAILED at step 'create room'")
    fail_line = next(line for line in out if line.startswith("FAIL"))
    assert _step(fail_line) == "create room"
    assert "503" in fail_line and "maintenance" in fail_line and "upgrading" in fail_line


async def test_a_server_refusing_second_connections_fails_at_join(
    config: Config, nursery: trio.Nursery
) -> None:
    running = await start_server(nursery, config.replace(max_connections_per_ip=1))
    failed, lines = await run_smoke(running.url)
    assert failed == "join"
    assert lines[-1].startswith("FAIL") and _step(lines[-1]) == "join"
    assert "closed" in lines[-1]
    running.stop.set()


async def test_nothing_listening_fails_at_health() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    failed, lines = await run_smoke(f"http://127.0.0.1:{port}")
    assert failed == "health"
    assert len(lines) == 1 and lines[0].startswith("FAIL")
