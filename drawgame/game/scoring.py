"""Scoring exactly as PROTOCOL.md: fast guessers score more, the drawer gets their mean."""

from __future__ import annotations

from collections.abc import Sequence

MAX_GUESS_POINTS = 500
MIN_GUESS_POINTS = 50
FIRST_GUESS_BONUS = 50


def guesser_points(time_left_ms: int, draw_time_ms: int, first: bool) -> int:
    """Points for a correct guess: max(50, round(500 × left / total)) + 50 if first.

    `time_left_ms` is clamped into 0..draw_time_ms so a late or early clock
    reading can never give more than the maximum or less than the minimum.
    """
    total = max(1, draw_time_ms)
    left = min(max(0, time_left_ms), total)
    points = max(MIN_GUESS_POINTS, round(MAX_GUESS_POINTS * left / total))
    return points + (FIRST_GUESS_BONUS if first else 0)


def drawer_points(points: Sequence[int], eligible: int) -> int:
    """The drawer's points: integer mean of the eligible guessers' turn points.

    `points` holds the points of those who guessed; the guessers who missed
    are only counted in `eligible` (as zeros). No eligible guesser: 0.
    """
    if eligible <= 0:
        return 0
    return sum(points) // eligible
