"""axe-core on every screen of a real game, at 1280 and 375 px, with a screenshot of each.

The game is played by three pages in Chromium: a host, and two guests of
whom one guesses while the other has not yet, so the drawing turn is seen as
the drawer, a guesser and a player who guessed. Any serious or critical
finding on any screen fails the test; all of them are listed together.
Screenshots land in test-artifacts/screenshots/<screen>-<width>.png.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from drawgame.game.modes import classic
from tests.browser import (
    RED,
    STROKE,
    Browser,
    Player,
    guess_right,
    in_browser,
    next_turn,
)
from tests.conftest import RunningServer

SLOW_SETTINGS = {"draw_time_s": 120, "choose_time_s": 30}
"""Long enough for every screen of a turn to be checked twice before its timer runs out."""
REVEAL_MS = 10000
"""The first reveal, long enough to be checked; the later ones are short."""


def whole_game_audited(browser: Browser) -> None:
    found: list[str] = []
    ada, bob, cy = (browser.player(n, reduced_motion="reduce") for n in ("Ada", "Bob", "Cy"))
    ada.page.goto("/")
    expect(ada.by("room-list")).to_be_attached()
    found += ada.audit("lobby")
    link = ada.create_room(name="Friday doodles", **SLOW_SETTINGS)
    ada.page.goto(link)
    expect(ada.by("name-input")).to_be_visible()
    found += ada.audit("name-prompt")
    ada.by("name-input").fill("Ada")
    ada.by("name-submit").click()
    ada.id = ada.wait_online()
    found += ada.audit("room-lobby-host")
    bob.join(link, "Bob")
    cy.join(link, "Cy")
    expect(bob.by("player-item")).to_have_count(3)
    found += bob.audit("room-lobby-guest")
    ada.by("start-game").click()
    found += choosing(ada, bob, cy)
    seen, first_drawer = turn(ada, bob, cy)
    found += seen
    classic.REVEAL_S = 0.3  # the other turns' reveals need no looking at
    expect(ada.page.locator("body[data-phase=choosing]")).to_be_attached(timeout=REVEAL_MS + 5000)
    done = {first_drawer}
    for _ in range(2):
        _, guessers, word = next_turn([ada, bob, cy], done)
        for guesser in guessers:
            guess_right(guesser, word)
    expect(ada.by("album-item")).to_have_count(3)
    found += ada.audit("results")
    ada.page.locator("[data-testid=album-item][data-turn='0'] [data-testid=album-replay]").click()
    expect(ada.by("replay-canvas")).to_be_visible()
    found += ada.audit("replay")
    ada.by("replay-close").click()
    ada.page.goto("/r/NOSUCHROOM")
    expect(ada.by("error-title")).to_be_visible()
    found += ada.audit("not-found")
    assert not found, "axe-core found:\n" + "\n".join(found)


def choosing(*players: Player) -> list[str]:
    drawer_id = players[0].drawer_id()
    drawer = next(p for p in players if p.id == drawer_id)
    guesser = next(p for p in players if p is not drawer)
    expect(drawer.page.locator("[data-testid=word-choice]")).to_have_count(3)
    expect(guesser.page.locator("#canvas-overlay .overlay-title")).to_contain_text("is choosing")
    return drawer.audit("choosing-drawer") + guesser.audit("choosing-guesser")


def turn(*players: Player) -> tuple[list[str], str]:
    """The first turn, checked as drawer, guesser, guessed and at the reveal; and its drawer."""
    drawer_id = players[0].drawer_id()
    drawer = next(p for p in players if p.id == drawer_id)
    first, second = (p for p in players if p is not drawer)
    word = drawer.choose_first_word()
    drawer.pick(RED, 24)
    drawer.stroke_with_mouse(STROKE)
    first.wait_drawn(STROKE[1:2], RED)
    found = drawer.audit("drawing-drawer") + first.audit("drawing-guesser")
    guess_right(second, word)
    found += second.audit("drawing-guessed")
    guess_right(first, word)
    expect(first.page.locator("#canvas-overlay[data-kind=reveal]")).to_be_visible()
    return found + first.audit("reveal"), drawer_id


async def test_every_screen_passes_axe_core(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(classic, "REVEAL_S", REVEAL_MS / 1000)
    monkeypatch.setattr(classic, "RESULTS_S", 120.0)
    await in_browser(server.url, whole_game_audited, allow=[r"status of 404 .*/api/rooms/NOSUCH"])
