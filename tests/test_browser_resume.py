"""Pages that lose their connection mid-turn come back to the same seat and drawing."""

from __future__ import annotations

import pytest
import trio
from playwright.sync_api import expect

from drawgame.config import Config
from tests.browser import (
    BLUE,
    ON_STROKE,
    RED,
    STROKE,
    WHITE,
    Browser,
    Player,
    guess_right,
    in_browser,
    next_turn,
    seat,
    short_phases,  # noqa: F401 (a fixture)
)
from tests.conftest import RunningServer, start_server
from tests.serverproc import free_port

pytestmark = pytest.mark.usefixtures("short_phases")

SECOND_STROKE = [(300, 520), (700, 520)]
ON_SECOND = [(320, 520), (500, 520), (680, 520)]
BETWEEN = (450, 410)
"""On the straight line from STROKE's end to SECOND_STROKE's start: never drawn."""

# Keeps every data-state the connection pill takes, so a page's drop is visible afterwards.
RECORD_STATES = """() => {
  const pill = document.querySelector("[data-testid=connection-status]");
  window.__states = [pill.dataset.state];
  new MutationObserver(() => {
    if (window.__states.at(-1) !== pill.dataset.state) window.__states.push(pill.dataset.state);
  }).observe(pill, { attributes: true, attributeFilter: ["data-state"] });
}"""


def mid_turn(browser: Browser) -> tuple[Player, Player, Player, str, int]:
    """Three players; the drawer has drawn STROKE in red and the first guesser guessed."""
    players = seat(browser, ["Ada", "Bob", "Cy"])
    players[0].by("start-game").click()
    drawer, (first, second), word = next_turn(players, set())
    drawer.pick(RED, 24)
    drawer.stroke_with_mouse(STROKE)
    for page in players:
        page.wait_drawn(ON_STROKE, RED)
    points = guess_right(first, word)
    for page in players:
        expect(page.item(first.id)).to_have_attribute("data-score", str(points))
    return drawer, first, second, word, points


def guesser_reloads(browser: Browser) -> None:
    drawer, first, second, word, points = mid_turn(browser)
    seat_id = first.id
    first.page.reload()
    assert first.wait_online() == seat_id
    expect(first.page.locator("[data-testid=player-item].is-me")).to_have_count(1)
    expect(first.item(seat_id)).to_have_attribute("data-score", str(points))
    expect(first.item(seat_id)).to_have_attribute("data-guessed", "true")
    expect(first.item(drawer.id)).to_have_attribute("data-drawer", "true")
    expect(first.by("word")).to_have_text(word)
    first.wait_drawn(ON_STROKE, RED)
    for page in (drawer, first, second):
        expect(page.by("player-item")).to_have_count(3)
        expect(page.item(seat_id)).to_have_attribute("data-connected", "true")


async def test_a_reloaded_guesser_keeps_seat_score_and_canvas(server: RunningServer) -> None:
    await in_browser(server.url, guesser_reloads)


def drawer_reloads(browser: Browser) -> None:
    drawer, first, second, word, _ = mid_turn(browser)
    seat_id = drawer.id
    drawer.page.reload()
    assert drawer.wait_online() == seat_id
    expect(drawer.item(seat_id)).to_have_attribute("data-drawer", "true")
    expect(drawer.by("word")).to_have_text(word)
    drawer.wait_drawn(ON_STROKE, RED)
    drawer.pick(BLUE, 24)
    drawer.stroke_with_mouse(SECOND_STROKE)
    for page in (drawer, first, second):
        page.wait_drawn(ON_SECOND, BLUE)
        page.wait_drawn(ON_STROKE, RED)
        # A new stroke id: pieces of one stroke are joined, so a reused id would
        # draw a line from the first stroke's end to the second one's start.
        page.assert_pixel(*BETWEEN, WHITE)


async def test_a_reloaded_drawer_keeps_the_drawing_and_draws_on(server: RunningServer) -> None:
    await in_browser(server.url, drawer_reloads)


async def test_pages_come_back_by_themselves_after_a_server_restart(
    nursery: trio.Nursery, config: Config
) -> None:
    # The production grace: open pages (WebSockets and idle keep-alive connections)
    # must not hold a graceful stop for it.
    config = config.replace(port=free_port(), reconnect_in_ms=300, shutdown_grace_s=10.0)
    running: list[RunningServer] = [await start_server(nursery, config)]

    async def restart() -> None:
        """Graceful stop, then the same port and database again."""
        running[0].stop.set()
        with trio.fail_after(3):
            await running[0].done.wait()
        running[0] = await start_server(nursery, config)

    def scenario(browser: Browser) -> None:
        drawer, first, second, word, _ = mid_turn(browser)
        players = (drawer, first, second)
        scores = drawer.scores()
        for page in players:
            page.page.evaluate(RECORD_STATES)
        trio.from_thread.run(restart)
        for page in players:
            expect(page.by("connection-status")).to_have_attribute(
                "data-state", "online", timeout=15000
            )
            states = page.page.evaluate("() => window.__states")
            assert "reconnecting" in states, f"{page}: never lost the connection: {states}"
            expect(page.lines("system").filter(has_text="Reconnected.")).to_have_count(1)
            page.wait_drawn(ON_STROKE, RED)
            assert page.scores() == scores, (page, page.scores(), scores)
        drawer.pick(BLUE, 24)
        drawer.stroke_with_mouse(SECOND_STROKE)
        for page in players:
            page.wait_drawn(ON_SECOND, BLUE)
        guess_right(second, word)
        next_drawer, _, _ = next_turn(list(players), {drawer.id})
        assert next_drawer is not drawer

    try:
        # While the server is down, a page's look-up of the room before reconnecting fails too.
        await in_browser(running[0].url, scenario, allow=[
            r"WebSocket connection to .* failed", r"ERR_CONNECTION_REFUSED \(http://[^)]*/api/rooms/"])
    finally:
        running[0].stop.set()
        with trio.fail_after(config.shutdown_grace_s + 5):
            await running[0].done.wait()


def reload_at_results(browser: Browser) -> None:
    players = seat(browser, ["Ada", "Bob"])
    players[0].by("start-game").click()
    done: set[str] = set()
    for _ in range(2):
        drawer, (guesser,), word = next_turn(players, done)
        drawer.stroke_with_mouse(STROKE)
        guess_right(guesser, word)
    for page in players:
        expect(page.by("results")).to_be_visible()
        expect(page.by("album-item")).to_have_count(2)
    players[1].page.reload()
    players[1].wait_online()
    expect(players[1].by("results")).to_be_visible()
    expect(players[1].by("ranking-item")).to_have_count(2)
    expect(players[1].by("album-item")).to_have_count(2)


async def test_a_page_reloaded_at_the_results_still_shows_the_album(
    server: RunningServer,
) -> None:
    await in_browser(server.url, reload_at_results)
