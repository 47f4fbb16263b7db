"""Games in every shipped language, in a real Room task with fake players (autojump clock)."""

from __future__ import annotations

import pytest
import trio
from trio.testing import MockClock

from drawgame.game.hints import hint_count, letter_positions
from drawgame.game.modes import classic
from drawgame.game.words import LANGUAGE_NAMES
from tests.players import WORDS, FakePlayer, drawer_of, join_all, running_room
from tests.test_words_shipped import plain_keyboard, upper


def check_choices(code: str, drawer: FakePlayer) -> dict[str, str]:
    """The drawer's offers are words of the language, labelled with their difficulty."""
    choices = drawer.last("choices")
    words = WORDS.words(code)
    labelled: dict[str, str] = {}
    for word, level in zip(choices["words"], choices["difficulties"], strict=True):
        found = words.find(word)
        assert found is not None and found.text == word, f"{word!r} is not in {code}.txt"
        assert found.difficulty == level
        labelled[level] = word
    assert sorted(labelled) == ["easy", "hard", "medium"]
    return labelled


@pytest.mark.parametrize("code", list(LANGUAGE_NAMES))
async def test_a_game_in_each_language(code: str, autojump_clock: MockClock) -> None:
    async with running_room(rounds=1, draw_time_s=60, hints=2, language=code) as h:
        ada, bob = await join_all(h, "Ada", "Bob")
        await ada.send({"type": "start"})
        for typing in (upper, plain_keyboard):
            drawer = drawer_of([ada, bob])
            guesser = bob if drawer is ada else ada
            offered = check_choices(code, drawer)
            index = drawer.last("choices")["words"].index(offered["hard"])
            await drawer.send({"type": "choose", "index": index})
            word = drawer.last("word")["word"]
            assert word == offered["hard"]
            if hint_count(word, 2):
                await trio.sleep(60 / (hint_count(word, 2) + 1) + 0.1)
                hint = guesser.last("hint")["hint"]
                assert hint.count("_") == len(letter_positions(word)) - 1
            await guesser.send({"type": "chat", "text": typing(code, word)})
            assert guesser.last("correct")["player_id"] == guesser.id
            assert guesser.last("word")["word"] == word
            assert not [m for m in drawer.of("chat") if m["from"] == guesser.id]
            await trio.sleep(classic.REVEAL_S + 0.1)
        assert ada.last("phase")["phase"] == "results"


async def test_the_host_narrows_the_words_between_games(autojump_clock: MockClock) -> None:
    async with running_room(rounds=1, draw_time_s=30, language="sv") as h:
        ada, bob = await join_all(h, "Ada", "Bob")
        await ada.send({"type": "settings", "difficulty": "easy", "packs": ["animals"]})
        assert bob.last("settings")["settings"]["packs"] == ["animals"]
        await ada.send({"type": "start"})
        seen: list[str] = []
        for _ in range(2):
            drawer = drawer_of([ada, bob])
            choices = drawer.last("choices")
            assert choices["difficulties"] == ["easy"] * 3
            for word in choices["words"]:
                found = WORDS.words("sv").find(word)
                assert found is not None and found.pack == "animals"
            seen += choices["words"]
            await trio.sleep(30 + 15 + classic.REVEAL_S + 1)  # nobody draws: time up
        assert len(set(seen)) == 6
        await trio.sleep(classic.RESULTS_S + 1)
        await ada.send({"type": "settings", "packs": ["dragons"]})
        assert ada.last("error")["code"] == "invalid_settings"
        assert "dragons" in ada.last("error")["message"]
