"""Word lists and the words offered to the drawer."""

from __future__ import annotations

import random
from pathlib import Path

from drawgame.game.matching import normalize
from drawgame.game.words import FALLBACK_WORDS, WordBank, parse_word_list, pick_choices


def test_parse_word_list_trims_skips_and_dedupes() -> None:
    lines = ["# comment", "", "  apple  ", "Apple", "ice  cream", "café", "cafe", "\n"]
    assert parse_word_list(lines) == ("apple", "ice cream", "café")


def test_word_bank_reads_directory(tmp_path: Path) -> None:
    (tmp_path / "en.txt").write_text("cat\ndog\n# no\ncat\n", encoding="utf-8")
    (tmp_path / "de.txt").write_text("Hund\n", encoding="utf-8")
    (tmp_path / "xx.txt").write_text("one\n", encoding="utf-8")
    bank = WordBank(tmp_path)
    assert bank.languages() == [
        {"code": "en", "name": "English", "words": 2},
        {"code": "de", "name": "Deutsch", "words": 1},
        {"code": "xx", "name": "xx", "words": 1},
    ]
    assert bank.words("en") == ("cat", "dog")
    assert bank.words("fr") == ()


def test_word_bank_missing_directory(tmp_path: Path) -> None:
    assert WordBank(tmp_path / "nope").languages() == []


def test_shipped_lists_when_present() -> None:
    bank = WordBank()
    sizes = {lang["code"]: lang["words"] for lang in bank.languages()}
    if sizes:  # the lists ship with the package
        assert sizes.get("en", 0) >= 600


BANK = tuple(f"word{i}" for i in range(50))


def test_choices_distinct_and_unused() -> None:
    rng = random.Random(1)
    used = {normalize(w) for w in BANK[:45]}
    picks = pick_choices(rng, BANK, (), False, used, 3)
    assert len(picks) == len(set(picks)) == 3
    assert all(normalize(p) not in used for p in picks)


def test_choices_reuse_when_everything_used() -> None:
    used = {normalize(w) for w in BANK}
    picks = pick_choices(random.Random(2), BANK, (), False, used, 5)
    assert len(set(picks)) == 5


def test_choices_at_least_one_custom_word() -> None:
    custom = ("Zebra crossing",)
    for seed in range(20):
        picks = pick_choices(random.Random(seed), BANK, custom, False, set(), 3)
        assert "Zebra crossing" in picks
        assert len(picks) == 3


def test_choices_custom_only() -> None:
    custom = tuple(f"custom{i}" for i in range(10))
    picks = pick_choices(random.Random(3), BANK, custom, True, set(), 5)
    assert set(picks) <= set(custom)


def test_choices_dedupe_across_lists_and_normalization() -> None:
    picks = pick_choices(random.Random(4), ("Café", "cafe"), ("CAFE",), False, set(), 3)
    assert len(picks) == 1


def test_choices_never_empty() -> None:
    assert set(pick_choices(random.Random(5), (), (), False, set(), 3)) <= set(FALLBACK_WORDS)


def test_choices_deterministic_with_seed() -> None:
    a = pick_choices(random.Random(9), BANK, ("x1", "x2"), False, set(), 3)
    b = pick_choices(random.Random(9), BANK, ("x1", "x2"), False, set(), 3)
    assert a == b
