"""Scoring values exactly as PROTOCOL.md."""

from __future__ import annotations

from drawgame.game.scoring import drawer_points, guesser_points


def test_guesser_points_scale_with_time_left() -> None:
    assert guesser_points(80_000, 80_000, first=False) == 500
    assert guesser_points(40_000, 80_000, first=False) == 250
    assert guesser_points(60_000, 80_000, first=True) == 375 + 50
    assert guesser_points(1_000, 80_000, first=False) == 50  # floor of 50
    assert guesser_points(0, 80_000, first=True) == 100


def test_guesser_points_use_python_round() -> None:
    # 500 * 100 / 80000 = 0.625 → max(50, 1); 500 * 12_100 / 80_000 = 75.625 → 76
    assert guesser_points(12_100, 80_000, first=False) == 76
    # 500 * 7_000 / 80_000 = 43.75 → floor applies
    assert guesser_points(7_000, 80_000, first=False) == 50
    # Python's round: halves go to the even neighbour (250.5 → 250, 251.5 → 252)
    assert guesser_points(40_080, 80_000, first=False) == 250
    assert guesser_points(40_240, 80_000, first=False) == 252


def test_guesser_points_clamp_time_left() -> None:
    assert guesser_points(99_000, 80_000, first=False) == 500
    assert guesser_points(-5_000, 80_000, first=False) == 50


def test_drawer_points_mean_counting_misses_as_zero() -> None:
    assert drawer_points([500, 300], 2) == 400
    assert drawer_points([500, 300], 3) == 266  # 800 // 3
    assert drawer_points([], 3) == 0
    assert drawer_points([], 0) == 0
