"""Room state dumped and loaded again on a new clock (games survive a restart)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_game_rules import WORDS, Game, msgs

from drawgame.game import rules
from drawgame.game.persist import dump_state, load_state
from drawgame.game.rules import snapshot
from drawgame.game.words import WordList


def reload(g: Game, new_now: float) -> Game:
    data = json.loads(json.dumps(dump_state(g.room, g.now)))
    g.room = load_state(data, new_now, words_for=lambda code: WordList.of(WORDS),
                        new_id=lambda: "g_new")
    g.now = new_now
    return g


def comparable(snap: dict[str, Any]) -> dict[str, Any]:
    return {**snap, "players": [{**p, "connected": None} for p in snap["players"]]}


def test_mid_turn_round_trip_keeps_everything() -> None:
    g = Game(hints=2, draw_time_s=90)
    g.start()
    word = g.choose()
    g.cmd("p_ada", type="draw", ops=[{"op": "line", "id": 1, "c": "#ff0000", "w": 3,
                                       "p": [1, 2, 3, 4]}])
    g.at(31)  # one hint revealed
    g.guess("p_bob")
    g.cmd("p_bob", type="chat", text="easy")
    before = {v: snapshot(g.room, g.now, v) for v in ("p_ada", "p_bob", "p_cy")}
    reload(g, 5000.0)
    for pid in ("p_ada", "p_bob", "p_cy"):
        assert not g.room.players[pid].connected
        g.resume(pid)
    after = {v: snapshot(g.room, g.now, v) for v in ("p_ada", "p_bob", "p_cy")}
    assert {k: comparable(v) for k, v in after.items()} == {
        k: comparable(v) for k, v in before.items()
    }
    assert after["p_cy"]["ends_in_ms"] == 59_000 and after["p_bob"]["word"] == word
    g.at(5000 + 28.9)
    assert not msgs(g.log, "hint")[1:]  # the second hint is still to come...
    g.at(5000 + 29)
    assert len(msgs(g.log, "hint")) == 2  # ...and comes on the new clock
    effects = g.guess("p_cy")
    assert msgs(effects, "turn_end")[0]["reason"] == "all_guessed"
    g.run_until_phase("results")
    assert msgs(g.log, "game_over")[0]["game_id"] == "game1"


def test_seats_held_from_load_and_kicks_remembered() -> None:
    g = Game(names=("Ada", "Bob", "Cy", "Dee"))
    g.cmd("p_ada", type="kick", player_id="p_dee")
    reload(g, 100.0)
    with pytest.raises(rules.GameError) as e:
        rules.resume(g.room, g.now, "hash_p_dee")
    assert e.value.code == "forbidden"
    g.at(100 + g.room.seat_grace_s - 1)
    assert len(g.room.players) == 3
    g.at(100 + g.room.seat_grace_s)
    assert not g.room.players


@pytest.mark.parametrize(
    "bad", [None, [], {"v": 99}, {"v": 1}, {"v": 1, "phase": "dancing"}, "text"]
)
def test_unreadable_state_is_a_value_error(bad: Any) -> None:
    with pytest.raises(ValueError):
        load_state(bad, 0.0, words_for=lambda code: WordList.of(WORDS), new_id=lambda: "g")


def test_truncated_state_is_a_value_error() -> None:
    g = Game()
    data = dump_state(g.room, 0.0)
    del data["players"]
    with pytest.raises(ValueError):
        load_state(data, 0.0, words_for=lambda code: WordList.of(WORDS), new_id=lambda: "g")
