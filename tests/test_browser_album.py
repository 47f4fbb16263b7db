"""Albums in real Chromium: the album page opened from the results screen and from a
pasted link, every album control used from the keyboard alone, downloads that decode
(the GIF's last frame is the drawing's PNG, and the same album gives the same bytes),
sharing, hiding one's drawings, and the room's gallery with the host's delete; a
telephone game's books (each page, empty ones too, every drawing replayable, the book's
GIF and strip)."""

from __future__ import annotations

import io
import json
import math
import re
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
import trio
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
    rgb,
    seat,
)
from tests.conftest import Launch, RunningServer
from tests.telephone import PlayedGame, play_telephone


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
IN_BOOKS = "() => Boolean(document.activeElement.closest('.books-list'))"
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


# --- a telephone game's books ---------------------------------------------------------

STRIP_PAGE = 450 + 40 + 16
"""export.js bookStrip: a page's height in the strip (picture, caption, gap)."""
STRIP_FRAME = 24 * 2 + 56 - 16
"""export.js bookStrip: the strip's padding and heading, less the gap after the last page."""
CARD = (0xed, 0xe7, 0xfb)
"""export.js cardPixels: the card a written page's sentence is drawn on."""


def page_state(page: dict[str, Any]) -> str:
    """books.js pageState: what a page of the album API shows."""
    if page.get("hidden"):
        return "hidden"
    if page["kind"] == "drawing":
        return "drawn" if page["ops"] else "blank"
    return "written" if page["text"].strip() else "blank"


def near(shown: Any, colour: tuple[int, int, int], tolerance: int = 24) -> bool:
    return all(abs(int(a) - b) <= tolerance for a, b in zip(shown, colour, strict=False))


def book_files(player: Player, book: int, folder: Path) -> tuple[bytes, bytes]:
    """The GIF and the strip of book `book`, downloaded from its buttons."""
    item = player.page.locator(f"[data-testid=album-book][data-book='{book}']")
    files = []
    for testid in ("album-book-gif", "album-strip"):
        with player.page.expect_download() as info:
            item.get_by_test_id(testid).click()
        files.append(saved(info.value, folder))
    return files[0], files[1]


def books_scenario(browser: Browser, played: PlayedGame, tmp: Path) -> None:
    game_id, code = played.game_id, played.code
    bob = played.seats["Bob"]
    # A browser that held Bob's seat: the page offers it "Hide my drawings".
    reader = browser.player("Bob")
    seats = json.dumps([{"id": bob.id, "token": bob.token}])
    reader.page.add_init_script(f"localStorage.setItem('drawgame.seats.{code}', {seats!r})")
    websockets: list[str] = []
    reader.page.on("websocket", lambda ws: websockets.append(ws.url))
    page = reader.page
    page.goto(f"/a/{game_id}")
    album = page.request.get(f"/api/games/{game_id}").json()
    books = album["books"]
    expect(reader.by("album-book")).to_have_count(len(books))
    expect(reader.by("book-page")).to_have_count(sum(len(b["pages"]) for b in books))
    expect(reader.by("album-sheet")).to_be_hidden()
    expect(page.locator("#books")).to_have_attribute("data-thumbs", "drawn")
    for j, book in enumerate(books):
        tiles = page.locator(f"[data-testid=album-book][data-book='{j}'] [data-testid=book-page]")
        shown = [tiles.nth(k).get_attribute("data-state") for k in range(len(book["pages"]))]
        assert shown == [page_state(p) for p in book["pages"]], f"book {j}"
        for k, entry in enumerate(book["pages"]):
            tile = tiles.nth(k)
            expect(tile).to_contain_text(f"Page {k + 1}, by {entry['author']['name']}")
            state = page_state(entry)
            if state == "written":
                expect(tile.locator("blockquote")).to_have_text(entry["text"])
            elif state == "blank":
                expect(tile).to_contain_text(
                    "nothing drawn" if entry["kind"] == "drawing" else "nothing written")
            else:  # the drawing shows, in its colour, and can be replayed
                x, y = entry["ops"][0]["p"][2:4]
                reader.assert_pixel(x, y, rgb(entry["ops"][0]["c"]),
                                    target=tile.locator("canvas").element_handle())
                expect(tile.get_by_test_id("album-replay")).to_be_visible()
    assert code not in page.content() and not websockets

    # Each drawing replays; the replay says which page of which book it is.
    first = page.locator("[data-testid=book-page][data-state=drawn]").first
    first.get_by_test_id("album-replay").click()
    modal = page.locator("#replay-modal")
    expect(modal).to_have_attribute("data-replay", re.compile("playing|stopped"))
    expect(modal).to_contain_text("Book 1: Ada, page 2")
    page.keyboard.press("Escape")
    expect(modal).to_be_hidden()

    # The book's files: one GIF frame per page, a strip as tall as its pages, and the
    # same bytes every time.
    gif_bytes, strip_bytes = book_files(reader, 0, tmp)
    assert book_files(reader, 0, tmp / "again") == (gif_bytes, strip_bytes), \
        "the same book made different files"
    pages = books[0]["pages"]
    gif = Image.open(io.BytesIO(gif_bytes))
    assert gif.format == "GIF" and gif.size == (1000, 750)
    assert gif.n_frames == len(pages) == 4
    frames = []
    for k in range(gif.n_frames):
        gif.seek(k)
        frames.append(gif.convert("RGB"))
    for k, entry in enumerate(pages):
        if page_state(entry) == "drawn":
            x, y = entry["ops"][0]["p"][2:4]
            assert near(frames[k].getpixel((x, y)), rgb(entry["ops"][0]["c"])), f"frame {k}"
            assert frames[k].getpixel((30, 30)) == (255, 255, 255)
        else:  # a card: the sentence (or "nothing ...") on a coloured card
            assert near(frames[k].getpixel((60, 60)), CARD if entry["kind"] == "text"
                        and page_state(entry) == "written" else (0xf4, 0xf1, 0xfb), 6), f"frame {k}"
    strip = Image.open(io.BytesIO(strip_bytes))
    assert strip.format == "PNG"
    assert strip.size == (600 + 48, STRIP_FRAME + len(pages) * STRIP_PAGE)
    last = books[-1]
    _, last_strip = book_files(reader, len(books) - 1, tmp)
    height = Image.open(io.BytesIO(last_strip)).height
    assert height == STRIP_FRAME + len(last["pages"]) * STRIP_PAGE

    for viewport in (WIDE, NARROW):
        page.set_viewport_size(viewport)
        assert reader.horizontal_overflow() == 0, f"the books scroll sideways at {viewport}"
        reader.screenshot(f"album-books-{viewport['width']}")
        assert not reader.axe(), reader.axe()
    page.set_viewport_size(WIDE)

    # From the keyboard: the books are one Tab stop, the arrows walk their buttons.
    page.evaluate("() => document.activeElement?.blur()")
    for _ in range(40):  # Tab enters the grid at the control last used (a strip's)
        if page.evaluate(IN_BOOKS):
            break
        page.keyboard.press("Tab")
    assert_ring(page)
    page.keyboard.press("Home")
    assert page.evaluate(FOCUSED_TESTID) == "album-book-gif"
    assert page.evaluate("() => document.activeElement.closest('li').dataset.book") == "0"
    page.keyboard.press("ArrowRight")
    assert page.evaluate(FOCUSED_TESTID) == "album-strip"
    page.keyboard.press("ArrowRight")
    assert page.evaluate(FOCUSED_TESTID) == "album-replay"
    page.keyboard.press("Tab")
    assert not page.evaluate(IN_BOOKS), "the books are one Tab stop"

    # The room's gallery, in its lobby: the telephone game, its books, a cover drawn
    # from its first drawing (Bob's, on Ada's book).
    eve = browser.player("Eve")
    eve.join(f"/r/{code}", "Eve")
    item = eve.by("gallery-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("4 books · 8 drawings")
    expect(item).to_contain_text("Ada, Bob, Cy, Dee")
    cover = item.locator("canvas")
    stroke = books[0]["pages"][1]["ops"][0]
    assert stroke["c"] == "#2196f3" and books[0]["pages"][1]["author"]["id"] == bob.id
    eve.wait_pixel(*stroke["p"][2:4], rgb(stroke["c"]), target=cover.element_handle())
    expect(item.get_by_test_id("album-hide-mine")).to_have_count(0)
    assert code not in item.inner_text()
    eve.screenshot("gallery-telephone")

    # Bob hides his drawings from the page: his drawing pages are blank for everyone (the
    # server says so), his sentences stay, and the book's GIF shows a card instead.
    expect(reader.by("album-hide-mine")).to_have_attribute("aria-pressed", "false")
    reader.by("album-hide-mine").click()
    expect(reader.by("album-hide-mine")).to_have_attribute("aria-pressed", "true")
    after = page.request.get(f"/api/games/{game_id}").json()["books"]
    for book in after:
        for entry in book["pages"]:
            mine = entry["author"]["id"] == bob.id
            assert entry["hidden"] is (mine and entry["kind"] == "drawing")
            if mine and entry["kind"] == "text":
                assert entry["text"]
    hidden = page.locator("[data-testid=book-page][data-state=hidden]")
    expect(hidden).to_have_count(sum(p["hidden"] for b in after for p in b["pages"]))
    expect(hidden.first).to_contain_text("hidden by its author")
    gif_hidden, _ = book_files(reader, 0, tmp / "hidden")
    gif = Image.open(io.BytesIO(gif_hidden))
    assert gif.n_frames == 4
    gif.seek(1)  # book 1's page 2 was Bob's drawing: now a card
    assert near(gif.convert("RGB").getpixel((60, 60)), (0xf4, 0xf1, 0xfb), 6)

    # In another language, every page says so in it.
    reader.by("ui-language").select_option("de")
    tiles = page.locator("[data-testid=album-book][data-book='1'] [data-testid=book-page]")
    expect(tiles.nth(2)).to_contain_text("nichts geschrieben")
    expect(tiles.nth(3)).to_contain_text("Seite 4, von Ada")
    expect(tiles.nth(3).get_by_test_id("album-replay")).to_have_attribute(
        "aria-label", "Seite 4 von Buch 2: Bob abspielen")
    assert not reader.axe(), reader.axe()


async def test_a_telephone_album_in_chromium(launch: Launch, tmp_path: Path) -> None:
    server = await launch(msg_burst=40)  # the host turns 16 pages at once
    with trio.fail_after(40):
        async with AsyncExitStack() as stack:
            played = await play_telephone(server.url, server.ws_url, stack)
            host = played.seats["Ada"]
            for _ in range(16):  # the host turns every page: the room is back in its lobby
                await host.send({"type": "album_next"})
            await host.wait_for("phase", lambda m: m["phase"] == "lobby")
    await in_browser(server.url, lambda browser: books_scenario(browser, played, tmp_path))
