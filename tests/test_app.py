"""The real server: hypercorn's trio worker on port 0, real HTTP, real shutdown."""

import json
import logging
from typing import Any

import httpx
import pytest
import trio

from drawgame.config import Config
from tests.conftest import RunningServer, start_server


async def test_real_server_health_then_graceful_shutdown(
    nursery: trio.Nursery, config: Config
) -> None:
    running = await start_server(nursery, config)
    async with httpx.AsyncClient() as http:
        answer = await http.get(running.url + "/api/health")
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"
    started = trio.current_time()
    running.stop.set()
    with trio.fail_after(config.shutdown_grace_s + 2):
        await running.done.wait()
    assert trio.current_time() - started < config.shutdown_grace_s
    with pytest.raises(OSError):
        await trio.open_tcp_stream("127.0.0.1", running.port)


async def test_security_headers_on_every_response(server: RunningServer) -> None:
    async with httpx.AsyncClient() as http:
        for path in ("/api/health", "/no/such/page"):
            answer = await http.get(server.url + path)
            csp = answer.headers["content-security-policy"]
            assert "default-src 'self'" in csp
            assert "script-src 'self'" in csp
            assert "img-src 'self' data: blob:" in csp
            assert "connect-src 'self'" in csp
            assert "frame-ancestors 'none'" in csp
            assert answer.headers["x-content-type-options"] == "nosniff"
            assert answer.headers["referrer-policy"] == "no-referrer"


async def test_unknown_path_is_json_error(server: RunningServer) -> None:
    async with httpx.AsyncClient() as http:
        answer = await http.get(server.url + "/api/nothing-here")
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"


async def test_one_log_line_per_request_without_query(
    client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    logging.getLogger("drawgame").propagate = True
    with caplog.at_level(logging.INFO, logger="drawgame.http"):
        await client.get("/api/health?token=secret-value")
    lines = [r for r in caplog.records if r.name == "drawgame.http"]
    assert len(lines) == 1
    fields = lines[0].fields  # type: ignore[attr-defined]
    assert fields["method"] == "GET"
    assert fields["path"] == "/api/health"
    assert fields["status"] == 200
    assert isinstance(fields["duration_ms"], float)
    assert "secret-value" not in json.dumps(fields)


async def test_an_idle_keep_alive_connection_does_not_hold_up_shutdown(
    nursery: trio.Nursery, config: Config
) -> None:
    running = await start_server(nursery, config.replace(shutdown_grace_s=5.0))
    async with httpx.AsyncClient() as http:  # keeps its connection open, as browsers do
        for _ in range(3):
            assert (await http.get(running.url + "/api/health")).status_code == 200
        running.stop.set()
        # the idle connection is closed at once instead of being waited on for the grace
        with trio.fail_after(2.5):
            await running.done.wait()


async def test_an_unexpected_error_in_a_websocket_handler_is_logged_with_its_path(
    services: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from drawgame.app import create_app

    app = create_app(services)

    @app.websocket("/boom")
    async def boom() -> None:
        raise RuntimeError("kaboom")

    client = app.test_client()
    with pytest.raises(Exception):  # noqa: B017 - the test client reports the refusal
        async with client.websocket("/boom") as ws:
            await ws.receive()
    (logged,) = [r for r in caplog.records if r.getMessage() == "unhandled_error"]
    assert logged.fields == {"path": "/boom", "error": "RuntimeError: kaboom"}  # type: ignore[attr-defined]
