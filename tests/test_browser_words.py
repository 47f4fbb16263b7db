"""The lobby's word settings in Chromium: difficulty, packs with their counts, a word file
loaded with a report of what was refused and why, the list downloaded, and the drawer's
choices labelled with their difficulty.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from drawgame.game.modes import classic
from tests.browser import Browser, in_browser
from tests.conftest import RunningServer

WORD_FILE = "\n".join([
    "# holiday words",
    "lighthouse",
    "sand castle, sunscreen",
    "LIGHTHOUSE",                 # duplicate of line 2
    "x" * 40,                     # too long
    "!!!",                        # no letter
    "beach ball",
]) + "\n"
GOOD = ["lighthouse", "sand castle", "sunscreen", "beach ball"]


def word_settings(browser: Browser, tmp: Path) -> None:
    host = browser.player("Host")
    page = host.page
    page.goto("/")
    languages = host.context.request.get("/api/languages").json()["languages"]
    english = next(lang for lang in languages if lang["code"] == "en")
    packs = page.locator("#create-settings [data-testid=pack-option]")
    expect(packs).to_have_count(len(english["packs"]))
    for level in ("easy", "hard"):
        page.locator("#create-settings [name=difficulty]").select_option(level)
        for i, pack in enumerate(english["packs"]):
            expect(packs.nth(i)).to_have_attribute("data-count", str(pack["words"][level]))
    page.locator("#create-settings [data-testid=pack-option][value=animals]").uncheck()

    page.locator("#create-settings [data-testid=word-file]").set_input_files(
        files=[{"name": "holiday.txt", "mimeType": "text/plain", "buffer": WORD_FILE.encode()}])
    report = page.locator("#create-settings [data-testid=word-report]")
    expect(report.locator(".word-taken")).to_have_attribute("data-taken", str(len(GOOD)))
    codes = report.locator(".word-refused li")
    expect(codes).to_have_count(3)
    assert [codes.nth(i).get_attribute("data-code") for i in range(3)] == [
        "duplicate", "too_long", "no_letter"]
    assert [codes.nth(i).get_attribute("data-line") for i in range(3)] == ["4", "5", "6"]
    expect(codes.nth(0)).to_contain_text("is the same as an earlier word")
    words = page.locator("#create-settings [name=custom_words]")
    expect(words).to_have_value("\n".join(GOOD))

    with page.expect_download() as download:
        page.locator("#create-settings [data-testid=download-words]").click()
    saved = tmp / "words.txt"
    download.value.save_as(saved)
    assert saved.read_text(encoding="utf-8").split() == " ".join(GOOD).split()

    page.locator("#create-settings [name=rounds]").fill("1")
    page.get_by_test_id("create-room").click()
    expect(page).to_have_url(re.compile(r"/r/[A-Za-z0-9]+$"))
    page.get_by_test_id("name-input").fill("Host")
    page.get_by_test_id("name-submit").click()
    host.wait_online()
    expect(page.locator("#room-settings [name=difficulty]")).to_have_value("hard")
    pack = "#room-settings [data-testid=pack-option][value={}]"
    expect(page.locator(pack.format("animals"))).not_to_be_checked()
    expect(page.locator(pack.format("food"))).to_be_checked()
    expect(page.locator("#room-settings [name=custom_words]")).to_have_value("\n".join(GOOD))

    guest = browser.player("Guest")
    guest.join(page.url, "Guest")
    # A guest is not given the words, only how many there are.
    expect(guest.page.locator("#room-settings [name=custom_words]")).to_have_value("")
    expect(guest.page.locator("#room-settings .words-count")).to_contain_text(
        f"{len(GOOD)} custom words")


async def test_word_settings_in_the_lobby(server: RunningServer, tmp_path: Path) -> None:
    await in_browser(server.url, lambda browser: word_settings(browser, tmp_path))


def labelled_choices(browser: Browser) -> None:
    ada, bob = browser.player("Ada"), browser.player("Bob")
    link = ada.create_room(difficulty="mixed", word_choices=3, custom_words=[], custom_only=False)
    ada.join(link, "Ada")
    bob.join(link, "Bob")
    ada.by("start-game").click()
    drawer = next(p for p in (ada, bob) if p.id == ada.drawer_id())
    choices = drawer.page.locator("[data-testid=word-choice]")
    expect(choices).to_have_count(3)
    levels = sorted(str(choices.nth(i).get_attribute("data-difficulty")) for i in range(3))
    assert levels == ["easy", "hard", "medium"], levels
    for i in range(3):
        expect(choices.nth(i).locator(".word-level")).to_have_text(
            {"easy": "Easy", "medium": "Medium", "hard": "Hard"}[
                str(choices.nth(i).get_attribute("data-difficulty"))])


async def test_the_drawer_sees_how_hard_each_word_is(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(classic, "REVEAL_S", 0.3)
    await in_browser(server.url, labelled_choices)
