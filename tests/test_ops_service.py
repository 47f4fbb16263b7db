"""The service: ``serve --daemon`` (the built-in supervisor) and the generated systemd unit."""

from __future__ import annotations

import fcntl
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
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from drawgame.config import Config
from drawgame.ops import serverlock
from drawgame.ops.daemon import is_drawgame, read_pid
from drawgame.ops.instance import resolve
from drawgame.ops.service import Supervisor, Systemd, for_instance, unit_text
from drawgame.ops.supervise import error_line, read_state
from tests.serverproc import free_port


def daemon(tmp_path: Path, port: int, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRAWGAME_")}
    env.update(DRAWGAME_PORT=str(port), DRAWGAME_DB_PATH=str(tmp_path / "db.sqlite3"),
               DRAWGAME_ENV_FILE=os.devnull, DRAWGAME_SHUTDOWN_GRACE_S="2")
    return subprocess.run(
        [sys.executable, "-m", "drawgame", "serve", "--daemon", "--pidfile",
         str(tmp_path / "run" / "d.pid"), "--log-file", str(tmp_path / "logs" / "d.log"), *extra],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )



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


# ---------------------------------------------------------------- the supervisor supervises


def supervised(tmp_path: Path, port: int, **env: str) -> subprocess.CompletedProcess[str]:
    """``serve --daemon`` laid out as a deployment's service (run/drawgame.pid, logs/)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DRAWGAME_")}
    environ.update(DRAWGAME_PORT=str(port), DRAWGAME_DB_PATH=str(tmp_path / "db.sqlite3"),
                   DRAWGAME_ENV_FILE=os.devnull, DRAWGAME_SHUTDOWN_GRACE_S="2", **env)
    return subprocess.run(
        [sys.executable, "-m", "drawgame", "serve", "--daemon", "--pidfile",
         str(tmp_path / "run" / "drawgame.pid"), "--log-file",
         str(tmp_path / "logs" / "drawgame.log")],
        cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=90)


def worker_state(tmp_path: Path) -> dict[str, Any]:
    state = read_state(tmp_path / "run" / "drawgame.pid")
    assert state is not None
    worker: dict[str, Any] = state["workers"][0]
    return {**worker, "supervisor": state["status"]}


def until(check: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.05)


def health_status(port: int) -> str | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=5) as r:
            return str(json.load(r)["status"])
    except OSError:
        return None


@pytest.fixture
def cleanup_pids(tmp_path: Path) -> Iterator[None]:
    yield
    state = read_state(tmp_path / "run" / "drawgame.pid") or {}
    pids = [state.get("supervisor_pid"), *(w.get("pid") for w in state.get("workers", []))]
    for pid in pids:
        if isinstance(pid, int) and is_drawgame(pid):
            os.kill(pid, signal.SIGKILL)


def test_a_crashed_server_is_restarted_with_backoff_and_logged(
    tmp_path: Path, cleanup_pids: None
) -> None:
    port = free_port()
    done = supervised(tmp_path, port, DRAWGAME_RESTART_BACKOFF_S="0.2")
    assert done.returncode == 0, done.stderr
    supervisor = read_pid(tmp_path / "run" / "drawgame.pid")
    first = worker_state(tmp_path)
    assert (first["status"], first["restarts"]) == ("running", 0) and first["pid"] != supervisor
    assert health_status(port) == "ok"
    os.kill(first["pid"], signal.SIGKILL)
    until(lambda: worker_state(tmp_path)["restarts"] == 1
          and worker_state(tmp_path)["status"] == "running", "a restart")
    again = worker_state(tmp_path)
    assert again["pid"] != first["pid"] and again["last_exit"] == "killed by SIGKILL"
    until(lambda: health_status(port) == "ok", "health after the restart")
    assert read_pid(tmp_path / "run" / "drawgame.pid") == supervisor
    log = (tmp_path / "logs" / "drawgame.log").read_text()
    crash = next(json.loads(line) for line in log.splitlines() if '"server_crashed"' in line)
    assert (crash["exit"], crash["restart_in_s"], crash["level"]) == ("killed by SIGKILL", 0.2,
                                                                      "error")
    assert '"server_restarting"' in log
    assert supervisor is not None
    os.kill(supervisor, signal.SIGTERM)  # stops the server gracefully, then itself
    until(lambda: not is_drawgame(supervisor) and not is_drawgame(again["pid"]), "the stop")
    assert worker_state(tmp_path)["supervisor"] == "stopped"
    assert '"event": "shutdown_complete"' in (tmp_path / "logs" / "drawgame.log").read_text()


def test_the_supervisor_gives_up_after_repeated_crashes(
    tmp_path: Path, cleanup_pids: None
) -> None:
    port = free_port()
    # The first restart comes a second after the crash: time enough to take the lock.
    done = supervised(tmp_path, port, DRAWGAME_RESTART_BACKOFF_S="1",
                      DRAWGAME_RESTART_LIMIT="3")
    assert done.returncode == 0, done.stderr
    supervisor = read_pid(tmp_path / "run" / "drawgame.pid")
    assert supervisor is not None
    server = worker_state(tmp_path)["pid"]
    # While something holds the database (as a restore does), restarts cannot succeed.
    lock = open(serverlock.lock_path(tmp_path / "db.sqlite3"), "a+")  # noqa: SIM115
    try:
        os.kill(server, signal.SIGKILL)
        until(lambda: is_drawgame(server) is False, "the kill")
        until(lambda: _try_lock(lock), "the lock")
        until(lambda: not is_drawgame(supervisor), "giving up")
    finally:
        lock.close()
    failed = worker_state(tmp_path)
    assert (failed["supervisor"], failed["status"], failed["restarts"]) == ("failed", "failed", 2)
    assert "locked by another process" in failed["last_error"]
    assert not (tmp_path / "run" / "drawgame.pid").exists()
    log = (tmp_path / "logs" / "drawgame.log").read_text()
    assert '"supervisor_gave_up"' in log
    instance = resolve("production", Config(deploy_root=str(tmp_path),
                                            service_manager="supervisor"))
    details = for_instance(instance).details()
    assert details[0].startswith("FAILED: the supervisor gave up")
    assert "worker w1: failed" in details[1] and "locked by another process" in details[1]


def _try_lock(lock: Any) -> bool:
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def test_the_service_log_is_rotated_by_size(tmp_path: Path, cleanup_pids: None) -> None:
    port = free_port()
    done = supervised(tmp_path, port, DRAWGAME_LOG_MAX_BYTES="65536", DRAWGAME_LOG_BACKUPS="2")
    assert done.returncode == 0, done.stderr
    long_path = "/api/rooms/" + "X" * 3000  # one request log line of about 3 KB
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{long_path}", timeout=5)
        except urllib.error.HTTPError as exc:
            assert exc.code == 404
    logs = tmp_path / "logs"
    until(lambda: (logs / "drawgame.log.2").exists(), "two rotations")
    names = sorted(p.name for p in logs.iterdir())
    assert names == ["drawgame.log", "drawgame.log.1", "drawgame.log.2"]
    assert all(p.stat().st_size <= 65536 + 4096 for p in logs.iterdir())
    assert health_status(port) == "ok"  # the server goes on, writing to the new file
    supervisor = read_pid(tmp_path / "run" / "drawgame.pid")
    assert supervisor is not None
    os.kill(supervisor, signal.SIGTERM)
    until(lambda: not is_drawgame(supervisor), "the stop")
    assert '"supervisor_stopped"' in (logs / "drawgame.log").read_text()


@pytest.mark.parametrize(("lines", "expected"), [
    (["starting", "drawgame: invalid DRAWGAME_PORT='x': expected an integer 0..65535"],
     "invalid DRAWGAME_PORT='x': expected an integer 0..65535"),
    (['{"level": "info", "event": "serving"}',
      '{"level": "error", "event": "batch_not_written", "error": "disk I/O error"}',
      '{"level": "info", "event": "request"}'], "batch_not_written: disk I/O error"),
    (["Traceback (most recent call last):", "  | ExceptionGroup: Exceptions (1 sub-exception)",
      "    | Traceback (most recent call last):", "    | File x, line 1",
      "    | OSError: [Errno 98] Address already in use", "    +------"],
     "OSError: [Errno 98] Address already in use"),
    (["Traceback (most recent call last):", '  File "a.py", line 1',
      "ModuleNotFoundError: No module named 'nothere'"],
     "ModuleNotFoundError: No module named 'nothere'"),
    (["drawgame: admin token (shown once, keep it safe): s3cr3t", '{"event": "serving"}'],
     "no error in its output"),
])
def test_the_error_line_of_a_failed_server(lines: list[str], expected: str) -> None:
    assert error_line(lines) == expected


def test_a_daemon_with_several_workers_restarts_them_one_by_one(tmp_path: Path) -> None:
    from drawgame.ops.probe import cluster_pids, wait_rolled
    from tests.cluster import require_haproxy

    require_haproxy()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRAWGAME_")}
    env.update(DRAWGAME_PORT=str(port), DRAWGAME_DB_PATH=str(tmp_path / "db.sqlite3"),
               DRAWGAME_ENV_FILE=os.devnull, DRAWGAME_SHUTDOWN_GRACE_S="2",
               DRAWGAME_WORKERS="2", DRAWGAME_RECONNECT_IN_MS="200")
    done = subprocess.run(
        [sys.executable, "-m", "drawgame", "serve", "--daemon", "--pidfile",
         str(tmp_path / "run" / "d.pid"), "--log-file", str(tmp_path / "logs" / "d.log")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    pid = read_pid(tmp_path / "run" / "d.pid")
    url = f"http://127.0.0.1:{port}"
    try:
        assert done.returncode == 0, done.stderr
        deadline = time.monotonic() + 30
        while len(before := cluster_pids(url)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert set(before) == {"w1", "w2"}
        # What `make restart` does for a cluster: SIGHUP to the supervisor's server process.
        state = read_state(tmp_path / "run" / "d.pid")
        assert state is not None
        cluster_pid = state["workers"][0]["pid"]
        os.kill(cluster_pid, signal.SIGHUP)
        ok, why = wait_rolled(url, before, 60)
        assert ok, why
        # (A worker whose heartbeat is late on a busy machine is briefly not "up" in the
        # cluster view that health reports: read it until both are.)
        deadline = time.monotonic() + 30
        while set(after := cluster_pids(url)) != set(before) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert set(after) == set(before), after
        assert all(after[w] != before[w] for w in before)
        log = (tmp_path / "logs" / "d.log").read_text()
        assert '"event": "rolling_restart_done"' in log
        assert read_state(tmp_path / "run" / "d.pid")["workers"][0]["pid"] == cluster_pid
    finally:
        if pid is not None and is_drawgame(pid):
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 20
            while is_drawgame(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
