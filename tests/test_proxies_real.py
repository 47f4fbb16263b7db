"""drawgame behind Debian's caddy and nginx with deploy/Caddyfile and deploy/nginx.conf, for
real: wss://, Origin, X-Forwarded-For, a turn played, the smoke tests, /metrics kept off
the public name, and a new upstream connection for every WebSocket upgrade."""

from __future__ import annotations

from pathlib import Path

import proxies
import pytest
import trio

PROXIES = {"caddy": proxies.caddy, "nginx": proxies.nginx}


@pytest.mark.parametrize("name", sorted(PROXIES))
async def test_a_turn_is_played_through_the_proxy(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "proxy"
    folder.mkdir()
    with proxies.game_server(tmp_path, DRAWGAME_MAX_CONNECTIONS_PER_IP="2") as server, \
            PROXIES[name](folder, server.upstream) as proxy:
        status, health = await trio.to_thread.run_sync(
            lambda: proxies.https(proxy, "GET", "/api/health"))
        assert (status, health["status"]) == (200, "ok")
        status, _ = await trio.to_thread.run_sync(
            lambda: proxies.https(proxy, "GET", "/metrics"))
        assert status == 404  # not for the public name
        await proxies.play_a_turn_through(proxy)
        smoke = await trio.to_thread.run_sync(proxies.run_smoke, proxy)
        assert smoke.returncode == 0, smoke.stdout + smoke.stderr


@pytest.mark.parametrize("name", sorted(PROXIES))
async def test_every_websocket_upgrade_gets_a_new_upstream_connection(
    tmp_path: Path, name: str
) -> None:
    upstream = proxies.RecordingUpstream()
    async with trio.open_nursery() as nursery:
        await nursery.start(upstream.serve)
        with PROXIES[name](tmp_path, f"127.0.0.1:{upstream.port}") as proxy:
            await proxies.upgrades_open_their_own_upstream_connection(proxy, upstream)
        nursery.cancel_scope.cancel()
