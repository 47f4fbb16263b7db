"""Right to left: a whole Arabic game played in Chromium, every screen checked with
axe-core at 1280 and 375 px and photographed, the layout mirrored and the drawing not.

Three pages in Arabic (a host and two guests) play with Arabic words. On the way,
the page is `<html lang="ar" dir="rtl">`, the players' column sits right of the
stage and the chat left of it, the toolbar's first tool is at its right end and
its arrow keys follow the row as drawn, its shortcuts work from an Arabic
keyboard, a Latin name keeps its order, a hint's blanks run right to left, and a
stroke drawn with the mouse shows where it was drawn on another player's screen
(the canvas is never mirrored). No English text is left on any screen.
Screenshots land in test-artifacts/screenshots/ar-<screen>-<width>.png.
"""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import Locator, expect

from drawgame.game.modes import classic
from tests.browser import (
    CANVAS_H,
    CANVAS_W,
    RED,
    STROKE,
    WIDE,
    Browser,
    Player,
    guess_right,
    in_browser,
    next_turn,
    rgb,
)
from tests.conftest import RunningServer
from tests.test_browser_i18n import english_left

WORDS = ["زرافة", "برتقالة", "طاولة", "شلال", "فراشة", "سلحفاة", "مظلة", "حاسوب", "دراجة",
         "منارة"]
"""Arabic custom words, all long enough to hint, none one edit from another."""
SETTINGS = {"language": "ar", "custom_words": WORDS, "custom_only": True, "hints": 2,
            "draw_time_s": 120, "choose_time_s": 30}
NAMES = ("آدا", "Bob!", "سيّد")
"""A name in Arabic script, a Latin one that ends in punctuation (which must stay "Bob!", not
turn into "!Bob" in an Arabic line), and one with a shadda."""
ROOM = "رسومات الجمعة"
AR = {"locale": "ar-EG", "reduced_motion": "reduce"}
REVEAL_MS = 10000


def shows_no_english(page: Player, where: str, typed: set[str]) -> list[str]:
    return english_left(page, where, {*NAMES, ROOM, *WORDS, *typed}, code="ar")


def audit(page: Player, screen: str, typed: frozenset[str] = frozenset()) -> list[str]:
    return page.audit(f"ar-{screen}") + shows_no_english(page, screen, set(typed))


TV_SIZES = ({"width": 1920, "height": 1080}, WIDE)
"""The TV screen is made for big screens: it is checked at 1920 and 1280 px, as in
test_browser_party.py, not on a phone."""


def tv_audit(tv: Player, screen: str) -> list[str]:
    found = []
    for size in TV_SIZES:
        tv.page.set_viewport_size(size)
        tv.screenshot(f"ar-tv-{screen}-{size['width']}")
        found += [f"TV {screen} at {size['width']} px: {v}" for v in tv.axe()]
    return found + shows_no_english(tv, f"TV {screen}", set())


# Where the first and the last character of `text` are drawn inside an element: [x, x].
CHAR_X = """(el, text) => {
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const at = n.textContent.indexOf(text);
    if (at < 0) continue;
    const x = (i) => { const r = document.createRange(); r.setStart(n, i); r.setEnd(n, i + 1);
      return r.getBoundingClientRect().x; };
    return [x(at), x(at + text.length - 1)];
  }
  return null;
}"""


def reads_left_to_right(where: Locator, text: str) -> None:
    """`text` (Latin) is drawn in its own order, first character leftmost, inside `where`."""
    xs = where.evaluate(CHAR_X, text)
    assert xs is not None, f"{text!r} is not in {where}"
    assert xs[0] < xs[1], f"{text!r} is drawn backwards in {where}: {xs}"


def mirrored(page: Player) -> None:
    """At 1280 px: players right of the stage, chat left of it; the toolbar reversed."""
    page.page.set_viewport_size(WIDE)
    players = page.page.locator(".players-panel").bounding_box()
    stage = page.page.locator(".stage").bounding_box()
    chat = page.page.locator(".chat-panel").bounding_box()
    assert players and stage and chat
    assert chat["x"] + chat["width"] <= stage["x"] < stage["x"] + stage["width"] <= players["x"], (
        chat, stage, players)


def toolbar_mirrored(drawer: Player) -> None:
    pen = drawer.by("tool-pen").bounding_box()
    fill = drawer.by("tool-fill").bounding_box()
    assert pen and fill and pen["x"] > fill["x"], "the first tool is not at the right end"
    pressed = drawer.page.locator("[data-testid=color-swatch][aria-pressed=true]")
    pressed.focus()
    before = pressed.bounding_box()
    drawer.page.keyboard.press("ArrowRight")
    after = drawer.page.evaluate("() => document.activeElement.getBoundingClientRect().x")
    assert before and after > before["x"], "ArrowRight does not move right in a mirrored row"


# A key pressed on an Arabic keyboard: the letter it types and the key it sits on.
ARABIC_KEY = """([key, code]) => document.dispatchEvent(
  new KeyboardEvent("keydown", { key, code, bubbles: true }))"""


def shortcuts_on_an_arabic_keyboard(drawer: Player) -> None:
    """E (ث on an Arabic keyboard) takes the eraser, B (لا) the pen back."""
    drawer.page.evaluate(ARABIC_KEY, ["ث", "KeyE"])
    expect(drawer.by("tool-eraser")).to_have_attribute("aria-pressed", "true")
    drawer.page.evaluate(ARABIC_KEY, ["لا", "KeyB"])
    expect(drawer.by("tool-pen")).to_have_attribute("aria-pressed", "true")


def canvas_not_mirrored(page: Player) -> None:
    """The stroke shows, on the screen, where it lies in the drawing: left stays left."""
    canvas = page.by("canvas")
    assert canvas.evaluate("(c) => getComputedStyle(c).transform") == "none"
    shot = Image.open(io.BytesIO(canvas.screenshot())).convert("RGB")

    def at(x: int, y: int) -> tuple[int, int, int]:
        px = shot.getpixel((x * shot.width // CANVAS_W, y * shot.height // CANVAS_H))
        assert isinstance(px, tuple)
        return px[0], px[1], px[2]

    red = rgb(RED)
    near = lambda p, q: all(abs(a - b) <= 40 for a, b in zip(p, q, strict=True))  # noqa: E731
    assert near(at(220, 300), red), f"no stroke where it was drawn: {at(220, 300)}"
    assert near(at(780, 300), (255, 255, 255)), f"a stroke where it was not drawn: {at(780, 300)}"


def arabic_game(browser: Browser) -> None:
    found: list[str] = []
    ada, bob, cy = (browser.player(name, **AR) for name in ("Ada", "Bob", "Cy"))
    ada.page.goto("/")
    html = ada.page.locator("html")
    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")
    expect(ada.by("room-list")).to_be_attached()
    found += audit(ada, "lobby")
    link = ada.create_room(name=ROOM, **SETTINGS)
    ada.page.goto(link)
    expect(ada.by("name-input")).to_be_visible()
    found += audit(ada, "name-prompt")
    ada.by("name-input").fill(NAMES[0])
    ada.by("name-submit").click()
    ada.id = ada.wait_online()
    found += audit(ada, "room-lobby-host")
    bob.join(link, NAMES[1])
    cy.join(link, NAMES[2])
    expect(bob.by("player-item")).to_have_count(3)
    # A Latin name keeps its order in the Arabic list, and inside an Arabic sentence.
    reads_left_to_right(ada.item(bob.id).locator(".pname-text"), NAMES[1])
    joined = ada.lines("system").filter(has_text=NAMES[1])
    expect(joined).to_have_count(1)
    reads_left_to_right(joined, NAMES[1])
    found += audit(bob, "room-lobby-guest")
    found += menu_and_toast(ada, bob.id)
    tv = browser.player("TV", viewport=TV_SIZES[0], **AR)
    tv.page.goto(f"{link}/tv")
    expect(tv.by("connection-status")).to_have_attribute("data-state", "online")
    found += tv_audit(tv, "lobby")
    ada.by("start-game").click()
    players = [ada, bob, cy]
    found += choosing(players)
    seen, first = turn(players, tv)
    found += seen
    classic.REVEAL_S = 0.3  # the later reveals need no looking at
    expect(ada.page.locator("body[data-phase=choosing]")).to_be_attached(timeout=REVEAL_MS + 5000)
    done = {first}
    for _ in range(2):
        _, guessers, word = next_turn(players, done)
        for guesser in guessers:
            guess_right(guesser, word)
    expect(ada.by("album-item")).to_have_count(3)
    expect(ada.page.locator(".podium-step.place-3")).to_have_css("opacity", "1")  # risen
    found += audit(ada, "results")
    found += tv_audit(tv, "results")
    ada.page.locator("[data-testid=album-item][data-turn='0'] [data-testid=album-replay]").click()
    expect(ada.by("replay-canvas")).to_be_visible()
    found += audit(ada, "replay")
    ada.by("replay-close").click()
    found += album_page(ada)
    ada.page.goto("/r/NOSUCHROOM")
    expect(ada.by("error-title")).to_be_visible()
    found += audit(ada, "not-found")
    assert not found, "Arabic screens:\n" + "\n".join(found)


def menu_and_toast(host: Player, other_id: str) -> list[str]:
    """The player menu (opened towards the page's start) and a toast, at both widths."""
    host.item(other_id).hover()
    host.item(other_id).locator(".pmenu-btn").click()
    menu = host.page.locator(".pmenu")
    expect(menu).to_be_visible()
    found = audit(host, "player-menu")
    host.page.keyboard.press("Escape")
    expect(menu).to_have_count(0)
    for viewport in (WIDE, {"width": 375, "height": 740}):
        host.page.set_viewport_size(viewport)
        host.by("copy-link").click()
        expect(host.page.locator(".toast").first).to_be_visible()
        host.screenshot(f"ar-toast-{viewport['width']}")
        found += [f"toast at {viewport['width']} px: {v}" for v in host.axe()]
    host.page.set_viewport_size(WIDE)
    return found


def album_page(page: Player) -> list[str]:
    """The game's album page, mirrored too; Left moves on through a tile's buttons."""
    page.by("album-open").click()
    expect(page.page).to_have_url(re.compile(r"/a/g_[0-9a-f]+$"))
    expect(page.by("album-item")).to_have_count(3)
    expect(page.page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.page.locator(".podium-step.place-3")).to_have_css("opacity", "1")
    expect(page.page.locator("#album-meta")).to_contain_text("، و")  # the Arabic list of players
    first = page.page.locator("[data-testid=album-item][data-turn='0']")
    first.get_by_test_id("album-replay").focus()
    page.page.keyboard.press("ArrowLeft")
    focused = page.page.evaluate("() => document.activeElement?.dataset?.testid")
    assert focused == "album-download", f"ArrowLeft went to {focused}"
    found = audit(page, "album-page")
    for viewport in (WIDE, {"width": 375, "height": 740}):
        page.page.set_viewport_size(viewport)
        assert page.horizontal_overflow() == 0, f"the album page scrolls sideways at {viewport}"
    page.page.set_viewport_size(WIDE)
    return found


def choosing(players: list[Player]) -> list[str]:
    drawer_id = players[0].drawer_id()
    drawer = next(p for p in players if p.id == drawer_id)
    guesser = next(p for p in players if p is not drawer)
    expect(drawer.page.locator("[data-testid=word-choice]")).to_have_count(3)
    return audit(drawer, "choosing-drawer") + audit(guesser, "choosing-guesser")


def turn(players: list[Player], tv: Player) -> tuple[list[str], str]:
    """The first turn: drawer, guesser, guessed, the TV, the reveal; and its drawer's id."""
    drawer_id = players[0].drawer_id()
    drawer = next(p for p in players if p.id == drawer_id)
    first, second = (p for p in players if p is not drawer)
    word = drawer.choose_first_word()
    assert word in WORDS
    hint = first.by("hint")
    expect(hint).to_have_text("_" * len(word))
    expect(hint).to_have_attribute("dir", "rtl")
    expect(hint).to_have_attribute("lang", "ar")
    mirrored(drawer)
    shortcuts_on_an_arabic_keyboard(drawer)
    drawer.pick(RED, 24)
    toolbar_mirrored(drawer)
    drawer.stroke_with_mouse(STROKE)
    first.wait_drawn(STROKE[1:2], RED)
    canvas_not_mirrored(first)
    found = audit(drawer, "drawing-drawer") + audit(first, "drawing-guesser")
    found += tv_audit(tv, "drawing")
    guess_right(second, word)
    found += audit(second, "drawing-guessed", {word})
    guess_right(first, word)
    expect(first.page.locator("#canvas-overlay[data-kind=reveal]")).to_be_visible()
    return found + audit(first, "reveal", {word}), drawer_id


async def test_an_arabic_game_is_mirrored_readable_and_passes_axe_core(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(classic, "REVEAL_S", REVEAL_MS / 1000)
    monkeypatch.setattr(classic, "RESULTS_S", 120.0)
    await in_browser(server.url, arabic_game, allow=[r"status of 404 .*/api/rooms/NOSUCH"])
