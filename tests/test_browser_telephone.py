"""The telephone mode in Chromium: a whole game from the lobby's create form to the album
and back to the lobby, played by three browsers (one a phone at 375 px, portrait and
landscape) with a spectator and a TV screen watching; pages in progress kept through a
reload (a sentence's draft, a drawing), a graceful restart and a kill -9 of a real
server process; the album's position kept too; axe-core on every telephone screen.

Rotation (PROTOCOL.md): players in join order are 0..n-1, book j is player j's, and
page k of book j is made by player (j + k) mod n.
"""

from __future__ import annotations

import re
import signal
import sqlite3
import struct
import subprocess
import time
from pathlib import Path
from typing import Any

import trio
from playwright.sync_api import expect

from tests.browser import (
    BLUE,
    ON_STROKE,
    RED,
    STROKE,
    WAIT_MS,
    WHITE,
    Browser,
    Player,
    in_browser,
    rgb,
)
from tests.conftest import RunningServer
from tests.serverproc import free_port, start, stop, wait_for_event
from tests.test_browser_i18n import english_left

PHONE = {"viewport": {"width": 375, "height": 740}, "device_scale_factor": 2,
         "has_touch": True, "is_mobile": True}
LANDSCAPE = {"width": 740, "height": 375}
TV_SIZE = {"width": 1920, "height": 1080}
SENTENCES = {"Ada": "a cat on a skateboard", "Bob": "a dog surfing a wave",
             "Cy": "a rocket made of cheese"}
DESCRIPTIONS = {"Ada": "two lines in the rain", "Bob": "a red stick", "Cy": "a blue river"}
SECOND_STROKE = [(300, 520), (700, 520)]
ON_SECOND = [(320, 520), (500, 520), (680, 520)]
PROMPT_CANVAS = "[data-testid=task-prompt] canvas"
ALBUM_CANVAS = "[data-testid=album-page] canvas"
TV_PAGE_CANVAS = "[data-testid=tv-album-page] canvas"
SHOWN_BY_PLAYERS = {"Ada", "Bob", "Cy", "Sam", "Phone booth", *SENTENCES.values(),
                    *DESCRIPTIONS.values()}
"""What players wrote: not the interface's text, in any language."""


def no_sideways_scroll(player: Player, where: str) -> None:
    overflow = player.horizontal_overflow()
    assert overflow <= 0, f"{player} {where}: the page is {overflow} px wider than the screen"


def tv_audit(tv: Player, screen: str) -> list[str]:
    tv.screenshot(f"tv-telephone-{screen}")
    return [f"TV {screen}: {v}" for v in tv.axe()]


def fits_on_its_side(phone: Player, layout: str) -> None:
    """A drawing page on a phone on its side: nothing sideways, the whole canvas on screen."""
    no_sideways_scroll(phone, f"drawing on its side ({layout})")
    phone.by("canvas").scroll_into_view_if_needed()
    box = phone.by("canvas").bounding_box()
    assert box is not None, f"no canvas on a phone on its side ({layout})"
    inside = box["y"] >= 0 and box["y"] + box["height"] <= LANDSCAPE["height"] + 1
    assert inside and box["height"] >= 300, f"the canvas on its side ({layout}) is {box}"
    phone.by("task-submit").scroll_into_view_if_needed()
    expect(phone.by("task-submit")).to_be_in_viewport()
    phone.screenshot(f"telephone-phone-drawing-landscape-{layout}")


def progress_of(watcher: Player, player: Player) -> Any:
    return watcher.page.locator(f"[data-testid=progress] [data-player-id='{player.id}']")


def write(player: Player, text: str) -> None:
    """Type a sentence and mark the page done."""
    player.by("task-text").fill(text)
    player.by("task-submit").click()
    expect(player.by("task-unsubmit")).to_be_visible()


def book_of(players: list[Player], player: Player, step: int) -> int:
    """The book `player` makes page `step` (1-based) of."""
    return (players.index(player) - (step - 1)) % len(players)


# ---------------------------------------------------------------- a whole game


def create_telephone_room(ada: Player) -> str:
    """The lobby's create form: telephone chosen, classic-only fields hidden; returns the link."""
    page = ada.page
    page.goto("/")
    form = page.locator("#create-form")
    expect(form.locator("[name=rounds]")).to_be_visible()
    expect(form.locator("[name=write_time_s]")).to_be_hidden()
    page.get_by_test_id("setting-mode").select_option("telephone")
    for hidden in ("rounds", "hints", "choose_time_s", "word_choices"):
        expect(form.locator(f"[name={hidden}]")).to_be_hidden()
    expect(form.locator("#create-mode-note")).to_contain_text("Everyone writes and draws at once")
    form.locator("[name=first_page]").select_option("word")
    expect(form.locator("[name=word_choices]")).to_be_visible()
    form.locator("[name=first_page]").select_option("write")
    page.get_by_test_id("room-name").fill("Phone booth")
    page.get_by_test_id("private-toggle").check()
    for name, value in {"write_time_s": "120", "draw_time_s": "120", "max_players": "6"}.items():
        form.locator(f"[name={name}]").fill(value)
    expect(form.locator("[name=steps]")).to_have_attribute("placeholder", "one per player")
    found = ada.audit("telephone-create-form")
    page.get_by_test_id("create-room").click()
    expect(page).to_have_url(re.compile(r"/r/[A-Za-z0-9]+$"))
    assert not found, "axe-core found:\n" + "\n".join(found)
    return page.url


def mode_switch(ada: Player, bob: Player) -> None:
    """The host switches the room to classic and back; the guest's form follows."""
    rounds = bob.page.locator("#room-settings [name=rounds]")
    expect(bob.by("setting-mode")).to_have_value("telephone")
    expect(rounds).to_be_hidden()
    expect(bob.page.locator("#room-settings [name=write_time_s]")).to_be_visible()
    expect(bob.by("setting-mode")).to_be_disabled()
    ada.by("setting-mode").select_option("classic")
    expect(bob.by("setting-mode")).to_have_value("classic")
    expect(rounds).to_be_visible()
    expect(bob.page.locator("#room-mode-note")).to_contain_text("draws a secret word")
    expect(bob.page.locator("#settings-summary")).to_contain_text("rounds")
    ada.by("setting-mode").select_option("telephone")
    expect(rounds).to_be_hidden()
    expect(bob.page.locator("#settings-summary")).to_contain_text("Telephone")


def step_one(players: list[Player], sam: Player, tv: Player) -> list[str]:
    """Writing: a draft kept through a reload, done taken back and given again, progress shown."""
    ada, bob, cy = players
    found: list[str] = []
    for player in players:
        expect(player.by("task")).to_be_visible()
        expect(player.by("task-prompt")).to_contain_text("start the story yourself")
        expect(player.by("task-text")).to_be_editable()
    expect(sam.by("task")).to_have_count(0)
    expect(sam.by("progress").locator("[data-done=false]")).to_have_count(3)
    expect(sam.by("progress")).to_contain_text("Fertig: 0 von 3")
    found += english_left(sam, "spectator (German)", SHOWN_BY_PLAYERS)
    expect(tv.by("tv-progress").locator("li")).to_have_count(3)
    no_sideways_scroll(cy, "writing")
    expect(cy.page.locator("body.controller-writer")).to_have_count(1)  # a TV is connected
    expect(tv.by("tv-timer")).to_have_text(re.compile(r"^\d+$"))
    cy.screenshot("telephone-phone-writing")
    found += ada.audit("telephone-writing")
    found += sam.audit("telephone-spectator")
    found += tv_audit(tv, "writing")
    # A sentence in progress goes out as a draft and comes back after a reload.
    bob.by("task-text").fill(SENTENCES["Bob"])
    expect(bob.by("task-text")).to_have_attribute("data-draft", "sent")
    bob.page.reload()
    bob.wait_online()
    expect(bob.by("task-text")).to_have_value(SENTENCES["Bob"])
    write(ada, SENTENCES["Ada"])
    for watcher in (bob, sam):
        expect(progress_of(watcher, ada)).to_have_attribute("data-done", "true")
    tv_chip = tv.page.locator(f"[data-testid=tv-progress] [data-player-id='{ada.id}']")
    expect(tv_chip).to_have_attribute("data-done", "true")
    expect(bob.item(ada.id)).to_have_attribute("data-done", "true")
    expect(bob.by("progress")).to_contain_text("Waiting for")
    # Done can be taken back while the step lasts.
    cy.by("task-text").fill(SENTENCES["Cy"])
    cy.by("task-submit").tap()
    expect(progress_of(ada, cy)).to_have_attribute("data-done", "true")
    cy.by("task-unsubmit").tap()
    expect(progress_of(ada, cy)).to_have_attribute("data-done", "false")
    expect(cy.by("task-text")).to_be_editable()
    cy.by("task-submit").tap()
    expect(progress_of(ada, cy)).to_have_attribute("data-done", "true")
    bob.by("task-submit").click()
    return found


def step_two(players: list[Player], tv: Player) -> list[str]:
    """Drawing: the sentence above the canvas, mouse and touch, a drawing kept through a reload."""
    ada, bob, cy = players
    for player in players:
        expect(player.by("tool-pen")).to_be_visible()
        owner = players[book_of(players, player, 2)]
        expect(player.by("task-prompt")).to_contain_text(SENTENCES[owner.label])
    expect(tv.by("tv-telephone")).to_contain_text("Everyone is drawing")
    ada.pick(RED, 24)
    ada.stroke_with_mouse(STROKE)
    ada.wait_drawn(ON_STROKE, RED)
    found = ada.audit("telephone-drawing")
    bob.pick(BLUE, 24)
    bob.stroke_with_mouse(STROKE)
    bob.wait_drawn(ON_STROKE, BLUE)
    bob.page.reload()
    bob.wait_online()
    bob.wait_drawn(ON_STROKE, BLUE)
    bob.pick(BLUE, 24)
    bob.stroke_with_mouse(SECOND_STROKE)
    bob.wait_drawn(ON_SECOND, BLUE)
    bob.assert_pixel(450, 410, WHITE)  # a new stroke id: not joined to the first stroke
    # The phone draws by touch, in portrait and on its side.
    expect(cy.page.locator("body.controller-drawer")).to_have_count(1)
    no_sideways_scroll(cy, "drawing")
    cy.screenshot("telephone-phone-drawing")
    cy.page.locator(f"[data-testid=color-swatch][data-colour='{RED}']").tap()
    cy.page.locator("[data-testid=size-option][data-width='24']").tap()
    cy.stroke_with_touch(STROKE)
    cy.wait_drawn(ON_STROKE, RED)
    # On its side, with and without the controller layout (a TV is connected).
    cy.page.set_viewport_size(LANDSCAPE)
    fits_on_its_side(cy, "controller")
    cy.by("controller-toggle").tap()
    expect(cy.page.locator("body.controller")).to_have_count(0)
    fits_on_its_side(cy, "page")
    cy.by("controller-toggle").tap()
    expect(cy.page.locator("body.controller-drawer")).to_have_count(1)
    cy.by("task-submit").tap()
    expect(cy.by("task-unsubmit")).to_be_visible()
    cy.page.set_viewport_size(PHONE["viewport"])
    for player in (ada, bob):
        player.by("task-submit").click()
    return found


def step_three(players: list[Player]) -> list[str]:
    """Describing: the drawing to describe replayed large from its ops."""
    _, bob, cy = players
    # Bob describes book 2, whose drawing Ada made in red.
    assert book_of(players, bob, 3) == 2
    for x, y in ON_STROKE:
        bob.wait_pixel(x, y, rgb(RED), target=PROMPT_CANVAS)
    found = bob.audit("telephone-describing")
    no_sideways_scroll(cy, "describing")
    # A sentence page on a phone on its side: the drawing whole on screen, the box under it.
    cy.page.set_viewport_size(LANDSCAPE)
    no_sideways_scroll(cy, "describing on its side")
    drawing = cy.page.locator(PROMPT_CANVAS)
    drawing.scroll_into_view_if_needed()
    box = drawing.bounding_box()
    assert box and box["y"] >= 0 and box["y"] + box["height"] <= LANDSCAPE["height"] + 1, box
    cy.by("task-text").scroll_into_view_if_needed()
    expect(cy.by("task-text")).to_be_in_viewport()
    cy.screenshot("telephone-phone-describing-landscape")
    found += [f"phone writer on its side: {v}" for v in cy.axe()]
    cy.page.set_viewport_size(PHONE["viewport"])
    for player in players[:-1]:
        write(player, DESCRIPTIONS[player.label])
    cy.by("task-text").fill(DESCRIPTIONS["Cy"])
    cy.by("task-submit").tap()  # the last page: the album begins
    return found


def album(players: list[Player], sam: Player, tv: Player) -> list[str]:
    """The show: the host steps, everyone and the TV follow, reactions, a book as a PNG."""
    ada, bob, cy = players
    found: list[str] = []
    for watcher in (*players, sam):
        page = watcher.by("album-page")
        expect(page).to_have_attribute("data-book", "0")
        expect(page).to_contain_text(SENTENCES["Ada"])
    expect(tv.by("tv-album-page")).to_contain_text(SENTENCES["Ada"])
    expect(bob.by("album-next")).to_be_hidden()
    expect(ada.by("album-prev")).to_be_disabled()
    found += ada.audit("telephone-album-host")
    found += tv_audit(tv, "album-sentence")
    ada.by("album-next").click()
    # Page 2 of Ada's book: Bob's drawing of her sentence (blue), on every screen.
    for watcher in players:
        expect(watcher.by("album-page")).to_have_attribute("data-page", "1")
        watcher.wait_pixel(*ON_STROKE[1], rgb(BLUE), target=ALBUM_CANVAS)
    tv.wait_pixel(*ON_STROKE[1], rgb(BLUE), target=TV_PAGE_CANVAS)
    # The page's author beside it, by face (a letter for one who drew none), here and on the TV.
    expect(ada.by("album-page").locator(".tel-page-by .avatar")).to_have_attribute(
        "data-face-of", str(bob.id))
    expect(tv.by("tv-album-page").locator(".avatar")).to_have_attribute("data-face-of", str(bob.id))
    # A drawing is replayed from nothing, stroke by stroke.
    ada.by("page-replay").click()
    shown = ada.pixel(*ON_STROKE[1], ALBUM_CANVAS)[:3]
    assert shown == [255, 255, 255], f"the replay did not start from nothing: {shown}"
    ada.wait_pixel(*ON_STROKE[1], rgb(BLUE), target=ALBUM_CANVAS, timeout=WAIT_MS * 2)
    expect(cy.page.locator("body.controller-remote")).to_have_count(1)
    expect(cy.by("album-page")).to_be_hidden()  # the TV shows the page; the phone is the remote
    found += [f"phone remote: {v}" for v in cy.axe()]
    expect(bob.by("album-like")).to_be_disabled()  # his own page
    cy.by("album-like").tap()
    expect(ada.by("album-like")).to_contain_text("1")
    expect(cy.by("album-like")).to_be_disabled()
    found += bob.audit("telephone-album-guest")
    found += tv_audit(tv, "album-drawing")
    ada.page.keyboard.press("ArrowRight")
    expect(ada.by("album-page")).to_have_attribute("data-page", "2")
    expect(cy.by("album-page")).to_contain_text(DESCRIPTIONS["Cy"])
    with ada.page.expect_download() as download:
        ada.by("book-png").click()
    png = Path(download.value.path()).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "the book is not a PNG"
    width, height = struct.unpack(">II", png[16:24])
    assert height > 2 * width > 0, f"the book's PNG is {width} x {height}, not its 3 pages stacked"
    ada.page.keyboard.press("ArrowLeft")
    expect(bob.by("album-page")).to_have_attribute("data-page", "1")
    for _ in range(1 + 6):  # back to page 3, then the two other books
        ada.page.keyboard.press("ArrowRight")
    expect(sam.by("album-page")).to_have_attribute("data-book", "2")
    expect(sam.by("album-page")).to_have_attribute("data-page", "2")
    found += english_left(sam, "album (German)", SHOWN_BY_PLAYERS)
    expect(ada.by("album-next")).to_have_text("Finish")
    return found


def whole_game(browser: Browser) -> None:
    ada, bob = (browser.player(name, reduced_motion="reduce") for name in ("Ada", "Bob"))
    cy = browser.player("Cy", reduced_motion="reduce", **PHONE)
    players = [ada, bob, cy]
    link = create_telephone_room(ada)
    ada.by("name-input").fill("Ada")
    ada.by("name-submit").click()
    ada.id = ada.wait_online()
    expect(ada.by("setting-mode")).to_have_value("telephone")
    bob.join(link, "Bob")
    cy.join(link, "Cy")
    sam = browser.player("Sam", reduced_motion="reduce", locale="de-DE")
    sam.page.goto(link)
    sam.by("name-input").fill("Sam")
    sam.page.locator("#spectate").check()
    sam.by("name-submit").click()
    sam.id = sam.wait_online()
    tv = browser.player("TV", viewport=TV_SIZE, reduced_motion="reduce")
    tv.page.goto(f"{link}/tv")
    expect(tv.by("connection-status")).to_have_attribute("data-state", "online")
    mode_switch(ada, bob)
    found = bob.audit("telephone-room-lobby")
    no_sideways_scroll(cy, "lobby")
    ada.by("start-game").click()
    found += step_one(players, sam, tv)
    expect(ada.by("task-prompt")).to_contain_text(SENTENCES["Cy"])  # step 2 began
    found += step_two(players, tv)
    expect(bob.by("task-prompt").locator("canvas")).to_be_visible()  # step 3 began
    found += step_three(players)
    found += album(players, sam, tv)
    ada.by("album-next").click()
    # Back in the lobby, every book stays on screen until the player goes back to the room.
    for player in players:
        expect(player.by("tel-book")).to_have_count(3)
    expect(cy.by("tel-book").first.locator("li")).to_have_count(3)
    expect(sam.by("tel-book")).to_have_count(3)
    expect(ada.by("books-open")).to_have_attribute("href", re.compile(r"/a/[^/]+$"))
    found += english_left(sam, "books (German)", SHOWN_BY_PLAYERS)
    found += ada.audit("telephone-books")
    ada.by("books-close").click()
    expect(ada.by("start-game")).to_be_visible()
    expect(tv.by("tv-lobby")).to_be_visible()
    assert not found, "axe-core found:\n" + "\n".join(found)


async def test_a_telephone_game_from_the_lobby_to_the_album(server: RunningServer) -> None:
    await in_browser(server.url, whole_game)


# ---------------------------------------------------------------- restarts and crashes


class Server:
    """A real server process on a fixed port and database, restarted and killed by the test."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db = tmp_path / "db.sqlite3"
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.proc = start(self.tmp_path, DRAWGAME_PORT=str(self.port), DRAWGAME_ENVIRONMENT="test",
                          DRAWGAME_RECONNECT_IN_MS="300")
        wait_for_event(self.proc, "serving")

    def restart(self) -> None:
        """A graceful restart: SIGTERM (the pages are told to come back), then start again."""
        assert self.proc is not None
        assert stop(self.proc) == 0
        self.start()

    def crash(self) -> None:
        """kill -9, then start again on the same port and database."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        assert self.proc.wait(timeout=10) == -signal.SIGKILL
        self.start()

    def stored(self, sql: str, *args: Any) -> Any:
        """The first column of the first row `sql` gives, read from the database file."""
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=5) as conn:
            row = conn.execute(sql, args).fetchone()
        return None if row is None else row[0]

    def wait_stored(self, what: str, check: Any, sql: str, *args: Any) -> None:
        """Poll the database until the recorder has written `what` (bounded)."""
        deadline = time.monotonic() + WAIT_MS / 1000 * 2
        while time.monotonic() < deadline:
            if check(self.stored(sql, *args)):
                return
            time.sleep(0.05)
        raise AssertionError(f"{what} never reached the database: {self.stored(sql, *args)!r}")


PAGE_OPS = ("SELECT group_concat(o.ops) FROM page_ops o JOIN pages p ON p.id = o.page_id"
            " WHERE p.book = ? AND p.page = ?")
STROKE_END = "{},{}]".format(*STROKE[-1])
"""How a stored op batch holding STROKE's last point ends it (orjson writes no spaces)."""
PAGE_TEXT = "SELECT text FROM pages WHERE book = ? AND page = ?"
SNAPSHOT = "SELECT snapshot FROM rooms WHERE code = ?"


def album_at(snapshot: str | None, book: int, page: int) -> bool:
    return bool(snapshot) and re.search(
        rf'"album_book":\s*{book},\s*"album_page":\s*{page}\b', snapshot or "") is not None


def back_online(players: list[Player]) -> None:
    for player in players:
        status = player.by("connection-status")
        expect(status).to_have_attribute("data-state", "online", timeout=20000)


def survives(server: Server, browser: Browser) -> None:
    ada, bob, cy = players = [browser.player(n) for n in ("Ada", "Bob", "Cy")]
    link = ada.create_room(mode="telephone", first_page="word", write_time_s=120, draw_time_s=120)
    for player in players:
        player.join(link, player.label)
    code = link.rsplit("/", 1)[1]
    expect(ada.by("start-game")).to_be_enabled()
    ada.by("start-game").click()
    # Page 1 is a word picked from the room's words; a graceful restart keeps the picks.
    expect(ada.by("task-choice")).to_have_count(3)
    found = ada.audit("telephone-word-choices")
    picks = {}
    for player in (ada, bob):
        choice = player.by("task-choice").first
        picks[player.label] = choice.get_attribute("data-word")
        choice.click()
        expect(choice).to_have_attribute("aria-pressed", "true")
    expect(progress_of(cy, bob)).to_have_attribute("data-done", "true")
    server.restart()
    back_online(players)
    for player in (ada, bob):
        expect(player.by("task-unsubmit")).to_be_visible()
        expect(player.page.locator(f"[data-testid=task-choice][data-word='{picks[player.label]}']")
               ).to_have_attribute("aria-pressed", "true")
    expect(progress_of(cy, ada)).to_have_attribute("data-done", "true")
    cy.by("task-choice").nth(1).click()
    # Drawings in progress are kept through a kill -9 once the recorder wrote them.
    expect(ada.by("tool-pen")).to_be_visible()
    ada.pick(RED, 24)
    ada.stroke_with_mouse(STROKE)
    bob.pick(BLUE, 24)
    bob.stroke_with_mouse(STROKE)
    for player in (ada, bob):
        server.wait_stored(f"{player.label}'s whole stroke", lambda ops: STROKE_END in (ops or ""),
                           PAGE_OPS, book_of(players, player, 2), 1)
    server.crash()
    back_online(players)
    ada.wait_drawn(ON_STROKE, RED)
    bob.wait_drawn(ON_STROKE, BLUE)
    for player in players:
        player.by("task-submit").click()
    # A sentence's draft and a page marked done are kept through a kill -9 too.
    expect(ada.by("task-text")).to_be_editable()
    ada.by("task-text").fill("a red line")
    expect(ada.by("task-text")).to_have_attribute("data-draft", "sent")
    write(bob, "a blue line")
    server.wait_stored("Ada's draft", lambda text: text == "a red line", PAGE_TEXT,
                       book_of(players, ada, 3), 2)
    server.wait_stored("Bob's page", lambda text: text == "a blue line", PAGE_TEXT,
                       book_of(players, bob, 3), 2)
    server.wait_stored("Bob's done", lambda snap: snap and bob.id in snap, SNAPSHOT, code)
    server.crash()
    back_online(players)
    expect(ada.by("task-text")).to_have_value("a red line")
    expect(bob.by("task-unsubmit")).to_be_visible()
    ada.by("task-submit").click()
    expect(progress_of(cy, ada)).to_have_attribute("data-done", "true")
    cy.by("task-text").fill("nothing at all")
    cy.by("task-submit").click()  # the last page: the album begins
    # The album's position is kept through a kill -9.
    expect(ada.by("album-page")).to_have_attribute("data-book", "0")
    ada.by("album-next").click()
    ada.by("album-next").click()
    expect(bob.by("album-page")).to_have_attribute("data-page", "2")
    server.wait_stored("the album's position", lambda snap: album_at(snap, 0, 2), SNAPSHOT, code)
    server.crash()
    back_online(players)
    for player in players:
        expect(player.by("album-page")).to_have_attribute("data-book", "0")
        expect(player.by("album-page")).to_have_attribute("data-page", "2")
    ada.by("album-next").click()
    expect(cy.by("album-page")).to_have_attribute("data-book", "1")
    assert not found, "axe-core found:\n" + "\n".join(found)


async def test_pages_and_the_album_survive_a_restart_and_a_kill(tmp_path: Path) -> None:
    server = Server(tmp_path)
    await trio.to_thread.run_sync(server.start)
    try:
        await in_browser(server.url, lambda browser: survives(server, browser),
                         allow=[r"WebSocket connection to .* failed",
                                r"ERR_CONNECTION_REFUSED \(http://[^)]*/api/rooms/"])
    finally:
        if server.proc is not None:
            await trio.to_thread.run_sync(stop, server.proc)
