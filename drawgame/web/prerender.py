"""What a page shows before its script runs, written by the server from the script's
own sources, so that the script finds the page as it would have made it and nothing
moves when it takes over:

- ``<svg data-icon="eye" width="18" height="18"></svg>``: the icon as ``icon()`` of
  icons.js draws it (its paths are read from that file);
- ``<select id="ui-language">``: the language picker's options, as
  ``languagePicker()`` of i18n.js makes them, the page's language selected;
- ``<!-- settings fields -->`` (the lobby's create form): the settings' fields at
  their defaults, as ``buildSettingsFields()`` of settings-form.js builds them from
  ``SETTINGS`` of protocol.js, which this module reads.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

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


# ------------------------------------------------------------- the settings fields

PROTOCOL_MODULE = "js/protocol.js"
SETTINGS_PLACEHOLDER = "<!-- settings fields -->"
"""Where a page wants the settings fields written (inside their ``<fieldset>``, after
its legend): replaced by the fields of the default settings as ``buildSettingsFields()``
of settings-form.js builds them, which the script then takes over."""

_SETTINGS = re.compile(r"export const SETTINGS = Object\.freeze\((?P<body>\[.*?\])\);", re.S)
_CONSTANT = re.compile(r"^export const (?P<name>[A-Z_]+) = (?P<value>\d+);$", re.M)
_ENUM = re.compile(
    r"^export const (?P<name>[A-Z_]+) = Object\.freeze\(\{(?P<body>[^}]*)\}\);$", re.M)
_ENUM_VALUE = re.compile(r'(?P<key>[A-Z_]+): "(?P<value>[^"]*)"')
_KEY = re.compile(r"([{,]\s*)([A-Za-z_]\w*):")
_TRAILING_COMMA = re.compile(r",(\s*[\]}])")

ZERO_FORMS: Mapping[str, str] = {
    "fr": "one", "pt": "one", "fa": "one", "pl": "many", "ru": "many", "uk": "many",
    "ar": "zero",
}
"""The plural form of 0 where it is not ``other`` (``new Intl.PluralRules(code).select(0)``
in the browser; a test holds the two the same for every language)."""


@dataclass(frozen=True)
class Settings:
    """``SETTINGS`` of protocol.js (what the fields are) and the constants its notes name."""

    specs: tuple[Mapping[str, Any], ...]
    constants: Mapping[str, int]


def load_settings(table: AssetTable) -> Settings:
    """The settings' fields as protocol.js lists them (an object literal of strings,
    numbers, lists and ``MODE.X`` names, read as JSON)."""
    asset = table.get(PROTOCOL_MODULE)
    source = asset.body.decode("utf-8") if asset is not None else ""
    found = _SETTINGS.search(source)
    if found is None:
        raise ValueError(f"{PROTOCOL_MODULE}: SETTINGS not found")
    names = {f"{m['name']}.{v['key']}": v["value"] for m in _ENUM.finditer(source)
             for v in _ENUM_VALUE.finditer(m["body"])}
    body = re.sub(r"\b[A-Z_]+\.[A-Z_]+\b",
                  lambda m: json.dumps(names[m[0]]) if m[0] in names else m[0], found["body"])
    body = _TRAILING_COMMA.sub(r"\1", _KEY.sub(r'\1"\2":', body))
    try:
        specs = json.loads(body)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{PROTOCOL_MODULE}: SETTINGS is not a plain literal: {exc}") from exc
    constants = {m["name"]: int(m["value"]) for m in _CONSTANT.finditer(source)}
    return Settings(tuple(specs), constants)


Attrs = Sequence[tuple[str, str | int | bool | None]]
"""An element's attributes: ``True`` writes the name alone, ``None`` and ``False`` nothing."""
Text = Callable[..., str]


def _attrs(pairs: Attrs) -> str:
    out = []
    for name, value in pairs:
        if value is None or value is False:
            continue
        out.append(f" {name}" if value is True else f' {name}="{html.escape(str(value))}"')
    return "".join(out)


def _tag(tag: str, pairs: Attrs, *inner: str) -> str:
    return f"<{tag}{_attrs(pairs)}>{''.join(inner)}</{tag}>"


def _applies(spec: Mapping[str, Any], mode: str, first_page: str) -> bool:
    """``applies()`` of settings-form.js."""
    if spec.get("modes") and mode not in spec["modes"]:
        return False
    return not (spec.get("words") and mode == "telephone" and first_page != "word")


def _void(tag: str, pairs: Attrs) -> str:
    return f"<{tag}{_attrs(pairs)}>"


def _text(tag: str, pairs: Attrs, text: str) -> str:
    return _tag(tag, pairs, html.escape(text))


def _packs(ident: str, packs: Sequence[Mapping[str, Any]], text: Text, common: Attrs) -> str:
    """The packs' fieldset as ``renderPacks()`` fills it: every pack ticked, its words
    counted at the default difficulty (``mixed``: all of them)."""
    items = []
    for pack in packs:
        own = text(f"pack.{pack['id']}")
        label = pack["name"] if own == f"pack.{pack['id']}" else own
        count = sum(pack.get("words", {}).values())
        box = f"{ident}-{pack['id']}"
        check = _void("input", [("type", "checkbox"), ("id", box), ("value", pack["id"]),
                                ("checked", True), ("data-testid", "pack-option"),
                                ("data-count", count)])
        items.append(_tag("label", [("class", "check pack"), ("for", box)], check,
                          _text("span", [], text("set.packCount", name=label, count=count))))
    return _tag("fieldset", [*common, ("class", "packs")], _text("legend", [], text("set.packs")),
                *items)


def _word_tools(ident: str, text: Text, zero_form: str) -> str:
    """``wordTools()`` of settings-form.js, and the streamer-mode note after it."""
    count = text(f"set.words.{zero_form}", count=0)
    if count == f"set.words.{zero_form}":
        count = text("set.words.other", count=0)

    def action(kind: str, label: str) -> str:
        return _text("button", [("type", "button"), ("class", f"btn btn-ghost btn-sm {kind}"),
                                ("data-testid", kind)], label)

    file = _void("input", [("type", "file"), ("id", f"{ident}-file"),
                           ("accept", ".txt,text/plain"), ("hidden", True),
                           ("data-testid", "word-file")])
    tools = _tag("div", [("class", "word-tools")],
                 _text("p", [("class", "field-note words-count")], count),
                 _tag("div", [("class", "word-buttons")],
                      action("load-words", text("words.load")),
                      action("download-words", text("words.download")), file),
                 _tag("div", [("class", "word-report"), ("role", "status"),
                              ("data-testid", "word-report")]))
    return tools + _text("p", [("class", "field-note streamer-only")],
                         text("streamer.wordsHidden"))


def _control(spec: Mapping[str, Any], common: Attrs, text: Text,
             languages: Sequence[Mapping[str, Any]], language: str) -> str:
    """``inputFor()`` of settings-form.js, at the field's default (the language's
    options as ``setLanguages()`` writes them)."""
    kind = spec["kind"]
    if kind == "int":
        default = spec.get("def")
        nullable = spec.get("nullable")
        return _void("input", [
            *common, ("type", "number"), ("inputmode", "numeric"), ("min", spec["min"]),
            ("max", spec["max"]), ("step", spec.get("step", 1)),
            ("value", "" if default is None else default), ("required", not nullable),
            ("placeholder", text(nullable) if nullable else None)])
    if kind == "language":
        return _tag("select", common, *(
            _text("option", [("value", entry["code"]), ("selected", entry["code"] == language)],
                  text("set.languageWords", name=entry["name"], count=entry["words"])
                  if entry["words"] else entry["name"])
            for entry in languages))
    if kind == "choice":
        labels = spec.get("labels", "level")
        return _tag("select", common, *(
            _text("option", [("value", c), ("selected", c == spec.get("def"))],
                  text(f"{labels}.{c}"))
            for c in spec["choices"]))
    if kind == "words":
        return _tag("textarea", [*common, ("rows", 3), ("spellcheck", "false"),
                                 ("placeholder", text("set.customPlaceholder"))])
    return _void("input", [*common, ("type", "checkbox")])


def settings_fields(settings: Settings, text: Text, zero_form: str,
                    languages: Sequence[Mapping[str, Any]], language: str,
                    id_prefix: str) -> str:
    """The rows ``buildSettingsFields(container, {idPrefix})`` appends, with every field
    at its default, ``language`` the word language (its packs all ticked), and what
    ``renderApplies()`` hides hidden: the same elements, attributes and text, which the
    script then takes as they are.

    ``text(key, **params)`` is ``t()`` of i18n.js in the page's language; ``zero_form``
    the plural form that language gives 0."""
    defaults = {spec["name"]: spec.get("def") for spec in settings.specs}
    mode, first_page = str(defaults.get("mode")), str(defaults.get("first_page"))
    chosen = next((entry for entry in languages if entry["code"] == language), None)
    packs = chosen["packs"] if chosen else []
    rows = []
    for spec in settings.specs:
        name, kind = spec["name"], spec["kind"]
        ident = f"{id_prefix}-{name}"
        described = f"{ident}-note {ident}-error" if spec.get("notes") else f"{ident}-error"
        common: Attrs = [("id", ident), ("name", name), ("aria-describedby", described),
                         ("data-testid", spec.get("testid"))]
        error = _tag("p", [("id", f"{ident}-error"), ("class", "field-error"),
                           ("role", "alert")])
        hidden = not _applies(spec, mode, first_page) or (kind == "packs" and not packs)
        classes = f"field field-{kind} field-{name}" if kind == "bool" else f"field field-{kind}"
        row: Attrs = [("class", classes), ("data-field", name), ("hidden", hidden)]
        if kind == "packs":
            rows.append(_tag("div", row, _packs(ident, packs, text, common), error))
            continue
        control = _control(spec, common, text, languages, language)
        if kind == "bool":
            minimum = settings.constants["MIN_CUSTOM_ONLY_WORDS"]
            note = (_text("p", [("class", "field-note")], text(spec["note"], min=minimum))
                    if spec.get("note") else "")
            label = _tag("label", [("class", "check"), ("for", ident)], control,
                         _text("span", [], text(f"set.{name}")))
            rows.append(_tag("div", row, label, note, error))
            continue
        hint = (_tag("span", [("class", "range-hint")], f"{spec['min']}–{spec['max']}")
                if kind == "int" else "")
        label = _tag("label", [("for", ident)], html.escape(text(f"set.{name}")), hint)
        note = ""
        if spec.get("notes"):
            note = _text("p", [("id", f"{ident}-note"), ("class", "field-note"),
                               ("data-notes", spec["notes"])],
                         text(f"{spec['notes']}.{defaults.get(name)}"))
        extra = _word_tools(ident, text, zero_form) if kind == "words" else ""
        rows.append(_tag("div", row, label, control, note, extra, error))
    return "".join(rows)
