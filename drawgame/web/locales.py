"""The interface's texts on the server, so that a page arrives already in its language.

The client's tables (``static/js/locales/<code>.js``, one ``"key": "value",`` per
line) and its list of languages (``LANGUAGES`` and ``RTL`` in ``static/js/i18n.js``)
stay the one source: this module reads them from the asset table, so an edited
table is in the next page as any other file is.

A page's language is chosen as the browser's script chooses it (``detect()`` in
i18n.js): the language the player picked (the script keeps it in localStorage and
in the ``drawgame.lang`` cookie, which is what the server sees), else the first
language of ``Accept-Language`` that has a table, else English. The page then
has ``<html lang dir>`` set, every ``data-i18n="key"`` element's text and every
``data-i18n-attr="attr:key ..."`` attribute filled, exactly as the script's
``translatePage()`` fills them; the script does it again (the same texts) and
everything it builds later.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from drawgame.web.assets import AssetTable

COOKIE = "drawgame.lang"
"""The cookie holding the language the player picked (written by i18n.js)."""
FALLBACK = "en"
LOCALES = "js/locales"
I18N_MODULE = "js/i18n.js"
FSI, PDI = "\u2068", "\u2069"
"""First strong isolate ... pop directional isolate: what i18n.js puts around a text
parameter on a right-to-left page."""

_ENTRY = re.compile(r'^\s*"(?P<key>[^"\\]+)":\s*(?P<value>"(?:[^"\\]|\\.)*"),?\s*(?://.*)?$')
_SKIPPED = re.compile(r"^\s*(?://.*)?$|^export default \{$|^\};?$")
_LANGUAGES = re.compile(r"export const LANGUAGES = Object\.freeze\(\[(?P<body>.*?)\]\);", re.S)
_PAIR = re.compile(r'\["(?P<code>[a-z]{2,3})",\s*"(?P<name>[^"]*)"\]')
_RTL = re.compile(r"const RTL = new Set\(\[(?P<body>[^\]]*)\]\)")
_PARAM = re.compile(r"\{(\w+)\}")
_TAG = re.compile(
    r"<(?P<tag>[a-zA-Z][a-zA-Z0-9]*)(?P<attrs>\s[^<>]*?\bdata-i18n(?:-attr)?=[^<>]*)>")
_ATTR = re.compile(r'\s(?P<name>[a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:="(?P<value>[^"]*)")?')
_HTML_OPEN = re.compile(r"<html\b[^>]*>")
_PLURAL_FORMS = frozenset({"zero", "one", "two", "few", "many", "other"})


class TableError(ValueError):
    """A locale table or i18n.js the server cannot read (a line of another shape)."""


def parse_table(source: str, name: str = "table") -> dict[str, str]:
    """The ``"key": "value"`` entries of a locale module, in order. Every line must be an
    entry, a comment, a blank or the module's first or last line: anything else is an
    error (a test reads every table), not a text silently left out."""
    table: dict[str, str] = {}
    for number, line in enumerate(source.splitlines(), 1):
        match = _ENTRY.match(line)
        if match is not None:
            table[match["key"]] = json.loads(match["value"])
        elif not _SKIPPED.match(line):
            raise TableError(f"{name}:{number}: not a \"key\": \"value\", line")
    return table


def parse_languages(source: str) -> tuple[tuple[tuple[str, str], ...], frozenset[str]]:
    """i18n.js's ``LANGUAGES`` ((code, name in itself), in its order) and ``RTL`` set."""
    listed = _LANGUAGES.search(source)
    rtl = _RTL.search(source)
    if listed is None or rtl is None:
        raise TableError("i18n.js: LANGUAGES or RTL not found")
    pairs = tuple((m["code"], m["name"]) for m in _PAIR.finditer(listed["body"]))
    return pairs, frozenset(re.findall(r'"([a-z]{2,3})"', rtl["body"]))


@dataclass(frozen=True)
class Texts:
    """Every language's table, as the client has them."""

    languages: tuple[tuple[str, str], ...]
    """(code, the language's name in itself), in the picker's order."""
    rtl: frozenset[str]
    tables: Mapping[str, Mapping[str, str]]

    def known(self, code: str | None) -> bool:
        return bool(code) and code in self.tables

    def direction(self, code: str) -> str:
        return "rtl" if code in self.rtl else "ltr"

    def choose(self, picked: str | None, accepted: Iterable[str]) -> str:
        """The page's language: ``picked`` (the cookie) when known, else the first of the
        browser's languages (best first) with a table, else English."""
        if picked and self.known(picked):
            return picked
        for tag in accepted:
            base = tag.lower().split("-")[0]
            if self.known(base):
                return base
        return FALLBACK

    def complete(self, code: str) -> dict[str, str]:
        """The table of ``code`` with English for any text it lacks: what the page's
        script starts with (a text with plural forms comes from one table, whole)."""
        own = dict(self.tables.get(code, {}))
        bases = {_base(key) for key in own}
        for key, value in self.tables[FALLBACK].items():
            if _base(key) not in bases:
                own[key] = value
        return own

    def text(self, code: str, key: str) -> str | None:
        found = self.tables.get(code, {}).get(key)
        return found if found is not None else self.tables.get(FALLBACK, {}).get(key)

    def t(self, code: str, key: str, **params: str | int) -> str:
        """``t(key, params)`` of i18n.js without plurals: ``{name}`` filled, a text
        parameter isolated on a right-to-left page; the key itself when no table has it."""
        text = self.text(code, key)
        if text is None:
            return key
        isolate = self.direction(code) == "rtl"

        def fill(match: re.Match[str]) -> str:
            if match[1] not in params:
                return match[0]
            value = params[match[1]]
            return FSI + value + PDI if isolate and isinstance(value, str) else str(value)

        return _PARAM.sub(fill, text)


def _base(key: str) -> str:
    """``key`` without its plural form (``players.one`` -> ``players``)."""
    head, _, form = key.rpartition(".")
    return head if head and form in _PLURAL_FORMS else key


def load(table: AssetTable) -> Texts:
    """The texts as the asset table has them now."""
    i18n = table.get(I18N_MODULE)
    if i18n is None:
        raise TableError(f"{I18N_MODULE} is missing")
    languages, rtl = parse_languages(i18n.body.decode("utf-8"))
    tables: dict[str, dict[str, str]] = {}
    for code, _name in languages:
        path = f"{LOCALES}/{code}.js"
        asset = table.get(path)
        if asset is not None:
            tables[code] = parse_table(asset.body.decode("utf-8"), path)
    if FALLBACK not in tables:
        raise TableError(f"{LOCALES}/{FALLBACK}.js is missing")
    return Texts(languages, rtl, tables)


def translate(page: str, texts: Texts, code: str) -> str:
    """``page`` (an HTML file of static/) in language ``code``: ``<html lang dir>``, and
    what ``translatePage()`` of i18n.js fills. An element's text is filled only when it
    holds nothing but text; text holding a ``{{placeholder}}`` (filled per request,
    as the album page's title) is left as it is."""
    direction = texts.direction(code)
    page = _HTML_OPEN.sub(lambda m: _set_attrs(m[0], {"lang": code, "dir": direction}), page, 1)
    out: list[str] = []
    at = 0
    for match in _TAG.finditer(page):
        attrs = {a["name"]: html.unescape(a["value"] or "") for a in _ATTR.finditer(match["attrs"])}
        start = match.group(0)
        changes: dict[str, str] = {}
        for pair in attrs.get("data-i18n-attr", "").split():
            name, _, attr_key = pair.partition(":")
            changes[name] = texts.t(code, attr_key)
        if changes:
            start = _set_attrs(start, changes)
        out.append(page[at:match.start()])
        out.append(start)
        at = match.end()
        key = attrs.get("data-i18n")
        if key is None:
            continue
        close = page.find(f"</{match['tag']}>", at)
        inner = page[at:close] if close >= 0 else "<"
        if "<" in inner:
            raise TableError(f"<{match['tag']} data-i18n={key!r}> holds elements, not text")
        if "{{" not in inner:
            out.append(html.escape(texts.t(code, key), quote=False))
            at = close
    out.append(page[at:])
    return "".join(out)


def _set_attrs(tag: str, values: Mapping[str, str]) -> str:
    """The start tag ``tag`` with ``values`` set (replaced, or added before its ``>``)."""
    for name, value in values.items():
        escaped = html.escape(value, quote=True)
        pattern = re.compile(rf'(\s{re.escape(name)}=")[^"]*(")')
        found = pattern.search(tag)
        if found:
            tag = tag[:found.start()] + found[1] + escaped + found[2] + tag[found.end():]
        else:
            tag = tag[:-1].rstrip("/").rstrip() + f' {name}="{escaped}">'
    return tag
