"""What a page shows before its script runs, written by the server from the script's
own sources, so that the script finds the page as it would have made it and nothing
moves when it takes over:

- ``<svg data-icon="eye" width="18" height="18"></svg>``: the icon as ``icon()`` of
  icons.js draws it (its paths are read from that file);
- ``<select id="ui-language">``: the language picker's options, as
  ``languagePicker()`` of i18n.js makes them, the page's language selected.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from drawgame.web.assets import AssetTable

ICONS_MODULE = "js/icons.js"

_PATHS = re.compile(r"const PATHS = \{(?P<body>.*?)\n\};", re.S)
_ICON = re.compile(r"^\s*(?P<name>\w+): \[(?P<paths>[^\]]*)\],?\s*$", re.M)
_MIRRORED = re.compile(r"const MIRRORED = new Set\(\[(?P<body>[^\]]*)\]\)")
_ICON_SVG = re.compile(r'<svg data-icon="(?P<name>\w+)"(?P<attrs>[^>]*)></svg>')
_SIZE = re.compile(r'\b(width|height)="(\d+)"')
_PICKER = re.compile(r'(<select\b[^>]*\bid="ui-language"[^>]*>)(</select>)')


@dataclass(frozen=True)
class Icons:
    paths: Mapping[str, tuple[str, ...]]
    mirrored: frozenset[str]


def load_icons(table: AssetTable) -> Icons:
    """The icons of icons.js: each name's path data, and the ones mirrored right to left."""
    asset = table.get(ICONS_MODULE)
    source = asset.body.decode("utf-8") if asset is not None else ""
    block = _PATHS.search(source)
    mirrored = _MIRRORED.search(source)
    if block is None or mirrored is None:
        raise ValueError(f"{ICONS_MODULE}: PATHS or MIRRORED not found")
    paths = {m["name"]: tuple(re.findall(r'"([^"]*)"', m["paths"]))
             for m in _ICON.finditer(block["body"])}
    return Icons(paths, frozenset(re.findall(r'"(\w+)"', mirrored["body"])))


def fill_icons(page: str, icons: Icons) -> str:
    """Every ``<svg data-icon>`` of ``page`` drawn as ``icon(name, size)`` draws it."""

    def draw(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in icons.paths:
            raise ValueError(f"no icon {name!r} in {ICONS_MODULE}")
        sizes = dict(_SIZE.findall(match["attrs"]))
        size = sizes.get("width", sizes.get("height", "20"))
        classes = "icon icon-mirror" if name in icons.mirrored else "icon"
        paths = "".join(f'<path d="{html.escape(d)}"></path>' for d in icons.paths[name])
        return (f'<svg viewBox="0 0 24 24" width="{size}" height="{size}" fill="none"'
                f' stroke="currentColor" stroke-width="{3 if name == "more" else 2}"'
                ' stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"'
                f' focusable="false" class="{classes}">{paths}</svg>')

    return _ICON_SVG.sub(draw, page)


def fill_language_picker(page: str, languages: Sequence[tuple[str, str]], current: str,
                         rtl: frozenset[str]) -> str:
    """The language picker of ``page`` (if any) holding its options, ``current`` selected."""
    def option(code: str, name: str) -> str:
        selected = " selected" if code == current else ""
        direction = "rtl" if code in rtl else "ltr"
        return (f'<option value="{code}" lang="{code}" dir="{direction}"{selected}>'
                f"{html.escape(name)}</option>")

    options = "".join(option(code, name) for code, name in languages)
    return _PICKER.sub(lambda m: m[1] + options + m[2], page, count=1)
