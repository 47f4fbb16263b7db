"""Guess matching: what counts as the word, as close to it, or as giving it away."""

from __future__ import annotations

import re
import unicodedata

_DROPPED = re.compile(r"[\s\-‐‑‒–—_]+")
_TOKEN_SPLIT = re.compile(r"[^\w]+|_")

MIN_CLOSE_LETTERS = 4
"""Words shorter than this (normalized) never get a `close` hint."""


def normalize(text: str) -> str:
    """Fold `text` for comparison: no accents, no case, no spaces or hyphens.

    NFKD splits accented letters into base + combining mark, the marks are
    dropped, then case is folded, so "Café", "CAFE" and "ca-fe" compare equal.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _DROPPED.sub("", stripped.casefold())


def _strip_punctuation(text: str) -> str:
    """Drop punctuation around a guess ("elephant!?" → "elephant")."""
    start, end = 0, len(text)
    while start < end and unicodedata.category(text[start]).startswith("P"):
        start += 1
    while end > start and unicodedata.category(text[end - 1]).startswith("P"):
        end -= 1
    return text[start:end]


def _guess_forms(guess: str) -> set[str]:
    return {normalize(guess), normalize(_strip_punctuation(guess.strip()))}


def is_correct(guess: str, word: str) -> bool:
    """True when `guess` is the word, up to case, accents, spaces and hyphens.

    Punctuation around the guess is ignored too ("Elephant!" is right), so
    excitement never turns a right answer into a chat line that shows the word.
    """
    target = normalize(word)
    return bool(target) and target in _guess_forms(guess)


def is_close(guess: str, word: str) -> bool:
    """True when `guess` is one edit from the word (4+ letters) but not the word.

    One edit is an insertion, deletion, substitution or swap of neighbours,
    measured on the normalized forms.
    """
    target = normalize(word)
    forms = _guess_forms(guess)
    if len(target) < MIN_CLOSE_LETTERS or target in forms:
        return False
    return any(_one_edit(attempt, target) for attempt in forms)


def _one_edit(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = next((k for k in range(len(short)) if short[k] != long[k]), len(short))
    return short[i:] == long[i + 1 :]


def contains_word(text: str, word: str) -> bool:
    """True when `text` would give the word away (the drawer's and spectators' ban).

    For words of 4+ normalized characters the normalized word anywhere inside
    the normalized text counts, which also catches "c a-t"-style spacing. Short
    words only count as whole tokens (or the whole text run together), so that
    a word like "ox" does not ban every sentence containing "box".
    """
    target = normalize(word)
    if not target:
        return False
    folded = normalize(text)
    if len(target) >= MIN_CLOSE_LETTERS:
        return target in folded
    if folded == target:
        return True
    tokens = [normalize(t) for t in _TOKEN_SPLIT.split(_strip_marks(text))]
    return target in tokens or _spelled_out(text, target)


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _spelled_out(text: str, target: str) -> bool:
    # "c a t" / "c-a-t": runs of single characters separated by spaces or hyphens
    runs = re.findall(r"\b(?:\w[\s\-]+)+\w\b", _strip_marks(text))
    return any(
        normalize(run) == target and all(len(p) == 1 for p in re.split(r"[\s\-]+", run))
        for run in runs
    )
