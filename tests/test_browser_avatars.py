"""Drawn avatars in real Chromium: drawn in the name prompt (with the mouse, and with the
keyboard alone at 375 px), kept across a reload, and shown in the player list, chat, TV
screen, podium, results album and album page; drawn again from the lobby; hidden by the
host (every screen falls back to the letter); gone with a kick. axe-core stays clean on
the screens avatars touch."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from drawgame.game.avatar import validate_avatar
from drawgame.game.modes import classic
from tests.browser import (
    NARROW,
    WIDE,
    Browser,
    Player,
    guess_right,
    in_browser,
    next_turn,
)
from tests.conftest import RunningServer

TV_SIZE = {"width": 1280, "height": 720}


@pytest.fixture(autouse=True)
def quick_results(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(classic, "REVEAL_S", 0.3)
    monkeypatch.setattr(classic, "RESULTS_S", 60.0)


def faces_of(page: Player, pid: str, where: str = "") -> Any:
    """Every avatar of `pid` on the page (inside `where`, a selector, when given)."""
    return page.page.locator(f"{where} [data-face-of='{pid}']".strip())


def expect_face(page: Player, pid: str, where: str, drawn: bool = True) -> None:
    """Every avatar of `pid` inside `where` shows the drawing (or, with drawn=False,
    the letter), and there is at least one."""
    found = faces_of(page, pid, where)
    expect(found.first).to_be_attached()
    other = str(not drawn).lower()
    expect(page.page.locator(f"{where} [data-face-of='{pid}'][data-drawn='{other}']")
           ).to_have_count(0)
    if drawn:
        expect(found.first.locator("svg.face path, svg.face circle").first).to_be_attached()


def draw_face_with_keyboard(page: Player) -> None:
    """Tab to the pad and draw a line and a dot with the arrow keys and Space."""
    pad = page.by("face-pad")
    pad.focus()
    keys = page.page.keyboard
    keys.press("Space")
    for _ in range(3):
        keys.press("Shift+ArrowRight")
    keys.press("Space")
    expect(pad).to_have_attribute("data-strokes", "1")
    keys.press("ArrowDown")
    keys.press("Enter")
    keys.press("Enter")
    expect(pad).to_have_attribute("data-strokes", "2")


def a_face_everywhere(browser: Browser) -> None:
    # Reduced motion: axe reads colours once the podium has risen (no animation).
    ada = browser.player("Ada", viewport=NARROW, reduced_motion="reduce")
    link = ada.create_room(rounds=1)
    ada.page.goto(link)
    # The name prompt at 375 px, with the keyboard alone: draw, undo, a random face.
    editor = ada.by("face-editor")
    expect(editor).to_be_visible()
    draw_face_with_keyboard(ada)
    ada.by("face-undo").focus()
    ada.page.keyboard.press("Enter")
    expect(ada.by("face-pad")).to_have_attribute("data-strokes", "1")
    ada.by("face-random").focus()
    ada.page.keyboard.press("Enter")
    strokes = int(ada.by("face-pad").get_attribute("data-strokes") or "0")
    assert strokes >= 4, strokes  # a head, two eyes, a mouth at least
    # Colours are radios: arrow keys move between them.
    ada.page.locator("[data-testid=face-colour]").first.focus()
    ada.page.keyboard.press("ArrowRight")
    expect(ada.page.locator("[data-testid=face-colour]").nth(1)).to_be_checked()
    # A pen stroke with the mouse, then the ink gauge has counted it.
    box = ada.by("face-pad").bounding_box()
    assert box is not None
    ada.page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.9)
    ada.page.mouse.down()
    ada.page.mouse.move(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.9, steps=6)
    ada.page.mouse.up()
    expect(ada.by("face-pad")).to_have_attribute("data-strokes", str(strokes + 1))
    assert float(ada.by("face-ink").evaluate("el => el.value")) > 50
    assert ada.horizontal_overflow() == 0
    found = ada.audit("avatar-name-prompt")
    stored = ada.page.evaluate("() => JSON.parse(localStorage.getItem('drawgame.avatar'))")
    assert len(stored) == strokes + 1
    ada.page.set_viewport_size(WIDE)
    ada.by("name-input").fill("Ada")
    ada.by("name-submit").click()
    ada.id = ada.wait_online()

    bob = browser.player("Bob", reduced_motion="reduce")
    bob.join(link, "Bob")
    tv = browser.player("TV", viewport=TV_SIZE, reduced_motion="reduce")
    tv.page.goto(f"{browser.url}{link}/tv")
    expect(tv.by("connection-status")).to_have_attribute("data-state", "online")
    for page in (ada, bob):
        expect_face(page, ada.id, "[data-testid=player-list]")
        expect_face(page, bob.id, "[data-testid=player-list]", drawn=False)
    expect_face(tv, ada.id, "[data-testid=tv-player]")
    ada.say("hello")
    expect_face(bob, ada.id, "[data-testid=chat-log]")

    # A reload resumes the seat, and the face comes back with it on every screen.
    ada.page.reload()
    assert ada.wait_online() == ada.id
    for page in (ada, bob):
        expect_face(page, ada.id, "[data-testid=player-list]")
    expect_face(ada, ada.id, "[data-testid=chat-log]")
    found += ada.audit("avatar-lobby")

    # A game to the end: the podium, the results album, the TV and the album page.
    ada.by("start-game").click()
    done: set[str] = set()
    for _ in range(2):
        drawer, guessers, word = next_turn([ada, bob], done)
        drawer.stroke_with_mouse([(300, 300), (600, 400)])
        guess_right(guessers[0], word)
    for page in (ada, bob):
        expect(page.by("results")).to_be_visible()
        expect_face(page, ada.id, "#podium")
        expect_face(page, ada.id, "[data-testid=ranking-item]")
        expect(page.page.locator("#album [data-testid=album-item]")).to_have_count(2)
        expect_face(page, ada.id, "#album")
    expect_face(tv, ada.id, "#tv-podium")
    expect_face(tv, ada.id, "#tv-album")
    found += ada.audit("avatar-results")
    album = ada.by("album-open").get_attribute("href")
    assert album
    ada.page.goto(f"{browser.url}/a/{album.rsplit('/', 1)[1]}")
    expect(ada.page.locator("#album [data-testid=album-item]")).to_have_count(2)
    expect_face(ada, ada.id, "#album-podium")
    expect_face(ada, ada.id, "#album")
    expect_face(ada, bob.id, "#album", drawn=False)
    found += ada.audit("avatar-album-page")
    assert found == []


RANDOM_FACES = """async () => {
  const editor = await import("/static/js/avatar-editor.js");
  return Array.from({ length: 500 }, () => editor.randomFace());
}"""


def random_faces_pass(browser: Browser) -> None:
    page = browser.player("Ada")
    page.page.goto(page.create_room())
    expect(page.by("face-editor")).to_be_visible()
    faces = page.page.evaluate(RANDOM_FACES)
    for face in faces:
        assert validate_avatar(face) is not None, face


async def test_every_random_face_is_one_the_server_takes(server: RunningServer) -> None:
    await in_browser(server.url, random_faces_pass)


async def test_a_drawn_face_is_shown_everywhere_and_kept_across_a_reload(
    server: RunningServer,
) -> None:
    await in_browser(server.url, a_face_everywhere)


def open_menu(host: Player, pid: str) -> None:
    host.item(pid).hover()
    host.item(pid).locator(".pmenu-btn").click()


def hide_and_kick(browser: Browser) -> None:
    ada, bob = (browser.player(n, reduced_motion="reduce") for n in ("Ada", "Bob"))
    link = ada.create_room()
    ada.join(link, "Ada")
    bob.join(link, "Bob")
    tv = browser.player("TV", viewport=TV_SIZE)
    tv.page.goto(f"{browser.url}{link}/tv")
    expect(tv.by("connection-status")).to_have_attribute("data-state", "online")
    bob.say("no face yet")
    # Bob draws a face from the lobby: a random one, saved from the dialog.
    bob.by("face-edit").click()
    expect(bob.by("face-dialog")).to_be_visible()
    bob.by("face-random").click()
    found = bob.audit("avatar-lobby-dialog")
    bob.by("face-save").click()
    expect(bob.by("face-dialog")).to_be_hidden()
    for page in (ada, bob):
        expect_face(page, bob.id, "[data-testid=player-list]")
        expect_face(page, bob.id, "[data-testid=chat-log]")  # earlier lines too
    expect_face(tv, bob.id, "[data-testid=tv-player]")

    # The host hides it: the letter on every screen, Bob's own included.
    open_menu(ada, bob.id)
    ada.page.get_by_role("menuitem", name="Hide face").click()
    for page in (ada, bob):
        expect_face(page, bob.id, "[data-testid=player-list]", drawn=False)
        expect_face(page, bob.id, "[data-testid=chat-log]", drawn=False)
    expect_face(tv, bob.id, "[data-testid=tv-player]", drawn=False)
    # Shown again, then Bob is kicked: his face is gone from every screen.
    open_menu(ada, bob.id)
    ada.page.get_by_role("menuitem", name="Show face").click()
    expect_face(ada, bob.id, "[data-testid=player-list]")
    open_menu(ada, bob.id)
    browser.accept_confirm(ada)
    ada.page.get_by_role("menuitem", name="Kick").click()
    expect(ada.item(bob.id)).to_have_count(0)
    for page in (ada, tv):
        expect(page.page.locator(f"[data-face-of='{bob.id}'][data-drawn=true]")).to_have_count(0)
    expect_face(ada, bob.id, "[data-testid=chat-log]", drawn=False)
    assert found == []


async def test_the_host_hides_a_face_and_a_kick_takes_it_away(server: RunningServer) -> None:
    await in_browser(server.url, hide_and_kick)
