"""Deploys as an operator runs them: real releases, a real service, a temporary DEPLOY_ROOT.

One deployment is shared by the tests of this module, in file order: a first
release, a second one adding a migration, a dry run, a release that never
gets healthy (rolled back on its own), a backup and restore while serving,
and a rollback. Releases take their dependencies from this venv
(``--deps-from``), so each builds in a few seconds without the network.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trio
from trio_websocket import open_websocket_url

from drawgame.ops import releases
from drawgame.ops.daemon import is_drawgame
from smoke.run import Player
from tests.serverproc import free_port

REPO = Path(__file__).resolve().parent.parent
IGNORE = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.pyc", ".*_cache", "data",
                                "backups", "dist", "build", "test-artifacts", ".hypothesis",
                                "node_modules", "*.egg-info", ".env")
SECOND_MIGRATION = "9000_deploy_test.sql"
BROKEN_MIGRATION = "9002_broken_release.sql"
NEVER_HEALTHY = '''

async def health_report(svc: Services) -> dict[str, Any]:  # this release never gets healthy
    return {"status": "down", "checks": {"database": {"status": "error", "error": "broken"}}}
'''


CRASHES_AT_START = '\nraise RuntimeError("this release cannot start")\n'



def make_tree(dest: Path, base: Path, files: dict[str, str] | None = None,
              append: dict[str, str] | None = None) -> Path:
    """A copy of ``base`` with some files added or appended to, committed to its own git."""
    shutil.copytree(base, dest, ignore=IGNORE)
    for name, text in (files or {}).items():
        (dest / name).write_text(text)
    for name, text in (append or {}).items():
        with open(dest / name, "a") as f:
            f.write(text)
    git = ["git", "-C", str(dest), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "release"], check=True)
    return dest


def shipped_versions() -> set[int]:
    """The versions of the migrations in this checkout (never a fixed count: adding one
    must not break this test)."""
    return {int(path.name.split("_", 1)[0]) for path in (REPO / "migrations").glob("*.sql")}


def sha_of(tree: Path) -> str:
    return releases.git_sha(tree)


@dataclass
class Deployment:
    root: Path
    port: int
    env: dict[str, str]
    work: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db(self) -> Path:
        return self.root / "data" / "drawgame.sqlite3"

    def run(self, *args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "drawgame", *args], cwd=self.work,
                              env={**self.env, **env}, capture_output=True, text=True,
                              timeout=timeout)

    def deploy(self, tree: Path, *extra: str, **env: str) -> subprocess.CompletedProcess[str]:
        return self.run("deploy", "--source", str(tree), "--deps-from",
                        sysconfig.get_path("purelib"), *extra, **env)

    def current(self) -> str:
        return (self.root / "current").resolve().name

    def pid(self) -> int:
        return int((self.root / "run" / "drawgame.pid").read_text())

    def serving_release(self) -> str:
        """The release folder the running server's Python comes from."""
        cmdline = Path(f"/proc/{self.pid()}/cmdline").read_bytes().split(b"\0")
        python = Path(cmdline[0].decode())
        return python.parent.parent.parent.name

    def health(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url + "/api/health", timeout=5) as answer:
            body: dict[str, Any] = json.load(answer)
            return body

    def query(self, sql: str, db: Path | None = None) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(f"file:{db or self.db}?mode=ro", uri=True)
        try:
            return [tuple(row) for row in conn.execute(sql)]
        finally:
            conn.close()

    def tables(self, db: Path | None = None) -> set[str]:
        return {r[0] for r in self.query("SELECT name FROM sqlite_master WHERE type='table'", db)}

    def versions(self, db: Path | None = None) -> set[int]:
        return {r[0] for r in self.query("SELECT version FROM schema_migrations", db)}


def output(done: subprocess.CompletedProcess[str]) -> str:
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("trees")
    first = make_tree(base / "first", REPO)
    second = make_tree(base / "second", first, files={
        f"migrations/{SECOND_MIGRATION}":
            "CREATE TABLE deploy_test_notes (id INTEGER PRIMARY KEY, note TEXT);\n"})
    dry = make_tree(base / "dry", second, files={
        "migrations/9001_dry_run_only.sql": "CREATE TABLE dry_run_only (x INTEGER);\n"})
    broken = make_tree(base / "broken", second, files={
        f"migrations/{BROKEN_MIGRATION}": "CREATE TABLE broken_release_marker (x INTEGER);\n"},
        append={"drawgame/web/health.py": NEVER_HEALTHY})
    crashing = make_tree(base / "crashing", second,
                         append={"drawgame/web/health.py": CRASHES_AT_START})
    return {"first": first, "second": second, "dry": dry, "broken": broken,
            "crashing": crashing}


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    work = tmp_path_factory.mktemp("deploy")
    root = work / "root"
    root.mkdir()
    (root / ".env").write_text("DRAWGAME_SHUTDOWN_GRACE_S=2\nDRAWGAME_RECONNECT_IN_MS=100\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRAWGAME_")}
    port = free_port()
    env.update(DRAWGAME_DEPLOY_ROOT=str(root), DRAWGAME_DEPLOY_PORT=str(port),
               DRAWGAME_SERVICE_MANAGER="supervisor", DRAWGAME_HEALTH_TIMEOUT_S="30",
               DRAWGAME_ENV_FILE=os.devnull)
    d = Deployment(root, port, env, work)
    try:
        yield d
    finally:
        d.run("service", "stop", timeout=60)
        pidfile = root / "run" / "drawgame.pid"
        if pidfile.exists():
            pid = int(pidfile.read_text())
            if is_drawgame(pid):
                os.kill(pid, 9)


@pytest.fixture(scope="module")
def first(deployment: Deployment, trees: dict[str, Path]) -> str:
    done = deployment.deploy(trees["first"], SKIP_TESTS="1")
    assert done.returncode == 0, output(done)
    return deployment.current()


@dataclass
class Seated:
    code: str
    tokens: dict[str, str]
    ids: dict[str, str]


async def _hello(url: str, code: str, name: str, token: str | None = None) -> dict[str, Any]:
    """Join (or, with a token, take a seat back) and leave the connection; the welcome."""
    with trio.fail_after(15):
        async with open_websocket_url(f"ws{url[4:]}/ws/{code}", disconnect_timeout=1) as ws:
            p = Player(ws, name)
            await p.send({"type": "hello", "name": name, "token": token})
            return await p.expect("welcome")


def seat(url: str, code: str, name: str, token: str | None = None) -> dict[str, Any]:
    return trio.run(_hello, url, code, name, token)


@pytest.fixture(scope="module")
def seated(deployment: Deployment, first: str) -> Seated:
    req = urllib.request.Request(deployment.url + "/api/rooms", method="POST",
                                 data=json.dumps({"name": "kept across deploys"}).encode())
    with urllib.request.urlopen(req, timeout=5) as answer:
        code = json.load(answer)["code"]
    welcomes = {name: seat(deployment.url, code, name) for name in ("Ada", "Bob")}
    return Seated(code, {n: w["you"]["token"] for n, w in welcomes.items()},
                  {n: w["you"]["id"] for n, w in welcomes.items()})


@pytest.fixture(scope="module")
def second(deployment: Deployment, trees: dict[str, Path], seated: Seated) -> str:
    done = deployment.deploy(trees["second"], "--skip-tests")
    assert done.returncode == 0, output(done)
    return deployment.current()


# ---------------------------------------------------------------- the tests, in order


def test_first_deploy_creates_a_release_and_serves_it(
    deployment: Deployment, trees: dict[str, Path], first: str
) -> None:
    assert first.endswith("-" + sha_of(trees["first"]))
    release = deployment.root / "releases" / first
    record = json.loads((release / "release.json").read_text())
    assert record["sha"] == sha_of(trees["first"]) and record["number"] == 1
    assert (record["emergency"], record["tests"]) == (True, "skipped (SKIP_TESTS=1)")
    assert (release / "HEALTHY").exists()  # served healthily: pruning keeps it
    assert (release / "venv" / "bin" / "python").exists()
    assert list((release / "dist").glob("drawgame-*.whl"))
    assert deployment.serving_release() == first
    health = deployment.health()
    assert (health["status"], health["environment"]) == ("ok", "production")
    assert (health["build"]["release"], health["build"]["commit"]) == (first,
                                                                       sha_of(trees["first"]))
    assert health["build"]["emergency"] is True  # deployed with SKIP_TESTS=1
    assert deployment.versions() == shipped_versions()
    log = (deployment.root / "logs" / "drawgame.log").read_text()
    assert "admin token (shown once" not in log  # a service's output is no terminal
    assert '"event": "admin_token_created"' in log and "rotate-token" in log


def test_the_second_release_migrates_and_keeps_rooms_and_players(
    deployment: Deployment, trees: dict[str, Path], first: str, seated: Seated, second: str
) -> None:
    assert second != first and second.endswith("-" + sha_of(trees["second"]))
    assert deployment.serving_release() == second
    assert deployment.health()["status"] == "ok"
    assert 9000 in deployment.versions() and "deploy_test_notes" in deployment.tables()
    backups = list((deployment.root / "backups").glob(f"*predeploy-{second}*"))
    assert len(backups) == 1  # taken before the migration ran:
    assert 9000 not in deployment.versions(backups[0])
    rooms = deployment.query(f"SELECT id, name FROM rooms WHERE code = '{seated.code}'")
    assert rooms and rooms[0][1] == "kept across deploys"
    names = {r[0] for r in deployment.query(
        f"SELECT name FROM players WHERE room_id = {rooms[0][0]}")}
    assert names == {"Ada", "Bob"}
    assert_room_still_there(deployment, seated)


def assert_room_still_there(deployment: Deployment, seated: Seated) -> None:
    """The room is served again after the restart, and a player takes their seat back."""
    with urllib.request.urlopen(f"{deployment.url}/api/rooms/{seated.code}", timeout=5) as r:
        summary = json.load(r)
    assert (summary["name"], summary["players"]) == ("kept across deploys", 2)
    welcome = seat(deployment.url, seated.code, "Ada", seated.tokens["Ada"])
    assert welcome["you"]["id"] == seated.ids["Ada"]
    names = {p["name"] for p in welcome["room"]["players"]}
    assert names == {"Ada", "Bob"}


def test_dry_run_changes_nothing_under_the_root(
    deployment: Deployment, trees: dict[str, Path], second: str
) -> None:
    before = snapshot(deployment.root)
    done = deployment.deploy(trees["dry"], "--dry-run", "--skip-tests")
    assert done.returncode == 0, output(done)
    text = output(done)
    assert "would apply   9001_dry_run_only.sql" in text
    assert f"would replace {second}" in text
    assert "would create  " + str(deployment.root / "releases") in text
    assert "would restart drawgame (built-in supervisor" in text
    assert snapshot(deployment.root) == before
    assert 9001 not in deployment.versions()
    assert deployment.serving_release() == second


def snapshot(root: Path) -> dict[str, Any]:
    """Every file and link under root, except SQLite's side files and the service's log."""
    seen: dict[str, Any] = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if rel.startswith("logs") or rel.endswith(("-wal", "-shm")):
            continue
        if path.is_symlink():
            seen[rel] = ("link", os.readlink(path))
        elif path.is_file():
            stat = path.stat()
            seen[rel] = ("file", stat.st_size, stat.st_mtime_ns)
        else:
            seen[rel] = ("dir",)
    return seen


def test_a_release_that_never_gets_healthy_is_rolled_back(
    deployment: Deployment, trees: dict[str, Path], seated: Seated, second: str
) -> None:
    done = deployment.deploy(trees["broken"], "--skip-tests", DRAWGAME_HEALTH_TIMEOUT_S="3")
    text = output(done)
    assert done.returncode == 1, text
    broken = next(p.name for p in (deployment.root / "releases").iterdir()
                  if p.name.endswith(sha_of(trees["broken"])))
    assert "not healthy within 3 s" in text and "rolled back" in text
    assert "ROLLING BACK" in text and f"rolled back to {second}" in text
    assert deployment.current() == second
    assert deployment.serving_release() == second
    assert deployment.health()["status"] == "ok"
    assert (deployment.root / "releases" / broken / "FAILED").exists()
    # Its migration ran, so the pre-deploy backup came back:
    assert 9002 not in deployment.versions()
    assert "broken_release_marker" not in deployment.tables()
    kept = [p for p in (deployment.root / "data").iterdir() if ".failed-deploy-" in p.name
            and not p.name.endswith(("-wal", "-shm"))]
    assert len(kept) == 1 and 9002 in deployment.versions(kept[0])
    assert_room_still_there(deployment, seated)
    releases_listed = deployment.run("releases").stdout
    assert f"* {second}" in releases_listed and "FAILED" in releases_listed
    assert "EMERGENCY (tests skipped)" in releases_listed


def test_a_release_that_crashes_at_start_is_reported_with_its_error(
    deployment: Deployment, trees: dict[str, Path], second: str
) -> None:
    done = deployment.deploy(trees["crashing"], "--skip-tests")
    text = output(done)
    assert done.returncode == 1, text
    why = "the server did not start: RuntimeError: this release cannot start"
    assert why in text
    crashed = next(p for p in (deployment.root / "releases").iterdir()
                   if p.name.endswith(sha_of(trees["crashing"])))
    assert (crashed / "FAILED").read_text().splitlines()[0] == f"restart drawgame: {why}"
    assert deployment.current() == second and deployment.health()["status"] == "ok"
    assert f"FAILED: restart drawgame: {why}" in deployment.run("releases").stdout


def test_backup_then_restore_round_trips_while_serving(
    deployment: Deployment, seated: Seated, second: str
) -> None:
    done = deployment.run("backup", "--instance", "production")
    assert done.returncode == 0, output(done)
    backup = Path(done.stdout.split()[1])
    req = urllib.request.Request(deployment.url + "/api/rooms", method="POST",
                                 data=json.dumps({"name": "made after the backup"}).encode())
    with urllib.request.urlopen(req, timeout=5) as answer:
        later = json.load(answer)["code"]
    assert deployment.query(f"SELECT 1 FROM rooms WHERE code = '{later}'")
    old_pid = deployment.pid()

    done = deployment.run("restore", "--instance", "production", str(backup))
    assert done.returncode == 0, output(done)
    assert deployment.pid() != old_pid  # stopped and started again
    assert deployment.health()["status"] == "ok"
    assert not deployment.query(f"SELECT 1 FROM rooms WHERE code = '{later}'")
    assert deployment.query(f"SELECT 1 FROM rooms WHERE code = '{seated.code}'")
    aside = [p for p in (deployment.root / "data").iterdir() if ".before-restore-" in p.name
             and not p.name.endswith(("-wal", "-shm"))]
    assert len(aside) == 1
    assert deployment.query(f"SELECT 1 FROM rooms WHERE code = '{later}'", aside[0])


def test_logs_show_the_service_log(deployment: Deployment, second: str) -> None:
    done = deployment.run("logs", "--no-follow", "-n", "3")
    assert done.returncode == 0, output(done)
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 3 and all(line.startswith("{") for line in lines)


def test_rollback_goes_back_to_the_previous_good_release(
    deployment: Deployment, first: str, second: str
) -> None:
    done = deployment.run("rollback")
    assert done.returncode == 0, output(done)
    assert deployment.current() == first  # the failed release in between is skipped
    assert deployment.serving_release() == first
    assert deployment.health()["status"] == "ok"
    done = deployment.run("rollback")
    assert done.returncode == 1 and "no release older than" in done.stderr


def test_restart_waits_for_health_and_says_so(deployment: Deployment, first: str) -> None:
    old_pid = deployment.pid()
    done = deployment.run("service", "restart")
    assert done.returncode == 0, output(done)
    assert f"{deployment.url}/api/health: status ok" in done.stdout
    assert deployment.pid() != old_pid


def test_status_still_reports_the_service_with_a_bad_env_file(
    deployment: Deployment, first: str
) -> None:
    env_file = deployment.root / ".env"
    good = env_file.read_text()
    env_file.write_text(good + "DRAWGAME_MAX_ROOMS=lots\n")
    try:
        done = deployment.run("service", "status")
        assert done.returncode == 0, output(done)
        assert "running" in done.stdout and "DRAWGAME_MAX_ROOMS='lots'" in done.stdout
        assert f"{deployment.url}/api/health: ok" in done.stdout
        disk = done.stdout.split("disk:", 1)[1]
        assert "releases " in disk and "in 4 (kept: 5 good ones)" in disk
        assert "failed-deploy copies" in disk and "in 1 (kept: 3)" in disk
        assert "pre-deploy" in disk and "free " in disk
        pid = deployment.pid()
        done = deployment.run("service", "restart")
        assert done.returncode == 1 and "DRAWGAME_MAX_ROOMS='lots'" in done.stderr
        assert deployment.pid() == pid  # refused before stopping anything
    finally:
        env_file.write_text(good)


def test_tests_run_before_a_deploy_and_a_failure_stops_it(
    deployment: Deployment, trees: dict[str, Path], tmp_path: Path
) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    calls = tmp_path / "calls"
    (fake / "make").write_text(f'#!/bin/sh\necho "$@" >> {calls}\n[ "$1" = check ]\n')
    (fake / "make").chmod(0o755)
    before = sorted(p.name for p in (deployment.root / "releases").iterdir())
    done = deployment.deploy(trees["second"], PATH=f"{fake}:{os.environ['PATH']}")
    assert done.returncode == 1
    assert "make test failed" in output(done)
    assert calls.read_text().split() == ["check", "test"]
    assert sorted(p.name for p in (deployment.root / "releases").iterdir()) == before


def failing_make(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A ``make`` on the PATH that notes its calls and always fails."""
    fake = tmp_path / "bin"
    fake.mkdir()
    calls = tmp_path / "calls"
    (fake / "make").write_text(f'#!/bin/sh\necho "$@" >> {calls}\nexit 2\n')
    (fake / "make").chmod(0o755)
    return {"PATH": f"{fake}:{os.environ['PATH']}"}, calls


def record_passes(tree: Path) -> None:
    for target in ("check", "test"):
        done = subprocess.run([sys.executable, "-m", "drawgame", "record-pass", target,
                               "--source", str(tree)], capture_output=True, text=True,
                              timeout=60, env={k: v for k, v in os.environ.items()
                                               if not k.startswith("DRAWGAME_")})
        assert done.returncode == 0 and "recorded" in done.stdout, done.stdout + done.stderr


def test_a_commit_that_passed_on_this_box_is_not_tested_again(
    deployment: Deployment, trees: dict[str, Path], tmp_path: Path
) -> None:
    env, calls = failing_make(tmp_path)
    record_passes(trees["second"])
    done = deployment.deploy(trees["second"], "--dry-run", **env)
    text = output(done)
    assert done.returncode == 0, text
    assert "make check: skipped, it passed for commit" in text
    assert "make test: skipped, it passed for commit" in text
    assert "(tests: passed earlier)" in text
    assert not calls.exists()  # make was never called
    done = deployment.deploy(trees["second"], "--dry-run", FORCE_TESTS="1", **env)
    assert done.returncode == 1 and "make check failed" in output(done)


def test_a_wheel_built_elsewhere_deploys_without_tests_or_build_here(
    deployment: Deployment, trees: dict[str, Path], first: str, tmp_path: Path
) -> None:
    env, calls = failing_make(tmp_path)
    record_passes(trees["second"])
    dist = tmp_path / "dist"
    built = subprocess.run([sys.executable, "-m", "drawgame", "dist", "--source",
                            str(trees["second"]), "--out", str(dist)], capture_output=True,
                           text=True, timeout=300, env={**deployment.env, **env})
    assert built.returncode == 0, built.stdout + built.stderr
    wheel = next(dist.glob("drawgame-*.whl"))
    facts = json.loads(wheel.with_name(wheel.name + ".build.json").read_text())
    assert (facts["commit"], facts["tests"], facts["emergency"]) == (
        sha_of(trees["second"]), "passed earlier", False)
    before = {p.name for p in (deployment.root / "releases").iterdir()}
    assert deployment.current() == first
    done = deployment.run("deploy", "--wheel", str(wheel), "--source", str(trees["first"]),
                          "--deps-from", sysconfig.get_path("purelib"),
                          DRAWGAME_RELEASES_KEEP="3", **env)
    text = output(done)
    assert done.returncode == 0, text
    assert not calls.exists()
    new = deployment.current()
    record = json.loads((deployment.root / "releases" / new / "release.json").read_text())
    assert (record["origin"], record["sha"]) == ("wheel", sha_of(trees["second"]))
    assert record["tests"] == "passed earlier, where it was built"
    build = deployment.health()["build"]
    assert (build["release"], build["commit"], build["emergency"]) == (
        new, sha_of(trees["second"]), False)
    # Pruning to 3: the two failed releases go first; first (another commit) stays.
    left = {p.name for p in (deployment.root / "releases").iterdir()}
    failed = before - left
    assert len(failed) == 2 and all(name.endswith((sha_of(trees["broken"]),
                                                   sha_of(trees["crashing"])))
                                    for name in failed)
    assert first in left and new in left and len(left) == 3
