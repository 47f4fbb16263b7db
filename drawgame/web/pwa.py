"""The installable web app: its manifest and its service worker, made from the files.

The manifest names the app, its icons (hashed URLs), colours, ``standalone``
display, and the lobby as start URL, with the whole site (the root path) as
its scope, so a room link opened from the installed app stays in it.

The service worker (``serviceworker.js`` beside this file, preceded by the
settings made here) keeps hashed files in the browser's cache, and shows the
offline page when the server cannot be reached. It never answers a page, an
API call or a WebSocket from its cache: a game is never stale. Its text
changes with any file (``version``), so browsers install the new one on
their next visit and it drops the files no page names any more.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from drawgame.web.assets import Blob

if TYPE_CHECKING:
    from drawgame.web.pages import Site

NAME = "drawgame"
DESCRIPTION = "Draw and guess with friends: a self-hosted party game."
THEME_COLOUR = "#5b4fe0"
"""The header colour of the installed app (the logo's purple, `--primary`)."""
BACKGROUND_COLOUR = "#f4f2fc"
"""The splash screen's colour while the app opens (the page background, `--bg`)."""
ICONS = (
    ("img/icon-192.png", "192x192", "image/png", "any"),
    ("img/icon-512.png", "512x512", "image/png", "any"),
    ("img/icon-maskable-192.png", "192x192", "image/png", "maskable"),
    ("img/icon-maskable-512.png", "512x512", "image/png", "maskable"),
    ("img/logo.svg", "any", "image/svg+xml", "any"),
)
OFFLINE_PAGE = "offline.html"
WORKER_SOURCE = Path(__file__).resolve().parent / "serviceworker.js"
_STATIC_URL = re.compile(r'(?:href|src)="([^"]*/static/[^"]+)"')


def manifest(site: Site) -> Blob:
    root = site.root
    body = {
        "id": f"{root}/",
        "name": NAME,
        "short_name": NAME,
        "description": DESCRIPTION,
        "start_url": f"{root}/",
        "scope": f"{root}/",
        "display": "standalone",
        "orientation": "any",
        "background_color": BACKGROUND_COLOUR,
        "theme_color": THEME_COLOUR,
        "categories": ["games", "entertainment"],
        "icons": [{"src": site.static_url(path), "sizes": sizes, "type": kind, "purpose": purpose}
                  for path, sizes, kind, purpose in ICONS if site.table.get(path) is not None],
    }
    return Blob(json.dumps(body, indent=1).encode(), "application/manifest+json")


def service_worker(site: Site) -> Blob:
    """The worker's source with what it must know of this version of the files."""
    offline = site.page(OFFLINE_PAGE).blob.body.decode()
    settings = {
        "root": site.root,
        "version": site.table.version,
        "offline": f"{site.root}/offline",
        "precache": sorted(set(_STATIC_URL.findall(offline))),
        "current": [site.static_url(path) for path in site.table.paths()],
    }
    text = (f"const SETTINGS = {json.dumps(settings, indent=1)};\n\n"
            + WORKER_SOURCE.read_text(encoding="utf-8"))
    return Blob(text.encode(), "text/javascript; charset=utf-8")
