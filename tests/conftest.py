"""Shared fixtures: a config on a temporary database, running services, a real server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trio

from drawgame.app import create_app, serve
from drawgame.config import Config
from drawgame.services import Services, open_services


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(
        host="127.0.0.1",
        port=0,
        db_path=str(tmp_path / "drawgame.sqlite3"),
        environment="test",
        shutdown_grace_s=3.0,
    )


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


@pytest.fixture
async def server(nursery: trio.Nursery, config: Config) -> AsyncIterator[RunningServer]:
    running = await start_server(nursery, config)
    yield running
    running.stop.set()
    with trio.fail_after(config.shutdown_grace_s + 5):
        await running.done.wait()


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
