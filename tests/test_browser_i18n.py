"""The interface's languages: complete tables, no text outside them, and every screen
rendered in German with no English left; the browser's language picks the table and
the picker's choice is remembered.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from drawgame.game.modes import classic
from tests.browser import Browser, Player, guess_right, in_browser, next_turn
from tests.conftest import RunningServer

STATIC = Path(__file__).resolve().parent.parent / "drawgame" / "web" / "static"
LOCALES = STATIC / "js" / "locales"
ENTRY = re.compile(r'^\s+"([^"]+)":\s*"((?:[^"\\]|\\.)*)",?\s*$', re.M)
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def table(code: str) -> dict[str, str]:
    text = (LOCALES / f"{code}.js").read_text(encoding="utf-8")
    return {k: v.replace('\\"', '"') for k, v in ENTRY.findall(text)}


def languages() -> list[str]:
    source = (STATIC / "js" / "i18n.js").read_text(encoding="utf-8")
    block = source[source.index("export const LANGUAGES"):source.index("]);")]
    return re.findall(r'\["(\w+)", "', block)


def base(key: str) -> str:
    return re.sub(r"\.(zero|one|two|few|many|other)$", "", key)


def test_every_language_has_every_text() -> None:
    en = table("en")
    assert len(en) > 250, f"the English table has only {len(en)} entries"
    codes = languages()
    assert {"en", "de", "fr", "es", "uk", "ar", "he", "fa"} <= set(codes), codes
    wanted = {base(k) for k in en}
    for code in codes:
        other = table(code)
        assert {base(k) for k in other} == wanted, (
            f"{code}: missing {sorted(wanted - {base(k) for k in other})[:10]}, "
            f"extra {sorted({base(k) for k in other} - wanted)[:10]}")
        for key, text in other.items():
            reference = en.get(key) or en[f"{base(key)}.other"]
            assert set(PLACEHOLDER.findall(text)) <= set(PLACEHOLDER.findall(reference)), (
                code, key, text)
            assert text.strip(), (code, key)
        for key in en:
            if not key.endswith(".other"):
                continue
            assert f"{base(key)}.other" in other, f"{code}: no other form of {base(key)}"


class _Text:
    """The text nodes of an HTML file outside elements that take their text from a table."""

    VOID = frozenset({"meta", "link", "img", "input", "br", "hr", "source"})

    def __init__(self, html: str) -> None:
        from html.parser import HTMLParser

        found: list[str] = []
        stack: list[bool] = []

        class Parser(HTMLParser):
            def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
                if tag in _Text.VOID:
                    return
                names = dict(attrs)
                exempt = "data-i18n" in names or names.get("translate") == "no"
                stack.append(exempt or bool(stack and stack[-1]))

            def handle_endtag(self, tag: str) -> None:
                if tag not in _Text.VOID and stack:
                    stack.pop()

            def handle_data(self, data: str) -> None:
                if data.strip() and not (stack and stack[-1]):
                    found.append(data.strip())

        Parser().feed(html)
        self.loose = found


def test_the_pages_hold_no_text_of_their_own() -> None:
    pages = sorted(p.name for p in STATIC.glob("*.html"))
    assert {"index.html", "room.html", "tv.html", "offline.html", "album.html"} <= set(pages)
    for page in pages:
        # `{{name}}`: a value the server fills in for each request (the room's name prompt)
        loose = [t for t in _Text((STATIC / page).read_text(encoding="utf-8")).loose
                 if t not in ("·", "–") and not re.fullmatch(r"\{\{\w+\}\}", t)]
        assert not loose, f"{page} has text outside the tables: {loose}"
        html = (STATIC / page).read_text(encoding="utf-8")
        for attr in ("placeholder", "aria-label", "title", "alt"):
            literal = re.findall(rf'\s{attr}="([^"]*[A-Za-z][^"]*)"', html)
            assert not literal, f"{page}: {attr} written in the page: {literal}"


# String literals of a script, in order (a quote inside another literal stays in it).
LITERAL = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|`(?:[^`\\]|\\.)*`')
# Two words of letters in a row: prose, as opposed to keys, paths, selectors and class names.
WORDS = re.compile(r"(?<![\w.#-])[A-Za-z]{2,}[ ,:;!?…]+[A-Za-z]{2,}(?![\w-])")
NOT_TEXT = re.compile(r"(class|className|classList\.\w+\(|querySelector(All)?\(|closest\(|\$\$?\("
                      r"|console\.\w+\(|import|from|matchMedia\(|style\.\w+\s*=)\s*:?\s*\(?$")


MEDIA_TYPE = re.compile(r"^[a-z]+/[\w.+-]+(;\s*[\w-]+=[\w-]+)?$")
SERVER_WORDS = "// the server's words"
"""Marks a line whose literal is text the server sends, matched rather than shown."""
COMMENT = re.compile(r"/\*.*?\*/|(?<![:\\\"'`])//[^\n]*", re.S)


def test_scripts_hold_no_text_of_their_own() -> None:
    found = []
    scripts = [*(STATIC / "js").glob("*.js"), *(STATIC / "js" / "modes").glob("*.js")]
    for path in sorted(scripts):
        source = path.read_text(encoding="utf-8")
        code = COMMENT.sub(lambda m: " " * len(m.group()), source)
        for match in LITERAL.finditer(code):
            before = code[max(0, match.start() - 40):match.start()].rstrip()
            if NOT_TEXT.search(before):
                continue
            text = re.sub(r"\$\{[^}]*\}", " ", match.group()[1:-1])
            line = code.count("\n", 0, match.start()) + 1
            if MEDIA_TYPE.match(text):
                continue
            if WORDS.search(text) and SERVER_WORDS not in source.splitlines()[line - 1]:
                found.append(f"{path.name}:{line}: {match.group()}")
    assert not found, "text outside the tables:\n" + "\n".join(found)


# Every piece of text a page shows or says: text nodes, and the attributes read aloud.
PAGE_TEXT = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest("[hidden], script, style, [translate=no]")) continue;
    if (n.textContent.trim()) out.push(n.textContent.trim());
  }
  for (const el of document.querySelectorAll("[placeholder], [aria-label], [title]")) {
    if (el.closest("[hidden]")) continue;
    for (const a of ["placeholder", "aria-label", "title"]) {
      if (el.getAttribute(a)) out.push(el.getAttribute(a));
    }
  }
  out.push(document.title);
  return out;
}"""


def english_left(page: Player, where: str, player_text: set[str], code: str = "de") -> list[str]:
    """English texts the page shows where the `code` table has its own."""
    en, other = table("en"), table(code)
    words = {v for k, v in en.items() if other.get(k) != v and not PLACEHOLDER.search(v)}
    long = [v for v in words if len(v.split()) >= 3]
    found = []
    for text in page.page.evaluate(PAGE_TEXT):
        text = text.replace("\u2068", "").replace("\u2069", "")  # a right-to-left page's isolates
        if text in player_text:
            continue
        if text in words or any(v in text for v in long):
            found.append(f"{where}: {text!r}")
    return found


def german_game(browser: Browser) -> None:
    opts = {"locale": "de-DE"}
    ada, bob = browser.player("Ada", **opts), browser.player("Bob", **opts)
    names = {"Ada", "Bob"}
    found: list[str] = []
    ada.page.goto("/")
    expect(ada.page.locator("html")).to_have_attribute("lang", "de")
    expect(ada.by("create-room")).to_have_text("Raum erstellen")
    found += english_left(ada, "lobby", names)
    link = ada.create_room(name="Freitag")
    ada.page.goto(link)
    expect(ada.by("name-input")).to_be_visible()
    found += english_left(ada, "name prompt", names)
    ada.by("name-input").fill("Ada")
    ada.by("name-submit").click()
    ada.id = ada.wait_online()
    bob.join(link, "Bob")
    # The server's own lines ("Bob joined") are put in the page's language too.
    expect(ada.lines("system").filter(has_text="Bob ist beigetreten")).to_have_count(1)
    found += english_left(ada, "room lobby (host)", names)
    found += english_left(bob, "room lobby (guest)", names)
    tv = browser.player("TV", viewport={"width": 1920, "height": 1080}, **opts)
    tv.page.goto(f"{link}/tv")
    expect(tv.by("connection-status")).to_have_attribute("data-state", "online")
    found += english_left(tv, "TV screen (lobby)", {*names, "Freitag"})
    ada.by("start-game").click()
    done: set[str] = set()
    drawer, (guesser,), word = next_turn([ada, bob], done)
    words = {*names, word, "Freitag"}
    found += english_left(tv, "TV screen (drawing)", words)
    found += english_left(drawer, "drawing (drawer)", words)
    found += english_left(guesser, "drawing (guesser)", words)
    guess_right(guesser, word)
    _, (guesser,), other = next_turn([ada, bob], done)
    guess_right(guesser, other)
    expect(ada.by("album-item")).to_have_count(2)
    found += english_left(ada, "results", {*words, other})
    assert not found, "English left in the German interface:\n" + "\n".join(found)


async def test_every_screen_in_german_has_no_english_left(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(classic, "REVEAL_S", 0.3)
    monkeypatch.setattr(classic, "RESULTS_S", 60.0)
    await in_browser(server.url, german_game)


def picked_language_stays(browser: Browser) -> None:
    page = browser.player("Pat", locale="es-ES").page
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_test_id("create-room")).to_have_text("Crear sala")
    page.get_by_test_id("ui-language").select_option("fr")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_test_id("create-room")).to_have_text("Créer le salon")
    page.goto("/r/NOSUCHROOM")
    expect(page.get_by_test_id("error-title")).to_have_text("Salon introuvable")
    expect(page.get_by_test_id("ui-language")).to_have_value("fr")


async def test_the_browser_language_is_used_and_the_pick_is_remembered(
    server: RunningServer,
) -> None:
    allow = [r"status of 404 .*/api/rooms/NOSUCH"]
    await in_browser(server.url, picked_language_stays, allow=allow)


RIGHT_TO_LEFT = {"ar", "he", "fa"}
SPELT_OUT = {"ar", "he", "fa", "uk"}
"""Tables that write every plural form out (Arabic has six), rather than leave some to
`other` as the older tables do where the text would be the same."""


def every_lobby(browser: Browser) -> None:
    for code in languages():
        page = browser.player(f"lobby-{code}", locale=code).page
        page.goto("/")
        expect(page.locator("html")).to_have_attribute("lang", code)
        direction = "rtl" if code in RIGHT_TO_LEFT else "ltr"
        expect(page.locator("html")).to_have_attribute("dir", direction)
        expect(page.get_by_test_id("create-room")).to_have_text(table(code)["lobby.createButton"])
        expect(page.get_by_test_id("ui-language")).to_have_value(code)
        if code in SPELT_OUT:
            # Every plural form the browser picks for a count of 0..200 has its own text.
            forms = set(page.evaluate(
                "(c) => [...Array(201).keys()].map((n) => new Intl.PluralRules(c).select(n))",
                code))
            keys = table(code)
            for key in (k[:-len(".one")] for k in table("en") if k.endswith(".one")):
                missing = sorted(f for f in forms if f"{key}.{f}" not in keys)
                assert not missing, f"{code}: {key} has no {missing} form"
        page.context.close()


async def test_the_lobby_shows_in_every_language(server: RunningServer) -> None:
    await in_browser(server.url, every_lobby)
