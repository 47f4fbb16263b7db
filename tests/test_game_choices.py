"""Word selection in the rules: difficulty, packs, labels, no repeats in and across games."""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_game_rules import Game, cg, msgs

from drawgame.game.persist import dump_state, load_state
from drawgame.game.words import WordBank, WordList, make_word

BANK = WordBank()


def game(names: tuple[str, ...] = ("Ada", "Bob"), bank: Any = BANK.words, **settings: Any) -> Game:
    g = Game(names, **settings)
    g.room.words_for = bank
    return g


def offers(g: Game) -> list[dict[str, Any]]:
    return msgs(g.log, "choices")


def play_game(g: Game) -> list[str]:
    """Play a whole game, each drawer taking the first word; the words offered, in order."""
    before = len(offers(g))
    g.start()
    while g.phase != "results":
        if g.phase == "choosing":
            g.choose(0)
        else:
            g.at(g.room.deadline or g.now)
    g.run_until_phase("lobby")
    return [w for m in offers(g)[before:] for w in m["words"]]


def test_choices_are_labelled_with_their_difficulty() -> None:
    g = game(language="de")
    g.start()
    choice = offers(g)[-1]
    words = BANK.words("de")
    assert len(choice["words"]) == len(choice["difficulties"]) == 3
    for word, level in zip(choice["words"], choice["difficulties"], strict=True):
        found = words.find(word)
        assert found is not None and found.difficulty == level
    assert sorted(choice["difficulties"]) == ["easy", "hard", "medium"]


@pytest.mark.parametrize("level", ["easy", "medium", "hard"])
def test_the_difficulty_setting_changes_what_is_offered(level: str) -> None:
    g = game(rounds=2, word_choices=5)
    g.cmd("p_ada", type="settings", difficulty=level)
    offered = play_game(g)
    assert len(offered) == 4 * 5
    assert {BANK.words("en").find(w).difficulty for w in offered} == {level}  # type: ignore[union-attr]


def test_the_packs_setting_changes_what_is_offered() -> None:
    g = game(rounds=3)
    g.cmd("p_ada", type="settings", packs=["sports", "jobs"])
    assert g.room.settings.packs == ("sports", "jobs")
    offered = play_game(g)
    assert {BANK.words("en").find(w).pack for w in offered} == {"sports", "jobs"}  # type: ignore[union-attr]


def test_packs_must_exist_in_the_language() -> None:
    g = game()
    error = g.refused("p_ada", "invalid_settings", type="settings", packs=["dragons"])
    assert error.field == "packs"
    assert "no pack 'dragons' in language 'en'" in error.message


def test_a_custom_word_is_offered_without_a_difficulty() -> None:
    g = game(custom_words=("our garden gnome",))
    g.start()
    choice = offers(g)[-1]
    i = choice["words"].index("our garden gnome")
    assert choice["difficulties"][i] is None
    assert sorted(d for d in choice["difficulties"] if d) != ["easy", "hard", "medium"]


def test_no_word_is_offered_twice_in_a_game() -> None:
    g = game(("Ada", "Bob", "Cy", "Di"), rounds=3, word_choices=5)
    g.cmd("p_ada", type="settings", packs=["vehicles"])  # 80 words or so
    offered = play_game(g)
    assert len(offered) == 4 * 3 * 5
    assert len(set(offered)) == len(offered)


SMALL = WordList("xx", "Small", {"p": "p"},
                 (make_word(f"word{i:02}", "p", "medium") for i in range(24)))


def small_game() -> Game:
    return game(bank=lambda code: SMALL, rounds=2, difficulty="medium")


def test_words_of_the_last_games_are_avoided_while_others_remain() -> None:
    g = small_game()
    first = play_game(g)  # 2 players x 2 rounds x 3 offers = 12 of the 24 words
    second = play_game(g)
    assert len(set(first)) == len(set(second)) == 12
    assert not set(first) & set(second)
    third = play_game(g)  # every word is recent now: the older ones come back first
    assert set(third) == set(first)


def test_recent_words_survive_a_restart() -> None:
    g = small_game()
    first = play_game(g)
    data = json.loads(json.dumps(dump_state(g.room, g.now)))
    assert data["recent_words"] == [[w.lower(), 1] for w in first]
    assert data["games_started"] == 1
    g.room = load_state(data, 500.0, words_for=lambda code: SMALL, new_id=lambda: "g2")
    g.now = 500.0
    for pid in list(g.room.players):
        g.resume(pid)
    second = play_game(g)
    assert not set(first) & set(second)


def test_the_drawer_resuming_while_choosing_gets_the_same_labelled_choices() -> None:
    g = game(language="fr")
    g.start()
    offered = offers(g)[-1]
    drawer = cg(g.room).drawer_id
    assert drawer is not None
    data = json.loads(json.dumps(dump_state(g.room, g.now)))
    g.room = load_state(data, 50.0, words_for=BANK.words, new_id=lambda: "g2",
                        languages=BANK.codes())
    g.now = 50.0
    again = msgs(g.resume(drawer), "choices")[0]
    assert (again["words"], again["difficulties"]) == (offered["words"], offered["difficulties"])


def test_an_older_snapshot_without_difficulties_looks_them_up() -> None:
    g = game(language="it")
    g.start()
    offered = offers(g)[-1]
    data = json.loads(json.dumps(dump_state(g.room, g.now)))
    for key in ("choice_difficulties", "offered_words"):
        del data["game"][key]
    del data["recent_words"]
    room = load_state(data, 0.0, words_for=BANK.words, new_id=lambda: "g2",
                      languages=BANK.codes())
    assert cg(room).choice_difficulties == offered["difficulties"]
    assert room.recent_words == {} and cg(room).offered_words == set()
