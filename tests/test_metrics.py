"""GET /metrics: Prometheus text with the figures an operator watches, one registry per app."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import trio
from conftest import RunningServer
from prometheus_client.parser import text_string_to_metric_families
from trio_websocket import open_websocket_url

from drawgame.app import create_app
from drawgame.config import Config
from drawgame.services import open_services
from smoke.run import Player, smoke


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: dict[Any, float], name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


async def scrape(url: str) -> dict[Any, float]:
    def get() -> tuple[str, str]:
        with urllib.request.urlopen(url + "/metrics", timeout=5) as answer:
            return answer.headers["Content-Type"], answer.read().decode()

    content_type, text = await trio.to_thread.run_sync(get)
    assert content_type.startswith("text/plain; version=")
    return samples(text)


async def test_metrics_follow_a_played_turn(server: RunningServer) -> None:
    before = await scrape(server.url)
    assert value(before, "drawgame_active_rooms") == 0
    assert value(before, "drawgame_ws_connections") == 0
    with trio.fail_after(30):
        assert await smoke(server.url, lambda line: None) is None
        code = await _room_with_a_bad_frame(server)
    with trio.fail_after(5):  # the recorder writes its batches every 0.1 s
        after = await scrape(server.url)
        while value(after, "drawgame_games_finished_total", complete="false") < 1:
            after = await scrape(server.url)

    assert value(after, "drawgame_active_rooms") == 2  # the smoke room idles until it closes
    assert value(after, "drawgame_ws_frames_in_total", type="hello") == 3
    assert value(after, "drawgame_ws_frames_in_total", type="draw") == 1
    assert value(after, "drawgame_draw_handled_seconds_count") == 1
    assert value(after, "drawgame_draw_handled_seconds_bucket", le="+Inf") == 1
    assert 0 < value(after, "drawgame_draw_handled_seconds_sum") < 2.5
    assert value(after, "drawgame_ws_frames_out_total", type="welcome") == 3
    assert value(after, "drawgame_ws_frames_out_total", type="turn_end") == 2
    assert value(after, "drawgame_errors_total", code="bad_json") == 1
    assert value(after, "drawgame_games_started_total") == 1
    assert value(after, "drawgame_games_finished_total", complete="false") == 1
    assert value(after, "drawgame_ops_persisted_total") == 1
    assert value(after, "drawgame_db_call_seconds_count") > value(
        before, "drawgame_db_call_seconds_count")
    assert value(after, "drawgame_db_call_seconds_sum") > 0
    assert value(after, "drawgame_http_requests_total", method="POST", route="/api/rooms",
                 status="201") == 2
    assert value(after, "drawgame_http_request_duration_seconds_count", method="GET",
                 route="/api/health") >= 1
    assert value(after, "drawgame_http_requests_total", method="GET", route="/api/rooms/<code>",
                 status="200") == 1
    assert value(after, "drawgame_event_loop_lag_seconds") >= 0
    assert value(after, "drawgame_maintenance") == 0
    assert code


async def _room_with_a_bad_frame(server: RunningServer) -> str:
    def create() -> str:
        req = urllib.request.Request(server.url + "/api/rooms", data=b"{}", method="POST")
        with urllib.request.urlopen(req, timeout=5) as answer:
            code = str(json.load(answer)["code"])
        with urllib.request.urlopen(f"{server.url}/api/rooms/{code}", timeout=5):
            pass
        return code

    code = await trio.to_thread.run_sync(create)
    async with open_websocket_url(f"{server.ws_url}/ws/{code}") as ws:
        player = Player(ws, "Eve")
        await player.send({"type": "hello", "name": "Eve"})
        await player.expect("welcome")
        await ws.send_message("{not json")
        error = await player.next()
        while error["type"] != "error":
            error = await player.next()
        assert error["code"] == "bad_json"
    return code


async def test_each_app_has_its_own_registry(config: Config, tmp_path: Any) -> None:
    other = config.replace(db_path=str(tmp_path / "other.sqlite3"))
    async with open_services(config) as one, open_services(other) as two:
        first, second = create_app(one).test_client(), create_app(two).test_client()
        for _ in range(3):
            await first.get("/api/health")
        await second.get("/api/health")
        a = samples(await (await first.get("/metrics")).get_data(as_text=True))
        b = samples(await (await second.get("/metrics")).get_data(as_text=True))
    route = {"method": "GET", "route": "/api/health", "status": "200"}
    assert value(a, "drawgame_http_requests_total", **route) == 3
    assert value(b, "drawgame_http_requests_total", **route) == 1


async def test_unknown_paths_share_one_route_label(client: Any) -> None:
    for path in ("/nope", "/api/nope/1", "/api/nope/2"):
        await client.get(path)
    found = samples(await (await client.get("/metrics")).get_data(as_text=True))
    assert value(found, "drawgame_http_requests_total", method="GET", route="other",
                 status="404") == 3
    assert not any("nope" in str(key) for key in found)


async def test_metrics_answer_only_loopback_and_what_a_local_proxy_forwards_for_loopback(
    client: Any,
) -> None:
    def scrape_as(peer: str | None, **headers: str) -> Any:
        base = None if peer is None else {"client": (peer, 40000)}
        return client.get("/metrics", headers=headers, scope_base=base)

    assert (await scrape_as("127.0.0.1")).status_code == 200
    assert (await scrape_as("::1")).status_code == 200
    assert (await scrape_as(None)).status_code == 200  # in-process or a unix socket
    for peer, headers in [
        ("203.0.113.7", {}), ("10.1.2.3", {}),
        ("127.0.0.1", {"X-Forwarded-For": "203.0.113.7"}),  # a player through a local proxy
        ("127.0.0.1", {"X-Forwarded-For": "127.0.0.1, 203.0.113.7"}),
        ("127.0.0.1", {"X-Real-IP": "198.51.100.1"}),
        ("127.0.0.1", {"Forwarded": 'for="[2001:db8::1]:443";proto=https'}),
        ("127.0.0.1", {"X-Forwarded-For": "not an address"}),
        ("203.0.113.7", {"X-Forwarded-For": "127.0.0.1"}),  # forging a loopback address
    ]:
        response = await scrape_as(peer, **headers)
        assert response.status_code == 403, (peer, headers)
        assert (await response.get_json())["error"]["code"] == "forbidden"
        assert "drawgame_" not in await response.get_data(as_text=True)
    ok = await scrape_as("127.0.0.1", **{"X-Forwarded-For": "127.0.0.1", "Forwarded": "for=::1"})
    assert ok.status_code == 200


async def test_metrics_token_and_allowed_networks(config: Config) -> None:
    configured = config.replace(metrics_token="s3cret-scrape", metrics_allow=("10.0.0.0/8",))
    async with open_services(configured) as svc:
        client = create_app(svc).test_client()

        def scrape_as(peer: str, auth: str | None = None) -> Any:
            headers = {} if auth is None else {"Authorization": auth}
            return client.get("/metrics", headers=headers, scope_base={"client": (peer, 1)})

        assert (await scrape_as("10.9.8.7", "Bearer s3cret-scrape")).status_code == 200
        missing = await scrape_as("10.9.8.7")
        assert missing.status_code == 401 and "Bearer" in missing.headers["WWW-Authenticate"]
        assert (await scrape_as("10.9.8.7", "Bearer wrong")).status_code == 403
        assert (await scrape_as("10.9.8.7", "Basic czNjcmV0")).status_code == 401
        # the token does not open other addresses: both checks apply
        assert (await scrape_as("127.0.0.1", "Bearer s3cret-scrape")).status_code == 403


async def test_made_up_methods_and_paths_cannot_grow_the_metrics(client: Any) -> None:
    for i in range(400):
        await client.open(f"/nope/{i}", method=f"M{i}X")
        await client.open("/api/rooms", method=f"Q{i}")
    text = await (await client.get("/metrics")).get_data(as_text=True)
    found = samples(text)
    methods = {dict(labels).get("method") for _, labels in found} - {None}
    routes = {dict(labels).get("route") for _, labels in found} - {None}
    assert methods <= {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "other"}
    assert "other" in methods and "other" in routes and "/api/rooms" in routes
    assert len(text) < 60_000
    assert value(found, "drawgame_http_requests_total", method="other", route="other",
                 status="405") + value(found, "drawgame_http_requests_total", method="other",
                                       route="other", status="404") == 400
