"""The admin token and the admin API: created once, hashed, bearer-checked, rotated."""

from __future__ import annotations

import hashlib
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import trio

from drawgame.config import Config
from drawgame.ops import admin_token
from drawgame.services import Services, open_services
from drawgame.store import kv


async def rotate(services: Services) -> str:
    token: str = await services.store.transaction(admin_token.rotate)
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def post(client: Any, path: str, body: Any = None, **headers: str) -> tuple[int, Any]:
    response = await client.post(path, data=json.dumps(body) if body is not None else "",
                                 headers=headers)
    return response.status_code, await response.get_json()


async def test_token_made_at_first_start_is_never_written_where_output_is_not_a_terminal(
    db_config: Config, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """A service's output is its log (a file, the journal): the token must not land there."""
    config = db_config
    async with open_services(config) as svc:
        stored = await svc.store.run(lambda conn: kv.get_json(conn, admin_token.KEY))
        assert isinstance(stored, str) and len(stored) == 64  # a digest was made
        captured = capsys.readouterr()
        assert "admin token" not in captured.err + captured.out
        (created,) = [r for r in caplog.records if r.getMessage() == "admin_token_created"]
        assert "rotate-token" in created.fields["hint"]  # type: ignore[attr-defined]
        token = await rotate(svc)  # the only way to get one
        assert hashlib.sha256(token.encode()).hexdigest() != stored
        assert await svc.store.run(lambda conn: admin_token.matches(conn, token))

    caplog.clear()
    async with open_services(config) as svc:  # a second start makes none
        pass
    assert not [r for r in caplog.records if r.getMessage() == "admin_token_created"]


def test_token_made_at_first_start_is_shown_once_on_the_terminal(tmp_path: Path) -> None:
    log_file = tmp_path / "server.log"
    main, terminal = pty.openpty()
    env = {**os.environ, "DRAWGAME_PORT": "0", "DRAWGAME_DB_PATH": str(tmp_path / "db.sqlite3"),
           "DRAWGAME_LOG_FORMAT": "json", "DRAWGAME_ENV_FILE": os.devnull,
           "DRAWGAME_LOG_FILE": str(log_file), "DRAWGAME_SHUTDOWN_GRACE_S": "2"}
    proc = subprocess.Popen([sys.executable, "-m", "drawgame", "serve"], cwd=tmp_path, env=env,
                            stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal)
    os.close(terminal)
    try:
        shown, url = b"", None
        deadline = time.monotonic() + 30
        while url is None and time.monotonic() < deadline:
            if select.select([main], [], [], 0.1)[0]:
                shown += os.read(main, 4096)
            for line in log_file.read_text().splitlines() if log_file.exists() else ():
                if '"event": "serving"' in line:
                    url = json.loads(line)["binds"][0]
        assert url is not None, shown
        match = re.search(rb"admin token \(shown once, keep it safe\): (\S+)", shown)
        assert match, shown
        token = match.group(1).decode()
        assert token not in log_file.read_text()
        req = urllib.request.Request(url + "/api/admin/cleanup", method="POST",
                                     headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req, timeout=5) as answer:
            assert answer.status == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
        os.close(main)
    assert token not in log_file.read_text()


async def test_admin_endpoints_answer_401_without_and_403_with_a_wrong_token(
    client: Any, services: Services
) -> None:
    token = await rotate(services)
    for path in ("/api/admin/maintenance", "/api/admin/cleanup"):
        status, body = await post(client, path, {"on": True})
        assert (status, body["error"]["code"]) == (401, "unauthorized")
        status, body = await post(client, path, {"on": True}, Authorization=f"Basic {token}")
        assert status == 401
        status, body = await post(client, path, {"on": True}, **bearer(token + "x"))
        assert (status, body["error"]["code"]) == (403, "forbidden")
    assert services.maintenance.on is False
    response = await client.post("/api/admin/cleanup")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_maintenance_through_the_admin_api(client: Any, services: Services) -> None:
    token = await rotate(services)
    status, body = await post(client, "/api/admin/maintenance",
                              {"on": True, "message": "back at five"}, **bearer(token))
    assert status == 200
    assert body == {"maintenance": {"on": True, "message": "back at five"}}
    assert services.maintenance.on is True
    public = await (await client.get("/api/maintenance")).get_json()
    assert public == {"on": True, "message": "back at five"}
    status, body = await post(client, "/api/rooms", {})
    assert (status, body["error"]["code"], body["error"]["message"]) == (
        503, "maintenance", "back at five")
    persisted = await services.store.run(lambda conn: kv.get_json(conn, "maintenance"))
    assert persisted == {"on": True, "message": "back at five"}

    status, body = await post(client, "/api/admin/maintenance", {"on": False}, **bearer(token))
    assert body == {"maintenance": {"on": False, "message": ""}}
    assert (await post(client, "/api/rooms", {}))[0] == 201


@pytest.mark.parametrize("body", [None, [], {"on": "yes"}, {"message": "x"},
                                  {"on": True, "message": 5}, {"on": True, "message": "x" * 201}])
async def test_maintenance_body_is_checked(client: Any, services: Services, body: Any) -> None:
    token = await rotate(services)
    status, answer = await post(client, "/api/admin/maintenance", body, **bearer(token))
    assert status in (400, 422), answer
    assert services.maintenance.on is False


async def test_cleanup_endpoint_removes_what_is_past_retention(
    client: Any, services: Services
) -> None:
    token = await rotate(services)
    old = (datetime.now(UTC) - timedelta(days=45)).isoformat(timespec="milliseconds")
    await services.store.transaction(lambda conn: conn.execute(
        "INSERT INTO rooms (code, name, settings, is_active, created_at, last_active_at,"
        " closed_at) VALUES ('OLDROOM1', 'old', '{}', 0, ?, ?, ?)", (old, old, old)))
    status, body = await post(client, "/api/admin/cleanup", **bearer(token))
    assert status == 200
    assert body["retention_days"] == 30
    assert body["removed"]["rooms"] == 1
    left = await services.store.run(lambda c: c.execute("SELECT count(*) FROM rooms").fetchone())
    assert left[0] == 0


async def test_rotation_from_the_command_line_invalidates_the_old_token(
    client: Any, services: Services, config: Config
) -> None:
    old = await rotate(services)
    assert (await post(client, "/api/admin/cleanup", **bearer(old)))[0] == 200
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRAWGAME_")}
    env.update(DRAWGAME_DB_PATH=config.db_path, DRAWGAME_ENV_FILE=os.devnull)
    done = await trio.run_process(
        [sys.executable, "-m", "drawgame", "token", "rotate", "--instance", "local"],
        env=env, capture_stdout=True, capture_stderr=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    new = done.stdout.decode().strip().splitlines()[-1]
    assert new != old
    assert (await post(client, "/api/admin/cleanup", **bearer(old)))[0] == 403
    assert (await post(client, "/api/admin/cleanup", **bearer(new)))[0] == 200
    assert (await post(client, "/api/admin/cleanup"))[0] == 401


def test_matches_compares_digests_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import hmac
    import sqlite3

    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT, updated_at TEXT)")
    token = admin_token.rotate(conn)
    seen: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        seen.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert admin_token.matches(conn, token) is True
    assert admin_token.matches(conn, "nope") is False
    assert len(seen) == 2 and all(len(a) == len(b) == 64 for a, b in seen)
