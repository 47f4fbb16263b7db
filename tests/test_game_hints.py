"""Hint schedule: how many letters, when, and how a hint looks."""

from __future__ import annotations

import random

from drawgame.game.hints import hint_count, hint_times, pick_hint_positions, render_hint


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
