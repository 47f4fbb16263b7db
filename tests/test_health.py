from typing import Any

from drawgame.services import Services


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
