"""A phone in portrait (375 px wide, touch): no sideways scrolling, and drawing by finger."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import (
    ON_STROKE,
    RED,
    STROKE,
    Browser,
    Player,
    guess_right,
    in_browser,
    next_turn,
    short_phases,  # noqa: F401 (a fixture)
)
from tests.conftest import RunningServer

pytestmark = pytest.mark.usefixtures("short_phases")

PHONE = {"viewport": {"width": 375, "height": 740}, "device_scale_factor": 2,
         "has_touch": True, "is_mobile": True}


def no_sideways_scroll(phone: Player, where: str) -> None:
    overflow = phone.horizontal_overflow()
    assert overflow <= 0, f"{where}: the page is {overflow} px wider than the 375 px screen"


def touch_drawing(browser: Browser) -> None:
    phone = browser.player("Phone", **PHONE)
    desk = browser.player("Desk")
    phone.page.goto("/")
    expect(phone.by("create-room")).to_be_visible()
    no_sideways_scroll(phone, "lobby")
    link = phone.create_room()
    phone.page.goto(link)
    expect(phone.by("name-input")).to_be_visible()
    no_sideways_scroll(phone, "name prompt")
    phone.join(link, "Pip")
    desk.join(link, "Dee")
    expect(phone.by("start-game")).to_be_enabled()
    no_sideways_scroll(phone, "room lobby")
    phone.by("start-game").tap()
    done: set[str] = set()
    drawer, _, word = next_turn([phone, desk], done)
    if drawer is desk:  # the phone draws next
        guess_right(phone, word)
        drawer, _, word = next_turn([phone, desk], done)
    assert drawer is phone
    expect(phone.by("tool-pen")).to_be_visible()
    no_sideways_scroll(phone, "drawing turn")
    sharp = phone.page.evaluate(
        "() => { const c = document.querySelector('[data-testid=canvas]');"
        " return [c.width, c.height, Math.round(c.clientWidth * devicePixelRatio),"
        " Math.round(c.clientHeight * devicePixelRatio)]; }"
    )
    assert sharp[:2] == sharp[2:], f"canvas pixels {sharp[:2]} for CSS size x DPR {sharp[2:]}"
    phone.page.locator(f"[data-testid=color-swatch][data-colour='{RED}']").tap()
    phone.page.locator("[data-testid=size-option][data-width='24']").tap()
    scrolled = phone.page.evaluate("() => [window.scrollX, window.scrollY, visualViewport.scale]")
    phone.stroke_with_touch(STROKE)
    phone.wait_drawn(ON_STROKE, RED)
    after = phone.page.evaluate("() => [window.scrollX, window.scrollY, visualViewport.scale]")
    assert after == scrolled, f"drawing moved the page: {scrolled} -> {after}"
    desk.wait_drawn(ON_STROKE, RED)
    phone.screenshot("phone-drawing-turn")


async def test_a_phone_draws_by_touch_at_375_px(server: RunningServer) -> None:
    await in_browser(server.url, touch_drawing)


LONG_WORDS = [
    "photosynthesisphotosynthesis", "hippopotamushippopotamusrace",
    "extraordinarilylongwordtodraw", "ultramicroscopicsilicovolcano",
    "counterrevolutionaryengineers", "electroencephalographyroom",
    "averylongwordtodrawonaphone", "internationalisationofwords",
    "incomprehensibilitiesgalore", "thequickbrownfoxjumpstwice",
]
"""Custom words near the 32-character limit: the hint and the word must fit a phone."""


def long_words(browser: Browser) -> None:
    pip = browser.player("Pip", **PHONE)
    dee = browser.player("Dee", **PHONE)
    link = pip.create_room(custom_words=LONG_WORDS, custom_only=True)
    pip.join(link, "Pip")
    dee.join(link, "Dee")
    pip.by("start-game").tap()
    done: set[str] = set()
    for _ in range(2):  # each phone draws once and guesses once
        drawer, (guesser,), word = next_turn([pip, dee], done)
        no_sideways_scroll(drawer, f"drawing {word!r}")
        no_sideways_scroll(guesser, f"guessing {word!r}")
        drawer.screenshot(f"phone-long-word-drawer-{drawer.label.lower()}")
        guesser.screenshot(f"phone-long-word-guesser-{guesser.label.lower()}")
        guess_right(guesser, word)


async def test_the_longest_words_fit_a_phone(server: RunningServer) -> None:
    await in_browser(server.url, long_words)
