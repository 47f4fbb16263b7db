"""The service: ``serve --daemon`` (the built-in supervisor) and the generated systemd unit."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from drawgame.config import Config
from drawgame.ops.daemon import is_drawgame, read_pid
from drawgame.ops.instance import resolve
from drawgame.ops.service import Supervisor, Systemd, for_instance, unit_text


def daemon(tmp_path: Path, port: int, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRAWGAME_")}
    env.update(DRAWGAME_PORT=str(port), DRAWGAME_DB_PATH=str(tmp_path / "db.sqlite3"),
               DRAWGAME_ENV_FILE=os.devnull, DRAWGAME_SHUTDOWN_GRACE_S="2")
    return subprocess.run(
        [sys.executable, "-m", "drawgame", "serve", "--daemon", "--pidfile",
         str(tmp_path / "run" / "d.pid"), "--log-file", str(tmp_path / "logs" / "d.log"), *extra],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_daemon_serves_in_the_background_and_stops_gracefully(tmp_path: Path) -> None:
    port = free_port()
    done = daemon(tmp_path, port)
    pidfile = tmp_path / "run" / "d.pid"
    pid = read_pid(pidfile)
    try:
        assert done.returncode == 0, done.stderr
        assert pid is not None and f"pid {pid}" in done.stdout
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=5) as answer:
            assert json.load(answer)["status"] == "ok"
        assert os.getsid(pid) != os.getsid(0)  # a session of its own: detached from ours
        again = daemon(tmp_path, port)
        assert again.returncode == 1 and "already running" in again.stderr
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while is_drawgame(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not is_drawgame(pid)
        assert not pidfile.exists()  # removed on the way out
        log = (tmp_path / "logs" / "d.log").read_text()
        assert '"event": "serving"' in log and '"event": "shutdown_complete"' in log
        # standard error is the log file here: the first start's admin token is not in it
        assert '"event": "admin_token_created"' in log and "admin token (shown" not in log
        conn = sqlite3.connect(tmp_path / "db.sqlite3")
        digest = json.loads(conn.execute(
            "SELECT value FROM kv WHERE key = 'admin_token_hash'").fetchone()[0])
        conn.close()
        words = re.findall(r"[A-Za-z0-9_-]{40,}", log)
        assert all(hashlib.sha256(w.encode()).hexdigest() != digest for w in words)
    finally:
        if pid is not None and is_drawgame(pid):
            os.kill(pid, signal.SIGKILL)


def test_daemon_that_cannot_start_reports_it_with_its_log(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        done = daemon(tmp_path, taken.getsockname()[1])
    assert done.returncode == 1
    assert "did not start" in done.stderr
    assert str(tmp_path / "logs" / "d.log") in done.stderr
    assert read_pid(tmp_path / "run" / "d.pid") is None


def test_daemon_needs_a_pidfile(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRAWGAME_")}
    done = subprocess.run([sys.executable, "-m", "drawgame", "serve", "--daemon"], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "--pidfile" in done.stderr


def test_read_pid_ignores_a_stale_or_foreign_pidfile(tmp_path: Path) -> None:
    pidfile = tmp_path / "x.pid"
    pidfile.write_text(f"{os.getpid()}\n")  # alive, but pytest is not a drawgame server
    assert read_pid(pidfile) is None
    pidfile.write_text("999999999\n")
    assert read_pid(pidfile) is None
    pidfile.write_text("garbage")
    assert read_pid(pidfile) is None


@pytest.fixture
def production(tmp_path: Path):  # type: ignore[no-untyped-def]
    ops = Config(deploy_root=str(tmp_path / "prod"), deploy_port=9123, host="0.0.0.0",
                 service_manager="supervisor")
    return resolve("production", ops)


def test_instances_have_their_own_root_port_database_and_service(tmp_path: Path) -> None:
    ops = Config(deploy_root=str(tmp_path / "p"), staging_root=str(tmp_path / "s"),
                 deploy_port=9001, staging_port=9002, staging_url="https://staging.example.org")
    prod, staging = resolve("production", ops), resolve("staging", ops)
    assert (prod.service_name, staging.service_name) == ("drawgame", "drawgame-staging")
    assert (prod.config.port, staging.config.port) == (9001, 9002)
    assert (prod.config.environment, staging.config.environment) == ("production", "staging")
    assert prod.db_path == tmp_path / "p" / "data" / "drawgame.sqlite3"
    assert staging.db_path == tmp_path / "s" / "data" / "drawgame.sqlite3"
    assert staging.backup_dir == tmp_path / "s" / "backups"
    assert (prod.smoke_url, staging.smoke_url) == ("http://127.0.0.1:9001",
                                                   "https://staging.example.org")


def test_the_instance_env_file_tunes_the_server_but_not_what_the_deploy_owns(
    tmp_path: Path,
) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (root / ".env").write_text("DRAWGAME_MAX_ROOMS=7\nDRAWGAME_PORT=1\n")
    prod = resolve("production", Config(deploy_root=str(root), deploy_port=9001))
    assert prod.config.max_rooms == 7
    assert prod.config.port == 9001
    env = prod.process_env({"PATH": "/bin", "DRAWGAME_PORT": "5", "DRAWGAME_DB_PATH": "x"})
    assert env["PATH"] == "/bin" and env["DRAWGAME_PORT"] == "9001"
    assert env["DRAWGAME_DB_PATH"] == str(root / "data" / "drawgame.sqlite3")


def test_auto_picks_the_supervisor_without_systemd(production) -> None:  # type: ignore[no-untyped-def]
    service = for_instance(production, "auto")
    assert isinstance(service, Systemd if Path("/run/systemd/system").is_dir() else Supervisor)
    assert isinstance(for_instance(production, "supervisor"), Supervisor)


def test_systemd_unit(production) -> None:  # type: ignore[no-untyped-def]
    text = unit_text(production, system=True, user="games")
    lines = text.splitlines()
    root = production.root
    assert "User=games" in lines
    assert f"WorkingDirectory={root}" in lines
    assert f'Environment="DRAWGAME_DB_PATH={root}/data/drawgame.sqlite3"' in lines
    assert f'Environment="DRAWGAME_ENV_FILE={root}/.env"' in lines
    assert 'Environment="DRAWGAME_PORT=9123"' in lines
    assert "Restart=on-failure" in lines and "KillSignal=SIGTERM" in lines
    assert "LimitNOFILE=65536" in lines  # systemd's default 1024 is below the connection cap
    assert "WantedBy=multi-user.target" in lines
    start = next(line for line in lines if line.startswith("ExecStart="))
    # `current` is resolved by the shell at start ($$ is how a unit file writes $):
    assert start == (f'ExecStart=/bin/sh -c "exec \\"$$(readlink -f {root}/current)'
                     '/venv/bin/python\\" -m drawgame serve"')
    user_unit = unit_text(production, system=False)
    assert "User=" not in user_unit and "WantedBy=default.target" in user_unit


def test_systemd_unit_escapes_what_systemd_would_expand(tmp_path: Path) -> None:
    odd = resolve("production", Config(deploy_root=str(tmp_path / "100% fun")))
    lines = unit_text(odd, system=True).splitlines()
    assert f"WorkingDirectory={tmp_path}/100%% fun" in lines
    assert f'Environment="DRAWGAME_ENV_FILE={tmp_path}/100%% fun/.env"' in lines
    start = next(line for line in lines if line.startswith("ExecStart="))
    assert f"readlink -f '{tmp_path}/100%% fun/current'" in start
