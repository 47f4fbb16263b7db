"""Shared helpers of the browser tests: Debian's Chromium driven by Playwright's sync API.

A test starts the real server in its trio nursery and hands a scenario to
`in_browser`, which runs it in one worker thread owning one Chromium (the sync
API must stay in the thread that started it). Every page opened through a
`Browser` reports console errors, uncaught exceptions, dialogs and CSP
violations; `in_browser` fails the test when any happened. Waits are
Playwright's auto-waiting expectations with explicit timeouts, never sleeps.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
import trio
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import BrowserContext, Locator, Page, expect, sync_playwright

from drawgame.game.modes import classic

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
WAIT_MS = 5000
"""How long any single expectation may wait: several times what it takes on 2 busy cores."""
FINGER_GAP_MS = 600
"""How long a finger stays up after a touch stroke (more than Chromium's double-tap window)."""

CANVAS_W, CANVAS_H = 1000, 750
WHITE = (255, 255, 255)
RED, BLUE = "#f44336", "#2196f3"
"""Palette colours (`color-swatch` data-colour) the tests draw with."""
STROKE = [(200, 300), (400, 300), (600, 300)]
ON_STROKE = [(220, 300), (400, 300), (580, 300)]
"""Logical points a 24-wide STROKE covers with its full colour."""
FAR = (850, 650)
"""A logical point far from every stroke the tests draw."""
WORDS = ("elephant", "giraffe", "penguin", "volcano", "lighthouse", "umbrella", "octopus",
         "pyramid", "tornado", "backpack")
"""Custom words only: all long enough for `close` guesses, none close to another."""
QUICK_SETTINGS: dict[str, Any] = {
    "rounds": 1, "draw_time_s": 60, "choose_time_s": 10, "word_choices": 3, "hints": 0,
    "custom_words": list(WORDS), "custom_only": True,
}
"""Settings for turns that end by guesses, never by a timer."""

expect.set_options(timeout=WAIT_MS)

WIDE = {"width": 1280, "height": 720}
NARROW = {"width": 375, "height": 740}
"""The two screen sizes every screen is checked at: a laptop and a phone in portrait."""
AXE_OPTIONS = {
    "resultTypes": ["violations"], "rules": {"label-content-name-mismatch": {"enabled": True}},
}
"""axe-core's default rules, plus the experimental one that checks names hold the visible text."""

# Runs in every page before its own scripts: CSP violations are reported to the test.
REPORT_CSP = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__reportCsp(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
    + ` in ${e.sourceFile || location.pathname}:${e.lineNumber}`);
});
"""

# (selector, x, y): the RGBA of the logical canvas point (x, y) of a board canvas,
# whatever its pixel size (boards scale 1000 x 750 onto their pixels).
READ_PIXEL = """([target, x, y]) => {
  const c = typeof target === "string" ? document.querySelector(target) : target;
  if (!c || !c.width || !c.height) return null;
  const px = Math.min(c.width - 1, Math.floor((x * c.width) / 1000));
  const py = Math.min(c.height - 1, Math.floor((y * c.height) / 750));
  return Array.from(c.getContext("2d").getImageData(px, py, 1, 1).data);
}"""

PIXEL_IS = f"""([target, x, y, rgb, tolerance]) => {{
  const read = {READ_PIXEL};
  const p = read([target, x, y]);
  return p !== null && p[3] === 255 && rgb.every((v, i) => Math.abs(p[i] - v) <= tolerance);
}}"""


@pytest.fixture
def short_phases(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reveals pass quickly; the results stay up for longer than any test looks at them."""
    monkeypatch.setattr(classic, "REVEAL_S", 0.3)
    monkeypatch.setattr(classic, "RESULTS_S", 60.0)


def require_chromium() -> None:
    """Fail (never skip) when Chromium is missing: CI must run these tests too."""
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: run `make browser` to install it "
                    "(`make test` does it by itself)", pytrace=False)


def rgb(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


async def in_browser(
    base_url: str, scenario: Callable[[Browser], None], *, allow: Iterable[str] = ()
) -> None:
    """Run `scenario(browser)` in a worker thread with its own Chromium.

    `allow` holds regular expressions of console errors ("text (url)") that
    the scenario causes on purpose (a server that is down refuses WebSockets);
    anything else logged as an error fails the test once the scenario passed.
    """
    require_chromium()
    run = functools.partial(_run, base_url, scenario, tuple(allow))
    await trio.to_thread.run_sync(run)


def _run(base_url: str, scenario: Callable[[Browser], None], allow: tuple[str, ...]) -> None:
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
        browser = Browser(chromium, base_url, allow)
        try:
            scenario(browser)
        finally:
            chromium.close()
    browser.assert_clean()


class Browser:
    """One Chromium; one browser context (cookies, storage) per player."""

    def __init__(self, chromium: Any, base_url: str, allow: tuple[str, ...]) -> None:
        self.chromium = chromium
        self.url = base_url
        self.allow = [re.compile(p) for p in allow]
        self.problems: list[str] = []
        self.confirms: dict[str, int] = {}
        """Confirm dialogs a player's page may show and that are accepted (a kick's)."""

    def player(self, label: str, *, profile: Path | None = None, **context_options: Any
               ) -> Player:
        """A new player (its own context and page), watched for errors.

        With ``profile`` (a folder), the player's browser keeps a real profile there
        instead of an incognito one: what installing the web app needs.
        """
        if profile is None:
            context = self.chromium.new_context(base_url=self.url, **context_options)
        else:
            context = self.chromium.browser_type.launch_persistent_context(
                profile, executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS,
                base_url=self.url, **context_options)
        context.set_default_timeout(WAIT_MS)
        context.expose_binding(
            "__reportCsp", lambda _source, text: self.problems.append(f"{label}: CSP: {text}")
        )
        context.add_init_script(REPORT_CSP)
        page = context.pages[0] if context.pages else context.new_page()
        page.on("console", lambda msg: self._console(label, msg))
        page.on("pageerror", lambda err: self.problems.append(f"{label}: uncaught: {err}"))
        page.on("dialog", lambda dialog: self._dialog(label, dialog))
        return Player(label, context, page)

    def _console(self, label: str, msg: Any) -> None:
        line = f"{msg.text} ({msg.location.get('url')})"
        if msg.type == "error" and not any(p.search(line) for p in self.allow):
            self.problems.append(f"{label}: console error: {line}")

    def _dialog(self, label: str, dialog: Any) -> None:
        if dialog.type == "confirm" and self.confirms.get(label, 0) > 0:
            self.confirms[label] -= 1
            dialog.accept()
            return
        self.problems.append(f"{label}: dialog {dialog.type}: {dialog.message!r}")
        dialog.dismiss()

    def accept_confirm(self, player: Player) -> None:
        """Let `player`'s page show one confirm dialog, which is accepted."""
        self.confirms[player.label] = self.confirms.get(player.label, 0) + 1

    def assert_clean(self) -> None:
        assert not self.problems, "\n".join(self.problems)


class Player:
    """A page of one player, with the steps the tests take on it."""

    def __init__(self, label: str, context: BrowserContext, page: Page) -> None:
        self.label = label
        self.context = context
        self.page = page
        self.id = ""

    def __repr__(self) -> str:
        return f"<Player {self.label}>"

    def by(self, testid: str) -> Locator:
        return self.page.get_by_test_id(testid)

    # --- joining -------------------------------------------------------------------

    def join(self, link: str, name: str) -> str:
        """Open a room link, give a name through the prompt, and keep the seat's id."""
        self.page.goto(link)
        self.by("name-input").fill(name)
        self.by("name-submit").click()
        self.id = self.wait_online()
        return self.id

    def create_room(self, name: str | None = None, **settings: Any) -> str:
        """Create a private room through the API; returns its link."""
        body: dict[str, Any] = {"private": True, "settings": {**QUICK_SETTINGS, **settings}}
        if name is not None:
            body["name"] = name
        answer = self.context.request.post("/api/rooms", data=body)
        assert answer.status == 201, answer.text()
        return str(answer.json()["url"])

    def wait_online(self) -> str:
        expect(self.by("connection-status")).to_have_attribute("data-state", "online")
        return self.me_id()

    def me_id(self) -> str:
        me = self.page.locator("[data-testid=player-item].is-me")
        expect(me).to_have_count(1)
        pid = me.get_attribute("data-player-id")
        assert pid, f"{self}: no data-player-id on the own player item"
        return pid

    def item(self, pid: str) -> Locator:
        return self.page.locator(f"[data-testid=player-item][data-player-id='{pid}']")

    def scores(self) -> dict[str, int]:
        """Each player's score as this page's player list shows it."""
        items = self.by("player-item")
        return {
            str(items.nth(i).get_attribute("data-player-id")):
                int(items.nth(i).get_attribute("data-score") or "-1")
            for i in range(items.count())
        }

    def drawer_id(self) -> str:
        drawer = self.page.locator("[data-testid=player-item][data-drawer=true]")
        expect(drawer).to_have_count(1)
        return str(drawer.get_attribute("data-player-id"))

    # --- playing -------------------------------------------------------------------

    def choose_first_word(self) -> str:
        choice = self.page.locator("[data-testid=word-choice][data-index='0']")
        word = choice.locator(".word-text").inner_text().strip()
        choice.click()
        expect(self.by("word")).to_have_text(word)
        return word

    def pick(self, colour: str, width: int) -> None:
        """Choose a palette colour and a brush width from the toolbar."""
        self.page.locator(f"[data-testid=color-swatch][data-colour='{colour}']").click()
        self.page.locator(f"[data-testid=size-option][data-width='{width}']").click()

    def say(self, text: str) -> None:
        self.by("chat-input").fill(text)
        self.by("chat-send").click()
        expect(self.by("chat-input")).to_have_value("")

    def lines(self, kind: str) -> Locator:
        return self.page.locator(f"[data-testid=chat-log] [data-kind={kind}]")

    def canvas_to_client(self, x: float, y: float) -> tuple[float, float]:
        box = self.by("canvas").bounding_box()
        assert box is not None, f"{self}: the canvas is not displayed"
        return box["x"] + x * box["width"] / CANVAS_W, box["y"] + y * box["height"] / CANVAS_H

    def stroke_with_mouse(self, points: list[tuple[int, int]], steps: int = 4) -> None:
        """Drag the mouse through logical canvas points (pen down at the first)."""
        self.by("canvas").scroll_into_view_if_needed()
        mouse = self.page.mouse
        mouse.move(*self.canvas_to_client(*points[0]))
        mouse.down()
        for point in points[1:]:
            mouse.move(*self.canvas_to_client(*point), steps=steps)
        mouse.up()

    def stroke_with_touch(self, points: list[tuple[int, int]], steps: int = 4) -> None:
        """Drag one finger through logical canvas points, as real touch input.

        The events go through Chromium's input pipeline (DevTools
        Input.dispatchTouchEvent), so touch-action and scrolling apply exactly
        as for a finger, and the page gets pointer events of type "touch".
        """
        self.by("canvas").scroll_into_view_if_needed()
        cdp = self.context.new_cdp_session(self.page)
        client = [self.canvas_to_client(*p) for p in points]

        def touch(kind: str, at: tuple[float, float] | None) -> None:
            touch_points = [] if at is None else [{"x": at[0], "y": at[1], "id": 1}]
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": touch_points})

        touch("touchStart", client[0])
        for (x0, y0), (x1, y1) in itertools.pairwise(client):
            for step in range(1, steps + 1):
                f = step / steps
                touch("touchMove", (x0 + (x1 - x0) * f, y0 + (y1 - y0) * f))
        touch("touchEnd", None)
        cdp.detach()
        # Chromium's gesture detector takes a tap that comes within its double-tap
        # window of a touch sequence ending as the second tap of a double tap, and
        # sends no click for it: a finger lifts and moves on no faster than a person.
        self.page.wait_for_timeout(FINGER_GAP_MS)

    # --- pixels --------------------------------------------------------------------

    def pixel(self, x: int, y: int, target: str | Any = "[data-testid=canvas]") -> list[int]:
        """The RGBA this page shows at logical point (x, y) of a board canvas."""
        value = self.page.evaluate(READ_PIXEL, [target, x, y])
        assert value is not None, f"{self}: no canvas {target!r}"
        return list(value)

    def wait_pixel(
        self, x: int, y: int, colour: tuple[int, int, int], *,
        target: str | Any = "[data-testid=canvas]", tolerance: int = 8, timeout: int = WAIT_MS,
    ) -> None:
        """Wait until logical point (x, y) shows `colour`; fail naming what it shows."""
        try:
            self.page.wait_for_function(
                PIXEL_IS, arg=[target, x, y, list(colour), tolerance], timeout=timeout
            )
        except Exception:
            shown = self.page.evaluate(READ_PIXEL, [target, x, y])
            raise AssertionError(
                f"{self}: pixel ({x}, {y}) of {target!r} is {shown}, expected {colour}"
            ) from None

    def wait_drawn(self, points: list[tuple[int, int]], colour: str) -> None:
        """Wait until every point shows `colour`, then check FAR is still background."""
        for x, y in points:
            self.wait_pixel(x, y, rgb(colour))
        self.assert_pixel(*FAR, WHITE)

    def assert_pixel(
        self, x: int, y: int, colour: tuple[int, int, int], *,
        target: str | Any = "[data-testid=canvas]", tolerance: int = 8,
    ) -> None:
        shown = self.pixel(x, y, target)
        assert shown[3] == 255 and all(
            abs(a - b) <= tolerance for a, b in zip(shown, colour, strict=False)
        ), f"{self}: pixel ({x}, {y}) of {target!r} is {shown}, expected {colour}"

    # --- layout --------------------------------------------------------------------

    def horizontal_overflow(self) -> int:
        """How many CSS pixels the page is wider than the viewport (0: no horizontal scroll)."""
        return int(self.page.evaluate(
            "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
            " - document.documentElement.clientWidth"
        ))

    def axe(self) -> list[str]:
        """axe-core's serious and critical findings on the page as it is, one line each."""
        results = Axe().run(self.page, options=AXE_OPTIONS).response
        return [
            f"{v['id']} ({v['impact']}): {v['help']} at "
            + "; ".join(" ".join(n["target"]) for n in v["nodes"][:5])
            for v in results["violations"] if v["impact"] in ("serious", "critical")
        ]

    def audit(self, screen: str) -> list[str]:
        """Screenshots at 1280 and 375 px wide and axe-core at each; the findings, named."""
        size = self.page.viewport_size or WIDE
        found = []
        try:
            for viewport in (WIDE, NARROW):
                self.page.set_viewport_size(viewport)
                self.screenshot(f"{screen}-{viewport['width']}")
                found += [f"{screen} at {viewport['width']} px: {v}" for v in self.axe()]
        finally:
            self.page.set_viewport_size(size)
        return found

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
        return path


# --- a table of players ----------------------------------------------------------------


def seat(browser: Browser, names: list[str], **context_options: Any) -> list[Player]:
    """Players in a new private room with QUICK_SETTINGS; the first one is the host."""
    players = [browser.player(name, **context_options) for name in names]
    link = players[0].create_room()
    for player, name in zip(players, names, strict=True):
        player.join(link, name)
    for player in players:
        expect(player.by("player-item")).to_have_count(len(players))
    return players


def next_turn(players: list[Player], done: set[str]) -> tuple[Player, list[Player], str]:
    """Wait for a drawer not in `done`, let them choose the first word: (drawer, guessers, word)."""
    host = players[0]
    others = "".join(f":not([data-player-id='{pid}'])" for pid in done)
    drawer_item = host.page.locator(f"[data-testid=player-item][data-drawer=true]{others}")
    expect(drawer_item).to_have_count(1)
    drawer_id = drawer_item.get_attribute("data-player-id")
    drawer = next(p for p in players if p.id == drawer_id)
    done.add(drawer.id)
    word = drawer.choose_first_word()
    guessers = [p for p in players if p is not drawer]
    for guesser in guessers:
        expect(guesser.by("hint")).to_have_text("_" * len(word))
    return drawer, guessers, word


def guess_right(guesser: Player, word: str) -> int:
    """Say the word; returns the points the page's `correct` line shows."""
    mine_only = guesser.page.locator("[data-testid=chat-log] [data-kind=correct][data-mine]")
    before = mine_only.count()
    guesser.say(word)
    mine = mine_only.nth(before)
    expect(mine).to_be_visible()
    points = mine.locator(".msg-points").inner_text()
    assert re.fullmatch(r"\+\d+", points), f"{guesser}: points {points!r}"
    return int(points[1:])
