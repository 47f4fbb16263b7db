"""The browser client: the lobby at /, a room at /r/<code>, its TV screen at /r/<code>/tv
(with the room's join QR code at /r/<code>/qr.svg), the offline page at /offline, the
web app's manifest and service worker, and the files under /static/.

A page is an HTML file of ``static/`` served through :func:`page`, which
makes it ready for the browser once per version of the files (drawgame/web/
assets.py): every ``/static/...`` URL in it becomes the file's hashed URL,
every other absolute path gets the root path (``DRAWGAME_ROOT_PATH``) in
front, and before its first module script it gets the root path as a meta
tag, an import map from each module's plain URL to its hashed one (so the
modules' own imports, static and dynamic, load hashed files) and a
``modulepreload`` link for every module it imports, however deep. Pages are
revalidated on every visit (``no-cache`` with an ETag); the files they name
are cached for a year.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import quote

import segno
import trio
from quart import Blueprint, Response, current_app, request

from drawgame.config import Config
from drawgame.web import locales, prerender, pwa
from drawgame.web.assets import ENCODINGS, IMMUTABLE, REVALIDATE, STATIC_DIR, AssetTable, Blob
from drawgame.web.context import services
from drawgame.web.errors import error_response
from drawgame.web.middleware import content_security_policy

RESCAN_S = 0.5
"""Pages look at the files on disk again at most this often (about 1 ms for 50 files):
a file saved in an editor is in the page reloaded after it."""
QR_SCALE = 10
"""SVG units per QR module; the page scales the picture to fit anyway."""
SITE_KEY = "drawgame.site"

blueprint = Blueprint("pages", __name__)

_URL_ATTRIBUTE = re.compile(r'\b(href|src)="(/[^"]*)"')
_MODULE_SCRIPT = re.compile(r'<script type="module" src="/static/([^"]+)"')
_INJECT_BEFORE = re.compile(r'<script type="module"|</head>')
_LATER_SCRIPT = re.compile(
    r'^[ \t]*<script type="module" src="/static/([^"]+)" data-later(?:="(\w+)")?></script>'
    r'[ \t]*\n?', re.M)
_INLINE_SCRIPT = re.compile(r'<script src="/static/([^"]+)" data-inline></script>')


@dataclass(frozen=True)
class Made:
    """A page as sent: the body and the policy naming its import map's hash."""

    blob: Blob
    policy: str


_T = TypeVar("_T")


class Site:
    """What the pages are made from: the files, the root path, the pages made so far."""

    def __init__(self, config: Config, folder: Path | None = None) -> None:
        self.root = config.root_path
        self.table = AssetTable(folder or STATIC_DIR)
        self._kept: dict[str, tuple[str, object]] = {}
        self.word_languages: Callable[[], list[dict[str, Any]]] = list
        """The word lists as GET /api/languages gives them (for the settings fields)."""
        self._scanned = time.monotonic()

    def static_url(self, path: str) -> str:
        """The hashed URL of the file at ``path`` under ``static/``."""
        return f"{self.root}/static/{self.table.hashed(path)}"

    def fresh(self) -> str:
        """The version of the files after a look at the disk (a stat per file, at most
        every ``RESCAN_S``)."""
        now = time.monotonic()
        if now - self._scanned >= RESCAN_S:
            self._scanned = now
            self.table.refresh()
        return self.table.version

    def made(self, key: str, make: Callable[[], _T]) -> _T:
        """``make()`` once per version of the files (kept under ``key``)."""
        version = self.fresh()
        known = self._kept.get(key)
        if known is None or known[0] != version:
            known = (version, make())
            self._kept[key] = known
        return cast(_T, known[1])

    def texts(self) -> locales.Texts:
        """The interface's texts (static/js/locales/), read again when a file changed."""
        return self.made("texts:", lambda: locales.load(self.table))

    def page(self, name: str, lang: str = locales.FALLBACK) -> Made:
        return self.made(f"{name} {lang}", lambda: self.render(name, lang))

    def render(self, name: str, lang: str = locales.FALLBACK) -> Made:
        """The page ``static/<name>`` in language ``lang``, ready to send (see the
        module's docstring)."""
        asset = self.table.get(name)
        if asset is None:
            raise FileNotFoundError(name)
        texts = self.texts()
        text = locales.translate(asset.body.decode("utf-8"), texts, lang)
        text = prerender.fill_icons(text, self.icons())
        text = prerender.fill_language_picker(text, texts.languages, lang, texts.rtl)
        if prerender.SETTINGS_PLACEHOLDER in text:
            text = text.replace(prerender.SETTINGS_PLACEHOLDER, self.settings_fields(lang))
        text, hashes = self._inline_scripts(text)
        later = _LATER_SCRIPT.findall(text)
        text = _LATER_SCRIPT.sub("", text)
        entries = _MODULE_SCRIPT.findall(text)
        text = _URL_ATTRIBUTE.sub(self._rewrite, text)
        imports = {f"{self.root}/static/{m.path}": f"{self.root}/static/{m.hashed_path}"
                   for m in self.table.modules()}
        importmap = json.dumps({"imports": imports}, separators=(",", ":"),
                               sort_keys=True).replace("<", "\\u003c")
        head = [f'<meta name="drawgame-root" content="{html.escape(self.root)}">']
        if entries or later:
            # The page's texts, so that its script needs no table from the network.
            given = json.dumps({"lang": lang, "texts": texts.complete(lang)},
                               ensure_ascii=False, separators=(",", ":"))
            head.append('<script type="application/json" id="drawgame-texts">'
                        + given.replace("<", "\\u003c") + "</script>")
            head.append(f'<script type="importmap">{importmap}</script>')
            hashes.append(base64.b64encode(hashlib.sha256(importmap.encode()).digest()).decode())
            early = self.table.graph(entries)
            head += [f'<link rel="modulepreload" href="{self.static_url(p)}">' for p in early]
        loaded = set(early)
        for when in dict.fromkeys(w or "paint" for _, w in later):
            # Loaded by boot.js once the page has painted (see static/README.md); a
            # module of an earlier group is not named again.
            named = [p for p, w in later if (w or "paint") == when]
            rest = [p for p in self.table.graph(named) if p not in loaded]
            loaded.update(rest)
            head.append(f'<meta name="drawgame-later" data-when="{html.escape(when)}" content="'
                        + " ".join(self.static_url(p) for p in named) + '" data-preload="'
                        + " ".join(self.static_url(p) for p in rest) + '">')
        at = _INJECT_BEFORE.search(text)
        cut = at.start() if at is not None else 0
        text = text[:cut] + "\n  ".join(head) + "\n  " + text[cut:]
        return Made(Blob(text.encode(), "text/html; charset=utf-8"),
                    content_security_policy(hashes))

    def icons(self) -> prerender.Icons:
        """The icons of icons.js, read again when a file changed."""
        return self.made("icons:", lambda: prerender.load_icons(self.table))

    def settings_fields(self, lang: str) -> str:
        """The lobby's settings fields at their defaults in ``lang``, the word language
        that of the page when it has a word list (as lobby.js picks it), else English."""
        settings = self.made("settings:", lambda: prerender.load_settings(self.table))
        texts, languages = self.texts(), self.word_languages()
        spoken = lang if any(entry["code"] == lang for entry in languages) else locales.FALLBACK
        return prerender.settings_fields(
            settings, lambda key, **params: texts.t(lang, key, **params),
            prerender.ZERO_FORMS.get(lang, "other"), languages, spoken, "create")

    def _inline_scripts(self, text: str) -> tuple[str, list[str]]:
        """Each ``<script src="/static/..." data-inline>`` replaced by the file's text (a
        classic script that must run before the first paint, with no request), and the
        SHA-256 of each for the page's policy."""
        hashes: list[str] = []

        def inline(match: re.Match[str]) -> str:
            asset = self.table.get(match[1])
            if asset is None:
                raise FileNotFoundError(match[1])
            # Its comment lines stay in the file: the page gets only the code.
            source = "\n".join(line for line in asset.body.decode("utf-8").splitlines()
                                if line.strip() and not line.lstrip().startswith("//"))
            if "</script" in source.lower() or "=\"/" in source:
                raise ValueError(f"{match[1]} cannot be inlined: it holds </script or a path")
            hashes.append(base64.b64encode(hashlib.sha256(source.encode()).digest()).decode())
            return f"<script>{source}</script>"

        return _INLINE_SCRIPT.sub(inline, text), hashes

    def _rewrite(self, match: re.Match[str]) -> str:
        attribute, value = match.groups()
        if value.startswith("//"):
            return match.group(0)
        if value.startswith("/static/"):
            value = self.static_url(value.removeprefix("/static/"))
        else:
            value = self.root + value
        return f'{attribute}="{value}"'


def site() -> Site:
    found: Site = current_app.extensions[SITE_KEY]
    return found


def install(app: object, config: Config) -> None:
    """Give ``app`` (a Quart app) the client's files and pages."""
    made = Site(config)
    made.word_languages = lambda: services().registry.words.languages()
    app.extensions[SITE_KEY] = made  # type: ignore[attr-defined]


async def send(blob: Blob, cache_control: str, headers: dict[str, str] | None = None,
               status: int = 200) -> Response:
    """``blob`` compressed as the client accepts (br, else gzip), with an ETag: a client
    holding this very body gets 304 (for a 200)."""
    coding = None
    body = blob.body
    if blob.compressible:
        accepted = request.accept_encodings
        best = max(ENCODINGS, key=accepted.quality)  # br when both are as welcome
        coding = best if accepted.quality(best) > 0 else None
        if coding is not None:
            encoded = blob.encoded()
            if encoded is None:  # the first request for it: compressed once, off the loop
                encoded = await trio.to_thread.run_sync(blob.encode)
            body = encoded.get(coding, body)
            coding = coding if coding in encoded else None
    response = Response(body, status=status, content_type=blob.content_type,
                        headers=headers or {})
    response.headers["Cache-Control"] = cache_control
    if blob.compressible:
        vary = response.headers.get("Vary")
        response.headers["Vary"] = f"Accept-Encoding, {vary}" if vary else "Accept-Encoding"
    if coding is not None:
        response.headers["Content-Encoding"] = coding
    if status != 200:
        return response
    response.set_etag(f"{blob.digest}-{coding or 'identity'}")
    conditional: Response = await response.make_conditional(request)
    return conditional


async def page(name: str, fetches: tuple[str, ...] = (), *,
               values: Mapping[str, str] | None = None, status: int = 200) -> Response:
    """The page ``static/<name>``, made ready (hashed files, root path, preloads).

    ``fetches``: API paths the page's script asks for as it starts, named in a
    ``Link`` header so the browser fetches them while the modules load (the
    script's own request then takes the answer). ``values``: text for the
    page's ``{{name}}`` placeholders, already escaped, for this request only.
    """
    current = site()
    lang = language()
    made = current.page(name, lang)
    blob = made.blob
    if values:
        text = blob.body.decode()
        for key, value in values.items():
            text = text.replace("{{" + key + "}}", value)
        blob = Blob(text.encode(), blob.content_type, shared=False)
    headers = {"Content-Security-Policy": made.policy, "Content-Language": lang,
               "Vary": "Accept-Language, Cookie"}
    if fetches:
        headers["Link"] = ", ".join(f"<{current.root}{path}>; rel=preload; as=fetch; "
                                    "crossorigin=anonymous" for path in fetches)
    return await send(blob, REVALIDATE, headers, status)


def language() -> str:
    """The language of the page asked for: the player's pick (the ``drawgame.lang``
    cookie), else the browser's first language with a table, else English."""
    accepted = [value for value, _quality in request.accept_languages]
    return site().texts().choose(request.cookies.get(locales.COOKIE), accepted)


def text(key: str, **params: str | int) -> str:
    """The interface text ``key`` in the language of the page asked for (not escaped)."""
    return site().texts().t(language(), key, **params)


def _api_room(code: str) -> str:
    """``/api/rooms/<code>`` exactly as the pages' script asks for it (api.js)."""
    return "/api/rooms/" + quote(code.strip(), safe="!~*'()")


@blueprint.get("/")
async def lobby() -> Response:
    return await page("index.html")


@blueprint.get("/r/<code>")
async def room_page(code: str) -> Response:
    """The room page, showing at once the room's name prompt when this worker serves the
    room (else the page's script asks where it is, and says "Loading the room…")."""
    registry = services().registry
    room = registry.get(code)
    summary = registry.summary(room) if room is not None else None
    return await page("room.html", (_api_room(code),), values=prompt_values(summary))


STREAMER_DOT = "•"


def hide_in(text: str, secret: str) -> str:
    """``text`` with the room code ``secret`` (and its first four letters) as dots, as
    streamer mode shows it (``hideIn`` of streamer.js)."""
    for part in (secret, secret[:4]):
        text = text.replace(part, STREAMER_DOT * min(12, max(6, len(part))))
    return text


def prompt_values(summary: dict[str, Any] | None) -> dict[str, str]:
    """The room page's name prompt as ``nameScreen()`` of screens.js words it: "Join
    <room>" (in streamer mode without the code: both are written, the stylesheet shows
    one) and the players; all empty for a room this worker does not serve."""
    if summary is None:
        return {"room_code": "", "prompt_title": "", "prompt_subtitle": ""}
    code = str(summary["code"])
    name = str(summary.get("name") or "") or text("name.roomCode", code=code)
    plain, hidden = text("name.join", room=name), text("name.join", room=hide_in(name, code))
    title = html.escape(plain)
    if hidden != plain:
        title = (f'<span class="unless-streamer">{title}</span>'
                 f'<span class="if-streamer">{html.escape(hidden)}</span>')
    subtitle = text("name.players", players=int(summary["players"]),
                    max=int(summary["max_players"]))
    if summary.get("phase") != "lobby":
        subtitle += " · " + text("name.inProgress")
    return {"room_code": html.escape(code), "prompt_title": title,
            "prompt_subtitle": html.escape(subtitle)}


@blueprint.get("/r/<code>/tv")
async def tv_page(code: str) -> Response:
    return await page("tv.html", (_api_room(code),))


@blueprint.get("/offline")
async def offline_page() -> Response:
    """What the service worker shows when the server cannot be reached."""
    return await page("offline.html")


@blueprint.get("/manifest.webmanifest")
async def manifest() -> Response:
    current = site()
    made = current.made("manifest.webmanifest", lambda: Made(pwa.manifest(current), ""))
    return await send(made.blob, REVALIDATE)


@blueprint.get("/sw.js")
async def service_worker() -> Response:
    """The service worker, at the root so that its scope is the whole site."""
    current = site()
    made = current.made("sw.js", lambda: Made(pwa.service_worker(current), ""))
    return await send(made.blob, REVALIDATE)


@blueprint.get("/static/<path:path>")
async def asset(path: str) -> Response:
    """A file by its hashed name (kept a year) or its plain one (revalidated)."""
    found = site().table.lookup(path)
    if found is None:
        return error_response(404, "not_found", "no such file")
    file, immutable = found
    return await send(file, IMMUTABLE if immutable else REVALIDATE)


@blueprint.get("/r/<code>/qr.svg")
async def room_qr(code: str) -> Response:
    """The room's link as a QR code (SVG), for phones to join from the TV screen."""
    svc = services()
    room = svc.registry.get(code)
    if room is None:
        return error_response(404, "room_not_found", "there is no open room with this code")
    return Response(qr_svg(join_link(svc.config, request.host_url, room.code)), status=200,
                    content_type="image/svg+xml",
                    headers={"Cache-Control": "no-cache"})


def join_link(config: Config, host_url: str, code: str) -> str:
    """The room's link: on `DRAWGAME_PUBLIC_URL` when it is set (it holds the root path),
    else on the host asked, under the root path."""
    base = config.public_url or host_url.rstrip("/") + config.root_path
    return f"{base.rstrip('/')}/r/{code}"


def qr_svg(link: str) -> bytes:
    """`link` as a QR code (error correction M), dark on white with the quiet zone."""
    out = io.BytesIO()
    segno.make(link, error="m", micro=False).save(
        out, kind="svg", scale=QR_SCALE, border=4, dark="#000", light="#fff", title=link,
        omitsize=True)
    return out.getvalue()
