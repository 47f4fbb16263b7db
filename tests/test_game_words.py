"""Word list files, the word bank, imported word files and the words offered to the drawer."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest

from drawgame.game.errors import InvalidSettings
from drawgame.game.matching import normalize
from drawgame.game.settings import clean_custom_words
from drawgame.game.words import (
    DIFFICULTIES,
    FALLBACK_WORDS,
    MAX_RECENT_WORDS,
    MAX_REFUSED_REPORTED,
    WordBank,
    WordList,
    clean_entry,
    make_word,
    parse_import,
    parse_word_file,
    pick_choices,
    remember_offered,
)
from drawgame.game.words import main as check_files

SAMPLE = """\
# a comment
@language Testish
@pack animals Beasts
@pack food Food

[animals easy]
cat
  dog
Cat
[animals hard]
platypus
[food medium]
ice  cream
café
cafe
[food extreme]
skipped
[nature easy]
tree
"""


def test_parse_word_file_reads_packs_difficulties_and_reports_bad_lines() -> None:
    words, problems = parse_word_file("xx", SAMPLE.splitlines())
    assert words.name == "Testish"
    assert [(w.text, w.pack, w.difficulty) for w in words.words] == [
        ("cat", "animals", "easy"), ("dog", "animals", "easy"),
        ("platypus", "animals", "hard"), ("ice cream", "food", "medium"),
        ("café", "food", "medium"), ("tree", "nature", "easy"),
    ]
    assert words.packs == {"animals": "Beasts", "food": "Food", "nature": "nature"}
    assert [(p.line, p.message) for p in problems] == [
        (9, "the same word as line 7"),
        (15, "the same word as line 14"),
        (16, "difficulty must be one of easy, medium, hard"),
        (18, "pack 'nature' has no @pack line; named 'nature'"),
    ]


def test_parse_word_file_other_problems() -> None:
    lines = ["@colour blue", "[animals]", "x" * 33, "[animals easy]", "x" * 33, "!!!",
             "ok\u200bword", "fine"]
    words, problems = parse_word_file("xx", lines)
    assert words.texts() == ("fine",)
    assert [p.message for p in problems] == [
        "not a known directive (@language NAME, @pack ID NAME)",
        "a section is [PACK DIFFICULTY]",
        "pack 'animals' has no @pack line; named 'animals'",
        "longer than 32 characters",
        "holds no letter or digit",
        "holds control or invisible characters",
    ]


def test_a_plain_list_still_loads_as_medium_words_of_one_pack() -> None:
    words, problems = parse_word_file("xx", ["apple", "house", "apple"])
    assert [(w.text, w.pack, w.difficulty) for w in words.words] == [
        ("apple", "other", "medium"), ("house", "other", "medium")]
    assert len(problems) == 1
    assert words.summary()["packs"] == [
        {"id": "other", "name": "Other", "words": {"easy": 0, "medium": 2, "hard": 0}}]


def test_word_bank_reads_directory(tmp_path: Path) -> None:
    (tmp_path / "en.txt").write_text("[animals easy]\ncat\ndog\n# no\ncat\n", encoding="utf-8")
    (tmp_path / "de.txt").write_text("@pack food Essen\n[food hard]\nHund\n", encoding="utf-8")
    (tmp_path / "xx.txt").write_text("one\n", encoding="utf-8")
    bank = WordBank(tmp_path)
    assert [(lang["code"], lang["name"], lang["words"]) for lang in bank.languages()] == [
        ("en", "English", 2), ("de", "Deutsch", 1), ("xx", "xx", 1)]
    assert bank.languages()[1]["packs"] == [
        {"id": "food", "name": "Essen", "words": {"easy": 0, "medium": 0, "hard": 1}}]
    assert bank.words("en").texts() == ("cat", "dog")
    assert bank.words("fr").texts() == ()
    assert bank.pack_ids("en") == ("animals",)
    assert [p.line for p in bank.problems["en"]] == [1, 5]  # the missing @pack, the duplicate


def test_word_bank_missing_directory(tmp_path: Path) -> None:
    assert WordBank(tmp_path / "nope").languages() == []


def test_the_checker_prints_counts_and_fails_on_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "en.txt"
    good.write_text("@pack animals Animals\n[animals easy]\ncat\n", encoding="utf-8")
    assert check_files([str(good)]) == 0
    assert "animals      easy    1  medium    0  hard    0  Animals" in capsys.readouterr().out
    bad = tmp_path / "xx.txt"
    bad.write_text("cat\ncat\n", encoding="utf-8")
    assert check_files([str(good), str(bad)]) == 1
    assert "xx.txt:line 2: the same word as line 1: 'cat'" in capsys.readouterr().out


# ---------------------------------------------------------------- imported word files


def test_import_takes_lines_and_commas_and_reports_the_rest() -> None:
    text = "\ufeffapple\n  Banana , cherry;date\tfig\n\n# comment\n\"ice cream\"\n" \
           "APPLE\n" + "x" * 40 + "\n!!!\nbad\u0007word\nca\ufffdfe\n"
    report = parse_import(text, 1000)
    assert report["words"] == ["apple", "Banana", "cherry", "date", "fig", "ice cream"]
    assert report["max_words"] == 1000
    assert report["refused_total"] == 5
    assert [(r["line"], r["code"]) for r in report["refused"]] == [
        (6, "duplicate"), (7, "too_long"), (8, "no_letter"), (9, "bad_character"),
        (10, "unreadable")]
    assert report["refused"][0] == {"line": 6, "text": "APPLE", "code": "duplicate",
                                    "message": "the same word as line 1"}
    assert report["refused"][1]["message"] == "longer than 32 characters"


def test_import_duplicates_are_compared_like_guesses() -> None:
    report = parse_import("Café\ncafe\nice-cream\nice cream\nStraße\nstrasse", 1000)
    assert report["words"] == ["Café", "ice-cream", "Straße"]
    assert [r["text"] for r in report["refused"]] == ["cafe", "ice cream", "strasse"]


def test_import_stops_at_the_word_limit() -> None:
    text = "\n".join(f"word{i}" for i in range(1, 13)) + "\nword1"
    report = parse_import(text, 10)
    assert report["words"] == [f"word{i}" for i in range(1, 11)]
    assert [(r["line"], r["code"]) for r in report["refused"]] == [
        (11, "too_many"), (12, "too_many"), (13, "duplicate")]
    assert report["refused"][0]["message"] == "over the limit of 10 words"


def test_import_report_lists_a_bounded_number_of_refusals() -> None:
    report = parse_import("\n".join(["!"] * (MAX_REFUSED_REPORTED + 50)), 1000)
    assert report["words"] == []
    assert len(report["refused"]) == MAX_REFUSED_REPORTED
    assert report["refused_total"] == MAX_REFUSED_REPORTED + 50


def test_import_of_an_empty_file() -> None:
    assert parse_import("", 1000) == {"words": [], "refused": [], "refused_total": 0,
                                      "max_words": 1000}


# ---------------------------------------------------------------- choosing


def tagged(n_per_level: int, packs: tuple[str, ...] = ("animals", "food")) -> WordList:
    words = [make_word(f"{pack}-{level}-{i}", pack, level)
             for pack in packs for level in DIFFICULTIES for i in range(n_per_level)]
    return WordList("xx", "Test", {p: p for p in packs}, words)


BANK = tagged(10)


def test_mixed_offers_one_word_of_each_difficulty() -> None:
    for seed in range(30):
        picks = pick_choices(random.Random(seed), BANK, n=3)
        assert sorted(w.difficulty or "" for w in picks) == ["easy", "hard", "medium"]
        assert all(w.text.split("-")[1] == w.difficulty for w in picks)


def test_mixed_with_fewer_or_more_offers_spreads_the_difficulties() -> None:
    for seed in range(20):
        two = pick_choices(random.Random(seed), BANK, n=2)
        assert len({w.difficulty for w in two}) == 2
        five = Counter(w.difficulty for w in pick_choices(random.Random(seed), BANK, n=5))
        assert sorted(five.values()) == [1, 2, 2]


@pytest.mark.parametrize("level", DIFFICULTIES)
def test_a_difficulty_offers_only_that_level(level: str) -> None:
    for seed in range(10):
        picks = pick_choices(random.Random(seed), BANK, difficulty=level, n=5)
        assert {w.difficulty for w in picks} == {level}


def test_packs_restrict_the_offers() -> None:
    for seed in range(10):
        picks = pick_choices(random.Random(seed), BANK, packs=("food",), n=5)
        assert {w.pack for w in picks} == {"food"}


def test_packs_the_list_lacks_mean_every_pack() -> None:
    picks = pick_choices(random.Random(1), BANK, packs=("sports",), n=5)
    assert len(picks) == 5


def test_a_level_with_too_few_words_falls_back_to_the_nearest() -> None:
    words = [make_word("e1", "p", "easy"), make_word("m1", "p", "medium"),
             make_word("m2", "p", "medium"), make_word("h1", "p", "hard")]
    bank = WordList("xx", "x", {"p": "p"}, words)
    picks = pick_choices(random.Random(3), bank, difficulty="easy", n=3)
    assert sorted(w.text for w in picks) == ["e1", "m1", "m2"]


def test_no_word_offered_twice_while_others_remain() -> None:
    rng = random.Random(5)
    offered: set[str] = set()
    for _ in range(20):  # 60 words, 3 per turn: 20 turns without a repeat
        picks = pick_choices(rng, BANK, offered=offered, n=3)
        keys = {w.key for w in picks}
        assert not keys & offered
        offered |= keys
    assert len(offered) == 60


def test_drawn_words_come_back_last() -> None:
    used = {w.key for w in BANK.words[:-1]}
    offered = {w.key for w in BANK.words}
    picks = pick_choices(random.Random(2), BANK, difficulty="hard", used=used,
                         offered=offered, n=1)
    assert [w.text for w in picks] == [BANK.words[-1].text]


def test_recent_words_are_avoided_oldest_game_first() -> None:
    hard = [w.key for w in BANK.words if w.difficulty == "hard"]
    recent = {key: 1 for key in hard[:-1]}
    for seed in range(10):  # the one hard word not offered lately
        pick = pick_choices(random.Random(seed), BANK, difficulty="hard", recent=recent, n=1)
        assert pick[0].key == hard[-1]
    recent = {key: 1 + i % 3 for i, key in enumerate(hard)}  # offered in games 1, 2, 3
    picks = {pick_choices(random.Random(seed), BANK, difficulty="hard", recent=recent, n=1)[0].key
             for seed in range(30)}
    assert picks == {key for key, game in recent.items() if game == 1}  # at random among them


def test_remember_offered_moves_words_to_the_end_and_is_bounded() -> None:
    recent = {"a": 1, "b": 1, "c": 1}
    remember_offered(recent, ["b", "d"], 2)
    assert list(recent.items()) == [("a", 1), ("c", 1), ("b", 2), ("d", 2)]
    remember_offered(recent, (f"w{i}" for i in range(MAX_RECENT_WORDS)), 3)
    assert len(recent) == MAX_RECENT_WORDS
    assert next(iter(recent)) == "w0"


def test_one_offer_is_a_custom_word_without_difficulty() -> None:
    custom = ("Zebra crossing", "Grandma's cake")
    for seed in range(20):
        picks = pick_choices(random.Random(seed), BANK, custom_words=custom, n=3)
        texts = [w.text for w in picks]
        assert len(set(texts)) == 3
        customs = [w for w in picks if w.text in custom]
        assert len(customs) == 1 and customs[0].difficulty is None
        assert len({w.difficulty for w in picks if w.difficulty}) == 2


def test_custom_slot_ends_when_every_custom_word_was_drawn() -> None:
    custom = ("Zebra crossing",)
    picks = pick_choices(random.Random(1), BANK, custom_words=custom,
                         used={normalize("Zebra crossing")}, n=3)
    assert "Zebra crossing" not in [w.text for w in picks]


def test_custom_only() -> None:
    custom = tuple(f"custom{i}" for i in range(10))
    picks = pick_choices(random.Random(3), BANK, custom_words=custom, custom_only=True,
                         difficulty="hard", n=5)
    assert {w.text for w in picks} <= set(custom)
    assert {w.difficulty for w in picks} == {None}


def test_choices_dedupe_across_lists_and_normalization() -> None:
    bank = WordList.of(["Café", "cafe"])
    picks = pick_choices(random.Random(4), bank, custom_words=("CAFE",), n=3)
    assert len(picks) == 1


def test_choices_never_empty() -> None:
    picks = pick_choices(random.Random(5), WordList.of([]), n=3)
    assert {w.text for w in picks} <= set(FALLBACK_WORDS) and len(picks) == 3


def test_choices_deterministic_with_seed() -> None:
    a = pick_choices(random.Random(9), BANK, custom_words=("x1", "x2"), n=3)
    b = pick_choices(random.Random(9), BANK, custom_words=("x1", "x2"), n=3)
    assert a == b


@pytest.mark.parametrize("word", ["\u3164", "\u3164\u3164\u3164", "cat\u3164", "\u115fdog",
                                  "ca\u034ft", "sun\ufe0f"])
def test_words_with_characters_that_show_nothing_are_refused(word: str) -> None:
    # A Hangul filler counts as a letter, yet a word of it cannot be drawn or read.
    assert clean_entry(word)[1] == "bad_character"
    with pytest.raises(InvalidSettings, match="invisible"):
        clean_custom_words([word])


def test_a_zero_width_non_joiner_between_letters_is_persian_spelling() -> None:
    assert clean_entry("لاک\u200cپشت") == ("لاک\u200cپشت", None)
    assert clean_custom_words(["می\u200cخورم"]) == ("می\u200cخورم",)
    for word in ("\u200cپشت", "لاک\u200c", "لاک \u200cپشت", "a\u200c1"):
        assert clean_entry(word)[1] == "bad_character", word
