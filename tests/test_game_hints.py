"""Hint schedule: how many letters, when, and how a hint looks."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from drawgame.game.hints import (
    HIDDEN,
    clusters,
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


def test_arabic_letters_are_revealed_with_their_marks_and_as_written() -> None:
    word = "قِطَّة"  # cat, with kasra, shadda and fatha
    assert clusters(word) == ["قِ", "طَّ", "ة"]
    assert render_hint(word, []) == "___"
    assert render_hint(word, [1]) == "_طَّ_"  # the letter and every mark on it, or nothing
    assert render_hint("كـتاب", []) == "_ـ___"  # tatweel is not a letter: shown, not counted
    assert hint_count("كـتاب", 5) == 2


def test_a_revealed_arabic_letter_never_shows_a_joining_form() -> None:
    # The hint holds the word's own letters (never presentation forms, which
    # would tell how a letter joins its hidden neighbours) and `_`, which joins
    # to nothing, so the browser draws each revealed letter on its own.
    word = "برتقالة"
    for i in letter_positions(word):
        shown = render_hint(word, [i])
        assert clusters(shown)[i] == clusters(word)[i]
        assert all(c == HIDDEN for j, c in enumerate(clusters(shown)) if j != i)
        assert not any(0xFB50 <= ord(ch) <= 0xFDFF or 0xFE70 <= ord(ch) <= 0xFEFF for ch in shown)


def test_persian_zero_width_non_joiner_goes_with_its_letter() -> None:
    word = "می\u200cخورم"  # "I eat": the ZWNJ keeps ی from joining خ
    assert len(clusters(word)) == 6
    assert render_hint(word, []) == "______"
    assert render_hint(word, [1]) == "_ی\u200c____"
    assert len(letter_positions(word)) == 6


def test_hebrew_hints_keep_points_and_final_letters() -> None:
    assert render_hint("שָׁלוֹם", []) == "____"
    assert render_hint("שָׁלוֹם", [0, 3]) == "שָׁ__ם"
    assert render_hint("כדור־סל", []) == "____־__"  # maqaf is punctuation: shown
    assert render_hint("צ׳יפס", []) == "_׳___"  # geresh too


def test_ukrainian_apostrophe_is_shown_not_hidden() -> None:
    assert render_hint("м'яч", []) == "_'__"
    assert render_hint("мʼяч", []) == "_ʼ__"  # the modifier-letter apostrophe as well
    assert hint_count("мʼяч", 5) == 0  # three letters
    assert render_hint("ґудзик", [0]) == "ґ_____"
