"""Hint schedule: which letters of the word are revealed, and when."""

from __future__ import annotations

import random
from collections.abc import Collection

HIDDEN = "_"
SHOWN = frozenset(" -")
"""Characters shown as they are in a hint (and never counted as letters)."""

MIN_HINT_LETTERS = 4
"""Words with fewer letters than this get no hints at all."""


def letter_positions(word: str) -> list[int]:
    """Indexes of the characters of `word` a hint hides (all but spaces and hyphens)."""
    return [i for i, ch in enumerate(word) if ch not in SHOWN]


def hint_count(word: str, hints: int) -> int:
    """How many letters may be revealed: at most `hints`, at most half the letters."""
    letters = len(letter_positions(word))
    if letters < MIN_HINT_LETTERS:
        return 0
    return max(0, min(hints, letters // 2))


def hint_times(word: str, hints: int, start: float, draw_time_s: float) -> list[float]:
    """When each hint is revealed: evenly spaced, at draw_time × k / (n + 1), k = 1..n."""
    n = hint_count(word, hints)
    return [start + draw_time_s * k / (n + 1) for k in range(1, n + 1)]


def pick_hint_positions(word: str, hints: int, rng: random.Random) -> list[int]:
    """The positions to reveal, in reveal order, chosen with the room's rng."""
    return rng.sample(letter_positions(word), hint_count(word, hints))


def render_hint(word: str, revealed: Collection[int]) -> str:
    """The word with each hidden letter as `_`; spaces, hyphens and `revealed` shown."""
    return "".join(
        ch if ch in SHOWN or i in revealed else HIDDEN for i, ch in enumerate(word)
    )
