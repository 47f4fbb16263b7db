"""Deploys of an instance on PostgreSQL: real releases and a real service on the test server.

The instance's ``.env`` names a database of the test PostgreSQL server. A
first release serves; a release whose migration runs but which never gets
healthy is rolled back, and its pre-deploy ``pg_dump`` comes back (the
migrated database kept as a failed-deploy dump); a backup and restore
round-trip while serving. The deploy machinery itself is tested on SQLite in
tests/test_ops_deploy.py, whose helpers these tests share.
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from drawgame.ops.daemon import is_drawgame
from drawgame.store.db import connect_to
from tests.test_ops_deploy import (
    BROKEN_MIGRATION,
    NEVER_HEALTHY,
    REPO,
    Deployment,
    free_port,
    make_tree,
    output,
    seat,
)


class PgDeployment(Deployment):
    url_of_database: str = ""

    def rows(self, sql: str) -> list[tuple[object, ...]]:
        conn = connect_to(self.url_of_database)
        try:
            return [tuple(row) for row in conn.execute(sql)]
        finally:
            conn.close()


@pytest.fixture(scope="module")
def pg_trees(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("pg-trees")
    first = make_tree(base / "first", REPO)
    marker = "CREATE TABLE broken_release_marker (x INTEGER);\n"
    broken = make_tree(base / "broken", first, files={
        f"migrations/{BROKEN_MIGRATION}": marker,
        f"migrations/postgresql/{BROKEN_MIGRATION}": marker},
        append={"drawgame/web/health.py": NEVER_HEALTHY})
    return {"first": first, "broken": broken}


@pytest.fixture(scope="module")
def pg_deployment(tmp_path_factory: pytest.TempPathFactory,
                  pg_server: object) -> Iterator[PgDeployment]:
    from tests.pgserver import PgServer

    assert isinstance(pg_server, PgServer)
    url = pg_server.fresh_database()
    work = tmp_path_factory.mktemp("pg-deploy")
    root = work / "root"
    root.mkdir()
    (root / ".env").write_text("DRAWGAME_SHUTDOWN_GRACE_S=2\nDRAWGAME_RECONNECT_IN_MS=100\n"
                               f"DRAWGAME_DATABASE_URL={url}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRAWGAME_")}
    port = free_port()
    env.update(DRAWGAME_DEPLOY_ROOT=str(root), DRAWGAME_DEPLOY_PORT=str(port),
               DRAWGAME_SERVICE_MANAGER="supervisor", DRAWGAME_HEALTH_TIMEOUT_S="30",
               DRAWGAME_ENV_FILE=os.devnull)
    d = PgDeployment(root, port, env, work)
    d.url_of_database = url
    try:
        yield d
    finally:
        d.run("service", "stop", timeout=60)
        pidfile = root / "run" / "drawgame.pid"
        if pidfile.exists() and is_drawgame(int(pidfile.read_text())):
            os.kill(int(pidfile.read_text()), 9)
        pg_server.drop_database(url)


def create_room(d: Deployment, name: str) -> str:
    req = urllib.request.Request(d.url + "/api/rooms", method="POST",
                                 data=json.dumps({"name": name}).encode())
    with urllib.request.urlopen(req, timeout=5) as answer:
        return str(json.load(answer)["code"])


def test_a_failed_deploy_on_postgresql_puts_the_pre_deploy_dump_back(
    pg_deployment: PgDeployment, pg_trees: dict[str, Path]
) -> None:
    d = pg_deployment
    done = d.deploy(pg_trees["first"], SKIP_TESTS="1")
    assert done.returncode == 0, output(done)
    first = d.current()
    assert "check migrations on the live database (in a transaction rolled back)" in output(done)
    assert d.health()["status"] == "ok"
    code = create_room(d, "kept across deploys")
    token = seat(d.url, code, "Ada")["you"]["token"]
    assert not (d.root / "data" / "drawgame.sqlite3").exists()  # nothing went to SQLite

    done = d.deploy(pg_trees["broken"], "--skip-tests", DRAWGAME_HEALTH_TIMEOUT_S="3")
    text = output(done)
    assert done.returncode == 1 and "rolled back" in text, text
    assert "check migrations" in text and f"to apply: {BROKEN_MIGRATION}" in text
    assert d.current() == first and d.health()["status"] == "ok"
    versions = {int(r[0]) for r in d.rows("SELECT version FROM schema_migrations")}
    assert 9002 not in versions  # the pre-deploy dump came back
    assert not d.rows("SELECT 1 FROM pg_tables WHERE tablename = 'broken_release_marker'")
    backups = d.root / "backups"
    assert len(list(backups.glob("drawgame-*-predeploy-*.dump"))) == 1  # none of an empty one
    assert len(list(backups.glob("drawgame-*-failed-deploy.dump"))) == 1
    welcome = seat(d.url, code, "Ada", token)  # the room and the seat are still there
    assert welcome["room"]["name"] == "kept across deploys"


@pytest.fixture
def pg_deployed(pg_deployment: PgDeployment, pg_trees: dict[str, Path]) -> PgDeployment:
    """The module's deployment with a release serving (deployed here when run alone)."""
    if not (pg_deployment.root / "current").exists():
        done = pg_deployment.deploy(pg_trees["first"], SKIP_TESTS="1")
        assert done.returncode == 0, output(done)
    return pg_deployment


def test_backup_and_restore_of_a_deployed_instance_on_postgresql(
    pg_deployed: PgDeployment,
) -> None:
    d = pg_deployed
    done = d.run("backup", "--instance", "production")
    assert done.returncode == 0, output(done)
    backup = Path(done.stdout.split()[1])
    later = create_room(d, "made after the backup")
    old_pid = d.pid()
    done = d.run("restore", "--instance", "production", str(backup))
    assert done.returncode == 0, output(done)
    assert d.pid() != old_pid and d.health()["status"] == "ok"
    assert not d.rows(f"SELECT 1 FROM rooms WHERE code = '{later}'")
    assert len(list((d.root / "backups").glob("drawgame-*-before-restore.dump"))) == 1
    status = d.run("service", "status", "--instance", "production")
    assert "on PostgreSQL" in output(status) and "before-restore copies" in output(status)
