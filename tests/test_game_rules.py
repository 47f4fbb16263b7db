"""The room state machine, driven only through join/handle/tick with plain numbers for time."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drawgame.game import rules
from drawgame.game.effects import Close, Effect, Record, Send
from drawgame.game.errors import GameError
from drawgame.game.filter import FilterBank
from drawgame.game.modes.classic import ClassicGame
from drawgame.game.persist import dump_state, load_state
from drawgame.game.protocol import parse_client_frame
from drawgame.game.rules import (
    AWAY_S,
    HOST_AWAY_S,
    RESULTS_S,
    REVEAL_S,
    handle,
    next_deadline,
    snapshot,
    tick,
)
from drawgame.game.settings import Settings
from drawgame.game.words import WordList


def cg(room: Any) -> ClassicGame:
    """The room's classic game (an empty one outside a game)."""
    return room.game if isinstance(room.game, ClassicGame) else ClassicGame()


WORDS = ("elephant", "giraffe", "umbrella", "pineapple", "volcano", "lighthouse",
         "snowman", "rainbow", "butterfly", "dinosaur", "telescope", "sandcastle")


class Game:
    """A room with a clock and helpers to drive it like the room layer would."""

    def __init__(self, names: tuple[str, ...] = ("Ada", "Bob", "Cy"), **settings: Any) -> None:
        base = {"draw_time_s": 80, "choose_time_s": 15, "hints": 0, **settings}
        self.room = rules.new_room(
            "ROOM", "Test room", False, Settings(**base), random.Random(42),
            lambda code: WordList.of(WORDS), new_id=iter(f"game{i}" for i in range(1, 99)).__next__,
        )
        self.now = 0.0
        self.log: list[Effect] = []
        self.joins = 0
        for name in names:
            self.join(name)

    # -- driving

    def join(self, name: str, spectate: bool = False) -> str:
        pid = f"p_{name.lower()}"
        self.joins += 1
        token_hash = f"hash_{pid}" if self.joins <= 50 else f"hash_{pid}_{self.joins}"
        self.log += rules.join(self.room, self.now, pid, name, token_hash, spectate)
        return pid

    def cmd(self, pid: str, **frame: Any) -> list[Effect]:
        effects = handle(self.room, self.now, pid, parse_client_frame(json.dumps(frame)))
        self.log += effects
        return effects

    def refused(self, pid: str, code: str, **frame: Any) -> GameError:
        before = {v: snapshot(self.room, self.now, v) for v in (None, *self.room.players)}
        with pytest.raises(GameError) as e:
            self.cmd(pid, **frame)
        assert e.value.code == code, e.value.message
        after = {v: snapshot(self.room, self.now, v) for v in (None, *self.room.players)}
        assert after == before  # a refused command changes nothing
        return e.value

    def at(self, t: float) -> list[Effect]:
        self.now = t
        effects = tick(self.room, t)
        self.log += effects
        deadline = next_deadline(self.room)
        assert deadline is None or deadline > t  # tick did everything due
        return effects

    def wait(self, dt: float) -> list[Effect]:
        return self.at(self.now + dt)

    def run_until_phase(self, phase: str, limit: int = 200) -> None:
        for _ in range(limit):
            if self.phase == phase:
                return
            deadline = next_deadline(self.room)
            assert deadline is not None, f"stuck in {self.room.phase}"
            self.at(deadline)
        raise AssertionError(f"never reached {phase}")

    def start(self, host: str = "p_ada") -> list[Effect]:
        return self.cmd(host, type="start")

    def choose(self, index: int = 0) -> str:
        drawer = cg(self.room).drawer_id
        assert drawer is not None
        self.cmd(drawer, type="choose", index=index)
        assert cg(self.room).word is not None
        return cg(self.room).word

    def guess(self, pid: str, text: str | None = None) -> list[Effect]:
        return self.cmd(pid, type="chat", text=text if text is not None else cg(self.room).word)

    def disconnect(self, pid: str) -> list[Effect]:
        effects = rules.disconnect(self.room, self.now, pid)
        self.log += effects
        return effects

    def leave(self, pid: str) -> list[Effect]:
        effects = rules.leave(self.room, self.now, pid)
        self.log += effects
        return effects

    def resume(self, pid: str) -> list[Effect]:
        got, effects = rules.resume(self.room, self.now, self.room.players[pid].token_hash)
        assert got == pid
        self.log += effects
        return effects

    # -- reading

    @property
    def phase(self) -> str:
        return self.room.phase

    def score(self, pid: str) -> int:
        return self.room.players[pid].score


def msgs(effects: list[Effect], kind: str) -> list[dict[str, Any]]:
    return [e.msg for e in effects if isinstance(e, Send) and e.msg["type"] == kind]


def sends(effects: list[Effect], kind: str) -> list[Send]:
    return [e for e in effects if isinstance(e, Send) and e.msg["type"] == kind]


def records(effects: list[Effect], kind: str) -> list[dict[str, Any]]:
    return [e.data for e in effects if isinstance(e, Record) and e.kind == kind]


def drawers_in_order(g: Game, turns: int) -> list[str]:
    """Play `turns` turns by time alone, returning who drew each."""
    seen: list[str] = []
    for _ in range(turns):
        g.run_until_phase("choosing")
        assert cg(g.room).drawer_id is not None
        seen.append(cg(g.room).drawer_id)
        g.run_until_phase("reveal")
    return seen


# ---------------------------------------------------------------- joining


def test_first_player_is_host_and_join_broadcasts() -> None:
    g = Game(names=())
    effects = rules.join(g.room, 0, "p1", "Ada", "h1", False)
    assert g.room.host_id == "p1"
    assert msgs(effects, "players")[0]["players"][0]["host"] is True
    assert msgs(effects, "chat") == [
        {"type": "chat", "from": None, "name": None, "text": "Ada joined", "channel": "system"}
    ]
    assert records(effects, "player_joined") == [
        {"player_id": "p1", "name": "Ada", "spectator": False, "token_hash": "h1"}
    ]


def test_spectator_never_host() -> None:
    g = Game(names=())
    g.join("Watcher", spectate=True)
    assert g.room.host_id is None
    g.join("Ada")
    assert g.room.host_id == "p_ada"


def test_names_unique_ignoring_case() -> None:
    g = Game()
    with pytest.raises(GameError) as e:
        rules.join(g.room, 0, "p9", " ada ", "h9", False)
    assert e.value.code == "name_taken"
    with pytest.raises(GameError) as e:
        rules.join(g.room, 0, "p9", "ＡＤＡ", "h9", False)  # fullwidth ADA
    assert e.value.code == "name_taken"
    rules.join(g.room, 0, "p8", "Adá", "h8", False)  # a different name
    for twin in ("Ada\u200d", "A\u3164da", "Ada\u2800", "\u115fAda", "Ada\ufe0f", "Ａda\u200b"):
        with pytest.raises(GameError) as e:  # the same name with something invisible added
            rules.join(g.room, 0, "p9", twin, "h9", False)
        assert e.value.code in ("name_taken", "bad_name"), twin
        assert e.value.code == "name_taken" or "\u200b" in twin, twin
    rules.join(g.room, 0, "p7", "Ada B", "h7", False)
    with pytest.raises(GameError) as e:
        rules.join(g.room, 0, "p9", "ada\u3000 b", "h9", False)
    assert e.value.code == "name_taken"
    with pytest.raises(GameError) as e:
        rules.join(g.room, 0, "p9", "", "h9", False)
    assert e.value.code == "bad_name"


def test_room_full_counts_players_and_spectators_apart() -> None:
    g = Game(names=("A", "B"), max_players=2)
    with pytest.raises(GameError) as e:
        g.join("C")
    assert e.value.code == "room_full"
    for i in range(rules.MAX_SPECTATORS):
        g.join(f"S{i}", spectate=True)
    with pytest.raises(GameError) as e:
        g.join("S99", spectate=True)
    assert e.value.code == "room_full"


def test_commands_need_a_seat() -> None:
    g = Game()
    with pytest.raises(GameError) as e:
        handle(g.room, 0, "p_nobody", parse_client_frame('{"type": "start"}'))
    assert e.value.code == "not_joined"
    assert e.value.ref == "start"


# ---------------------------------------------------------------- settings and start


def test_settings_host_only_in_lobby_broadcast() -> None:
    g = Game()
    g.refused("p_bob", "not_host", type="settings", rounds=5)
    g.refused("p_ada", "invalid_settings", type="settings", rounds=11)
    g.refused("p_ada", "invalid_settings", type="settings", max_players=2)  # 3 seated
    effects = g.cmd("p_ada", type="settings", rounds=5, language="de")
    assert msgs(effects, "settings")[0]["settings"]["rounds"] == 5
    assert g.room.settings.language == "de"
    assert records(effects, "settings")[0]["settings"]["rounds"] == 5
    g.start()
    g.refused("p_ada", "wrong_phase", type="settings", rounds=4)


def test_start_needs_host_lobby_and_two_connected_players() -> None:
    g = Game(names=("Ada",))
    g.join("Watcher", spectate=True)
    g.refused("p_ada", "not_enough_players", type="start")
    g.join("Bob")
    g.disconnect("p_bob")
    g.refused("p_ada", "not_enough_players", type="start")
    g.resume("p_bob")
    g.refused("p_bob", "not_host", type="start")
    effects = g.start()
    assert g.phase == "choosing"
    assert records(effects, "game_started")[0]["game_id"] == "game1"
    assert [p["id"] for p in records(effects, "game_started")[0]["players"]] == [
        "p_ada", "p_bob"
    ]
    g.refused("p_ada", "wrong_phase", type="start")


def test_choosing_messages() -> None:
    g = Game()
    effects = g.start()
    phase = msgs(effects, "phase")[0]
    assert phase == {"type": "phase", "phase": "choosing", "round": 1, "rounds": 3,
                     "drawer_id": "p_ada", "ends_in_ms": 15000, "hint": None,
                     "mode": "classic", "step": None, "steps": None}
    (choices,) = sends(effects, "choices")
    assert choices.to == ("p_ada",)
    assert len(choices.msg["words"]) == 3 and choices.msg["ends_in_ms"] == 15000


def test_choose_rules_and_timeout_takes_first_word() -> None:
    g = Game()
    g.start()
    g.refused("p_bob", "not_your_turn", type="choose", index=0)
    g.refused("p_ada", "bad_message", type="choose", index=3)
    g.refused("p_ada", "wrong_phase", type="draw", ops=[{"op": "clear"}])
    first = cg(g.room).choices[0]
    g.at(14.9)
    assert g.phase == "choosing"
    effects = g.at(15.0)
    assert g.phase == "drawing" and cg(g.room).word == first
    word_sends = sends(effects, "word")
    assert [(s.to, s.msg["word"]) for s in word_sends] == [(("p_ada",), first)]
    assert records(effects, "turn_started")[0]["word"] == first
    g.refused("p_ada", "wrong_phase", type="choose", index=0)


# ---------------------------------------------------------------- drawing order


def test_every_player_draws_once_per_round_in_join_order() -> None:
    g = Game(rounds=2)
    g.start()
    assert drawers_in_order(g, 6) == ["p_ada", "p_bob", "p_cy"] * 2
    g.run_until_phase("results")


def test_mid_game_joiner_drawn_at_end_of_order() -> None:
    g = Game(rounds=2)
    g.start()
    g.join("Dee")
    assert cg(g.room).order == ["p_ada", "p_bob", "p_cy", "p_dee"]
    assert drawers_in_order(g, 8) == ["p_ada", "p_bob", "p_cy", "p_dee"] * 2


def test_leaver_removed_and_order_continues() -> None:
    g = Game(names=("Ada", "Bob", "Cy", "Dee"), rounds=2)
    g.start()
    assert drawers_in_order(g, 2) == ["p_ada", "p_bob"]
    g.leave("p_ada")  # before the current position
    g.leave("p_dee")  # after it
    assert drawers_in_order(g, 3) == ["p_cy", "p_bob", "p_cy"]


def test_current_drawer_leaving_passes_to_the_next() -> None:
    g = Game(names=("Ada", "Bob", "Cy", "Dee"))
    g.start()
    g.choose()
    effects = g.leave("p_ada")
    assert isinstance(effects[0], Close) and effects[0].code == 1000
    assert msgs(effects, "turn_end")[0]["reason"] == "drawer_left"
    g.run_until_phase("choosing")
    assert cg(g.room).drawer_id == "p_bob"


def test_disconnected_player_skipped_then_keeps_slot_after_resume() -> None:
    g = Game(names=("Ada", "Bob", "Cy"), rounds=2)
    g.start()
    g.disconnect("p_bob")
    assert drawers_in_order(g, 1) == ["p_ada"]
    g.run_until_phase("choosing")
    assert cg(g.room).drawer_id == "p_cy"  # Bob's slot this round is skipped
    g.resume("p_bob")  # within the seat grace
    assert drawers_in_order(g, 4) == ["p_cy", "p_ada", "p_bob", "p_cy"]


def test_resumed_player_keeps_score_and_seat() -> None:
    g = Game()
    g.start()
    g.choose()
    g.at(10)
    g.guess("p_bob")
    score = g.score("p_bob")
    assert score > 0
    g.disconnect("p_bob")
    g.at(60)
    effects = g.resume("p_bob")
    assert g.score("p_bob") == score and g.room.players["p_bob"].connected
    assert msgs(effects, "players")[0]["players"][1]["connected"] is True
    assert snapshot(g.room, g.now, "p_bob")["word"] == cg(g.room).word  # still guessed


def test_resuming_drawer_gets_choices_again() -> None:
    g = Game()
    g.start()
    g.disconnect("p_ada")
    g.at(5)
    effects = g.resume("p_ada")
    (choices,) = sends(effects, "choices")
    assert choices.to == ("p_ada",) and choices.msg["ends_in_ms"] == 10000


def test_seat_expires_after_grace() -> None:
    g = Game()
    g.disconnect("p_cy")
    g.at(119)
    assert "p_cy" in g.room.players
    effects = g.at(120)
    assert "p_cy" not in g.room.players
    assert records(effects, "player_left") == [{"player_id": "p_cy", "reason": "expired"}]
    with pytest.raises(GameError) as e:
        rules.resume(g.room, g.now, "hash_p_cy")
    assert e.value.code == "bad_token"


# ---------------------------------------------------------------- turn ends


def test_all_guessed_ends_turn_with_exact_points() -> None:
    g = Game()
    g.start()
    g.at(1)
    word = g.choose()  # drawing from t=1 to t=81
    g.at(21)
    bob = g.guess("p_bob")
    assert msgs(bob, "correct") == [{"type": "correct", "player_id": "p_bob", "points": 425}]
    assert g.phase == "drawing"
    g.at(61)
    effects = g.guess("p_cy")
    assert msgs(effects, "correct")[0]["points"] == 125
    (end,) = msgs(effects, "turn_end")
    assert end == {"type": "turn_end", "word": word, "reason": "all_guessed",
                   "points": {"p_bob": 425, "p_cy": 125, "p_ada": 275}}
    assert (g.score("p_ada"), g.score("p_bob"), g.score("p_cy")) == (275, 425, 125)
    assert g.phase == "reveal"
    assert msgs(effects, "phase")[-1]["hint"] == word
    ended = records(effects, "turn_ended")[0]
    assert ended["reason"] == "all_guessed" and ended["duration_ms"] == 60_000


def test_time_up_counts_misses_as_zero_for_drawer() -> None:
    g = Game()
    g.start()
    g.choose()
    g.at(40)
    g.guess("p_bob")  # 250 + 50
    effects = g.at(79.99)
    assert not msgs(effects, "turn_end")
    effects = g.at(80)
    (end,) = msgs(effects, "turn_end")
    assert end["reason"] == "time_up"
    assert end["points"] == {"p_bob": 300, "p_cy": 0, "p_ada": 150}


def test_drawer_disconnected_past_ten_seconds() -> None:
    g = Game()
    g.start()
    g.choose()
    g.at(5)
    g.disconnect("p_ada")
    assert not msgs(g.at(5 + AWAY_S - 0.1), "turn_end")
    effects = g.at(5 + AWAY_S)
    assert msgs(effects, "turn_end")[0]["reason"] == "drawer_left"
    assert g.phase == "reveal"


def test_drawer_back_within_ten_seconds_keeps_turn() -> None:
    g = Game()
    g.start()
    g.choose()
    g.disconnect("p_ada")
    g.at(9)
    g.resume("p_ada")
    g.at(30)
    assert g.phase == "drawing" and cg(g.room).drawer_id == "p_ada"


def test_drawer_gone_while_choosing_skips_to_next_turn() -> None:
    g = Game()
    g.start()
    effects = g.leave("p_ada")
    assert not msgs(effects, "turn_end")
    assert g.phase == "choosing" and cg(g.room).drawer_id == "p_bob"


def test_drawer_kicked_ends_turn() -> None:
    g = Game()
    g.cmd("p_ada", type="transfer_host", player_id="p_bob")
    g.start("p_bob")
    g.choose()
    effects = g.cmd("p_bob", type="kick", player_id="p_ada")
    assert Close("p_ada", 4001, "kicked") in effects
    assert msgs(effects, "turn_end")[0]["reason"] == "drawer_kicked"
    assert msgs(effects, "turn_end")[0]["points"]["p_ada"] == 0
    assert "p_ada" not in g.room.players


def test_game_ends_early_when_too_few_players() -> None:
    g = Game(names=("Ada", "Bob"))
    g.start()
    word = g.choose()
    g.at(10)
    effects = g.leave("p_bob")
    assert msgs(effects, "turn_end") == [
        {"type": "turn_end", "word": word, "reason": "time_up", "points": {"p_ada": 0}}
    ]
    (over,) = msgs(effects, "game_over")
    assert over["ranking"][0]["id"] == "p_ada"
    assert records(effects, "game_over")[0]["complete"] is False
    assert g.phase == "results"
    g.at(10 + RESULTS_S)
    assert g.phase == "lobby"


def test_game_ends_when_last_guesser_stays_away() -> None:
    g = Game(names=("Ada", "Bob"))
    g.start()
    g.choose()
    g.disconnect("p_bob")
    assert g.phase == "drawing"  # a short drop changes nothing
    effects = g.at(AWAY_S)
    assert msgs(effects, "game_over") and g.phase == "results"


# ---------------------------------------------------------------- chat and guessing


def test_close_guess_only_to_sender() -> None:
    g = Game()
    g.start()
    g.choose()
    word = cg(g.room).word
    assert word is not None
    close_text = word[:-1]
    effects = g.guess("p_bob", close_text)
    assert [(s.to, s.msg) for s in effects if isinstance(s, Send)] == [
        (("p_bob",), {"type": "close", "text": close_text})
    ]
    assert all(e.msg.get("text") != close_text for e in g.room.chat)


def test_correct_guess_never_shown_as_text() -> None:
    g = Game()
    g.start()
    word = g.choose()
    effects = g.guess("p_bob", word.upper())
    assert not msgs(effects, "chat")
    (w,) = sends(effects, "word")
    assert w.to == ("p_bob",) and w.msg["word"] == word
    assert "p_bob" in cg(g.room).guessed


def test_wrong_guess_is_chat_for_all() -> None:
    g = Game()
    g.start()
    g.choose()
    effects = g.guess("p_bob", "a potato")
    assert [(s.to, s.msg) for s in sends(effects, "chat")] == [
        (None, {"type": "chat", "from": "p_bob", "name": "Bob", "text": "a potato",
                "channel": "all"})
    ]


def test_guessed_channel_recipients() -> None:
    g = Game(names=("Ada", "Bob", "Cy", "Dee"))
    g.join("Watcher", spectate=True)
    g.start()
    g.choose()
    g.guess("p_bob")
    (line,) = sends(g.cmd("p_bob", type="chat", text="nice drawing"), "chat")
    assert line.msg["channel"] == "guessed"
    assert line.to == ("p_ada", "p_bob")
    (line,) = sends(g.cmd("p_ada", type="chat", text="thanks"), "chat")
    assert line.to == ("p_ada", "p_bob")
    snap_cy = snapshot(g.room, g.now, "p_cy")
    assert not [c for c in snap_cy["chat"] if c["channel"] == "guessed"]
    assert len([c for c in snapshot(g.room, g.now, "p_bob")["chat"]
                if c["channel"] == "guessed"]) == 2


def test_drawer_cannot_send_the_word() -> None:
    g = Game()
    g.start()
    choices = list(cg(g.room).choices)
    g.refused("p_ada", "word_in_chat", type="chat", text=f"pick {choices[1]}?")
    word = g.choose()
    g.refused("p_ada", "word_in_chat", type="chat", text=f"it is a {word.upper()}!")
    g.refused("p_ada", "word_in_chat", type="chat", text=" ".join(word))
    assert msgs(g.cmd("p_ada", type="chat", text="almost there"), "chat")[0]["channel"] == (
        "guessed"
    )


def test_spectators_cannot_guess_and_are_never_refused_for_the_word() -> None:
    g = Game()
    g.join("Watcher", spectate=True)
    g.start()
    word = g.choose()
    effects = g.cmd("p_watcher", type="chat", text=word)
    assert [(s.to, s.msg["type"]) for s in effects if isinstance(s, Send)] == [
        (("p_watcher",), "chat")
    ]
    assert not msgs(effects, "correct") and "p_watcher" not in cg(g.room).guessed
    effects = g.cmd("p_watcher", type="chat", text="go go go")
    assert sends(effects, "chat")[0].to is None
    g.refused("p_watcher", "forbidden", type="react", value="like")
    g.refused("p_watcher", "forbidden", type="vote_kick", player_id="p_bob")


def received(g: Game, effects: list[Effect], pid: str) -> list[dict[str, Any]]:
    """What `pid` gets from `effects`, as the room layer would deliver it."""
    connected = set(g.room.connected_ids())
    return [e.msg for e in effects if isinstance(e, Send)
            and pid in connected and (e.to is None or pid in e.to)]


def one_line(g: Game, pid: str, text: str) -> dict[str, list[dict[str, Any]]]:
    """Each seat's messages caused by `pid` sending `text`, the chat history left unchanged."""
    chat = list(g.room.chat)
    try:
        effects = g.cmd(pid, type="chat", text=text)
    except GameError as e:
        return {pid: [{"type": "error", "code": e.code}]}
    finally:
        g.room.chat.clear()
        g.room.chat.extend(chat)
    return {seat: received(g, effects, seat) for seat in g.room.players}


@pytest.mark.parametrize("sender", ["p_watcher", "p_bob"])
def test_a_line_of_candidate_words_tells_no_seat_whether_the_word_is_among_them(
    sender: str
) -> None:
    """Only the whole line is compared with the word: a list of guesses is plain chat."""
    outcomes = []
    for word_index in (0, 1):
        g = Game()
        g.join("Watcher", spectate=True)
        g.start()
        word = g.choose(word_index)
        line = " ".join(WORDS)  # every word of the list, the drawer's among them
        assert word in line
        seen = one_line(g, sender, line)
        assert all(m["type"] == "chat" and m["text"] == line for v in seen.values() for m in v)
        outcomes.append({seat: len(v) for seat, v in seen.items()})
        # the same line without the word looks exactly the same to everyone
        other = " ".join(w for w in WORDS if w != word)
        assert {seat: len(v) for seat, v in one_line(g, sender, other).items()} == outcomes[-1]
    assert outcomes[0] == outcomes[1] and all(n == 1 for n in outcomes[0].values())


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.sampled_from([*WORDS, "elephan", "elephantt", "giraff", "an elephant maybe",
                             "a giraffe?", "ELEPHANT!", "g i r a f f e", "volcano"]))
def test_what_a_line_tells_is_at_most_what_one_guess_tells(text: str) -> None:
    """A spectator's line tells the sender nothing; any line tells another seat no more
    than whether it was the word or one edit from it."""
    from drawgame.game.matching import is_close, is_correct

    for sender in ("p_watcher", "p_bob"):
        views = {}
        for word_index in (0, 1):
            g = Game()
            g.join("Watcher", spectate=True)
            g.start()
            word = g.choose(word_index)
            seen = one_line(g, sender, text)
            verdict = (is_correct(text, word), is_close(text, word))
            views[word_index] = (verdict, seen)
        (v0, seen0), (v1, seen1) = views[0], views[1]
        assert all(m["type"] != "error" for seen in (seen0, seen1) for v in seen.values()
                   for m in v)
        if sender == "p_watcher":  # the sender's own view never depends on the word
            assert seen0["p_watcher"] == seen1["p_watcher"]
        if v0 == v1 and not v0[0]:  # same verdict, no correct guess: nobody can tell apart
            assert {s: [m["type"] for m in v] for s, v in seen0.items()} == {
                s: [m["type"] for m in v] for s, v in seen1.items()}


def test_hints_sent_on_schedule_to_those_who_have_not_guessed() -> None:
    g = Game(hints=2, draw_time_s=90)
    g.join("Watcher", spectate=True)
    g.start()
    g.cmd("p_ada", type="choose", index=0)
    word = cg(g.room).word
    assert word is not None and len(word) >= 4
    g.at(10)
    g.guess("p_bob")
    assert not msgs(g.at(29.9), "hint")
    (hint,) = sends(g.at(30), "hint")
    assert hint.to == ("p_cy", "p_watcher")
    assert sum(ch != "_" for ch in hint.msg["hint"]) == 1
    (hint,) = sends(g.at(60), "hint")
    assert sum(ch != "_" for ch in hint.msg["hint"]) == 2
    assert snapshot(g.room, g.now, "p_cy")["hint"] == hint.msg["hint"]
    assert not msgs(g.at(89), "hint")


def test_reactions_once_per_turn_not_drawer() -> None:
    g = Game()
    g.refused("p_bob", "wrong_phase", type="react", value="like")
    g.start()
    g.choose()
    g.refused("p_ada", "forbidden", type="react", value="like")
    assert msgs(g.cmd("p_bob", type="react", value="like"), "reaction") == [
        {"type": "reaction", "likes": 1, "dislikes": 0}
    ]
    g.refused("p_bob", "already_reacted", type="react", value="dislike")
    assert msgs(g.cmd("p_cy", type="react", value="dislike"), "reaction")[0]["dislikes"] == 1
    g.run_until_phase("choosing")
    assert g.cmd("p_cy", type="chat", text="x") and cg(g.room).reactions == {}


# ---------------------------------------------------------------- drawing


def test_draw_relayed_to_others_and_kept_for_late_joiner() -> None:
    g = Game()
    g.join("Watcher", spectate=True)
    g.start()
    g.choose()
    g.refused("p_bob", "not_your_turn", type="draw", ops=[{"op": "clear"}])
    ops = [{"op": "line", "id": 1, "c": "#FF0000", "w": 5, "p": [1, 2, 3, 4]}]
    effects = g.cmd("p_ada", type="draw", ops=ops)
    (relay,) = sends(effects, "draw")
    assert relay.to == ("p_bob", "p_cy", "p_watcher")
    assert relay.msg["from"] == "p_ada" and relay.msg["ops"][0]["c"] == "#ff0000"
    assert records(effects, "ops")[0]["turn"] == 1
    g.cmd("p_ada", type="draw", ops=[{"op": "line", "id": 2, "c": "#000000", "w": 5,
                                       "p": [5, 5]}, {"op": "undo"}])
    pid = g.join("Late")
    snap = snapshot(g.room, g.now, pid)
    assert snap["ops"] == [relay.msg["ops"][0]]
    assert snap["word"] is None


def test_canvas_full_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from drawgame.game import ops as ops_mod

    monkeypatch.setattr(ops_mod, "MAX_TURN_OPS", 1)
    g = Game()
    g.start()
    g.choose()
    g.cmd("p_ada", type="draw", ops=[{"op": "clear"}])
    err = g.refused("p_ada", "canvas_full", type="draw", ops=[{"op": "clear"}])
    assert err.ref == "draw"


# ---------------------------------------------------------------- snapshot


def test_snapshot_shape_and_word_visibility() -> None:
    g = Game()
    g.join("Watcher", spectate=True)
    g.start()
    word = g.choose()
    g.guess("p_bob")
    snap = snapshot(g.room, g.now, "p_cy")
    assert set(snap) == {"code", "name", "game_id", "settings", "phase", "round", "rounds",
                         "host_id", "drawer_id", "ends_in_ms", "hint", "word", "players", "ops",
                         "chat", "tvs", "muted", "mode", "step", "steps", "task", "progress",
                         "album_page", "avatars"}
    assert set(snap["players"][0]) == {"id", "name", "score", "connected", "host", "drawer",
                                       "guessed", "done", "spectator", "avatar"}
    assert snap["word"] is None and snap["hint"] == "_" * len(word)
    assert snapshot(g.room, g.now, "p_ada")["word"] == word
    assert snapshot(g.room, g.now, "p_bob")["word"] == word
    assert snapshot(g.room, g.now, "p_watcher")["word"] is None
    assert snapshot(g.room, g.now, None)["word"] is None
    g.guess("p_cy")
    assert g.phase == "reveal"
    assert snapshot(g.room, g.now, "p_watcher")["word"] == word


def test_snapshot_chat_last_fifty_visible() -> None:
    g = Game()
    for i in range(70):
        g.cmd("p_bob", type="chat", text=f"line {i}")
    chat = snapshot(g.room, g.now, "p_cy")["chat"]
    assert len(chat) == 50 and chat[-1]["text"] == "line 69" and chat[0]["text"] == "line 20"


def test_snapshot_ends_in_ms_counts_down() -> None:
    g = Game()
    g.start()
    g.at(5)
    assert snapshot(g.room, g.now, "p_bob")["ends_in_ms"] == 10_000
    assert snapshot(g.room, g.now, "p_bob")["phase"] == "choosing"


# ---------------------------------------------------------------- host


def test_host_leaving_migrates_to_longest_present() -> None:
    g = Game()
    g.disconnect("p_bob")
    g.at(3)
    g.resume("p_bob")  # Bob's presence restarts at 3; Cy has been here since 0
    effects = g.leave("p_ada")
    assert g.room.host_id == "p_cy"
    assert msgs(effects, "notice") == [{"type": "notice", "text": "Cy is now the host"}]


def test_host_disconnected_past_thirty_seconds() -> None:
    g = Game()
    g.disconnect("p_ada")
    assert g.room.host_id == "p_ada"
    assert not msgs(g.at(HOST_AWAY_S - 0.5), "notice")
    effects = g.at(HOST_AWAY_S)
    assert g.room.host_id == "p_bob"
    assert msgs(effects, "notice")[0]["text"] == "Bob is now the host"
    assert msgs(effects, "players")[-1]["players"][1]["host"] is True


def test_lone_disconnected_host_keeps_role_without_spinning() -> None:
    g = Game(names=("Ada",))
    g.disconnect("p_ada")
    g.at(HOST_AWAY_S + 1)
    assert g.room.host_id == "p_ada"
    assert next_deadline(g.room) == 120.0  # only the seat expiry is left


def test_transfer_host() -> None:
    g = Game()
    g.join("Watcher", spectate=True)
    g.refused("p_bob", "not_host", type="transfer_host", player_id="p_cy")
    g.refused("p_ada", "forbidden", type="transfer_host", player_id="p_watcher")
    g.refused("p_ada", "unknown_player", type="transfer_host", player_id="p_zed")
    effects = g.cmd("p_ada", type="transfer_host", player_id="p_cy")
    assert g.room.host_id == "p_cy"
    assert msgs(effects, "notice")[0]["text"] == "Cy is now the host"


# ---------------------------------------------------------------- kicks


def test_kick_closes_bans_and_token_cannot_resume() -> None:
    g = Game()
    g.refused("p_bob", "not_host", type="kick", player_id="p_cy")
    g.refused("p_ada", "forbidden", type="kick", player_id="p_ada")
    effects = g.cmd("p_ada", type="kick", player_id="p_cy")
    assert effects[0] == Close("p_cy", 4001, "kicked")
    assert records(effects, "player_left") == [{"player_id": "p_cy", "reason": "kicked"}]
    assert msgs(effects, "chat")[0]["text"] == "Cy was kicked"
    with pytest.raises(GameError) as e:
        rules.resume(g.room, g.now, "hash_p_cy")
    assert e.value.code == "forbidden"


@pytest.mark.parametrize(("players", "needed"), [(3, 2), (4, 2), (5, 3), (6, 3), (7, 4)])
def test_vote_kick_thresholds(players: int, needed: int) -> None:
    names = tuple(f"P{i}" for i in range(players))
    g = Game(names=names)
    target = "p_p0"
    voters = [f"p_p{i}" for i in range(1, players)]
    for i, voter in enumerate(voters[:needed], start=1):
        effects = g.cmd(voter, type="vote_kick", player_id=target)
        assert msgs(effects, "kick_vote") == [
            {"type": "kick_vote", "target_id": target, "votes": i, "needed": needed}
        ]
        kicked = Close(target, 4001, "kicked") in effects
        assert kicked == (i == needed)
    assert target not in g.room.players
    assert "hash_p_p0" in g.room.banned


def test_two_players_cannot_vote_kick_each_other() -> None:
    g = Game(names=("Ada", "Bob"))
    effects = g.cmd("p_bob", type="vote_kick", player_id="p_ada")
    assert msgs(effects, "kick_vote")[0]["needed"] == 2
    assert "p_ada" in g.room.players
    g.refused("p_bob", "already_voted", type="vote_kick", player_id="p_ada")
    g.refused("p_bob", "forbidden", type="vote_kick", player_id="p_bob")


def test_disconnected_voters_do_not_count() -> None:
    g = Game(names=("A", "B", "C", "D", "E"))
    g.cmd("p_b", type="vote_kick", player_id="p_a")
    g.disconnect("p_b")
    effects = g.cmd("p_c", type="vote_kick", player_id="p_a")
    # 3 connected others (C, D, E): needed 2, but B's vote no longer counts
    assert msgs(effects, "kick_vote")[0] == {"type": "kick_vote", "target_id": "p_a",
                                              "votes": 1, "needed": 2}


# ---------------------------------------------------------------- whole games


def test_whole_game_by_handle_and_tick_ranks_players() -> None:
    g = Game(names=("Ada", "Bob", "Cy"), rounds=2, hints=2)
    g.join("Watcher", spectate=True)
    g.start()
    # guess delays per (drawer, guesser): who guesses how fast each turn
    delay = {"p_ada": {"p_bob": 8, "p_cy": 40}, "p_bob": {"p_ada": 20},
             "p_cy": {"p_ada": 4, "p_bob": 4}}
    expected = {"p_ada": 0, "p_bob": 0, "p_cy": 0}
    for _turn in range(6):
        g.run_until_phase("choosing")
        drawer = cg(g.room).drawer_id
        assert drawer is not None
        g.wait(2)
        g.choose(1)
        start = g.now
        guessers = sorted(delay[drawer].items(), key=lambda kv: kv[1])
        turn_points: dict[str, int] = {}
        for n, (pid, after) in enumerate(guessers):
            g.at(start + after)
            (correct,) = msgs(g.guess(pid), "correct")
            left = 80 - after
            turn_points[pid] = max(50, round(500 * left / 80)) + (50 if n == 0 else 0)
            assert correct["points"] == turn_points[pid]
        if g.phase == "drawing":
            g.run_until_phase("reveal")
        end = msgs(g.log, "turn_end")[-1]
        for pid, pts in turn_points.items():
            expected[pid] += pts
        expected[drawer] += sum(turn_points.values()) // 2
        assert end["points"][drawer] == sum(turn_points.values()) // 2
        assert end["reason"] == ("all_guessed" if len(turn_points) == 2 else "time_up")
    g.run_until_phase("results")
    (over,) = msgs(g.log, "game_over")
    assert over["game_id"] == "game1"
    by_score = sorted(expected.items(), key=lambda kv: -kv[1])
    assert [(r["id"], r["score"]) for r in over["ranking"]] == by_score
    assert [r["rank"] for r in over["ranking"]] == [1, 2, 3]
    assert {p: g.score(p) for p in expected} == expected
    ended = records(g.log, "turn_ended")
    assert len(ended) == 6 and {r["round"] for r in ended} == {1, 2}
    assert len(records(g.log, "game_over")) == 1
    g.at(g.now + RESULTS_S)
    assert g.phase == "lobby" and cg(g.room).drawer_id is None
    assert g.score("p_ada") == expected["p_ada"]  # scores stay until the next start
    g.start()
    assert g.score("p_ada") == 0 and g.room.game_id == "game2"


def test_ranking_ties_share_rank() -> None:
    g = Game(names=("Ada", "Bob", "Cy", "Dee"))
    for pid, score in (("p_ada", 300), ("p_bob", 500), ("p_cy", 300), ("p_dee", 100)):
        g.room.players[pid].score = score
    assert [(r["id"], r["rank"]) for r in rules.rank(g.room)] == [
        ("p_bob", 1), ("p_ada", 2), ("p_cy", 2), ("p_dee", 4)
    ]


def test_reveal_lasts_reveal_s() -> None:
    g = Game()
    g.start()
    g.choose()
    g.at(10)
    g.guess("p_bob")
    g.guess("p_cy")
    assert g.phase == "reveal" and next_deadline(g.room) == 10 + REVEAL_S
    g.at(10 + REVEAL_S)
    assert g.phase == "choosing" and cg(g.room).drawer_id == "p_bob"


def test_a_line_holding_the_word_is_not_a_guess_and_is_not_hidden() -> None:
    g = Game()
    g.start()
    word = g.choose()
    (line,) = sends(g.guess("p_bob", f"maybe {word} or a dog"), "chat")
    assert line.to is None  # hiding it would tell every other seat the word was in it
    assert "p_bob" not in cg(g.room).guessed
    assert msgs(g.guess("p_cy", f"{word}!"), "correct")  # punctuation around is fine


# ---------------------------------------------------------------- random play


def _frames(g: Game) -> list[dict[str, Any]]:
    ids = [*g.room.players, "p_ghost"]
    word = cg(g.room).word or "elephant"
    line = {"op": "line", "id": 1, "c": "#000000", "w": 3, "p": [1, 2, 3, 4]}
    frames: list[dict[str, Any]] = [
        {"type": "start"}, {"type": "choose", "index": 0}, {"type": "choose", "index": 4},
        {"type": "draw", "ops": [line]}, {"type": "draw", "ops": [{"op": "undo"}]},
        {"type": "chat", "text": word}, {"type": "chat", "text": word[:-1]},
        {"type": "chat", "text": "hello"}, {"type": "react", "value": "like"},
        {"type": "settings", "rounds": 1}, {"type": "settings", "max_players": 2},
        {"type": "leave"}, {"type": "ping", "t": 1},
    ]
    for pid in ids:
        frames += [{"type": t, "player_id": pid}
                   for t in ("kick", "vote_kick", "transfer_host", "mute")]
        frames.append({"type": "mute", "player_id": pid, "muted": False})
    return frames


def _check_invariants(g: Game, effects: list[Effect]) -> None:
    room = g.room
    for e in effects:
        if isinstance(e, Send):
            json.dumps(e.msg, allow_nan=False).encode("utf-8")
    assert room.host_id is None or not room.players[room.host_id].spectator
    assert all(pid in room.players and not room.players[pid].spectator for pid in cg(room).order)
    if room.phase in ("choosing", "drawing"):
        assert cg(room).drawer_id in room.players
    assert (room.deadline is None) == (room.phase == "lobby")
    assert (cg(room).word is not None) == (room.phase in ("drawing", "reveal"))
    for viewer in (None, *room.players):
        json.dumps(snapshot(room, g.now, viewer), allow_nan=False)


def _step(g: Game, data: Any, names: list[str]) -> list[Effect]:
    kind = data.draw(st.sampled_from(["play", "play", "play", "cmd", "cmd", "time", "join",
                                      "drop", "back"]))
    pids = list(g.room.players)
    if kind == "play":
        return _play(g, data)
    if kind == "time":
        return g.wait(data.draw(st.sampled_from([0.5, 3.0, 11.0, 31.0, 80.0, 130.0])))
    if kind == "join":
        name = names.pop() if names else "Extra"
        g.joins = max(g.joins, 50)  # later joiners get fresh token hashes
        try:
            g.join(name, spectate=data.draw(st.booleans()))
        except GameError:
            pass
        return []
    if not pids:
        return []
    pid = data.draw(st.sampled_from(pids))
    if kind == "drop":
        return g.disconnect(pid)
    if kind == "back":
        return g.resume(pid)
    try:
        return g.cmd(pid, **data.draw(st.sampled_from(_frames(g))))
    except GameError:
        return []


def _play(g: Game, data: Any) -> list[Effect]:
    """A move that moves the game on: start, choose, draw or guess right."""
    room = g.room
    actor = cg(room).drawer_id if room.phase != "lobby" else room.host_id
    frame: dict[str, Any] = {"type": "start"}
    if room.phase == "choosing":
        frame = {"type": "choose", "index": 1}
    elif room.phase == "drawing":
        guessers = [p for p in room.players if p != actor]
        if guessers and data.draw(st.booleans()):
            actor = data.draw(st.sampled_from(guessers))
            frame = {"type": "chat", "text": cg(room).word}
        else:
            frame = {"type": "draw", "ops": [{"op": "clear"}]}
    if actor is None:
        return []
    try:
        return g.cmd(actor, **frame)
    except GameError:
        return []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_play_keeps_invariants(data: Any) -> None:
    g = Game(names=("Ada", "Bob", "Cy"), rounds=1, draw_time_s=30, hints=2)
    names = ["Dee", "Eve", "Fay", "Gus", "Hal"]
    for _ in range(40):
        _check_invariants(g, _step(g, data, names))
        deadline = next_deadline(g.room)
        if deadline is not None and deadline <= g.now:  # an event made something due
            _check_invariants(g, g.at(g.now))


def test_refused_commands_leave_state_unchanged_during_a_turn() -> None:
    g = Game()
    g.start()
    g.choose()
    for pid in g.room.players:
        for frame in _frames(g):
            before = snapshot(g.room, g.now, pid)
            try:
                g.cmd(pid, **frame)
            except GameError:
                assert snapshot(g.room, g.now, pid) == before
            if g.phase != "drawing":
                return


# ---------------------------------------------------------------- custom words


CUSTOM = [f"secret{i}" for i in range(12)]


def test_custom_words_reach_only_the_host() -> None:
    g = Game()
    effects = g.cmd("p_ada", type="settings", custom_words=CUSTOM, custom_only=True)
    by_seat = {pid: [m["settings"] for m in received(g, effects, pid) if m["type"] == "settings"]
               for pid in g.room.players}
    assert by_seat["p_ada"] == [{**g.room.settings.to_dict(), "custom_words_count": 12}]
    for guest in ("p_bob", "p_cy"):
        (seen,) = by_seat[guest]
        assert "custom_words" not in seen and seen["custom_words_count"] == 12
        assert seen["custom_only"] is True
        assert not any(w in json.dumps(snapshot(g.room, g.now, guest)) for w in CUSTOM)
    assert snapshot(g.room, g.now, "p_ada")["settings"]["custom_words"] == CUSTOM
    assert records(effects, "settings")[0]["settings"]["custom_words"] == CUSTOM


def test_a_new_host_gets_the_custom_words() -> None:
    g = Game()
    g.cmd("p_ada", type="settings", custom_words=CUSTOM)
    effects = g.cmd("p_ada", type="transfer_host", player_id="p_bob")
    (seen,) = [m for m in received(g, effects, "p_bob") if m["type"] == "settings"]
    assert seen["settings"]["custom_words"] == CUSTOM
    assert not [m for m in received(g, effects, "p_cy") if m["type"] == "settings"]
    assert "custom_words" not in snapshot(g.room, g.now, "p_ada")["settings"]
    effects = g.leave("p_bob")  # the role passes on by itself too
    assert g.room.host_id in ("p_ada", "p_cy")
    (seen,) = [m for m in received(g, effects, g.room.host_id) if m["type"] == "settings"]
    assert seen["settings"]["custom_words"] == CUSTOM


# ---------------------------------------------------------------- party features


def join_tv(g: Game, pid: str = "p_screen") -> list[Effect]:
    effects = rules.join(g.room, g.now, pid, "TV", f"hash_{pid}", True, tv=True)
    g.log += effects
    return effects


def test_a_tv_watches_without_a_seat_and_is_counted_not_listed() -> None:
    g = Game(max_players=4)
    effects = join_tv(g)
    assert msgs(effects, "chat") == []  # no join line
    assert msgs(effects, "players")[-1]["tvs"] == 1
    assert all(p["id"] != "p_screen" for p in msgs(effects, "players")[-1]["players"])
    snap = snapshot(g.room, g.now, "p_screen")
    assert snap["tvs"] == 1 and [p["name"] for p in snap["players"]] == ["Ada", "Bob", "Cy"]
    g.join("TV")  # a player may be called TV
    with pytest.raises(GameError) as full:
        g.join("Dee")
    assert full.value.code == "room_full"  # the TV took none of the 4 seats: 4 players do
    for i in range(rules.MAX_SPECTATORS):
        g.join(f"Watcher{i}", spectate=True)
    for i in range(2, rules.MAX_TVS + 1):
        join_tv(g, f"p_screen{i}")
    with pytest.raises(GameError) as e:
        join_tv(g, "p_screen_extra")
    assert e.value.code == "room_full"
    assert g.room.tvs() == rules.MAX_TVS


def test_a_tv_sees_the_game_but_cannot_play() -> None:
    g = Game()
    join_tv(g)
    g.start()
    assert "p_screen" not in cg(g.room).order
    word = g.choose()
    line = {"op": "line", "id": 1, "c": "#000000", "w": 3, "p": [1, 2, 3, 4]}
    drawn = g.cmd(cg(g.room).drawer_id or "", type="draw", ops=[line])
    assert "p_screen" in sends(drawn, "draw")[0].to
    for frame in ({"type": "chat", "text": word}, {"type": "react", "value": "like"},
                  {"type": "vote_kick", "player_id": "p_ada"}, {"type": "start"}):
        g.refused("p_screen", "forbidden", **frame)
    assert g.cmd("p_screen", type="ping", t=1)
    g.leave("p_screen")
    assert g.room.tvs() == 0 and "p_screen" not in g.room.players


def test_mute_keeps_a_players_chat_to_themselves_until_the_game_ends() -> None:
    g = Game(rounds=1)
    g.refused("p_bob", "not_host", type="mute", player_id="p_cy")
    g.refused("p_ada", "forbidden", type="mute", player_id="p_ada")
    g.refused("p_ada", "unknown_player", type="mute", player_id="p_nobody")
    told = g.cmd("p_ada", type="mute", player_id="p_cy")
    assert sends(told, "muted")[0].to == ("p_ada",)
    assert msgs(told, "muted") == [{"type": "muted", "player_ids": ["p_cy"]}]
    assert snapshot(g.room, g.now, "p_ada")["muted"] == ["p_cy"]
    assert snapshot(g.room, g.now, "p_cy")["muted"] == []  # nobody else learns it
    line = sends(g.cmd("p_cy", type="chat", text="spam spam"), "chat")
    assert [s.to for s in line] == [("p_cy",)]
    g.start()
    word = g.choose()
    if cg(g.room).drawer_id != "p_cy":
        assert [s.to for s in sends(g.guess("p_cy", "nope nope"), "chat")] == [("p_cy",)]
        assert msgs(g.guess("p_cy"), "correct")  # a muted player's guess still counts
    assert word
    g.run_until_phase("results")
    assert g.room.muted == {"p_cy"}
    back = g.wait(rules.RESULTS_S)
    assert g.phase == "lobby" and g.room.muted == set()
    assert msgs(back, "muted") == [{"type": "muted", "player_ids": []}]
    assert [s.to for s in sends(g.cmd("p_cy", type="chat", text="hi all"), "chat")] == [None]


def test_unmute_and_a_new_host_learns_who_is_muted() -> None:
    g = Game()
    g.cmd("p_ada", type="mute", player_id="p_cy")
    g.cmd("p_ada", type="mute", player_id="p_bob")
    out = g.cmd("p_ada", type="mute", player_id="p_bob", muted=False)
    assert msgs(out, "muted") == [{"type": "muted", "player_ids": ["p_cy"]}]
    handed = g.cmd("p_ada", type="transfer_host", player_id="p_bob")
    assert [(s.to, s.msg["player_ids"]) for s in sends(handed, "muted")] == [(("p_bob",), ["p_cy"])]


def test_a_kicked_browser_cannot_come_back_under_a_new_name() -> None:
    g = Game()
    marker, other = "m" * 20, "h" * 20
    g.log += rules.join(g.room, g.now, "p_dee", "Dee", "hash_dee", False, marker=marker)
    g.log += rules.join(g.room, g.now, "p_eve", "Eve", "hash_eve", False, marker=other)
    g.cmd("p_ada", type="kick", player_id="p_dee")
    with pytest.raises(GameError) as e:
        rules.join(g.room, g.now, "p_dee2", "Someone Else", "hash_new", False, marker=marker)
    assert e.value.code == "forbidden"
    with pytest.raises(GameError):
        rules.join(g.room, g.now, "p_dee3", "Watcher", "hash_new2", True, marker=marker)
    # The household: another browser on the same address plays on and may join.
    assert "p_eve" in g.room.players
    rules.join(g.room, g.now, "p_fay", "Fay", "hash_fay", False, marker="f" * 20)
    assert "p_fay" in g.room.players
    assert rules.hash_marker(marker) in g.room.banned and marker not in str(g.room.banned)


def test_relaxed_rooms_take_long_draw_times_and_give_hints_sooner() -> None:
    langs = ("en",)
    with pytest.raises(GameError) as e:
        Settings.from_dict({"draw_time_s": 300}, languages=langs)
    assert e.value.field == "draw_time_s" and "relaxed" in e.value.message
    relaxed = Settings.from_dict({"relaxed": True, "draw_time_s": 600}, languages=langs)
    assert relaxed.draw_time_s == 600
    with pytest.raises(GameError):
        Settings.from_dict({"relaxed": True, "draw_time_s": 601}, languages=langs)
    assert Settings.from_dict({"relaxed": False}, base=relaxed, languages=langs).draw_time_s == 240
    with pytest.raises(GameError):
        Settings.from_dict({"relaxed": False, "draw_time_s": 300}, base=relaxed, languages=langs)
    times = {}
    for mode in (False, True):
        g = Game(relaxed=mode, hints=2, draw_time_s=120)
        g.start()
        g.choose()
        times[mode] = [t - g.room.phase_started for t in cg(g.room).hint_times]
    assert times[False] == [40.0, 80.0] and times[True] == [20.0, 40.0]


def test_filter_masks_or_blocks_lines_that_reach_others() -> None:
    bank = FilterBank()
    for mode, expect in (("off", "what the fuck"), ("mask", "what the ****"), ("block", None)):
        g = Game(chat_filter=mode)
        g.room.filters = bank
        if expect is None:
            g.refused("p_bob", "filtered", type="chat", text="what the fuck")
        else:
            said = g.cmd("p_bob", type="chat", text="what the fuck")
            assert msgs(said, "chat")[0]["text"] == expect
        assert msgs(g.cmd("p_bob", type="chat", text="what a class act"), "chat")[0]["text"] \
            == "what a class act"


def test_filter_on_names_and_switched_on_later() -> None:
    g = Game(names=("Ada",), chat_filter="block")
    g.room.filters = FilterBank()
    with pytest.raises(GameError) as e:
        g.join("shithead")
    assert e.value.code == "filtered"
    g.cmd("p_ada", type="settings", chat_filter="mask")
    g.join("Bitch")
    assert g.room.players["p_bitch"].name == "*****"
    g.cmd("p_ada", type="settings", chat_filter="off")
    g.join("fuckface")
    g.room.name = "shit room"
    out = g.cmd("p_ada", type="settings", chat_filter="mask")
    assert g.room.players["p_fuckface"].name == "********"
    assert msgs(out, "room") == [{"type": "room", "name": "**** room"}]
    assert any(p["name"] == "********" for p in msgs(out, "players")[-1]["players"])


def test_party_state_survives_a_restart() -> None:
    g = Game()
    join_tv(g)
    g.log += rules.join(g.room, g.now, "p_dee", "Dee", "hash_dee", False, marker="d" * 20)
    g.cmd("p_ada", type="mute", player_id="p_bob")
    g.cmd("p_ada", type="kick", player_id="p_dee")
    data = json.loads(json.dumps(dump_state(g.room, g.now)))
    room = load_state(data, 5.0, words_for=lambda code: WordList.of(WORDS), new_id=lambda: "g",
                      languages=("en",), filters=FilterBank())
    assert room.muted == {"p_bob"} and room.players["p_screen"].tv and room.tvs() == 0
    with pytest.raises(GameError):
        rules.join(room, 5.0, "p_x", "New name", "hash_x", False, marker="d" * 20)
    assert room.filters.for_language("en")
