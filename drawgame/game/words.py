"""Word lists (`drawgame/words/<code>.txt`) and the choice of words offered to a drawer."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from drawgame.game.matching import normalize

LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "de": "Deutsch",
    "fr": "Français",
    "es": "Español",
}
"""Display names of the shipped languages, in the order the API lists them."""

WORDS_DIR = Path(__file__).resolve().parent.parent / "words"
"""The shipped word lists: one `<code>.txt` per language."""

FALLBACK_WORDS: tuple[str, ...] = (
    "house", "tree", "cat", "sun", "car", "fish", "apple", "boat", "flower", "moon",
)
"""Offered only when a room has no words at all (a missing list), so a game never stalls."""


def parse_word_list(lines: Iterable[str]) -> tuple[str, ...]:
    """Words from a list file's lines: trimmed, NFC, no blanks or `#` comments, deduped.

    Duplicates are judged like guesses (ignoring case and accents), keeping the first.
    """
    seen: set[str] = set()
    words: list[str] = []
    for line in lines:
        word = " ".join(unicodedata.normalize("NFC", line).split())
        key = normalize(word)
        if not word or word.startswith("#") or not key or key in seen:
            continue
        seen.add(key)
        words.append(word)
    return tuple(words)


class WordBank:
    """Every language's word list, read once at start-up from `<directory>/<code>.txt`."""

    def __init__(self, directory: Path | str | None = None) -> None:
        self.directory = Path(directory) if directory is not None else WORDS_DIR
        self._lists: dict[str, tuple[str, ...]] = {}
        if self.directory.is_dir():
            for path in sorted(self.directory.glob("*.txt")):
                with path.open(encoding="utf-8") as f:
                    self._lists[path.stem] = parse_word_list(f)

    def codes(self) -> list[str]:
        """Language codes with a list, the shipped ones first in LANGUAGE_NAMES order."""
        known = [code for code in LANGUAGE_NAMES if code in self._lists]
        return known + sorted(code for code in self._lists if code not in LANGUAGE_NAMES)

    def languages(self) -> list[dict[str, Any]]:
        """`[{"code", "name", "words"}]` for GET /api/languages and the settings form."""
        return [
            {"code": c, "name": LANGUAGE_NAMES.get(c, c), "words": len(self._lists[c])}
            for c in self.codes()
        ]

    def words(self, code: str) -> tuple[str, ...]:
        """The word list of `code` (empty for an unknown code)."""
        return self._lists.get(code, ())


def pick_choices(
    rng: random.Random,
    bank_words: Sequence[str],
    custom_words: Sequence[str],
    custom_only: bool,
    used: set[str],
    n: int,
) -> list[str]:
    """`n` distinct words for the drawer to choose from, none used yet in this game.

    `used` holds normalized words. With `custom_only` only custom words are
    offered. Otherwise, when the room has custom words, the first offered word
    is a custom one (while unused ones remain), so a host's words really come
    up, and the other offers are drawn evenly from the language list and the
    custom words together. When too few unused words remain, used ones are
    offered again rather than failing; a room with no words at all gets
    FALLBACK_WORDS.
    """
    pool = list(custom_words) if custom_only else [*bank_words, *custom_words]
    if not pool:
        pool = list(FALLBACK_WORDS)
    picked: list[str] = []
    taken: set[str] = set()
    if custom_words and not custom_only:
        _take(rng, custom_words, 1, used, taken, picked)
    _take(rng, pool, n - len(picked), used, taken, picked)
    _take(rng, pool, n - len(picked), set(), taken, picked)
    rng.shuffle(picked)
    return picked


def _take(
    rng: random.Random,
    pool: Sequence[str],
    count: int,
    used: set[str],
    taken: set[str],
    picked: list[str],
) -> None:
    if count <= 0:
        return
    fresh = [w for w in pool if normalize(w) not in used]
    for word in rng.sample(fresh, len(fresh)):
        key = normalize(word)
        if key in taken:
            continue
        taken.add(key)
        picked.append(word)
        count -= 1
        if count == 0:
            return
