"""The installable web app in Chromium: installable (no installability errors, the
manifest's scope covering room links), modules by hashed URLs and preloaded, hashed files
kept by the service worker, the offline page when the server is down (never a cached
page or API answer), and the game back after it returns, under a root path too."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trio
from browser import WAIT_MS, Browser, expect, in_browser
from conftest import RunningServer, start_server
from PIL import Image, ImageChops, ImageStat

from drawgame.config import Config
from tests import icons
from tests.serverproc import free_port

ROOT = "/draw"
DOWN = (r"ERR_CONNECTION_REFUSED", r"WebSocket connection to .* failed", r"FetchEvent",
        r"Failed to fetch")
"""What Chromium logs while the server is stopped on purpose."""


def record_files(page: Any) -> list[tuple[str, bool]]:
    """(path, from the service worker) of every file the page loads from now on."""
    seen: list[tuple[str, bool]] = []
    page.on("response", lambda r: seen.append(
        (re.sub(r"^https?://[^/]+", "", r.url), r.from_service_worker)))
    return seen


def kept_files(page: Any) -> set[str]:
    return set(page.evaluate(
        "caches.open('drawgame-files').then((c) => c.keys())"
        ".then((keys) => keys.map((r) => new URL(r.url).pathname))"))


def worker_scope(page: Any) -> str | None:
    """The scope of the page's active service worker; None when none is ready in time (a
    registration that never comes must fail the test, not hang it)."""
    scope: str | None = page.evaluate(
        "Promise.race([navigator.serviceWorker.ready.then((r) => r.scope),"
        f" new Promise((resolve) => setTimeout(() => resolve(null), {WAIT_MS}))])")
    return scope


def installed_app(browser: Browser, server: Callable[[str], None], profile: Path) -> None:
    ada = browser.player("Ada", profile=profile)
    page = ada.page
    files = record_files(page)
    page.goto(f"{ROOT}/")
    expect(ada.by("create-room")).to_be_visible()
    assert worker_scope(page) == f"{browser.url}{ROOT}/"
    cdp = ada.context.new_cdp_session(page)
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["errors"] == []
    assert manifest["url"] == f"{browser.url}{ROOT}/manifest.webmanifest"
    app = json.loads(manifest["data"])
    assert (app["display"], app["start_url"], app["scope"]) == ("standalone", f"{ROOT}/",
                                                                f"{ROOT}/")
    # every module of the lobby came by its hashed URL, preloaded by the page
    preloads = set(page.eval_on_selector_all(
        "link[rel=modulepreload]", "(links) => links.map((l) => new URL(l.href).pathname)"))
    modules = {path for path, _ in files if path.endswith(".js") and "/static/" in path}
    assert modules and modules <= preloads, modules - preloads
    assert all(re.search(r"\.[0-9a-f]{12}\.\w+$", p) for p, _ in files if "/static/" in p)

    # a room link (which the scope covers: it opens in the installed app)
    answer = ada.context.request.post(f"{browser.url}{ROOT}/api/rooms", data={"private": True})
    link = answer.json()["url"]
    assert link.startswith(app["scope"] + "r/")
    files.clear()
    ada.join(link, "Ada")
    expect(ada.by("share-link")).to_have_value(f"{browser.url}{link}")
    room_modules = set(page.eval_on_selector_all(
        "link[rel=modulepreload]", "(links) => links.map((l) => new URL(l.href).pathname)"))
    assert room_modules <= kept_files(page)  # the worker kept every hashed file it passed
    assert all(from_worker for path, from_worker in files if "/static/" in path)
    # the TV screen, its QR code and its short link are under the root path too
    with ada.context.expect_page() as opened:
        ada.by("tv-link").click()
    tv = opened.value
    expect(tv).to_have_url(f"{browser.url}{link}/tv")
    expect(tv.get_by_test_id("tv-qr")).to_have_attribute("src", f"{link}/qr.svg")
    host = browser.url.split("://", 1)[1]
    expect(tv.get_by_test_id("tv-link")).to_have_text(f"{host}\u200b{link}")
    tv.wait_for_function("document.getElementById('tv-qr').naturalWidth > 0")  # it loaded
    tv.close()

    # the server stops: any page of the site shows the offline page, never a kept page
    server("stop")
    page.goto(link)
    expect(ada.by("offline-title")).to_have_text("Cannot reach the game")
    expect(ada.by("offline-retry")).to_be_visible()
    assert page.url == f"{browser.url}{link}"
    assert ada.audit("offline") == []
    page.goto(f"{ROOT}/")
    expect(ada.by("offline-title")).to_be_visible()
    # nor an API answer from a cache
    assert page.evaluate(f"fetch('{ROOT}/api/rooms').then(() => 'answered', () => 'down')") \
        == "down"

    # back: "Retry now" opens the page asked for, and the game resumes the seat
    server("start")
    ada.by("offline-retry").click()
    expect(ada.by("create-room")).to_be_visible()
    page.goto(link)
    ada.wait_online()


async def test_the_installed_app_and_its_offline_page_under_a_root_path(
    nursery: trio.Nursery, config: Config, tmp_path: Path
) -> None:
    config = config.replace(root_path=ROOT, port=free_port())
    running: list[RunningServer] = [await start_server(nursery, config)]

    def server(action: str) -> None:
        """Stop or start the server on the same port (from the browser's thread)."""
        if action == "stop":
            trio.from_thread.run_sync(running[-1].stop.set)
            trio.from_thread.run(running[-1].done.wait)
        else:
            running.append(trio.from_thread.run(start_server, nursery, config))

    try:
        await in_browser(running[0].url, lambda b: installed_app(b, server, tmp_path),
                         allow=DOWN)
    finally:
        running[-1].stop.set()
        with trio.fail_after(config.shutdown_grace_s + 5):
            await running[-1].done.wait()


def installable_at_the_top_and_icons(browser: Browser, profile: Path) -> None:
    ada = browser.player("Ada", profile=profile)
    ada.page.goto("/")
    expect(ada.by("create-room")).to_be_visible()
    assert worker_scope(ada.page) == f"{browser.url}/"
    cdp = ada.context.new_cdp_session(ada.page)
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    # the PNG icons are their SVG sources drawn (tests/icons.py makes them)
    drawn = icons.render_all(browser.chromium.new_page())
    for name, png in drawn.items():
        shipped = Image.open(icons.IMG / name).convert("RGBA")
        fresh = Image.open(io.BytesIO(png)).convert("RGBA")
        assert shipped.size == fresh.size, name
        difference = ImageStat.Stat(ImageChops.difference(shipped, fresh)).mean
        assert max(difference) < 2, f"{name} differs from its source: run tests/icons.py"


async def test_the_app_at_the_top_of_a_site_is_installable(
    server: RunningServer, tmp_path: Path
) -> None:
    await in_browser(server.url, lambda b: installable_at_the_top_and_icons(b, tmp_path))
