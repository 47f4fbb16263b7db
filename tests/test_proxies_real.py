"""drawgame behind Debian's caddy and nginx with deploy/Caddyfile and deploy/nginx.conf, for
real: wss://, Origin, X-Forwarded-For, a turn played, the smoke tests, /metrics kept off
the public name, a new upstream connection for every WebSocket upgrade, and drawgame
under a path of the site (compressed, hashed, cached files passed through as they are)."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import brotli
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


STATIC = Path(__file__).resolve().parent.parent / "drawgame" / "web" / "static"


@pytest.mark.parametrize("name", sorted(PROXIES))
async def test_under_a_path_the_files_and_a_turn_go_through_the_proxy(
    tmp_path: Path, name: str
) -> None:
    """drawgame under /draw of the proxy's site: compressed, hashed and cached files as
    drawgame made them, the root path's own redirect, /metrics kept off, a turn played
    and the smoke tests, all through the shipped configuration."""
    folder = tmp_path / "proxy"
    folder.mkdir()
    root = "/draw"
    with proxies.game_server(tmp_path, DRAWGAME_MAX_CONNECTIONS_PER_IP="2",
                             DRAWGAME_ROOT_PATH=root) as server, \
            PROXIES[name](folder, server.upstream, root) as proxy:

        def get(path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
            return proxies.https_raw(proxy, path, **headers)

        status, headers, body = await trio.to_thread.run_sync(
            lambda: get(f"{root}/", accept_encoding="br, gzip"))
        assert (status, headers["content-encoding"], headers["cache-control"]) == \
            (200, "br", "no-cache")
        page = brotli.decompress(body).decode()
        # (named for boot.js, which loads it after the first paint)
        hashed = re.search(r'[" ](/draw/static/js/lobby\.[0-9a-f]{12}\.js)[" ]', page)
        assert hashed, page[:2000]
        source = (STATIC / "js/lobby.js").read_bytes()
        status, headers, body = await trio.to_thread.run_sync(
            lambda: get(hashed.group(1), accept_encoding="br, gzip"))
        assert status == 200 and brotli.decompress(body) == source
        assert headers["cache-control"] == "public, max-age=31536000, immutable"
        assert headers["vary"] == "Accept-Encoding"
        status, headers, body = await trio.to_thread.run_sync(
            lambda: get(hashed.group(1), accept_encoding="gzip"))
        assert headers["content-encoding"] == "gzip" and gzip.decompress(body) == source
        tag = headers["etag"]
        status, _, body = await trio.to_thread.run_sync(
            lambda: get(hashed.group(1), accept_encoding="gzip", if_none_match=tag))
        assert (status, body) == (304, b"")
        status, headers, _ = await trio.to_thread.run_sync(lambda: get(root))
        assert status in (301, 308) and headers["location"].endswith(f"{root}/")
        status, _, _ = await trio.to_thread.run_sync(lambda: get(f"{root}/metrics"))
        assert status == 404
        await proxies.play_a_turn_through(proxy)
        smoke = await trio.to_thread.run_sync(proxies.run_smoke, proxy)
        assert smoke.returncode == 0, smoke.stdout + smoke.stderr
