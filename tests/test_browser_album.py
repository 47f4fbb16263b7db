"""Albums in real Chromium: the album page opened from the results screen and from a
pasted link, every album control used from the keyboard alone, downloads that decode
(the GIF's last frame is the drawing's PNG, and the same album gives the same bytes),
sharing, hiding one's drawings, and the room's gallery with the host's delete."""

from __future__ import annotations

import io
import math
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops
from playwright.sync_api import Download, Page, expect

from drawgame.game.modes import classic
from tests.browser import (
    BLUE,
    NARROW,
    RED,
    STROKE,
    WIDE,
    Browser,
    Player,
    guess_right,
    in_browser,
    next_turn,
    seat,
)
from tests.conftest import RunningServer


@pytest.fixture(autouse=True)
def quick_results(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reveals pass quickly, and so do the results: the room is back in its lobby (where
    the gallery is) soon after the game; the results screen stays up there."""
    monkeypatch.setattr(classic, "REVEAL_S", 0.3)
    monkeypatch.setattr(classic, "RESULTS_S", 2.0)

GIF_FRAMES = 40
"""drawgame/web/static/js/export.js GIF_FRAMES: frames of a time-lapse at most."""
POINTS_PER_STEP = 4
"""export.js REPLAY_POINTS_PER_STEP: a replay step draws this many points of a stroke."""

# Is the focused element showing a focus ring (an outline at least 2 px wide)?
FOCUS_RING = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  return s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2;
}"""
IN_GALLERY = "() => Boolean(document.activeElement.closest('[data-testid=gallery]'))"
FOCUSED_TESTID = "() => document.activeElement?.dataset?.testid ?? document.activeElement?.tagName"


def expected_frames(ops: list[dict[str, Any]]) -> int:
    """The frames export.js makes: one per replay step, at most GIF_FRAMES."""
    steps = sum(math.ceil(len(op["p"]) / (2 * POINTS_PER_STEP))
                if op["op"] in ("line", "erase") else 1 for op in ops)
    return max(1, min(GIF_FRAMES, steps))


def play_round(players: list[Player]) -> str:
    """Each player draws once (a red stroke, then a blue one); the others guess."""
    done: set[str] = set()
    for colour in (RED, BLUE)[:len(players)]:
        drawer, guessers, word = next_turn(players, done)
        drawer.pick(colour, 24)
        drawer.stroke_with_mouse(STROKE if colour == RED else [(150, 500), (500, 650), (850, 500)])
        for guesser in guessers:
            guess_right(guesser, word)
    for player in players:
        expect(player.by("results")).to_be_visible()
    return word


def saved(download: Download, folder: Path) -> bytes:
    path = folder / download.suggested_filename
    download.save_as(path)
    return path.read_bytes()


def press_until(page: Page, key: str, testid: str, limit: int = 40) -> None:
    """Press `key` until the element with `testid` has the focus (keyboard only)."""
    for _ in range(limit):
        if page.evaluate(FOCUSED_TESTID) == testid:
            return
        page.keyboard.press(key)
    raise AssertionError(f"{key} never reached {testid}; at {page.evaluate(FOCUSED_TESTID)}")


def assert_ring(page: Page) -> None:
    assert page.evaluate(FOCUS_RING), f"no focus ring on {page.evaluate(FOCUSED_TESTID)}"


def downloaded_with(page: Page, key: str, folder: Path) -> tuple[str, bytes]:
    with page.expect_download() as info:
        page.keyboard.press(key)
    return info.value.suggested_filename, saved(info.value, folder)


def keyboard_walk(player: Player, folder: Path) -> dict[str, bytes]:
    """Use every control of the album page from the keyboard alone; the files it saved."""
    page = player.page
    page.locator("body").focus()
    files: dict[str, bytes] = {}
    press_until(page, "Tab", "album-share")
    assert_ring(page)
    page.keyboard.press("Enter")
    expect(player.by("album-share")).to_have_attribute("data-shared", "copied")
    press_until(page, "Tab", "album-sheet")
    assert_ring(page)
    name, files["sheet"] = downloaded_with(page, "Enter", folder)
    assert name.endswith(".png")
    press_until(page, "Tab", "album-hide-mine")
    press_until(page, "Tab", "album-replay")  # the grid: one Tab stop, at its first control
    assert_ring(page)
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED_TESTID) not in ("album-download", "album-gif"), \
        "the grid is one Tab stop"
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(FOCUSED_TESTID) == "album-replay"
    # The replay: paused and resumed, stopped, closed, all from the keyboard.
    page.keyboard.press("Enter")
    modal = page.locator("#replay-modal")
    expect(modal).to_have_attribute("data-replay", "playing")
    assert page.evaluate(FOCUSED_TESTID) == "replay-pause"
    page.keyboard.press("Space")
    expect(modal).to_have_attribute("data-replay", "paused")
    page.keyboard.press("k")
    expect(modal).to_have_attribute("data-replay", re.compile("playing|stopped"))
    press_until(page, "Tab", "replay-stop")
    assert_ring(page)
    page.keyboard.press("Enter")
    expect(modal).to_have_attribute("data-replay", "stopped")
    press_until(page, "Tab", "replay-again")
    page.keyboard.press("Enter")
    expect(modal).to_have_attribute("data-replay", re.compile("playing|stopped"))
    page.keyboard.press("Escape")
    expect(modal).to_be_hidden()
    assert page.evaluate(FOCUSED_TESTID) == "album-replay", "focus goes back to Replay"
    page.keyboard.press("ArrowRight")
    assert page.evaluate(FOCUSED_TESTID) == "album-download"
    assert_ring(page)
    _, files["png"] = downloaded_with(page, "Enter", folder)
    page.keyboard.press("ArrowRight")
    assert page.evaluate(FOCUSED_TESTID) == "album-gif"
    _, files["gif"] = downloaded_with(page, "Enter", folder)
    page.keyboard.press("ArrowRight")  # on to the next drawing's first button
    assert page.evaluate(FOCUSED_TESTID) == "album-replay"
    assert page.evaluate("() => document.activeElement.closest('li').dataset.turn") == "1"
    page.keyboard.press("Home")
    assert page.evaluate("() => document.activeElement.closest('li').dataset.turn") == "0"
    return files


def album_scenario(browser: Browser, tmp: Path) -> None:
    ada, bob = seat(browser, ["Ada", "Bob"], permissions=["clipboard-read", "clipboard-write"])
    ada.by("start-game").click()
    play_round([ada, bob])
    code = ada.page.url.rsplit("/", 1)[1]

    # From the results screen: Tab reaches the album's link and its grid.
    page = bob.page
    expect(bob.by("album-item")).to_have_count(2)
    page.locator("body").focus()
    press_until(page, "Tab", "album-open", limit=60)
    assert_ring(page)
    press_until(page, "Tab", "album-replay")
    page.keyboard.press("ArrowRight")
    assert page.evaluate(FOCUSED_TESTID) == "album-download"
    press_until(page, "Shift+Tab", "album-open")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/a/g_[0-9a-f]+$"))
    game_id = page.url.rsplit("/", 1)[1]
    album = page.request.get(f"/api/games/{game_id}").json()
    expect(bob.by("album-item")).to_have_count(2)
    expect(bob.by("ranking-item")).to_have_count(2)
    expect(bob.by("album-hide-mine")).to_be_visible()

    files = keyboard_walk(bob, tmp)
    assert page.evaluate("() => navigator.clipboard.readText()") == page.url
    turn = album["turns"][0]
    gif = Image.open(io.BytesIO(files["gif"]))
    assert gif.format == "GIF" and gif.size == (1000, 750)
    assert gif.n_frames == expected_frames(turn["ops"]) > 1
    gif.seek(gif.n_frames - 1)
    png = Image.open(io.BytesIO(files["png"])).convert("RGB")
    assert png.size == (1000, 750)
    assert ImageChops.difference(gif.convert("RGB"), png).getbbox() is None, \
        "the GIF's last frame is not the drawing's PNG"
    assert png.getpixel(STROKE[1]) == (0xf4, 0x43, 0x36), "the PNG lacks the red stroke"
    sheet = Image.open(io.BytesIO(files["sheet"]))
    assert sheet.format == "PNG" and sheet.width > 600
    # The same album makes the same bytes.
    second = page.locator("[data-testid=album-item][data-turn='0']")
    for testid, key in (("album-gif", "gif"), ("album-download", "png")):
        with page.expect_download() as info:
            second.get_by_test_id(testid).click()
        assert saved(info.value, tmp / "again") == files[key], f"the {key} changed"
    with page.expect_download() as info:
        bob.by("album-sheet").click()
    assert saved(info.value, tmp / "again") == files["sheet"], "the contact sheet changed"

    # A pasted link, in a browser that never played: no seat, no socket, no code.
    cy = browser.player("Cy")
    websockets: list[str] = []
    cy.page.on("websocket", lambda ws: websockets.append(ws.url))
    cy.page.add_init_script("localStorage.setItem('drawgame.streamer', '1')")
    cy.page.goto(f"/a/{game_id}")
    expect(cy.by("album-item")).to_have_count(2)
    expect(cy.by("album-hide-mine")).to_be_hidden()
    expect(cy.by("album-share")).to_be_visible()
    assert code not in cy.page.content() and not websockets
    og = cy.page.locator("meta[property='og:title']").get_attribute("content")
    assert og == "drawgame album: 2 drawings"
    for viewport in (WIDE, NARROW):
        cy.page.set_viewport_size(viewport)
        assert cy.horizontal_overflow() == 0, f"the album page scrolls sideways at {viewport}"
        cy.screenshot(f"album-page-{viewport['width']}")
        assert not cy.axe(), cy.axe()

    # Bob hides his drawing, from the keyboard: the server answers it blank to everyone.
    bob.by("album-share").focus()
    press_until(page, "Tab", "album-hide-mine")
    page.keyboard.press("Enter")
    expect(bob.by("album-hide-mine")).to_have_attribute("aria-pressed", "true")
    hidden = page.request.get(f"/api/games/{game_id}").json()["turns"]
    assert [t["hidden"] for t in hidden] == [t["drawer"]["id"] == bob.id for t in hidden]
    cy.page.reload()
    expect(cy.page.locator("[data-testid=album-item][data-hidden]")).to_have_count(1)

    # The gallery in the room's lobby: the host deletes, the album is gone for everyone.
    for player in (ada, bob):
        player.page.goto(f"/r/{code}")
        player.wait_online()
    expect(ada.by("gallery")).to_be_visible()
    expect(ada.by("gallery-item")).to_have_count(1)
    expect(bob.by("gallery-item").get_by_test_id("album-hide-mine")).to_have_attribute(
        "aria-pressed", "true")
    expect(bob.by("album-delete")).to_have_count(0)
    assert not ada.axe(), ada.axe()
    ada.screenshot("gallery")
    ada.page.locator("body").focus()
    for _ in range(200):  # Tab to the gallery's grid, then arrows to its delete button
        if ada.page.evaluate(IN_GALLERY):
            break
        ada.page.keyboard.press("Tab")
    press_until(ada.page, "ArrowRight", "album-delete", limit=5)
    assert_ring(ada.page)
    browser.accept_confirm(ada)
    ada.page.keyboard.press("Enter")
    expect(ada.by("gallery-item")).to_have_count(0)
    assert page.request.get(f"/api/games/{game_id}").status == 404
    cy.page.reload()
    expect(cy.page.locator("#album-status")).to_have_attribute("data-state", "gone")


async def test_albums_in_chromium(server: RunningServer, tmp_path: Path) -> None:
    await in_browser(server.url, lambda browser: album_scenario(browser, tmp_path),
                     allow=[r"status of 404 .*/api/games/", r"status of 404 .*/a/g_"])
