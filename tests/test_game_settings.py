"""Settings: ranges, defaults, types and custom words."""

from __future__ import annotations

import json

import pytest

from drawgame.game.errors import InvalidSettings
from drawgame.game.settings import INT_LIMITS, SETTINGS_LIMITS, Settings

LANGS = ("en", "de", "fr", "es")


def test_defaults_match_protocol() -> None:
    s = Settings.from_dict({}, languages=LANGS)
    assert s.to_dict() == {
        "max_players": 8, "rounds": 3, "draw_time_s": 80, "choose_time_s": 15,
        "word_choices": 3, "hints": 2, "language": "en", "custom_words": [],
        "custom_only": False, "difficulty": "mixed", "packs": [], "relaxed": False,
        "chat_filter": "mask", "mode": "classic", "write_time_s": 40, "steps": None,
        "first_page": "write",
    }


@pytest.mark.parametrize(
    ("field", "lo", "hi"),
    [("max_players", 2, 16), ("rounds", 1, 10), ("draw_time_s", 30, 240),
     ("choose_time_s", 5, 30), ("word_choices", 1, 5), ("hints", 0, 5)],
)
def test_int_ranges_inclusive(field: str, lo: int, hi: int) -> None:
    assert getattr(Settings.from_dict({field: lo}, languages=LANGS), field) == lo
    assert getattr(Settings.from_dict({field: hi}, languages=LANGS), field) == hi
    for bad in (lo - 1, hi + 1):
        with pytest.raises(InvalidSettings) as e:
            Settings.from_dict({field: bad}, languages=LANGS)
        assert e.value.field == field
        assert e.value.message.startswith(f"{field} must be {lo}..{hi}")


@pytest.mark.parametrize("bad", [True, False, 3.0, "3", None, [3]])
def test_int_fields_refuse_other_types(bad: object) -> None:
    with pytest.raises(InvalidSettings) as e:
        Settings.from_dict({"rounds": bad}, languages=LANGS)
    assert e.value.field == "rounds"
    assert e.value.code == "invalid_settings"


def test_unknown_field_refused() -> None:
    with pytest.raises(InvalidSettings) as e:
        Settings.from_dict({"colour": "red"}, languages=LANGS)
    assert e.value.field == "colour"


def test_language_must_be_known() -> None:
    assert Settings.from_dict({"language": "de"}, languages=LANGS).language == "de"
    with pytest.raises(InvalidSettings) as e:
        Settings.from_dict({"language": "xx"}, languages=LANGS)
    assert e.value.field == "language"


def test_applies_over_base() -> None:
    base = Settings.from_dict({"rounds": 5}, languages=LANGS)
    s = Settings.from_dict({"hints": 0}, base=base, languages=LANGS)
    assert (s.rounds, s.hints) == (5, 0)


def test_custom_words_trimmed_nfc_deduped_keeping_first() -> None:
    raw = ["  Cafe\u0301 ", "café", "CAFÉ", "ice   cream", "Dog"]
    s = Settings.from_dict({"custom_words": raw}, languages=LANGS)
    assert s.custom_words == ("Café", "ice cream", "Dog")
    assert s.to_dict()["custom_words"] == ["Café", "ice cream", "Dog"]


@pytest.mark.parametrize("bad", [["   "], ["x" * 33], [3], "cat,dog", ["a\u0000b"]])
def test_custom_words_refused(bad: object) -> None:
    with pytest.raises(InvalidSettings) as e:
        Settings.from_dict({"custom_words": bad}, languages=LANGS)
    assert e.value.field == "custom_words"


def test_custom_words_count_cap() -> None:
    ok = [f"w{i}" for i in range(1000)]
    assert len(Settings.from_dict({"custom_words": ok}, languages=LANGS).custom_words) == 1000
    with pytest.raises(InvalidSettings):
        Settings.from_dict({"custom_words": [*ok, "more"]}, languages=LANGS)


def test_custom_only_needs_ten_words() -> None:
    nine = [f"word{i}" for i in range(9)]
    with pytest.raises(InvalidSettings) as e:
        Settings.from_dict({"custom_only": True, "custom_words": nine}, languages=LANGS)
    assert e.value.field == "custom_words"
    s = Settings.from_dict(
        {"custom_only": True, "custom_words": [*nine, "word9"]}, languages=LANGS
    )
    assert s.custom_only
    with pytest.raises(InvalidSettings):
        Settings.from_dict({"custom_only": 1}, languages=LANGS)


def test_limits_table_is_json_and_matches() -> None:
    data = json.loads(json.dumps(SETTINGS_LIMITS))
    for name, (lo, hi, default) in INT_LIMITS.items():
        assert data[name] == {"min": lo, "max": hi, "default": default}
    assert data["language"]["default"] == "en"


# ---------------------------------------------------------------- difficulty and packs


@pytest.mark.parametrize("level", ["mixed", "easy", "medium", "hard"])
def test_difficulty_levels(level: str) -> None:
    assert Settings.from_dict({"difficulty": level}, languages=LANGS).difficulty == level


@pytest.mark.parametrize("bad", ["Easy", "impossible", "", 1, None, ["easy"]])
def test_bad_difficulty_refused(bad: object) -> None:
    with pytest.raises(InvalidSettings) as e:
        Settings.from_dict({"difficulty": bad}, languages=LANGS)
    assert e.value.field == "difficulty"
    assert "mixed, easy, medium, hard" in e.value.message


def packs_of(code: str) -> tuple[str, ...]:
    return {"en": ("animals", "food", "sports"), "de": ("animals", "food")}.get(code, ())


def test_packs_are_checked_against_the_language() -> None:
    s = Settings.from_dict({"packs": ["food", "animals", "food"]}, languages=LANGS,
                           packs_for=packs_of)
    assert s.packs == ("food", "animals")
    assert s.to_dict()["packs"] == ["food", "animals"]
    with pytest.raises(InvalidSettings) as e:
        Settings.from_dict({"packs": ["sports"], "language": "de"}, languages=LANGS,
                           packs_for=packs_of)
    assert e.value.field == "packs"
    assert e.value.message == "no pack 'sports' in language 'de'; its packs: animals, food"


def test_changing_only_the_language_drops_packs_it_lacks() -> None:
    base = Settings.from_dict({"packs": ["sports", "food"]}, languages=LANGS, packs_for=packs_of)
    moved = Settings.from_dict({"language": "de"}, base=base, languages=LANGS, packs_for=packs_of)
    assert moved.packs == ("food",)
    gone = Settings.from_dict({"language": "fr"}, base=base, languages=LANGS, packs_for=packs_of)
    assert gone.packs == ()  # none left: every pack


@pytest.mark.parametrize("bad", ["animals", [1], ["Animals"], ["a b"], [""], ["x" * 33],
                                 [f"p{i}" for i in range(33)]])
def test_bad_packs_refused(bad: object) -> None:
    with pytest.raises(InvalidSettings) as e:
        Settings.from_dict({"packs": bad}, languages=LANGS)
    assert e.value.field == "packs"


def test_packs_without_a_lookup_are_checked_for_shape_only() -> None:
    # snapshots are loaded so; the languages' packs are checked when the host changes them
    assert Settings.from_dict({"packs": ["whatever"]}, languages=LANGS).packs == ("whatever",)
