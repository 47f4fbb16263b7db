"""Checks and escapes for text that crosses a boundary: operator input, log lines.

Python strings can hold lone surrogates (a JSON ``"\\ud800"`` escape, or a
command-line argument that was not valid UTF-8, decoded with
``surrogateescape``). They cannot be encoded as UTF-8, so such text must be
refused where it comes in, never found out when it is sent to players.
"""

from __future__ import annotations

import unicodedata

import regex

_LOG_ESCAPED = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_JSON_UNSAFE = regex.compile(r"[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]")
_NEEDS_QUOTES = regex.compile(r'[\s"=]')


def operator_text_problem(text: str) -> str | None:
    """Why operator text (a maintenance message) cannot be shown to players, or None."""
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cs":
            return (f"the text holds a lone surrogate (U+{ord(ch):04X}): it is not valid "
                    "Unicode; check the encoding it was typed or sent in (UTF-8)")
        if category == "Cc":
            return f"the text holds a control character (U+{ord(ch):04X}); send plain text"
    return None


def valid_text(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD, so it always encodes.

    For text the API and the CLI checked but that comes back from the
    database, where anything may have been written.
    """
    if text.isprintable() or not any("\ud800" <= ch <= "\udfff" for ch in text):
        return text
    return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)


def escape_controls(text: str) -> str:
    """``text`` with every control, format, surrogate and line/paragraph separator
    character written as an escape (``\\n``, ``\\x1b``, ``\\u202e``), and backslashes
    doubled, so one log line can never look like two, or hide what it says."""
    if text.isprintable() and "\\" not in text:
        return text
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif unicodedata.category(ch) in _LOG_ESCAPED:
            out.append(_escape(ch))
        else:
            out.append(ch)
    return "".join(out)


def _escape(ch: str) -> str:
    code = ord(ch)
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch)
    if named:
        return named
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def logfmt_value(value: object) -> str:
    """One ``key=value`` value of the text log: escaped, and quoted when it holds
    a space, a quote or ``=`` (so a value cannot pose as another field)."""
    text = escape_controls(str(value))
    if text and not _NEEDS_QUOTES.search(text):
        return text
    return '"' + text.replace('"', '\\"') + '"'


def json_line_safe(line: str) -> str:
    """A JSON text with every control, format, surrogate and line separator character
    (which ``json.dumps(ensure_ascii=False)`` leaves as they are, except below U+0020)
    written as a ``\\uXXXX`` escape: still the same JSON, but one plain line."""
    return _JSON_UNSAFE.sub(_json_escape, line)


def _json_escape(match: regex.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
