"""``DRAWGAME_ROOT_PATH``: the real server answers every page, file, API call and
WebSocket under the path itself, its links carry it, and paths outside it answer 404."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
import trio
from conftest import RunningServer, serving
from trio_websocket import ConnectionRejected

from drawgame.config import Config, ConfigError, load_config
from drawgame.ops.instance import resolve
from drawgame.ops.proxy import Upstream, config_text
from drawgame.web.server import ws_request_line
from tests.wsclient import connect

ROOT = "/draw"


@pytest.fixture
async def server(nursery: trio.Nursery, config: Config):  # type: ignore[no-untyped-def]
    async for running in serving(nursery, config.replace(root_path=ROOT)):
        yield running


async def test_everything_is_under_the_root_path_and_nothing_outside(
    server: RunningServer,
) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        page = (await client.get(f"{ROOT}/")).text
        assert '<meta name="drawgame-root" content="/draw">' in page
        urls = re.findall(r'(?:href|src)="([^"]+)"', page)
        assert urls and all(u.startswith(f"{ROOT}/") or u.startswith("#") for u in urls), urls
        imports = json.loads(re.findall(r'<script type="importmap">(.*?)</script>', page)[0])
        assert all(k.startswith(f"{ROOT}/static/js/") and v.startswith(f"{ROOT}/static/js/")
                   for k, v in imports["imports"].items())
        assert '<link rel="manifest" href="/draw/manifest.webmanifest">' in page
        # every kind of path answers under the root path
        for path in ("/", "/r/ABCD", "/r/ABCD/tv", "/offline", "/api/health", "/api/rooms",
                     "/api/languages", "/manifest.webmanifest", "/sw.js",
                     "/static/css/app.css", re.sub(r"^/draw", "", urls[-1])):
            answer = await client.get(ROOT + path)
            assert answer.status_code == 200, path
            outside = await client.get(path)
            assert outside.status_code == 404, path
            assert outside.json()["error"]["code"] == "not_found"
        # the album page too, its link-preview tags filled in for each request
        album = await client.get(f"{ROOT}/a/g_nothing%3Cb%3E")
        assert album.status_code == 404 and 'content="/draw"' in album.text
        # its script, run once the page has painted (boot.js), and the data it reads first
        assert re.search(r'<meta name="drawgame-later" data-when="paint" content="'
                         r'/draw/static/js/album-page\.[0-9a-f]{12}\.js ', album.text)
        assert 'data-href="../api/games/g_nothing%3Cb%3E?view=thumbs"' in album.text
        assert "<b>" not in album.text and "{{" not in album.text
        for path in ("/drawing/", "/draw.js", "/dra"):
            assert (await client.get(path)).status_code == 404, path
        # the root itself leads to the lobby
        answer = await client.get(f"{ROOT}?x=1")
        assert (answer.status_code, answer.headers["location"]) == (308, f"{ROOT}/?x=1")
        # the app's web app and its service worker cover the whole site
        manifest = (await client.get(f"{ROOT}/manifest.webmanifest")).json()
        assert (manifest["start_url"], manifest["scope"], manifest["id"]) == (
            "/draw/", "/draw/", "/draw/")
        assert all(i["src"].startswith("/draw/static/img/") for i in manifest["icons"])
        worker = (await client.get(f"{ROOT}/sw.js")).text
        assert '"root": "/draw"' in worker and '"offline": "/draw/offline"' in worker
        # the metrics name routes below the root path
        metrics = (await client.get(f"{ROOT}/metrics")).text
        assert 'route="/api/health"' in metrics


async def test_links_and_the_websocket_carry_the_root_path(server: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        created = (await client.post(f"{ROOT}/api/rooms", json={"private": True})).json()
        code = created["code"]
        assert created["url"] == f"{ROOT}/r/{code}"
        summary = (await client.get(f"{ROOT}/api/rooms/{code}")).json()
        assert summary["ws_path"] == f"{ROOT}/ws/{code}"
        qr = (await client.get(f"{ROOT}/r/{code}/qr.svg")).text
        assert f"<title>{server.url}{ROOT}/r/{code}</title>" in qr
        room = await client.get(f"{ROOT}/r/{code}")
        assert room.headers["link"].startswith(f"<{ROOT}/api/rooms/{code}>; rel=preload")
    with trio.fail_after(10):
        async with connect(server.ws_url + summary["ws_path"], "Ada") as ada:
            welcome = await ada.hello()
            assert welcome["you"]["id"] == ada.id and welcome["room"]["code"] == code
        for outside in (f"/ws/{code}", f"/w/w1/ws/{code}", f"/drawing/ws/{code}"):
            with pytest.raises(ConnectionRejected) as refused:
                async with connect(server.ws_url + outside, "Bob"):
                    pass
            assert refused.value.status_code == 404, outside


async def test_without_a_root_path_nothing_changes(
    nursery: trio.Nursery, config: Config
) -> None:
    async for running in serving(nursery, config):
        async with httpx.AsyncClient(base_url=running.url, timeout=10) as client:
            page = (await client.get("/")).text
            assert '<meta name="drawgame-root" content="">' in page
            assert (await client.get("/draw/")).status_code == 404
            created = (await client.post("/api/rooms", json={"private": True})).json()
            assert created["url"] == f"/r/{created['code']}"


def test_the_setting_is_checked(tmp_path: Path) -> None:
    env = tmp_path / "none.env"
    assert load_config({"DRAWGAME_ROOT_PATH": "/draw/"}, env).root_path == "/draw"
    assert load_config({"DRAWGAME_ROOT_PATH": "/games/draw"}, env).root_path == "/games/draw"
    assert load_config({"DRAWGAME_ROOT_PATH": "/"}, env).root_path == ""
    for bad in ("draw", "/dr aw", "/draw/../x", "/a//b", "/x?y", "/" + "a" * 120):
        with pytest.raises(ConfigError) as refused:
            load_config({"DRAWGAME_ROOT_PATH": bad}, env)
        assert refused.value.variable == "DRAWGAME_ROOT_PATH"
    # share links are the public URL plus /r/<code>: it must end with the root path
    ok = load_config({"DRAWGAME_ROOT_PATH": "/draw",
                      "DRAWGAME_PUBLIC_URL": "https://example.org/draw/"}, env)
    assert ok.public_url == "https://example.org/draw/"
    with pytest.raises(ConfigError) as refused:
        load_config({"DRAWGAME_ROOT_PATH": "/draw",
                     "DRAWGAME_PUBLIC_URL": "https://example.org"}, env)
    assert refused.value.variable == "DRAWGAME_PUBLIC_URL"


def test_the_front_door_and_the_cluster_proxy_know_the_root_path(tmp_path: Path) -> None:
    line = ws_request_line(ROOT)
    for taken in (b"GET /draw/ws/ABC HTTP/1.1", b"GET /draw/w/w2/ws/ABC HTTP/1.1"):
        assert line.match(taken), taken
    for passed in (b"GET /draw/ HTTP/1.1", b"GET /draw/api/health HTTP/1.1",
                   b"POST /draw/ws/ABC HTTP/1.1", b"GET /ws/ABC HTTP/1.1",
                   b"GET /w/w1/ws/ABC HTTP/1.1", b"GET /drawing/ws/ABC HTTP/1.1"):
        assert not line.match(passed), passed
    config = Config(root_path=ROOT, port=8000)
    text = config_text(config, [Upstream("w1", "127.0.0.1", 9001)], tmp_path / "pid", 4096)
    assert "use_backend worker_w1 if { path_beg /draw/w/w1/ }" in text
    assert "http-check send meth GET uri /draw/api/health hdr" in text


def test_local_tools_ask_under_the_root_path(tmp_path: Path) -> None:
    # make health, deploys' health waits and smoke tests use the instance's URL
    config = Config(root_path=ROOT, port=8123, db_path=str(tmp_path / "db.sqlite3"))
    assert resolve("local", config).url == "http://127.0.0.1:8123/draw"
    assert resolve("local", config.replace(root_path="")).url == "http://127.0.0.1:8123"
