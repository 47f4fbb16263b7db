"""Party features in Chromium: the TV screen through a whole game at 1920 x 1080 (its QR
code decoded), phones as controllers while a TV is connected, streamer mode on every
screen, relaxed rooms, mute, and a kicked browser refused under a new name.

Screenshots land in test-artifacts/screenshots/; axe-core checks every TV screen and
the controller layouts.
"""

from __future__ import annotations

import io
import re
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
import trio
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from drawgame.game.modes import classic
from tests.browser import (
    BLUE,
    RED,
    STROKE,
    WAIT_MS,
    Browser,
    Player,
    guess_right,
    in_browser,
    next_turn,
    rgb,
)
from tests.conftest import RunningServer
from tests.wsclient import connect

TV_SIZES = ({"width": 1920, "height": 1080}, {"width": 1280, "height": 720})
PHONE = {"viewport": {"width": 375, "height": 740}, "device_scale_factor": 2,
         "has_touch": True, "is_mobile": True}
TV_CANVAS = "[data-testid=tv-canvas]"


REVEAL_S = 4.0
AFTER_REVEAL_MS = int(REVEAL_S * 1000) + WAIT_MS
"""How long the results may take to show after the last guess: the reveal, then a wait."""


@pytest.fixture(autouse=True)
def phases(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reveals long enough to be looked at on the TV; results that stay up."""
    monkeypatch.setattr(classic, "REVEAL_S", REVEAL_S)
    monkeypatch.setattr(classic, "RESULTS_S", 60.0)


def after_reveal(player: Player) -> None:
    """Wait through the reveal until the next turn's choosing has begun."""
    expect(player.page.locator("body[data-phase=choosing]")).to_be_attached(timeout=AFTER_REVEAL_MS)


def code_of(link: str) -> str:
    return link.rsplit("/", 1)[-1]


def open_tv(browser: Browser, link: str, **options: Any) -> Player:
    # Reduced motion: axe-core must not measure colours halfway through an animation.
    tv = browser.player("TV", viewport=TV_SIZES[0], reduced_motion="reduce", **options)
    tv.page.goto(f"{link}/tv")
    expect(tv.by("connection-status")).to_have_attribute("data-state", "online")
    return tv


def tv_audit(tv: Player, screen: str) -> list[str]:
    """Screenshots of the TV screen at 1920 x 1080 and 1280 x 720, axe-core at each."""
    found = []
    try:
        for size in TV_SIZES:
            tv.page.set_viewport_size(size)
            tv.screenshot(f"tv-{screen}-{size['width']}")
            found += [f"TV {screen} at {size['width']} px: {v}" for v in tv.axe()]
            overflow = tv.page.evaluate(
                "() => [document.documentElement.scrollWidth - innerWidth,"
                " document.documentElement.scrollHeight - innerHeight]")
            assert max(overflow) <= 0, f"TV {screen} scrolls at {size}: {overflow}"
    finally:
        tv.page.set_viewport_size(TV_SIZES[0])
    return found


def decode_qr(tv: Player) -> str:
    png = tv.by("tv-qr").screenshot()
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(found) == 1, f"{len(found)} codes read from the TV's QR code"
    return str(found[0].text)


# ---------------------------------------------------------------- the TV screen


def tv_game(browser: Browser) -> None:
    ada, bob = browser.player("Ada"), browser.player("Bob")
    # Long timers: the audits of each screen must not outlast its phase on 2 busy cores.
    link = ada.create_room(name="Living room", choose_time_s=30, draw_time_s=120)
    tv = open_tv(browser, f"{browser.url}{link}")
    found = tv_audit(tv, "lobby")
    assert decode_qr(tv) == f"{browser.url}{link}"
    host = browser.url.split("://", 1)[1]
    assert tv.by("tv-link").inner_text().replace("\u200b", "") == f"{host}{link}"
    expect(tv.by("tv-room-name")).to_have_text("Living room")
    ada.join(link, "Ada")
    bob.join(link, "Bob")
    expect(tv.by("tv-player")).to_have_count(2)
    expect(ada.by("player-item")).to_have_count(2)  # the TV is no player
    summary = ada.context.request.get(f"/api/rooms/{code_of(link)}").json()
    assert summary["players"] == 2
    ada.by("start-game").click()
    expect(tv.by("tv-overlay")).to_contain_text("choosing")
    found += tv_audit(tv, "choosing")
    done: set[str] = set()
    drawer, (guesser,), word = next_turn([ada, bob], done)
    expect(tv.by("tv-hint")).to_have_text("_" * len(word))
    drawer.pick(RED, 24)
    drawer.stroke_with_mouse(STROKE)
    for x, y in STROKE[1:]:
        tv.wait_pixel(x, y, rgb(RED), target=TV_CANVAS)
    guesser.by("react-like").click()
    expect(tv.by("tv-likes")).to_contain_text("1")
    found += tv_audit(tv, "drawing")
    guess_right(guesser, word)
    expect(tv.by("tv-feed-line")).to_contain_text("Bob" if guesser is bob else "Ada")
    expect(tv.by("tv-reveal-word")).to_have_text(word)
    found += tv_audit(tv, "reveal")
    after_reveal(ada)
    drawer, (guesser,), word = next_turn([ada, bob], done)
    drawer.pick(BLUE, 24)
    drawer.stroke_with_mouse(STROKE)
    tv.wait_pixel(*STROKE[1], rgb(BLUE), target=TV_CANVAS)
    guess_right(guesser, word)
    expect(tv.page.locator("[data-testid=tv-podium] .podium-step")).to_have_count(
        2, timeout=AFTER_REVEAL_MS)
    expect(tv.by("tv-album-item")).to_have_count(2)
    found += tv_audit(tv, "podium")
    assert not found, "axe-core found:\n" + "\n".join(found)


async def test_the_tv_screen_through_a_whole_game(server: RunningServer) -> None:
    await in_browser(server.url, tv_game)


# ---------------------------------------------------------------- phones as controllers


def controller_game(browser: Browser) -> None:
    ada, bob = (browser.player(n, reduced_motion="reduce", **PHONE) for n in ("Ada", "Bob"))
    link = ada.create_room()
    ada.join(link, "Ada")
    bob.join(link, "Bob")
    expect(ada.by("controller-toggle")).to_be_hidden()  # no TV yet
    tv = open_tv(browser, f"{browser.url}{link}")
    for phone in (ada, bob):
        expect(phone.by("controller-toggle")).to_be_visible()
    ada.by("start-game").tap()
    done: set[str] = set()
    drawer, (guesser,), word = next_turn([ada, bob], done)
    found: list[str] = []
    expect(drawer.page.locator("body.controller-drawer")).to_be_attached()
    expect(guesser.page.locator("body.controller-guesser")).to_be_attached()
    # The guesser's phone: hint, guess box and reactions, no canvas (the TV has it).
    expect(guesser.by("canvas")).to_be_hidden()
    expect(guesser.by("hint")).to_be_visible()
    expect(guesser.by("chat-input")).to_be_visible()
    expect(guesser.by("react-like")).to_be_visible()
    expect(guesser.page.locator(".players-panel")).to_be_hidden()
    # The drawer's phone: the canvas and the tools, no chat.
    expect(drawer.by("canvas")).to_be_visible()
    expect(drawer.by("tool-pen")).to_be_visible()
    expect(drawer.page.locator(".chat-panel")).to_be_hidden()
    box = drawer.by("canvas").bounding_box()
    assert box is not None and box["width"] >= 360, f"the drawer's canvas is {box}"
    drawer.pick(RED, 24)
    drawer.stroke_with_touch(STROKE)
    for x, y in STROKE[1:]:
        tv.wait_pixel(x, y, rgb(RED), target=TV_CANVAS)
    drawer.screenshot("controller-drawer-375")
    guesser.screenshot("controller-guesser-375")
    found += [f"controller drawer: {v}" for v in drawer.axe()]
    found += [f"controller guesser: {v}" for v in guesser.axe()]
    guesser.by("react-like").tap()
    expect(tv.by("tv-likes")).to_contain_text("1")
    guess_right(guesser, word)
    expect(tv.by("tv-reveal-word")).to_have_text(word)
    # The layout can be left, and the choice is remembered.
    after_reveal(ada)
    drawer, (guesser,), word = next_turn([ada, bob], done)
    guesser.by("controller-toggle").tap()
    expect(guesser.by("canvas")).to_be_visible()
    guesser.page.reload()
    guesser.wait_online()
    expect(guesser.by("canvas")).to_be_visible()
    expect(guesser.page.locator("body.controller")).to_have_count(0)
    tv.page.close()
    expect(drawer.page.locator("body.controller")).to_have_count(0, timeout=WAIT_MS * 3)
    assert not found, "axe-core found:\n" + "\n".join(found)


async def test_phones_as_controllers_while_a_tv_is_connected(server: RunningServer) -> None:
    await in_browser(server.url, controller_game)


# ---------------------------------------------------------------- streamer mode


# Every text a page shows or says, and the values of its inputs and its title.
SHOWN = """() => {
  const out = [document.body.innerText, document.title];
  for (const el of document.querySelectorAll("input, textarea")) {
    if (el.type !== "password") out.push(el.value);
  }
  for (const el of document.querySelectorAll("[aria-label], [title], [placeholder], img[alt]")) {
    for (const a of ["aria-label", "title", "placeholder", "alt"]) {
      out.push(el.getAttribute(a) ?? "");
    }
  }
  return out.join("\\n");
}"""


def no_code(player: Player, code: str, where: str) -> None:
    shown = str(player.page.evaluate(SHOWN))
    for part in (code, code[:4]):
        assert part not in shown, f"{where}: {part!r} is on the screen:\n{shown}"


def streamer_game(browser: Browser) -> None:
    ada = browser.player("Ada", permissions=["clipboard-read", "clipboard-write"])
    bob = browser.player("Bob")
    ada.page.goto("/")
    ada.by("streamer-toggle").click()
    expect(ada.by("streamer-toggle")).to_have_attribute("aria-pressed", "true")
    answer = ada.context.request.post("/api/rooms", data={"settings": {
        "rounds": 1, "custom_words": ["elephant", "giraffe", "penguin", "volcano", "lighthouse",
                                      "umbrella", "octopus", "pyramid", "tornado", "backpack"],
        "custom_only": True}})
    code = answer.json()["code"]
    link = f"/r/{code}"
    expect(ada.page.locator(f"[data-testid=room-list-item][data-code='{code}']")).to_be_visible()
    no_code(ada, code, "lobby page")
    ada.page.goto(link)
    expect(ada.by("name-input")).to_be_visible()
    no_code(ada, code, "name prompt")
    ada.by("name-input").fill("Ada")
    ada.by("name-submit").click()
    ada.id = ada.wait_online()
    no_code(ada, code, "room lobby (host)")
    expect(ada.page.locator("#room-custom_words")).to_be_hidden()  # no custom words shown
    ada.screenshot("streamer-room-lobby")
    # Copy still copies the real link; a click shows the code for a moment.
    ada.by("copy-link").click()
    assert ada.page.evaluate("navigator.clipboard.readText()") == f"{browser.url}{link}"
    ada.by("room-code").click()
    expect(ada.by("room-code")).to_have_text(code)
    ada.by("room-code").click()
    expect(ada.by("room-code")).not_to_have_text(code)
    # Holding shows it while held.
    box = ada.by("room-code").bounding_box()
    assert box is not None
    ada.page.mouse.move(box["x"] + 5, box["y"] + 5)
    ada.page.mouse.down()
    expect(ada.by("room-code")).to_have_text(code)
    ada.page.mouse.up()
    expect(ada.by("room-code")).not_to_have_text(code)
    bob.join(link, "Bob")
    tv = browser.player("TV", viewport=TV_SIZES[0])
    tv.page.goto("/")
    tv.by("streamer-toggle").click()
    tv.page.goto(f"{link}/tv")
    expect(tv.by("connection-status")).to_have_attribute("data-state", "online")
    expect(tv.by("tv-qr")).to_be_hidden()
    no_code(tv, code, "TV lobby")
    tv.screenshot("streamer-tv-1920")
    ada.by("start-game").click()
    done: set[str] = set()
    drawer, (guesser,), word = next_turn([ada, bob], done)
    if drawer is ada:
        no_code(ada, code, "drawing (drawer)")
    else:
        no_code(ada, code, "drawing (guesser)")
    guess_right(guesser, word)
    after_reveal(ada)
    drawer, (guesser,), word = next_turn([ada, bob], done)
    no_code(ada, code, "drawing, second turn")
    guess_right(guesser, word)
    expect(ada.by("album-item")).to_have_count(2, timeout=AFTER_REVEAL_MS)
    no_code(ada, code, "results")
    no_code(tv, code, "TV results")
    # The switch is remembered; turned off, the code shows again.
    ada.page.reload()
    ada.wait_online()
    no_code(ada, code, "after a reload")
    ada.by("streamer-toggle").click()
    expect(ada.by("room-code")).to_have_text(code)


async def test_streamer_mode_hides_the_code_on_every_screen(server: RunningServer) -> None:
    await in_browser(server.url, streamer_game)


# ---------------------------------------------------------------- relaxed mode


def relaxed_game(browser: Browser) -> None:
    ada, bob = (browser.player(n, reduced_motion="reduce") for n in ("Ada", "Bob"))
    link = ada.create_room(name="Slow and easy")
    ada.join(link, "Ada")
    bob.join(link, "Bob")
    draw_time = ada.page.locator("#room-draw_time_s")
    expect(draw_time).to_have_attribute("max", "240")
    ada.page.locator("#room-relaxed").check()
    expect(draw_time).to_have_attribute("max", "600")
    draw_time.fill("600")
    draw_time.blur()
    expect(bob.page.locator("#room-draw_time_s")).to_have_value("600")
    expect(bob.page.locator("#room-relaxed")).to_be_checked()
    expect(bob.page.locator("#settings-summary")).to_contain_text("relaxed")
    ada.screenshot("relaxed-lobby")
    ada.by("start-game").click()
    done: set[str] = set()
    _, (guesser,), word = next_turn([ada, bob], done)
    expect(guesser.by("timer")).to_have_text(re.compile(r"^(59\d|600)$"))
    guesser.say(word)
    correct = guesser.page.locator("[data-testid=chat-log] [data-kind=correct][data-mine]")
    expect(correct).to_be_visible()
    expect(correct.locator(".msg-points")).to_have_count(0)  # no points
    reveal = guesser.page.locator("#canvas-overlay[data-kind=reveal]")
    expect(reveal).to_contain_text("got it")
    assert not re.search(r"\+\d", reveal.inner_text())
    for page in (ada, bob):
        shown = page.page.locator("[data-testid=player-list] :is(.pscore, .rank)")
        assert shown.count() == 0, f"{page}: scores or ranks in a relaxed room"
    after_reveal(ada)
    _, (guesser,), word = next_turn([ada, bob], done)
    guess_right_relaxed(guesser, word)
    for page in (ada, bob):
        expect(page.by("album-item")).to_have_count(2, timeout=AFTER_REVEAL_MS)
        expect(page.page.locator("#podium")).to_be_hidden()
        expect(page.page.locator("#ranking")).to_be_hidden()
        expect(page.page.locator(".results-title")).to_have_text("Well played!")
    ada.screenshot("relaxed-results")
    found = ada.audit("relaxed-results")
    assert not found, "axe-core found:\n" + "\n".join(found)


def guess_right_relaxed(guesser: Player, word: str) -> None:
    mine = guesser.page.locator("[data-testid=chat-log] [data-kind=correct][data-mine]")
    before = mine.count()
    guesser.say(word)
    expect(mine).to_have_count(before + 1)


async def test_relaxed_mode_settings_and_views(server: RunningServer) -> None:
    await in_browser(server.url, relaxed_game)


# ---------------------------------------------------------------- moderation


def open_menu(host: Player, pid: str) -> None:
    host.item(pid).hover()
    host.item(pid).locator(".pmenu-btn").click()


def mute_and_kick(browser: Browser) -> None:
    ada, bob, cy = (browser.player(n) for n in ("Ada", "Bob", "Cy"))
    link = ada.create_room()
    ada.join(link, "Ada")
    bob.join(link, "Bob")
    cy.join(link, "Cy")
    open_menu(ada, bob.id)
    ada.page.get_by_role("menuitem", name="Mute chat").click()
    expect(ada.item(bob.id)).to_have_attribute("data-muted", "true")
    expect(bob.item(bob.id)).to_have_attribute("data-muted", "false")  # Bob is not told
    bob.say("spam spam spam")
    expect(bob.page.locator("[data-testid=chat-log]")).to_contain_text("spam spam spam")
    cy.say("a line after the spam")
    for other in (ada, cy):
        log = other.page.locator("[data-testid=chat-log]")
        expect(log).to_contain_text("a line after the spam")
        expect(log).not_to_contain_text("spam spam spam")
    # Kicked, Bob's browser cannot come back under another name; Cy, at the same
    # address (a household), plays on, and a new browser there may join.
    open_menu(ada, bob.id)
    browser.accept_confirm(ada)
    ada.page.get_by_role("menuitem", name="Kick").click()
    expect(bob.by("error-message")).to_have_attribute("data-error", "kicked")
    bob.page.goto(link)
    bob.by("name-input").fill("Robert")
    bob.by("name-submit").click()
    expect(bob.by("error-message")).to_have_attribute("data-error", "kicked")
    bob.screenshot("kicked-rejoin-refused")
    expect(ada.by("player-item")).to_have_count(2)
    cy.say("still here")
    expect(ada.page.locator("[data-testid=chat-log]")).to_contain_text("still here")
    dee = browser.player("Dee")
    dee.join(link, "Dee")
    expect(ada.by("player-item")).to_have_count(3)


async def test_mute_and_a_kicked_browser_refused_under_a_new_name(server: RunningServer) -> None:
    await in_browser(server.url, mute_and_kick)


# ---------------------------------------------------------------- a full room on the TV


# Whether an element is wholly inside the screen and inside every box around it that clips.
SHOWN_WHOLE = """(el) => {
  const r = el.getBoundingClientRect();
  if (r.bottom > innerHeight + 0.5 || r.right > innerWidth + 0.5) return false;
  for (let p = el.parentElement; p; p = p.parentElement) {
    if (getComputedStyle(p).overflow === "visible") continue;
    const b = p.getBoundingClientRect();
    if (r.top < b.top - 0.5 || r.bottom > b.bottom + 0.5) return false;
  }
  return true;
}"""


def full_room_on_tv(browser: Browser, link: str, start: Any) -> None:
    tv = browser.player("TV", viewport=TV_SIZES[0])
    tv.page.goto(f"{link}/tv")
    expect(tv.by("tv-lobby-player")).to_have_count(16)
    fits(tv, "tv-lobby-player", "lobby")
    start()
    expect(tv.by("tv-overlay")).to_contain_text("choosing")
    expect(tv.by("tv-player")).to_have_count(16)
    fits(tv, "tv-player", "game")


def fits(tv: Player, testid: str, screen: str) -> None:
    """Every one of the 16 players is on the screen at both TV sizes, names readable."""
    try:
        for size in TV_SIZES:
            tv.page.set_viewport_size(size)
            tv.screenshot(f"tv-sixteen-{screen}-{size['width']}")
            for i in range(16):
                item = tv.by(testid).nth(i)
                box = item.bounding_box()
                assert box is not None and box["width"] > 80, f"{screen}: player {i + 1}: {box}"
                assert item.evaluate(SHOWN_WHOLE), (
                    f"{screen}: player {i + 1} is cut off at {size['width']} px: {box}")
    finally:
        tv.page.set_viewport_size(TV_SIZES[0])


async def test_sixteen_players_fit_on_the_tv(server: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as client:
        answer = await client.post("/api/rooms", json={"settings": {"max_players": 16}})
    code = answer.json()["code"]
    async with AsyncExitStack() as stack:
        players = []
        for i in range(16):
            player = await stack.enter_async_context(
                connect(f"{server.ws_url}/ws/{code}", f"Player number {i + 1}"))
            await player.hello()
            players.append(player)
        token = trio.lowlevel.current_trio_token()

        def start() -> None:  # the host's start, sent from the browser's thread
            trio.from_thread.run(players[0].send, {"type": "start"}, trio_token=token)

        await in_browser(server.url, lambda b: full_room_on_tv(b, f"{server.url}/r/{code}", start))


# ---------------------------------------------------------------- a phone on its side


LANDSCAPE = {**PHONE, "viewport": {"width": 740, "height": 360}}


def landscape_drawer(browser: Browser) -> None:
    ada, bob = (browser.player(n, reduced_motion="reduce", **LANDSCAPE) for n in ("Ada", "Bob"))
    link = ada.create_room()
    ada.join(link, "Ada")
    bob.join(link, "Bob")
    tv = open_tv(browser, f"{browser.url}{link}")
    ada.by("start-game").tap()
    drawer, _, _ = next_turn([ada, bob], set())
    expect(drawer.page.locator("body.controller-drawer")).to_be_attached()
    canvas = drawer.by("canvas").bounding_box()
    assert canvas is not None and canvas["height"] >= 0.8 * 360, f"the canvas is {canvas}"
    for testid in ("tool-pen", "tool-undo"):
        box = drawer.by(testid).bounding_box()
        assert box is not None and box["x"] >= canvas["x"] + canvas["width"], (testid, box)
    assert drawer.horizontal_overflow() <= 0
    swatches = drawer.page.locator("[data-testid=color-swatch]")
    last = swatches.nth(swatches.count() - 1).bounding_box()
    assert last is not None and last["x"] + last["width"] <= 740, f"a swatch is off screen: {last}"
    drawer.pick(RED, 24)
    drawer.stroke_with_touch(STROKE)
    tv.wait_pixel(*STROKE[1], rgb(RED), target=TV_CANVAS)
    drawer.screenshot("controller-drawer-landscape")
    found = [f"landscape drawer: {v}" for v in drawer.axe()]
    assert not found, "axe-core found:\n" + "\n".join(found)


async def test_a_phone_on_its_side_draws_on_the_whole_height(server: RunningServer) -> None:
    await in_browser(server.url, landscape_drawer)


def tv_from_the_lobby(browser: Browser) -> None:
    ada = browser.player("Ada")
    link = ada.create_room()
    ada.join(link, "Ada")
    with ada.context.expect_page() as opened:
        ada.by("tv-link").click()
    tv = opened.value
    expect(tv).to_have_url(re.compile(re.escape(link) + "/tv$"))
    expect(tv.get_by_test_id("connection-status")).to_have_attribute("data-state", "online")
    expect(ada.by("controller-toggle")).to_be_hidden()  # a laptop keeps its layout
    expect(ada.page.locator("body.has-tv")).to_be_attached()


async def test_the_lobby_opens_the_tv_screen(server: RunningServer) -> None:
    await in_browser(server.url, tv_from_the_lobby)
