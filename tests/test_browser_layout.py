"""What players see, measured in Chromium at 1280 and 375 px: whole names, players in sight
while drawing, a placeholder that fits, the album above the fold, no stale countdown, a
lobby that does not move while it loads, one Tab stop per toolbar group, a visible focus ring.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from drawgame.game.modes import classic
from drawgame.web import locales, prerender
from drawgame.web.assets import STATIC_DIR as STATIC
from drawgame.web.assets import AssetTable
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

SHORT, LONG, UNBROKEN = "Ada", "Bartholomew Featherstone", "MaximilianeWolkensteiner"
PHONE = {"viewport": NARROW, "device_scale_factor": 2, "has_touch": True, "is_mobile": True}

# How many characters of an element's text are shown from the start, none hidden by
# an ellipsis or by an ancestor that clips (each character's box is inside every
# clipping box up to the page, and inside the viewport).
SHOWN_CHARS = """(el) => {
  const text = el.firstChild;
  const clips = [];
  for (let a = el; a; a = a.parentElement) {
    const s = getComputedStyle(a);
    const clipping = s.overflowX !== "visible" || s.overflowY !== "visible";
    if (clipping) clips.push(a.getBoundingClientRect());
  }
  clips.push({ left: 0, top: 0, right: innerWidth, bottom: innerHeight });
  const range = document.createRange();
  const chars = [...text.textContent];
  let count = 0;
  let offset = 0;
  for (; count < chars.length; count++) {
    range.setStart(text, offset);
    range.setEnd(text, offset + chars[count].length);
    offset += chars[count].length;
    const r = range.getBoundingClientRect();
    const inside = clips.every((c) => r.left >= c.left - 0.5 && r.right <= c.right + 0.5
      && r.top >= c.top - 0.5 && r.bottom <= c.bottom + 0.5);
    if (!inside) break;
  }
  // An ellipsis is drawn over the last character that fits on a cut line.
  const holder = el.closest(".pname, .room-name-text") ?? el;
  const cut = getComputedStyle(holder).textOverflow === "ellipsis"
    && holder.scrollWidth > holder.clientWidth;
  return cut ? Math.max(0, count - 1) : count;
}"""

# Whether a placeholder's text fits the field's content box, measured with the field's font.
PLACEHOLDER_FITS = """(input) => {
  const s = getComputedStyle(input);
  const ctx = document.createElement("canvas").getContext("2d");
  ctx.font = `${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
  const room = input.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
  return [ctx.measureText(input.placeholder).width, room];
}"""


def shown(page: Player, pid: str) -> int:
    name = page.item(pid).locator(".pname-text")
    return int(name.evaluate(SHOWN_CHARS))


def names_in_full(page: Player, ids: dict[str, str], where: str) -> None:
    for name, pid in ids.items():
        count = shown(page, pid)
        assert count == len(name), f"{page} {where}: {name!r} shows only {count} characters"


def names_and_strip(browser: Browser) -> None:
    desk = [browser.player(n) for n in (SHORT, LONG, UNBROKEN)]
    phone = browser.player("Phone", **PHONE)
    link = desk[0].create_room(name="Friday doodles")
    for player, name in zip(desk, (SHORT, LONG, UNBROKEN), strict=True):
        player.join(link, name)
    phone.join(link, "Pip")
    ids = {SHORT: desk[0].id, LONG: desk[1].id, UNBROKEN: desk[2].id}
    host = desk[0]
    first_line = host.page.locator("[data-testid=chat-log] li").first
    expect(first_line).to_contain_text(f"Welcome, {SHORT}!")
    expect(host.by("player-item")).to_have_count(4)
    assert host.page.locator("[data-testid=player-list] .rank").count() == 0, "ranks in the lobby"
    names_in_full(host, ids, "in the lobby")
    host.by("start-game").click()
    players = [*desk, phone]
    drawer, guessers, word = next_turn(players, set())
    expect(host.page.locator("[data-testid=player-list] .rank")).to_have_count(4)
    for page in desk:
        names_in_full(page, ids, "while drawing")
    # On the phone every name shows at least its first 10 characters, with its score, in
    # a strip above the canvas (scrolled sideways to the player when there are many).
    for name, pid in ids.items():
        phone.item(pid).evaluate("(el) => el.scrollIntoView({inline: 'nearest', block: 'nearest'})")
        count = shown(phone, pid)
        assert count >= min(10, len(name)), f"the phone shows {count} characters of {name!r}"
        expect(phone.item(pid).locator(".pscore")).to_be_visible()
    phone.page.evaluate("() => window.scrollTo(0, 0)")
    strip = phone.by("player-list").bounding_box()
    canvas = phone.by("canvas").bounding_box()
    assert strip and canvas and strip["y"] >= 0 and strip["y"] + strip["height"] <= canvas["y"], (
        strip, canvas)
    room_name = phone.page.locator("#room-name")
    assert room_name.evaluate(SHOWN_CHARS) == len("Friday doodles"), "the room name is cut"
    # The drawer's chat placeholder fits its field, on a laptop and on a phone.
    fits(drawer)
    toolbar_keys(drawer)
    for guesser in guessers:
        guess_right(guesser, word)


def fits(drawer: Player) -> None:
    box = drawer.by("chat-input")
    for viewport in (WIDE, NARROW):
        drawer.page.set_viewport_size(viewport)
        text, room = box.evaluate(PLACEHOLDER_FITS)
        assert text <= room, f"at {viewport['width']} px the placeholder needs {text} of {room} px"
    drawer.page.set_viewport_size(WIDE)


def toolbar_keys(drawer: Player) -> None:
    """One Tab stop per toolbar group; arrow keys move within a group; the ring shows."""
    toolbar = drawer.page.locator("#toolbar")
    stops = toolbar.evaluate("(t) => [...t.querySelectorAll('button, input')]"
                             ".filter((b) => b.tabIndex >= 0).length")
    assert stops == 4, f"the toolbar has {stops} Tab stops"
    pressed = drawer.page.locator("[data-testid=color-swatch][aria-pressed=true]")
    pressed.focus()
    before = pressed.get_attribute("data-colour")
    drawer.page.keyboard.press("ArrowRight")
    focused = drawer.page.evaluate("() => document.activeElement.dataset.colour")
    assert focused and focused != before, (before, focused)
    ratio = drawer.page.evaluate(FOCUS_CONTRAST)
    assert ratio >= 3, f"the focus ring's contrast is {ratio:.2f}:1"


# The contrast of the focused element's outline against the surface it sits on.
FOCUS_CONTRAST = """() => {
  const el = document.activeElement;
  const parse = (c) => c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  let bg = el.parentElement;
  while (bg && getComputedStyle(bg).backgroundColor === "rgba(0, 0, 0, 0)") bg = bg.parentElement;
  const a = lum(parse(getComputedStyle(el).outlineColor));
  const b = lum(parse(getComputedStyle(bg ?? document.body).backgroundColor));
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


async def test_names_players_and_fields_are_readable(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(classic, "REVEAL_S", 0.3)
    await in_browser(server.url, names_and_strip)


def results_then_lobby(browser: Browser) -> None:
    ada, bob = browser.player("Ada"), browser.player("Bob", **PHONE)
    link = ada.create_room()
    ada.join(link, "Ada")
    bob.join(link, "Bob")
    ada.by("start-game").click()
    done: set[str] = set()
    for _ in range(2):  # nothing is drawn in either turn
        _, (guesser,), word = next_turn([ada, bob], done)
        guess_right(guesser, word)
    for page, height in ((ada, WIDE["height"]), (bob, NARROW["height"])):
        expect(page.by("album-item")).to_have_count(2)
        page.page.evaluate("() => window.scrollTo(0, 0)")
        top = page.by("album-item").first.bounding_box()
        assert top and top["y"] < height, f"{page}: the album starts at {top} below the fold"
        blank = page.page.locator("[data-testid=album-item][data-blank]")
        expect(blank).to_have_count(2)
        expect(blank.first).to_contain_text("nothing drawn")
        expect(page.by("album-replay")).to_have_count(0)
    expect(ada.page.locator("#results-next")).to_contain_text("Back to the lobby in")
    expect(ada.page.locator("body[data-phase=lobby]")).to_be_attached(timeout=10000)
    expect(ada.page.locator("#results-next")).to_have_text("")


async def test_results_show_the_album_and_the_countdown_goes(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(classic, "REVEAL_S", 0.3)
    monkeypatch.setattr(classic, "RESULTS_S", 4.0)
    await in_browser(server.url, results_then_lobby)


# The page's cumulative layout shift once it has settled (the room list has arrived).
LAYOUT_SHIFT = """() => new Promise((resolve) => {
  let total = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (!e.hadRecentInput) total += e.value;
  }).observe({ type: "layout-shift", buffered: true });
  const list = document.querySelector("[data-testid=room-list]");
  const done = () => requestAnimationFrame(() => requestAnimationFrame(() => resolve(total)));
  if (list.children.length) done();
  else new MutationObserver(done).observe(list, { childList: true });
})"""


def lobby_holds_still(browser: Browser) -> None:
    host = browser.player("Host")
    for i in range(3):
        room = {"private": False, "name": f"Room {i}"}
        answer = host.context.request.post("/api/rooms", data=room)
        assert answer.status == 201, answer.text()
    for viewport in (WIDE, NARROW):
        page = browser.player(f"at {viewport['width']}", viewport=viewport)
        page.page.goto("/")
        shift = float(page.page.evaluate(LAYOUT_SHIFT))
        print(f"\nlobby layout shift at {viewport['width']} px: {shift:.3f}")
        assert shift < 0.1, f"the lobby shifts by {shift:.3f} at {viewport['width']} px"


async def test_the_lobby_does_not_shift_while_it_loads(server: RunningServer) -> None:
    await in_browser(server.url, lobby_holds_still)


# The same for a room's name prompt, once its script has put the face editor in.
PROMPT_SHIFT = """() => new Promise((resolve) => {
  let total = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (!e.hadRecentInput) total += e.value;
  }).observe({ type: "layout-shift", buffered: true });
  const done = () => requestAnimationFrame(() => requestAnimationFrame(() => resolve(total)));
  const taken = () => document.querySelector("[data-testid=face-editor]");
  if (taken()) done();
  else new MutationObserver(() => { if (taken()) done(); })
    .observe(document.body, { childList: true, subtree: true });
})"""


def prompt_holds_still(browser: Browser) -> None:
    link = browser.player("Host").create_room()
    for viewport in (WIDE, {"width": 412, "height": 823}, NARROW, {"width": 360, "height": 740}):
        page = browser.player(f"at {viewport['width']}", viewport=viewport)
        page.page.goto(link)
        shift = float(page.page.evaluate(PROMPT_SHIFT))
        print(f"\nname prompt layout shift at {viewport['width']} px: {shift:.3f}")
        assert shift < 0.01, f"the name prompt shifts by {shift:.3f} at {viewport['width']} px"


async def test_a_room_s_name_prompt_does_not_shift_while_it_loads(server: RunningServer) -> None:
    await in_browser(server.url, prompt_holds_still)


# Every element of the lobby's settings fields: its tag, id, text of its own, the value
# or ticked state of a field, and where it is drawn (its box, rounded to a pixel).
SETTINGS_LAID_OUT = """() => [...document.querySelectorAll("#create-settings *")].map((el) => {
  const box = el.getBoundingClientRect();
  const own = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join("");
  return [el.tagName, el.id, el.getAttribute("for"), own, el.hidden, el.value ?? null,
          el.checked ?? null, el.selected ?? null,
          [box.x, box.y, box.width, box.height].map(Math.round).join(" ")];
})"""
TAKEN_OVER = "() => !document.querySelector('#create-form[data-prerendered]')"
LOADING = "() => document.querySelector('meta[name=drawgame-later][data-running]')"
# The same fields as the script builds them where the server wrote none.
BUILT_BY_SCRIPT = """async () => {
  const { buildSettingsFields } = await import("/static/js/settings-form.js");
  const { getLanguages } = await import("/static/js/api.js");
  const box = document.querySelector("#create-settings");
  const language = box.querySelector("[name=language]").value;
  for (const row of box.querySelectorAll(":scope > [data-field]")) row.remove();
  const form = buildSettingsFields(box, { idPrefix: "create" });
  form.setLanguages(await getLanguages(), language);
}"""


def lobby_settings_come_written(browser: Browser) -> None:
    for viewport in (WIDE, NARROW):
        for lang in ("en", "fr", "ar"):
            headers = {"Accept-Language": lang}
            bare = browser.player(f"no script {lang} {viewport['width']}", viewport=viewport,
                                  java_script_enabled=False, extra_http_headers=headers)
            bare.page.goto("/")
            written = bare.page.evaluate(SETTINGS_LAID_OUT)
            built = browser.player(f"script {lang} {viewport['width']}", viewport=viewport,
                                   extra_http_headers=headers)
            built.page.goto("/")
            built.page.wait_for_function(TAKEN_OVER)
            taken = built.page.evaluate(SETTINGS_LAID_OUT)
            built.page.evaluate(BUILT_BY_SCRIPT)
            made = built.page.evaluate(SETTINGS_LAID_OUT)
            assert len(written) > 60, "the server wrote no settings fields"
            for mine, used, theirs in zip(written, taken, made, strict=True):
                assert mine == used == theirs, f"{lang} at {viewport['width']} px"
            bare.context.close()
            built.context.close()
    # The server's plural form of 0 (the words' count under the custom words) is the
    # browser's, in every language.
    source = (STATIC / "js/i18n.js").read_text()
    codes = [code for code, _name in locales.parse_languages(source)[0]]
    page = browser.player("plurals").page
    forms = page.evaluate("(codes) => codes.map((c) => new Intl.PluralRules(c).select(0))", codes)
    assert dict(zip(codes, forms, strict=True)) == {
        code: prerender.ZERO_FORMS.get(code, "other") for code in codes}


async def test_the_lobby_s_settings_are_in_its_html_as_its_script_builds_them(
    server: RunningServer,
) -> None:
    await in_browser(server.url, lobby_settings_come_written)


def lobby_keeps_what_came_before_its_script(browser: Browser) -> None:
    host = browser.player("Early")
    held: list[object] = []
    host.page.route("**/static/js/lobby.*.js", lambda route: held.append(route))
    host.page.goto("/")
    host.page.wait_for_function(LOADING)
    expect(host.page.locator("#create-mode-note")).to_have_text(
        "One player draws a secret word while the others race to guess it.")
    # Changed before the script runs: kept by it, the focus too.
    host.page.locator("#create-mode").select_option("telephone")
    host.page.locator("#create-settings [value=animals]").uncheck()
    host.page.locator("#room-name").fill("Early birds")
    host.page.locator("#create-max_players").fill("5")
    host.page.locator("#create-max_players").focus()
    expect(host.page.locator("[data-field=rounds]")).to_be_visible()  # no script yet
    assert held, "lobby.js was never asked for"
    held[0].continue_()  # type: ignore[attr-defined]
    host.page.wait_for_function(TAKEN_OVER)
    expect(host.page.locator("#create-mode-note")).to_contain_text("Everyone writes and draws")
    expect(host.page.locator("[data-field=rounds]")).to_be_hidden()
    expect(host.page.locator("#create-max_players")).to_be_focused()
    expect(host.page.locator("#create-max_players")).to_have_value("5")
    expect(host.page.locator("#create-settings [value=animals]")).not_to_be_checked()
    expect(host.page.locator("#create-settings [value=food]")).to_be_checked()
    # A room asked for before the script ran is made once it does, as asked.
    late = browser.player("Late")
    held.clear()
    late.page.route("**/static/js/lobby.*.js", lambda route: held.append(route))
    late.page.goto("/")
    late.page.wait_for_function(LOADING)
    late.page.locator("#create-rounds").fill("2")
    late.page.locator("#room-name").fill("Sent early")
    late.by("create-room").click()
    assert held
    held[0].continue_()  # type: ignore[attr-defined]
    late.page.wait_for_url("**/r/*")
    code = late.page.url.rsplit("/", 1)[1]
    room = late.context.request.get(f"/api/rooms/{code}").json()
    assert room["name"] == "Sent early" and room["rounds"] == 2


def lobby_in_the_language_picked_here(browser: Browser) -> None:
    # Picked in this browser, not yet told to the server (no cookie): the page comes in
    # English and its script builds the settings fields again, in German.
    page = browser.player("Picked").page
    page.add_init_script("localStorage.setItem('drawgame.lang', 'de')")
    page.goto("/")
    page.wait_for_function(TAKEN_OVER)
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("label[for=create-mode]")).to_have_text("Spielmodus")
    expect(page.locator("#create-mode-note")).to_have_text(
        "Eine Person malt ein geheimes Wort, die anderen raten um die Wette.")
    expect(page.locator("#create-settings > [data-field]")).to_have_count(
        len(prerender.load_settings(AssetTable(STATIC)).specs))


async def test_the_lobby_s_settings_come_in_the_language_picked_in_the_browser(
    server: RunningServer,
) -> None:
    await in_browser(server.url, lobby_in_the_language_picked_here)


async def test_what_a_player_does_before_the_lobby_s_script_runs_is_kept(
    server: RunningServer,
) -> None:
    await in_browser(server.url, lobby_keeps_what_came_before_its_script)


def name_sent_before_the_room_s_script(browser: Browser) -> None:
    link = browser.player("Host").create_room()
    early = browser.player("Early")
    held: list[object] = []
    early.page.route("**/static/js/room.*.js", lambda route: held.append(route))
    early.page.goto(link)
    early.page.wait_for_function(LOADING)
    early.by("name-input").fill("Quick")
    early.by("name-submit").click()
    assert held, "room.js was never asked for"
    held[0].continue_()  # type: ignore[attr-defined]
    early.wait_online()
    expect(early.page.locator("#player-list")).to_contain_text("Quick")


async def test_a_name_sent_before_the_room_s_script_runs_is_sent_by_it(
    server: RunningServer,
) -> None:
    await in_browser(server.url, name_sent_before_the_room_s_script)
