"""Hint schedule: how many letters, when, and how a hint looks."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from drawgame.game.hints import (
    hint_count,
    hint_times,
    letter_positions,
    pick_hint_positions,
    render_hint,
)


def test_times_evenly_spaced() -> None:
    assert hint_times("elephant", 2, 100.0, 90) == [130.0, 160.0]
    assert hint_times("elephant", 3, 0.0, 80) == [20.0, 40.0, 60.0]


def test_no_hints_for_three_letters_or_fewer() -> None:
    assert hint_count("cat", 5) == 0
    assert hint_times("a b-c", 5, 0.0, 80) == []  # spaces and hyphens are not letters
    assert hint_count("fish", 5) == 2


def test_never_more_than_half_the_letters() -> None:
    assert hint_count("fish", 5) == 2
    assert hint_count("mouse", 5) == 2  # floor(5 / 2)
    assert hint_count("ice cream", 5) == 4  # 8 letters
    assert hint_count("elephant", 0) == 0
    assert hint_count("elephant", 3) == 3


def test_render_hint_shows_spaces_hyphens_and_revealed() -> None:
    assert render_hint("ice-cream cone", []) == "___-_____ ____"
    assert render_hint("ice-cream cone", [0, 10]) == "i__-_____ c___"


def test_positions_are_letters_distinct_and_seeded() -> None:
    word = "ice-cream cone"
    a = pick_hint_positions(word, 5, random.Random(7))
    b = pick_hint_positions(word, 5, random.Random(7))
    assert a == b
    assert len(a) == len(set(a)) == 5
    assert all(word[i] not in " -" for i in a)


def test_a_letter_is_a_grapheme_cluster() -> None:
    assert render_hint("e\u0301te\u0301", []) == "___"  # é written with combining accents
    assert render_hint("e\u0301te\u0301", [0]) == "e\u0301__"
    assert render_hint("नमस्ते", []) == "___"  # न, म, स्ते
    assert render_hint("👨\u200d👩\u200d👧 party", [0]) == "👨\u200d👩\u200d👧 _____"
    assert hint_count("नमस्ते", 5) == 0  # three letters


def test_punctuation_is_shown_and_is_not_a_letter() -> None:
    assert render_hint("jack-o'-lantern", []) == "____-_'-_______"
    assert render_hint("Mr. Bean", []) == "__. ____"
    assert hint_count("a.b.c", 5) == 0


def test_greek_and_cyrillic_hints() -> None:
    assert render_hint("σκύλος", [2, 5]) == "__ύ__ς"
    assert render_hint("морской ёж", [8]) == "_______ ё_"


@given(word=st.text(min_size=1, max_size=32), seed=st.integers(0, 2**32))
def test_any_word_hints_without_error(word: str, seed: int) -> None:
    positions = pick_hint_positions(word, 5, random.Random(seed))
    assert len(set(positions)) == len(positions) == hint_count(word, 5)
    assert render_hint(word, range(len(word) + 1)) == word
    shown_underscores = word.count("_")  # `_` is punctuation: shown as it is
    assert render_hint(word, []).count("_") == len(letter_positions(word)) + shown_underscores
