import threading
from typing import Any

import trio
import trio.testing

from drawgame.game.effects import Record
from drawgame.game.settings import Settings
from drawgame.services import Services
from drawgame.store.db import READ_CONNECTIONS


async def get_health(client: Any) -> tuple[int, dict[str, Any]]:
    response = await client.get("/api/health")
    return response.status_code, await response.get_json()


async def test_health_fields_and_types(client: Any) -> None:
    status, body = await get_health(client)
    assert status == 200
    assert body["status"] == "ok"
    assert body["version"] == "0.1.0"
    assert body["environment"] == "test"
    assert body["maintenance"] is False
    assert body["timestamp"].endswith("Z") and "T" in body["timestamp"]
    assert isinstance(body["uptime_s"], float) and body["uptime_s"] >= 0
    database = body["checks"]["database"]
    assert database["status"] == "ok"
    assert isinstance(database["latency_ms"], float) and database["latency_ms"] > 0
    websocket = body["checks"]["websocket"]
    assert websocket == {"status": "ok", "connections": 0, "limit": 5000}
    perf = body["performance"]
    assert set(perf) == {
        "active_rooms", "active_players", "ws_connections", "messages_in_per_s",
        "messages_out_per_s", "event_loop_lag_ms", "memory_rss_mb",
    }
    assert perf["active_rooms"] == 0 and perf["ws_connections"] == 0
    assert isinstance(perf["messages_in_per_s"], float)
    assert isinstance(perf["event_loop_lag_ms"], float)
    assert 5 < perf["memory_rss_mb"] < 4096


async def test_health_is_down_and_503_when_database_fails(client: Any, services: Services) -> None:
    await services.store.close()
    status, body = await get_health(client)
    assert status == 503
    assert body["status"] == "down"
    assert body["checks"]["database"]["status"] == "error"
    assert "closed" in body["checks"]["database"]["error"]


async def test_health_degraded_in_maintenance(client: Any, services: Services) -> None:
    await services.set_maintenance(True, "upgrading")
    status, body = await get_health(client)
    assert status == 200
    assert body["status"] == "degraded"
    assert body["maintenance"] is True


async def test_health_degraded_near_connection_limit(client: Any, services: Services) -> None:
    for _ in range(4500):
        services.stats.connection_opened("10.0.0.1")
    status, body = await get_health(client)
    assert status == 200
    assert body["status"] == "degraded"
    assert body["checks"]["websocket"]["status"] == "error"
    assert "4500 of 5000" in body["checks"]["websocket"]["error"]


async def test_health_reports_live_message_rates(client: Any, services: Services) -> None:
    import time

    now = time.monotonic()
    for back in range(1, 6):
        services.stats.messages_in.add(20, now=now - back)
    _, body = await get_health(client)
    assert body["performance"]["messages_in_per_s"] == 10.0


async def test_health_is_down_while_the_database_cannot_be_written(
    client: Any, services: Services
) -> None:
    """A full disk: the database answers reads, but nothing new reaches it."""
    store, recorder = services.store, services.registry.recorder
    room = await services.registry.create_room("full disk", False, Settings())
    pages = await store.run(lambda c: c.execute("PRAGMA page_count").fetchone()[0])
    await store.run(lambda c: c.execute(f"PRAGMA max_page_count = {pages}"))
    big = {"state": {"filler": "x" * 200_000}}
    recorder.add(room["code"], Record("snapshot", big))
    await recorder.flush()
    status, body = await get_health(client)
    assert (status, body["status"]) == (503, "down")
    database = body["checks"]["database"]
    assert database["status"] == "error" and database["pending_records"] >= 1
    assert "full" in database["last_error"] and "full" in database["error"]
    assert f"{database['pending_records']} records wait" in database["error"]
    assert database["failing_since"].endswith("+00:00")

    await store.run(lambda c: c.execute("PRAGMA max_page_count = 1073741823"))
    await recorder.flush()  # the batch was kept: it is written now
    status, body = await get_health(client)
    assert (status, body["status"]) == (200, "ok")
    assert body["checks"]["database"]["pending_records"] == 0
    snapshot = await store.read(
        lambda c: c.execute("SELECT snapshot FROM rooms WHERE code = ?",
                            (room["code"],)).fetchone())
    assert "x" * 1000 in snapshot[0]


async def test_health_answers_while_writes_and_every_reader_are_busy(
    client: Any, services: Services
) -> None:
    release = threading.Event()
    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(services.store.run, lambda c: release.wait(15))
            for _ in range(READ_CONNECTIONS):
                nursery.start_soon(services.store.read, lambda c: release.wait(15))
            await trio.testing.wait_all_tasks_blocked()
            try:
                status, body = await get_health(client)
            finally:
                release.set()
    assert (status, body["status"]) == (200, "ok"), body
    assert body["checks"]["database"]["status"] == "ok"
