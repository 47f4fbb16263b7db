"""The chat filter: words a room keeps out of chat, player names and room names.

Each shipped language has a list in `drawgame/words/filter/<code>.txt` (and
`all.txt` applies to every room); the format and how to extend them are in
that folder's README. A room checks text against its own language's list,
the English one (the internet's common tongue) and `all.txt`.

Matching works on whole words, never on what a word merely contains, so
"Scunthorpe" and "assistant" pass: a text is cut into runs of letters,
digits and the symbols people put in for letters (`@`, `$`), and each run is
folded like a guess (case, accents; `matching.normalize`), with the usual
stand-ins read as letters (`0` o, `1` i, `3` e, `4` a, `5` s, `7` t, `@` a,
`$` s) and letters stretched to three or more ("fuuuck") read once and
twice. A list entry is a word, or a word ending in `*` that also matches
every word starting with it (`shit*`: shitty, shithead).

The modes of the room setting `chat_filter`: `off` lets everything through,
`mask` replaces each matched word with `*` (one per character), `block`
refuses the line or name (`filtered`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import regex

from drawgame.game.matching import normalize
from drawgame.logs import event, get_logger

log = get_logger("filter")

FILTER_DIR = Path(__file__).resolve().parent.parent / "words" / "filter"
FILTER_MODES = ("off", "mask", "block")
DEFAULT_FILTER = "mask"
EVERY_ROOM = "all"
"""The list (`all.txt`) that applies whatever the room's language."""
ALSO_CHECKED = "en"
"""The language list every room checks besides its own."""
MAX_ENTRY_LEN = 40

_TOKEN = regex.compile(r"[\w\p{M}@$]+")
_STAND_INS = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t",
                            "@": "a", "$": "s"})
_STRETCHED = regex.compile(r"(.)\1{2,}")


@dataclass(frozen=True)
class WordFilter:
    """One set of filtered words: exact folded words and folded prefixes."""

    words: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()
    allowed: frozenset[str] = frozenset()
    """Words never filtered (`!word` lines: innocent in this language, e.g. Swedish "slut")."""

    def __bool__(self) -> bool:
        return bool(self.words or self.prefixes)

    def matches(self, token: str) -> bool:
        """Whether one word (a run of letters) is filtered."""
        forms = _forms(token)
        if forms & self.allowed:
            return False
        return any(self._hit(form) for form in forms)

    def _hit(self, form: str) -> bool:
        return form in self.words or any(form.startswith(p) for p in self.prefixes)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where in `text` the filtered words are, as (start, end) indexes."""
        if not self:
            return []
        return [m.span() for m in _TOKEN.finditer(text) if self.matches(m.group())]

    def found(self, text: str) -> bool:
        """Whether `text` holds a filtered word."""
        return bool(self.spans(text))

    def mask(self, text: str) -> str:
        """`text` with every filtered word replaced by one `*` per character."""
        spans = self.spans(text)
        if not spans:
            return text
        out, last = [], 0
        for start, end in spans:
            out += [text[last:start], "*" * (end - start)]
            last = end
        out.append(text[last:])
        return "".join(out)

    def __or__(self, other: WordFilter) -> WordFilter:
        return WordFilter(self.words | other.words,
                          tuple(dict.fromkeys((*self.prefixes, *other.prefixes))),
                          self.allowed | other.allowed)


def _forms(token: str) -> set[str]:
    """The folded readings of one word: as typed, with stand-ins read as letters, and
    with stretched letters read once and twice."""
    plain = normalize(token)
    read = normalize(token.casefold().translate(_STAND_INS))
    found = {plain, read}
    for base in (plain, read):
        found.add(_STRETCHED.sub(r"\1", base))
        found.add(_STRETCHED.sub(r"\1\1", base))
    found.discard("")
    return found


def parse_filter_file(lines: Iterable[str], source: str = "") -> WordFilter:
    """A filter list: one word a line, `word*` for a prefix, `!word` for a word never
    filtered in this language's rooms, `#` starts a comment line.

    Lines that fold to nothing or are longer than MAX_ENTRY_LEN are logged and skipped.
    """
    words: set[str] = set()
    prefixes: list[str] = []
    allowed: set[str] = set()
    for number, raw in enumerate(lines, 1):
        entry = raw.strip()
        if not entry or entry.startswith("#"):
            continue
        exempt = entry.startswith("!")
        entry = entry.lstrip("!")
        prefix = entry.endswith("*")
        folded = normalize(entry.rstrip("*"))
        if not folded or len(entry) > MAX_ENTRY_LEN or " " in entry.strip("*"):
            event(log, logging.WARNING, "filter_list_problem", file=source, line=number,
                  problem="an entry is one word of 1..40 characters")
            continue
        if exempt:
            allowed.add(folded)
        elif prefix:
            prefixes.append(folded)
        else:
            words.add(folded)
    return WordFilter(frozenset(words), tuple(dict.fromkeys(prefixes)), frozenset(allowed))


@dataclass
class FilterBank:
    """Every language's filter list, read once at start-up from `<directory>/<code>.txt`."""

    directory: Path | None = FILTER_DIR
    lists: dict[str, WordFilter] = field(default_factory=dict)
    _rooms: dict[str, WordFilter] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.directory is None or not self.directory.is_dir():
            return
        for path in sorted(self.directory.glob("*.txt")):
            with path.open(encoding="utf-8", errors="replace") as f:
                self.lists[path.stem] = parse_filter_file(f, str(path))

    @classmethod
    def empty(cls) -> FilterBank:
        """A bank with no lists: every mode lets everything through (for tests)."""
        return cls(directory=None)

    def for_language(self, code: str) -> WordFilter:
        """What a room of language `code` filters: its list, English's and `all.txt`'s."""
        found = self._rooms.get(code)
        if found is None:
            found = WordFilter()
            for name in dict.fromkeys((EVERY_ROOM, ALSO_CHECKED, code)):
                found = found | self.lists.get(name, WordFilter())
            # exemptions hold in their own language's rooms only (and all.txt's everywhere)
            allowed = self._own_allowed(code) | self._own_allowed(EVERY_ROOM)
            found = WordFilter(found.words, found.prefixes, allowed)
            self._rooms[code] = found
        return found


    def _own_allowed(self, code: str) -> frozenset[str]:
        return self.lists.get(code, WordFilter()).allowed


def apply_filter(words: WordFilter, mode: str, text: str) -> str | None:
    """`text` as the room's filter lets it through: as is, masked, or None when blocked."""
    if mode == "off" or not words:
        return text
    if mode == "block":
        return None if words.found(text) else text
    return words.mask(text)
