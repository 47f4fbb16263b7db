"""Hint schedule: which letters of the word are revealed, and when.

A hint works on what a reader sees as one letter: an extended grapheme
cluster (Unicode UAX #29, through the `regex` module's `\\X`), so "é" written
as "e" plus a combining accent, a Devanagari conjunct or an emoji with its
modifiers is hidden and revealed whole, as one `_`. Spaces and punctuation
(hyphens, apostrophes, dots) are shown as they are and are not letters, and
so is what guessing ignores and a reader does not count as a letter: the
Arabic tatweel, the Ukrainian apostrophe `ʼ`, a lone format character.

Right-to-left words need nothing more: a cluster is an Arabic letter with its
harakat or a Hebrew letter with its points, revealed as written, and every
other position is `_`, which joins to nothing, so a revealed Arabic letter is
drawn in its isolated form whatever its neighbours are and never tells, by a
joining form, whether the hidden letters beside it join to it. Hebrew final
letters are revealed as written: they stand where the word ends, which the
hint shows anyway. The hint is one string in the word's logical order; the
client sets its direction from the word's language.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Collection

import regex

HIDDEN = "_"

MIN_HINT_LETTERS = 4
"""Words with fewer letters than this get no hints at all."""

_CLUSTER = regex.compile(r"\X")


def clusters(word: str) -> list[str]:
    """The word's user-perceived characters (extended grapheme clusters), in order."""
    return list(_CLUSTER.findall(word))


_NOT_LETTERS = regex.compile(r"[\p{Cf}\u0640\u02BC]+")


def is_letter(cluster: str) -> bool:
    """True for a cluster a hint hides: anything but white space, punctuation,
    tatweel, the modifier apostrophe and format characters."""
    category = unicodedata.category(cluster[0])
    return not (cluster.isspace() or category[0] in "PZ" or _NOT_LETTERS.fullmatch(cluster))


def letter_positions(word: str) -> list[int]:
    """Indexes (in `clusters(word)`) of the letters a hint hides."""
    return [i for i, c in enumerate(clusters(word)) if is_letter(c)]


def hint_count(word: str, hints: int) -> int:
    """How many letters may be revealed: at most `hints`, at most half the letters."""
    letters = len(letter_positions(word))
    if letters < MIN_HINT_LETTERS:
        return 0
    return max(0, min(hints, letters // 2))


def hint_times(
    word: str, hints: int, start: float, draw_time_s: float, *, sooner: bool = False
) -> list[float]:
    """When each hint is revealed: evenly spaced, at draw_time × k / (n + 1), k = 1..n.

    `sooner` (relaxed rooms) spreads them over the first half of the draw time
    instead, at draw_time × k / (2n + 2): two hints in 80 s come at 13 s and 27 s.
    """
    n = hint_count(word, hints)
    span = draw_time_s / 2 if sooner else draw_time_s
    return [start + span * k / (n + 1) for k in range(1, n + 1)]


def pick_hint_positions(word: str, hints: int, rng: random.Random) -> list[int]:
    """The letter positions to reveal, in reveal order, chosen with the room's rng."""
    return rng.sample(letter_positions(word), hint_count(word, hints))


def render_hint(word: str, revealed: Collection[int]) -> str:
    """The word with each hidden letter as `_`; spaces, punctuation and `revealed` shown."""
    return "".join(
        c if not is_letter(c) or i in revealed else HIDDEN for i, c in enumerate(clusters(word))
    )
