"""Shared fixtures: a config on a temporary database, running services, a real server.

``database`` (and ``db_config``) run a test on both databases: a SQLite file, and
a database of its own on the real PostgreSQL server the suite starts
(tests/pgserver.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trio

from drawgame.app import create_app, serve
from drawgame.config import Config
from drawgame.services import Services, open_services
from tests import pgserver, wheels


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(
        host="127.0.0.1",
        port=0,
        db_path=str(tmp_path / "drawgame.sqlite3"),
        environment="test",
        shutdown_grace_s=3.0,
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """``-m postgresql`` selects every test that runs against the PostgreSQL server."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_pg = callspec is not None and any(
            value == "postgresql" for name, value in callspec.params.items()
            if name in ("database", "shared_store"))
        if on_pg or {"pg_server", "pg_url"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgresql)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[pgserver.PgServer]:
    """A real PostgreSQL server for the whole run (installed when missing)."""
    try:
        server = pgserver.start()
    except pgserver.Unavailable as exc:
        pytest.skip(f"PostgreSQL tests skipped: {exc}")
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server: pgserver.PgServer) -> Iterator[str]:
    """The URL (with its password) of a new, empty PostgreSQL database for one test."""
    url = pg_server.fresh_database()
    yield url
    pg_server.drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where the test's store is: a SQLite file, then a PostgreSQL URL."""
    if request.param == "sqlite":
        return str(tmp_path / "db.sqlite3")
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def db_config(config: Config, database: str) -> Config:
    """``config`` on each database in turn."""
    if database.startswith("postgresql://"):
        return config.replace(database_url=database)
    return config.replace(db_path=database)


@pytest.fixture
async def services(config: Config) -> AsyncIterator[Services]:
    async with open_services(config) as svc:
        yield svc


@pytest.fixture
def app(services: Services):  # type: ignore[no-untyped-def]
    return create_app(services)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@dataclass
class RunningServer:
    url: str
    stop: trio.Event
    done: trio.Event

    @property
    def ws_url(self) -> str:
        return "ws" + self.url.removeprefix("http")

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])


async def start_server(nursery: trio.Nursery, config: Config) -> RunningServer:
    """Start the real server (hypercorn, trio worker) in ``nursery`` on config's port."""
    stop, done = trio.Event(), trio.Event()

    async def run(task_status: trio.TaskStatus[list[str]]) -> None:
        try:
            await serve(config, stop, task_status=task_status)
        finally:
            done.set()

    binds = await nursery.start(run)
    return RunningServer(url=binds[0], stop=stop, done=done)


async def serving(nursery: trio.Nursery, config: Config) -> AsyncIterator[RunningServer]:
    """A server for one test, stopped gracefully after it."""
    running = await start_server(nursery, config)
    yield running
    running.stop.set()
    with trio.fail_after(config.shutdown_grace_s + 5):
        await running.done.wait()


@pytest.fixture
async def server(nursery: trio.Nursery, config: Config) -> AsyncIterator[RunningServer]:
    async for running in serving(nursery, config):
        yield running


@pytest.fixture
async def db_server(nursery: trio.Nursery, db_config: Config) -> AsyncIterator[RunningServer]:
    """``server`` on each database in turn."""
    async for running in serving(nursery, db_config):
        yield running


Launch = Callable[..., Awaitable[RunningServer]]


@pytest.fixture
async def launch(nursery: trio.Nursery, config: Config) -> AsyncIterator[Launch]:
    """Start real servers with some settings changed; each is stopped gracefully after."""
    started: list[RunningServer] = []

    async def launch(**changes: Any) -> RunningServer:
        running = await start_server(nursery, config.replace(**changes))
        started.append(running)
        return running

    yield launch
    for running in started:
        running.stop.set()
        with trio.fail_after(config.shutdown_grace_s + 5):
            await running.done.wait()


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with drawgame's wheel built from this checkout, the wheels of everything it
    needs and of its build backend: what installs without the package index use."""
    folder = tmp_path_factory.mktemp("wheelhouse")
    wheels.build_wheelhouse(folder)
    return folder
