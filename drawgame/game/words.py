"""Word lists (`drawgame/words/<code>.txt`) and the choice of words offered to a drawer.

A list file names its language and its packs, then holds the words in
sections, one per pack and difficulty (the format is in
`drawgame/words/README.md`):

    @language English
    @pack animals Animals
    [animals easy]
    cat

`python -m drawgame.game.words FILE...` checks files and prints their counts.
"""

from __future__ import annotations

import functools
import itertools
import logging
import random
import sys
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regex

from drawgame.game.matching import JOINER_IN_WORD, normalize
from drawgame.logs import event, get_logger

log = get_logger("words")

LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "de": "Deutsch",
    "fr": "Français",
    "es": "Español",
    "it": "Italiano",
    "pt": "Português",
    "nl": "Nederlands",
    "pl": "Polski",
    "sv": "Svenska",
    "tr": "Türkçe",
    "ru": "Русский",
    "uk": "Українська",
    "el": "Ελληνικά",
    "ar": "العربية",
    "he": "עברית",
    "fa": "فارسی",
}
"""The shipped languages, in the order the API lists them, with their own names."""

DIFFICULTIES: tuple[str, ...] = ("easy", "medium", "hard")
"""Every shipped word is tagged with one of these."""

STANDARD_PACKS: tuple[str, ...] = (
    "animals", "food", "objects", "clothes", "vehicles",
    "places", "nature", "actions", "sports", "jobs",
)
"""The pack ids every shipped list has (a client translates them by id)."""

UNSORTED_PACK = "other"
"""Pack of words written before any section (a plain list); they count as medium."""

MAX_WORD_LEN = 32
"""Longest entry, in characters (the same as a custom word)."""

WORDS_DIR = Path(__file__).resolve().parent.parent / "words"
"""The shipped word lists: one `<code>.txt` per language."""

FALLBACK_WORDS: tuple[str, ...] = (
    "house", "tree", "cat", "sun", "car", "fish", "apple", "boat", "flower", "moon",
)
"""Offered only when a room has no words at all (a missing list), so a game never stalls."""

MAX_RECENT_WORDS = 500
"""Offered words a room remembers across games (normalized), to avoid them next time."""


@dataclass(frozen=True, slots=True)
class Word:
    """One word as offered: its text, pack and difficulty (None for a custom word)."""

    text: str
    pack: str
    difficulty: str | None
    key: str
    """`normalize(text)`: what makes two words the same."""


def make_word(text: str, pack: str, difficulty: str | None) -> Word:
    return Word(text, pack, difficulty, normalize(text))


@dataclass(frozen=True, slots=True)
class Problem:
    """A line of a list file that was not taken, and why."""

    line: int
    text: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}: {self.text[:60]!r}"


class WordList:
    """One language's words, grouped in packs, each word tagged with a difficulty."""

    def __init__(self, code: str, name: str, packs: Mapping[str, str], words: Iterable[Word]):
        self.code = code
        self.name = name
        self.words = tuple(words)
        used = {w.pack for w in self.words}
        self.packs = {pid: pname for pid, pname in packs.items() if pid in used}
        """Pack id → display name, in the file's order; only packs holding words."""
        by_pack: dict[str, list[Word]] = {pid: [] for pid in self.packs}
        for w in self.words:
            by_pack[w.pack].append(w)
        self._by_pack = {pid: tuple(ws) for pid, ws in by_pack.items()}
        self._by_key = {w.key: w for w in self.words}

    @classmethod
    def of(cls, words: Iterable[str], code: str = "", difficulty: str = "medium") -> WordList:
        """Plain words as a list of one pack (`other`) and one difficulty."""
        entries = (make_word(w, UNSORTED_PACK, difficulty) for w in words)
        return cls(code, code, {UNSORTED_PACK: "Other"}, entries)

    def __len__(self) -> int:
        return len(self.words)

    def texts(self) -> tuple[str, ...]:
        """Every word's text, in file order."""
        return tuple(w.text for w in self.words)

    def pack_words(self, packs: Collection[str]) -> tuple[Word, ...]:
        """The words of `packs`; every word when `packs` is empty or names none of them."""
        chosen = [w for pid in self.packs if pid in packs for w in self._by_pack[pid]]
        return tuple(chosen) if chosen else self.words

    def find(self, text: str) -> Word | None:
        """The list's entry for `text` (compared like guesses), if any."""
        return self._by_key.get(normalize(text))

    def summary(self) -> dict[str, Any]:
        """This language's entry in GET /api/languages."""
        return {
            "code": self.code,
            "name": self.name,
            "words": len(self.words),
            "packs": [
                {"id": pid, "name": pname,
                 "words": {d: sum(1 for w in self._by_pack[pid] if w.difficulty == d)
                           for d in DIFFICULTIES}}
                for pid, pname in self.packs.items()
            ],
        }


# ---------------------------------------------------------------- list files


REFUSALS: dict[str, str] = {
    "too_long": f"longer than {MAX_WORD_LEN} characters",
    "unreadable": "holds characters that could not be read (save the file as UTF-8)",
    "bad_character": "holds control or invisible characters",
    "no_letter": "holds no letter or digit",
    "duplicate": "the same word as line {line}",
    "too_many": "over the limit of {max_words} words",
}
"""Why an entry of a word file is refused: code → message (formatted with the details)."""


def clean_entry(raw: str) -> tuple[str, str | None]:
    """A word as the game keeps it (NFC, single spaces, trimmed), and why it is refused.

    The reason is None for a good entry, else a code of REFUSALS. Used for list
    files, imported word files and the `custom_words` setting alike.
    """
    word = " ".join(unicodedata.normalize("NFC", raw).split())
    if len(word) > MAX_WORD_LEN:
        return word, "too_long"
    if "\ufffd" in word:
        return word, "unreadable"
    if _BAD_CHARACTER.search(JOINER_IN_WORD.sub("", word)):
        return word, "bad_character"
    if not any(ch.isalnum() for ch in word):
        return word, "no_letter"
    return word, None


_BAD_CHARACTER = regex.compile(r"[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Default_Ignorable_Code_Point}]")
"""Control, format, private and unassigned characters, and those that show nothing
(fillers such as U+3164 count as letters, yet a word of them cannot be drawn or read).
A zero-width non-joiner between two letters is Persian spelling, and is kept."""


def parse_word_file(
    code: str, lines: Iterable[str]
) -> tuple[WordList, list[Problem]]:
    """Read a list file's lines into a WordList, with the lines that were not taken.

    Blank lines and `#` comments are skipped. A bad line (too long, a
    duplicate of an earlier word compared like guesses, an unknown difficulty
    in a section header) is reported and skipped; the rest still loads.
    """
    name = LANGUAGE_NAMES.get(code, code)
    packs: dict[str, str] = {}
    words: list[Word] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    section: tuple[str, str] | None = (UNSORTED_PACK, "medium")
    for number, raw in enumerate(lines, start=1):
        line = raw.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        if line.startswith("@"):
            name = _directive(line, number, name, packs, problems)
        elif line.startswith("["):
            section = _section(line, number, packs, problems)
        elif section is not None:
            word, why = clean_entry(line)
            key = normalize(word)
            if why is None and key in seen:
                why = "duplicate"
            if why is not None:
                message = REFUSALS[why].format(line=seen.get(key), max_words=0)
                problems.append(Problem(number, line, message))
                continue
            seen[key] = number
            words.append(Word(word, section[0], section[1], key))
    packs.setdefault(UNSORTED_PACK, "Other")
    return WordList(code, name, packs, words), problems


def _directive(
    line: str, number: int, name: str, packs: dict[str, str], problems: list[Problem]
) -> str:
    keyword, _, rest = line[1:].partition(" ")
    rest = rest.strip()
    if keyword == "language" and rest:
        return rest
    if keyword == "pack":
        pid, _, pname = rest.partition(" ")
        if valid_pack_id(pid):
            packs[pid] = pname.strip() or pid
            return name
    problems.append(Problem(number, line, "not a known directive (@language NAME, @pack ID NAME)"))
    return name


def _section(
    line: str, number: int, packs: dict[str, str], problems: list[Problem]
) -> tuple[str, str] | None:
    parts = line.strip("[]").split()
    if len(parts) != 2 or not line.endswith("]") or not valid_pack_id(parts[0]):
        problems.append(Problem(number, line, "a section is [PACK DIFFICULTY]"))
        return None
    pid, difficulty = parts
    if difficulty not in DIFFICULTIES:
        allowed = ", ".join(DIFFICULTIES)
        problems.append(Problem(number, line, f"difficulty must be one of {allowed}"))
        return None
    if pid not in packs:
        problems.append(Problem(number, line, f"pack {pid!r} has no @pack line; named {pid!r}"))
        packs[pid] = pid
    return pid, difficulty


_PACK_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-")


def valid_pack_id(pid: object) -> bool:
    """True for text usable as a pack id: 1..32 of a-z, 0-9, `_` and `-`."""
    return isinstance(pid, str) and 1 <= len(pid) <= 32 and all(c in _PACK_ID_CHARS for c in pid)


class WordBank:
    """Every language's word list, read once at start-up from `<directory>/<code>.txt`.

    Lines a file could not use are logged (`word_list_problem`) and skipped.
    """

    def __init__(self, directory: Path | str | None = None) -> None:
        self.directory = Path(directory) if directory is not None else WORDS_DIR
        self._lists: dict[str, WordList] = {}
        self.problems: dict[str, list[Problem]] = {}
        if self.directory.is_dir():
            for path in sorted(self.directory.glob("*.txt")):
                with path.open(encoding="utf-8", errors="replace") as f:
                    words, problems = parse_word_file(path.stem, f)
                self._lists[path.stem] = words
                self.problems[path.stem] = problems
                for problem in problems:
                    event(log, logging.WARNING, "word_list_problem", file=str(path),
                          line=problem.line, problem=problem.message)

    def codes(self) -> list[str]:
        """Language codes with a list, the shipped ones first in LANGUAGE_NAMES order."""
        known = [code for code in LANGUAGE_NAMES if code in self._lists]
        return known + sorted(code for code in self._lists if code not in LANGUAGE_NAMES)

    def languages(self) -> list[dict[str, Any]]:
        """`[{"code", "name", "words", "packs"}]` for GET /api/languages."""
        return [self._lists[c].summary() for c in self.codes()]

    def words(self, code: str) -> WordList:
        """The word list of `code` (empty for an unknown code)."""
        found = self._lists.get(code)
        return found if found is not None else WordList(code, code, {}, ())

    def pack_ids(self, code: str) -> tuple[str, ...]:
        """The pack ids of `code`'s list, in order."""
        return tuple(self.words(code).packs)


# ---------------------------------------------------------------- word files


MAX_IMPORT_BYTES = 256 * 1024
"""Largest word file the import endpoint reads (UTF-8 bytes)."""
MAX_REFUSED_REPORTED = 200
"""Refused entries listed one by one in an import report; `refused_total` counts all."""
_SEPARATORS = regex.compile(r"[,;\t]")


def parse_import(text: str, max_words: int) -> dict[str, Any]:
    """Read a host's word file: one word or phrase a line, or comma-separated.

    Semicolons and tabs separate too (spreadsheet exports); blank entries and
    lines starting with `#` are skipped; quotes around an entry are dropped.
    Each entry is cleaned like a custom word; duplicates are compared like
    guesses (the first spelling is kept); past `max_words` accepted words the
    rest is refused (`too_many`). Returns the report the API answers:
    `{"words", "refused": [{"line", "text", "code", "message"}], "refused_total",
    "max_words"}`.
    """
    words: list[str] = []
    refused: list[dict[str, Any]] = []
    total = 0
    seen: dict[str, int] = {}
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        if line.strip().startswith("#"):
            continue
        for raw in _SEPARATORS.split(line):
            entry = _unquote(raw.strip())
            if not entry:
                continue
            word, why = clean_entry(entry)
            key = normalize(word)
            if why is None and key in seen:
                why = "duplicate"
            elif why is None and len(words) >= max_words:
                why = "too_many"
            if why is None:
                seen[key] = number
                words.append(word)
                continue
            total += 1
            if len(refused) < MAX_REFUSED_REPORTED:
                message = REFUSALS[why].format(line=seen.get(key), max_words=max_words)
                refused.append({"line": number, "text": entry[:MAX_WORD_LEN * 2],
                                "code": why, "message": message})
    return {"words": words, "refused": refused, "refused_total": total,
            "max_words": max_words}


def _unquote(entry: str) -> str:
    for quote in ('"', "'", "“”", "«»", "„“"):
        first, last = quote[0], quote[-1]
        if len(entry) >= 2 and entry[0] == first and entry[-1] == last:
            return entry[1:-1].strip()
    return entry


# ---------------------------------------------------------------- choosing


FALLBACK_LIST = WordList.of(FALLBACK_WORDS)


@functools.lru_cache(maxsize=64)
def custom_pool(custom_words: tuple[str, ...]) -> tuple[Word, ...]:
    """The host's words as Words (no difficulty); cached, as a room offers from them often."""
    return tuple(make_word(w, "custom", None) for w in custom_words)


def pick_choices(
    rng: random.Random,
    bank: WordList,
    *,
    packs: Collection[str] = (),
    difficulty: str = "mixed",
    custom_words: tuple[str, ...] = (),
    custom_only: bool = False,
    used: Collection[str] = (),
    offered: Collection[str] = (),
    recent: Mapping[str, int] | None = None,
    n: int = 3,
) -> list[Word]:
    """`n` distinct words for the drawer to choose from, in random order.

    - The language's words come from `packs` (all packs when empty), and
      each offer has a wanted difficulty: `difficulty` itself, or with
      `mixed` one of each in turn (3 offers: one easy, one medium, one hard).
    - With custom words (and not `custom_only`) one offer is a custom word
      while some were not drawn yet in this game; with `custom_only` every
      offer is.
    - Each offer is the best word by, in this order: not drawn yet in this
      game (`used`, normalized); not offered yet in this game (`offered`);
      of the wanted difficulty (else the nearest); not offered in the room's
      recent games, else offered in the oldest of them (`recent`: normalized
      word → the number of the game it was last offered in); ties broken at
      random. So words repeat only when the packs and difficulty hold too few.
    - A room with no words at all gets FALLBACK_WORDS.
    """
    custom = custom_pool(tuple(custom_words))
    pool = custom if custom_only and custom else bank.pack_words(packs)
    if not pool:
        pool = FALLBACK_LIST.words
    ranks = recent or {}
    picked: list[Word] = []
    taken: set[str] = set()
    if custom and not custom_only:
        first = _best(rng, custom, None, used, offered, ranks, taken)
        if first is not None and first.key not in used:
            picked.append(first)
            taken.add(first.key)
    for wanted in _wanted(rng, difficulty, n - len(picked)):
        word = _best(rng, pool, wanted, used, offered, ranks, taken)
        if word is None:
            break
        picked.append(word)
        taken.add(word.key)
    rng.shuffle(picked)
    return picked


def _wanted(rng: random.Random, difficulty: str, count: int) -> list[str | None]:
    if difficulty in DIFFICULTIES:
        return [difficulty] * count
    order = list(DIFFICULTIES)
    rng.shuffle(order)
    return [order[i % len(order)] for i in range(count)]


def _best(
    rng: random.Random,
    pool: Sequence[Word],
    wanted: str | None,
    used: Collection[str],
    offered: Collection[str],
    ranks: Mapping[str, int],
    taken: Collection[str],
) -> Word | None:
    best: list[Word] = []
    best_score: tuple[bool, bool, int, int] | None = None
    for w in pool:
        if w.key in taken:
            continue
        score = (w.key in used, w.key in offered, _distance(w.difficulty, wanted),
                 ranks.get(w.key, -1))
        if best_score is None or score < best_score:
            best_score, best = score, [w]
        elif score == best_score:
            best.append(w)
    return rng.choice(best) if best else None


def _distance(difficulty: str | None, wanted: str | None) -> int:
    if difficulty is None or wanted is None:
        return 0
    return abs(DIFFICULTIES.index(difficulty) - DIFFICULTIES.index(wanted))


def remember_offered(recent: dict[str, int], keys: Iterable[str], game: int) -> None:
    """Note `keys` as offered in game number `game`, keeping the newest MAX_RECENT_WORDS.

    `recent` is kept oldest first (a word offered again moves to the end), so
    the words dropped past the bound are the ones offered longest ago.
    """
    for key in keys:
        recent.pop(key, None)
        recent[key] = game
    for key in list(itertools.islice(recent, max(0, len(recent) - MAX_RECENT_WORDS))):
        del recent[key]


# ---------------------------------------------------------------- checking


def main(argv: Sequence[str] | None = None) -> int:
    """Check list files: print each one's counts per pack and difficulty, and its problems."""
    paths = [Path(p) for p in (sys.argv[1:] if argv is None else argv)] or sorted(
        WORDS_DIR.glob("*.txt"))
    failed = False
    for path in paths:
        with path.open(encoding="utf-8", errors="replace") as f:
            words, problems = parse_word_file(path.stem, f)
        print(f"{path}: {words.name} ({words.code}), {len(words)} words")
        for pack in words.summary()["packs"]:
            counts = "  ".join(f"{d} {c:4}" for d, c in pack["words"].items())
            print(f"  {pack['id']:<12} {counts}  {pack['name']}")
        for problem in problems:
            print(f"  {path}:{problem}")
        failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
