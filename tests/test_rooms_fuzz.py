"""Hostile and malformed frames against a real Room: each gets one `error`, nothing else.

Hypothesis makes the frames (not JSON, NaN and Infinity, deep nesting, huge
numbers, non-object JSON, unknown and missing types, wrong field types, bad
ops, commands out of phase or from a non-host, a second hello, votes against
nobody); each example runs a room with three fake players (tests/players.py)
under trio's autojump clock, in the lobby or during a turn. The fuzzing
player is a guest who never draws while fuzzing: every frame it sends must
be refused with exactly one `error` to it alone, the room's state must not
move, and afterwards a normal one-round game with the same three players,
the fuzzing one included, still ends with `game_over`.
"""

from __future__ import annotations

import copy
import json
import string
from dataclasses import dataclass
from typing import Any

import trio
import trio.testing
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from drawgame.config import Config
from drawgame.game import rules
from drawgame.game.modes import classic
from drawgame.game.modes.classic import ClassicGame
from drawgame.game.persist import dump_state
from drawgame.game.protocol import CLIENT_TYPES
from drawgame.game.state import RoomState
from tests.players import FakePlayer, join_all, running_room, stroke

KNOWN_CODES = frozenset({
    "bad_json", "bad_message", "unknown_type", "not_joined", "bad_name", "name_taken",
    "bad_token", "room_full", "not_host", "not_your_turn", "wrong_phase", "bad_op",
    "word_in_chat", "rate_limited", "maintenance", "invalid_settings", "canvas_full",
    "not_enough_players", "forbidden", "unknown_player", "already_reacted", "already_voted",
    "filtered", "page_submitted",
})
"""The protocol's stable error codes (PROTOCOL.md and the rules' additions)."""

CONFIG = Config(
    environment="test", chat_rate=1000, chat_burst=10_000, draw_rate=10_000,
    draw_burst=100_000, msg_rate=1000, msg_burst=10_000, abuse_limit=10_000,
)
"""Rates that never bite, so each refusal is the frame's own fault."""

SELF, HOST, OTHER = "$self", "$host", "$other"
"""Placeholders for the player ids, which exist only once the players have joined."""
ANY_REF = "*"


@dataclass(frozen=True)
class Hostile:
    """A frame to send and what its refusal may look like."""

    frame: str | bytes
    codes: frozenset[str]
    ref: str | None = ANY_REF
    """The `ref` the error must carry (None: none; ANY_REF: not checked)."""

    def text(self, ids: dict[str, str]) -> str | bytes:
        """The frame with the players' real ids put in for the placeholders."""
        if isinstance(self.frame, bytes):
            return self.frame
        out = self.frame
        for placeholder, pid in ids.items():
            out = out.replace(json.dumps(placeholder), json.dumps(pid))
        return out


def hostile(frame: Any, *codes: str, ref: str | None = ANY_REF) -> Hostile:
    text = frame if isinstance(frame, str | bytes) else json.dumps(frame)
    return Hostile(text, frozenset(codes), ref)


# ---------------------------------------------------------------- strategies

scalars = (
    st.none() | st.booleans() | st.integers() | st.integers(min_value=2**53, max_value=2**200)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12)
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                               max_size=3),
    max_leaves=8,
)
printable_ids = st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=1,
                        max_size=64).filter(lambda s: not s.startswith("p_"))


def _not_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return True
    return False


not_json = st.text(max_size=40).filter(_not_json).map(lambda t: hostile(t, "bad_json"))
bad_constants = st.sampled_from([
    hostile('{"type": "ping", "t": NaN}', "bad_json"),
    hostile('{"type": "ping", "t": Infinity}', "bad_json"),
    hostile('{"type": "choose", "index": -Infinity}', "bad_json"),
    hostile("NaN", "bad_json"),
    hostile('{"type": "ping", "t": ' + "9" * 5000 + "}", "bad_json"),  # past int's digit limit
    hostile('{"type": "chat", "text": "\\ud800"}', "bad_message", ref="chat"),
    hostile(b'{"type": "chat", "text": "binary"}', "bad_message", ref=None),
])
binary = st.binary(max_size=40).map(lambda b: hostile(b, "bad_message", ref=None))
non_objects = values.filter(lambda v: not isinstance(v, dict)).map(
    lambda v: hostile(json.dumps(v), "bad_message", ref=None))  # a str is sent as JSON too


def _nested(depth: int, kind: str) -> Hostile:
    lists = "[" * depth + "]" * depth
    dicts = '{"a":' * depth + "1" + "}" * depth
    if kind == "top":
        return hostile(lists, "bad_json", "bad_message", ref=None)
    if kind == "dicts":
        return hostile(dicts, "bad_json", "bad_message", ref=None)
    if kind == "chat":
        return hostile('{"type": "chat", "text": ' + lists + "}", "bad_json", "bad_message")
    return hostile('{"type": "draw", "ops": ' + lists + "}", "bad_json", "bad_op")


nested = st.builds(
    _nested,
    st.sampled_from([10_000, 100_000]) | st.integers(min_value=1, max_value=3000),
    st.sampled_from(["top", "dicts", "chat", "draw"]),
)
no_type = st.dictionaries(st.text(max_size=8).filter(lambda k: k != "type"), values,
                          max_size=3).map(lambda d: hostile(d, "bad_message", ref=None))
bad_type = st.builds(
    lambda t, d: hostile({**d, "type": t}, "bad_message", ref=None),
    values.filter(lambda v: not isinstance(v, str)),
    st.dictionaries(st.text(max_size=6), values, max_size=2),
)
unknown_type = st.builds(
    lambda t, d: hostile({**d, "type": t}, "unknown_type", ref=None),
    st.text(max_size=30).filter(lambda t: t not in CLIENT_TYPES),
    st.dictionaries(st.text(max_size=6), values, max_size=2),
)
extra_field = st.builds(
    lambda t, k, v: hostile({"type": t, k: v}, "bad_message", ref=t),
    st.sampled_from(["start", "leave"]),
    st.text(min_size=1, max_size=8).filter(lambda k: k != "type"),
    values,
)
second_hello = st.builds(
    lambda d: hostile({"type": "hello", **d}, "bad_message", "bad_name", "bad_token",
                      ref="hello"),
    st.fixed_dictionaries({}, optional={
        "name": st.text(max_size=30) | values, "token": st.text(max_size=40) | values,
        "spectate": st.booleans() | values,
    }),
)
bad_chat = st.builds(
    lambda text: hostile({"type": "chat", "text": text}, "bad_message", ref="chat"),
    values.filter(lambda v: not isinstance(v, str))
    | st.text(alphabet=" \t\n\r\x00\x1f\u2028\u200b", max_size=10)
    | st.text(alphabet=string.ascii_letters + " ", min_size=201, max_size=300).filter(
        lambda t: len(t.strip()) > 200),
)
bad_ping = st.builds(
    lambda t: hostile({"type": "ping", "t": t}, "bad_message", ref="ping"),
    st.booleans() | st.text(max_size=5) | st.none() | st.lists(st.integers(), max_size=2)
    | st.integers(min_value=2**53 + 1) | st.integers(max_value=-(2**53) - 1)
    | st.sampled_from([1e300, -1e300]),
)


def _index_case(index: Any) -> Hostile:
    valid = isinstance(index, int) and not isinstance(index, bool) and 0 <= index <= 15
    return hostile({"type": "choose", "index": index},
                   "wrong_phase" if valid else "bad_message", ref="choose")


choose_any = st.builds(_index_case, st.integers(min_value=-5, max_value=20)
                       | st.sampled_from([10**30, -(10**30), 1.0, True, "0", None]))

colours = st.from_regex(r"#[0-9a-fA-F]{6}", fullmatch=True)
coords = st.integers(min_value=-(10**30), max_value=10**30) | st.floats(
    allow_nan=False, allow_infinity=False)
good_ops = st.lists(
    st.one_of(
        st.builds(lambda i, c, w, p: {"op": "line", "id": i, "c": c, "w": w, "p": p},
                  st.integers(0, 2**31), colours, st.integers(1, 60),
                  st.lists(coords, min_size=1, max_size=8).map(lambda p: p + p[:1])
                  .filter(lambda p: len(p) % 2 == 0)),
        st.builds(lambda x, y, c: {"op": "fill", "x": x, "y": y, "c": c}, coords, coords,
                  colours),
        st.just({"op": "undo"}), st.just({"op": "clear"}),
    ),
    min_size=1, max_size=4,
)
bad_op_items = st.sampled_from([
    {"op": "line", "id": 1, "c": "red", "w": 6, "p": [1, 2]},
    {"op": "line", "id": 1, "c": "#112233", "w": 0, "p": [1, 2]},
    {"op": "line", "id": 1, "c": "#112233", "w": 61, "p": [1, 2]},
    {"op": "line", "id": 1, "c": "#112233", "w": 10**30, "p": [1, 2]},
    {"op": "line", "id": -1, "c": "#112233", "w": 6, "p": [1, 2]},
    {"op": "line", "id": 2**31 + 1, "c": "#112233", "w": 6, "p": [1, 2]},
    {"op": "line", "id": True, "c": "#112233", "w": 6, "p": [1, 2]},
    {"op": "line", "id": 1, "c": "#112233", "w": 6, "p": [1, 2, 3]},
    {"op": "line", "id": 1, "c": "#112233", "w": 6, "p": []},
    {"op": "line", "id": 1, "c": "#112233", "w": 6, "p": [0, 0] * 513},
    {"op": "line", "id": 1, "c": "#112233", "w": 6, "p": ["1", 2]},
    {"op": "line", "id": 1, "c": "#112233", "w": 6},
    {"op": "fill", "x": 1, "y": 2, "c": "#112233", "extra": 1},
    {"op": "fill", "x": None, "y": 2, "c": "#112233"},
    {"op": "smudge"},
    {"kind": "line"},
    [1, 2, 3],
    "undo",
])
bad_ops = st.one_of(
    st.builds(lambda good, bad, at: [*good[:at], bad, *good[at:]], good_ops, bad_op_items,
              st.integers(0, 4)),
    st.sampled_from([[], [{"op": "clear"}] * 65, {"op": "clear"}, None, "clear"]),
    values.filter(lambda v: not isinstance(v, list)),
)


def _react_case(value: Any) -> Hostile:
    valid = value in ("like", "dislike")
    return hostile({"type": "react", "value": value}, "wrong_phase" if valid else "bad_message",
                   ref="react")


def _player_id_case(kind: str, pid: Any, must: str) -> Hostile:
    valid = isinstance(pid, str) and 1 <= len(pid) <= 64 and pid.isprintable()
    return hostile({"type": kind, "player_id": pid}, must if valid else "bad_message", ref=kind)


host_only = st.one_of(
    st.just(hostile({"type": "start"}, "not_host", ref="start")),
    st.builds(lambda d: hostile({"type": "settings", **d}, "not_host", ref="settings"),
              st.dictionaries(st.text(max_size=12).filter(lambda k: k != "type"), values,
                              max_size=3)
              | st.fixed_dictionaries({"rounds": st.integers(1, 10) | st.just(10**30)})),
    st.builds(_player_id_case, st.sampled_from(["kick", "transfer_host"]),
              st.sampled_from([SELF, HOST, OTHER]) | printable_ids, st.just("not_host")),
)
votes = st.one_of(
    st.builds(lambda pid: _player_id_case("vote_kick", pid, "unknown_player"), printable_ids),
    st.just(hostile({"type": "vote_kick", "player_id": SELF}, "forbidden", ref="vote_kick")),
    st.builds(lambda pid: hostile({"type": "vote_kick", "player_id": pid}, "bad_message",
                                  ref="vote_kick"),
              st.sampled_from(["", "x" * 65, "a\nb", 7, None, ["p_1"]])),
)


def hostile_frames(in_game: bool) -> st.SearchStrategy[Hostile]:
    """Frames the fuzzing guest may send that the room must refuse, lobby or mid-turn."""
    draw_phase_code = "not_your_turn" if in_game else "wrong_phase"
    common = [
        not_json, bad_constants, binary, non_objects, nested, no_type, bad_type, unknown_type,
        extra_field, second_hello, bad_chat, bad_ping, choose_any, host_only, votes,
        st.builds(lambda ops: hostile({"type": "draw", "ops": ops}, draw_phase_code, ref="draw"),
                  good_ops),
        st.builds(lambda ops: hostile({"type": "draw", "ops": ops}, "bad_op", ref="draw"),
                  bad_ops),
        st.builds(_react_case, values.filter(
            lambda v: v not in ("like", "dislike"))),
    ]
    if not in_game:  # a valid reaction is a real one while drawing
        common.append(st.builds(_react_case,
                                st.sampled_from(["like", "dislike"])))
    return st.one_of(common)


scenarios = st.booleans().flatmap(
    lambda in_game: st.tuples(st.just(in_game), st.lists(hostile_frames(in_game), min_size=1,
                                                         max_size=6)))


# ---------------------------------------------------------------- the room


def fingerprint(state: RoomState) -> Any:
    """Everything a refused frame must leave as it was."""
    g = state.game if isinstance(state.game, ClassicGame) else ClassicGame()
    return copy.deepcopy((
        state.phase, state.host_id, state.settings, g.round, g.turn, g.position,
        g.drawer_id, g.word, list(g.choices), state.deadline, list(g.order),
        [rules.player_view(state, p) for p in state.players.values()],
        list(g.oplog.ops), dict(g.guess_points), dict(g.reactions),
        {k: sorted(v) for k, v in state.kick_votes.items()}, sorted(state.banned),
        len(state.chat), sorted(g.used_words),
    ))


async def finish_game(players: list[FakePlayer]) -> list[str]:
    """Play the running one-round game to its end, everyone guessing; returns the drawers."""
    drawers: list[str] = []
    for _ in range(len(players)):
        phase = players[0].last("phase")
        assert phase["phase"] in ("choosing", "drawing"), phase
        drawer = next(p for p in players if p.id == phase["drawer_id"])
        drawers.append(drawer.name)
        if phase["phase"] == "choosing":
            await drawer.send({"type": "choose", "index": 0})
        word = drawer.last("word")["word"]
        await drawer.send({"type": "draw", "ops": [stroke(9, 10, 10, 500, 500)]})
        for guesser in players:
            if guesser is not drawer:
                await guesser.send({"type": "chat", "text": word})
        assert players[0].last("turn_end")["reason"] == "all_guessed"
        await trio.sleep(classic.REVEAL_S + 0.1)
    return drawers


async def fuzz_room(in_game: bool, frames: list[Hostile]) -> None:
    async with running_room(CONFIG, rounds=1, draw_time_s=60) as h:
        ada, bob, cy = players = await join_all(h, "Ada", "Bob", "Cy")
        if in_game:
            await ada.send({"type": "start"})
            await ada.send({"type": "choose", "index": 0})
            await ada.send({"type": "draw", "ops": [stroke(1, 1, 1, 99, 99)]})
            assert ada.last("phase")["phase"] == "drawing"
        for p in players:
            p.drain()
        ids = {SELF: str(cy.id), HOST: str(ada.id), OTHER: str(bob.id)}
        for case in frames:
            before = fingerprint(h.room.state)
            await cy.send(case.text(ids))
            got = cy.drain()
            assert [m["type"] for m in got] == ["error"], (case, got)
            error = got[0]
            assert error["code"] in KNOWN_CODES and error["code"] in case.codes, (case, error)
            assert isinstance(error["message"], str) and error["message"], error
            if case.ref != ANY_REF:
                assert error.get("ref") == case.ref, (case, error)
            assert ada.drain() == [] and bob.drain() == [], case
            assert fingerprint(h.room.state) == before, case
            assert cy.closed is None
        if not in_game:
            await ada.send({"type": "start"})
        drawers = await finish_game(players)
        assert drawers == ["Ada", "Bob", "Cy"]
        overs = [p.last("game_over") for p in players]
        assert all(o == overs[0] for o in overs)
        assert {r["id"] for r in overs[0]["ranking"]} == {ada.id, bob.id, cy.id}
        assert all(r["score"] > 0 for r in overs[0]["ranking"])


NAMED = [
    hostile("[" * 10_000 + "]" * 10_000, "bad_json", ref=None),
    hostile('{"type": "ping", "t": NaN}', "bad_json"),
    hostile('{"type": "ping", "t": Infinity}', "bad_json"),
    hostile("[1, 2, 3]", "bad_message", ref=None),
    hostile('"hello"', "bad_message", ref=None),
    hostile({"type": "dance"}, "unknown_type", ref=None),
    hostile({"type": 7}, "bad_message", ref=None),
    hostile({"type": "choose", "index": 10**30}, "bad_message", ref="choose"),
    hostile({"type": "choose", "index": 0}, "wrong_phase", ref="choose"),
    hostile({"type": "draw", "ops": [stroke(1, 1, 1, 2, 2)]}, "wrong_phase", ref="draw"),
    hostile({"type": "draw", "ops": [{**stroke(1, 1, 1), "c": "red"}]}, "bad_op", ref="draw"),
    hostile({"type": "react", "value": "like"}, "wrong_phase", ref="react"),
    hostile({"type": "start"}, "not_host", ref="start"),
    hostile({"type": "kick", "player_id": HOST}, "not_host", ref="kick"),
    hostile({"type": "settings", "rounds": 2}, "not_host", ref="settings"),
    hostile({"type": "transfer_host", "player_id": SELF}, "not_host", ref="transfer_host"),
    hostile({"type": "hello", "name": "Cy again"}, "bad_message", ref="hello"),
    hostile({"type": "vote_kick", "player_id": "p_nobody"}, "unknown_player", ref="vote_kick"),
]


@settings(max_examples=70, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@example(scenario=(False, NAMED))
@example(scenario=(True, [NAMED[0], NAMED[7], NAMED[13], NAMED[16], NAMED[17],
                          hostile({"type": "draw", "ops": [stroke(2, 5, 5, 6, 6)]},
                                  "not_your_turn", ref="draw")]))
@given(scenario=scenarios)
def test_hostile_frames_are_refused_and_the_game_goes_on(
    scenario: tuple[bool, list[Hostile]],
) -> None:
    in_game, frames = scenario
    trio.run(fuzz_room, in_game, frames, clock=trio.testing.MockClock(autojump_threshold=0))


# ---------------------------------------------------------------- the telephone mode


def tel_fingerprint(state: RoomState) -> Any:
    """Everything a refused frame must leave as it was, in a telephone game."""
    return copy.deepcopy(dump_state(state, trio.current_time()))


page_texts = (values.filter(lambda v: v is not None and not isinstance(v, str))
              | st.text(alphabet=" \t\n\r\x00\x1f\u2028\u200b", min_size=1, max_size=10)
              | st.text(alphabet=string.ascii_letters + " ", min_size=101, max_size=200)
              .filter(lambda t: len(t.strip()) > 100))


def telephone_frames(holder: bool) -> st.SearchStrategy[Hostile]:
    """Frames a telephone player may send mid-step that the room must refuse: `holder` is
    a book holder whose drawing page is done, else a late joiner with no page."""
    no_page = "not_your_turn"
    done = "page_submitted" if holder else no_page
    return st.one_of(
        not_json, non_objects, unknown_type, choose_any.map(
            lambda h: h if "bad_message" in h.codes else hostile(h.frame, "wrong_phase")),
        st.builds(lambda t: hostile({"type": "submit", "text": t}, "bad_message", ref="submit"),
                  page_texts),
        st.builds(lambda t: hostile({"type": "draft", "text": t}, "bad_message", ref="draft"),
                  page_texts.filter(lambda t: not isinstance(t, str) or len(t.strip()) > 100)),
        st.builds(lambda ops: hostile({"type": "draw", "ops": ops}, done, ref="draw"),
                  good_ops),
        st.builds(lambda ops: hostile({"type": "draw", "ops": ops}, "bad_op", ref="draw"),
                  bad_ops),
        st.builds(lambda k, v: hostile({"type": k, k: v}, "bad_message", ref=k),
                  st.sampled_from(["unsubmit", "album_next", "album_prev"]), values),
        st.sampled_from([
            hostile({"type": "submit", "text": "words"},
                    "bad_message" if holder else no_page, ref="submit"),
            hostile({"type": "draft", "text": "words"},
                    "wrong_phase", ref="draft"),
            hostile({"type": "album_next"}, "wrong_phase", ref="album_next"),
            hostile({"type": "album_prev"}, "wrong_phase", ref="album_prev"),
            hostile({"type": "react", "value": "like"}, "wrong_phase", ref="react"),
            hostile({"type": "settings", "mode": "classic"}, "not_host", ref="settings"),
            hostile({"type": "start"}, "not_host", ref="start"),
        ]),
    )


tel_scenarios = st.booleans().flatmap(
    lambda holder: st.tuples(st.just(holder), st.lists(telephone_frames(holder), min_size=1,
                                                       max_size=6)))


async def fuzz_telephone(holder: bool, frames: list[Hostile]) -> None:
    async with running_room(CONFIG, mode="telephone", draw_time_s=60) as h:
        ada, bob, cy = players = await join_all(h, "Ada", "Bob", "Cy")
        await ada.send({"type": "start"})
        for p in players:
            await p.send({"type": "submit", "text": f"{p.name} writes"})
        assert ada.last("phase")["phase"] == "drawing"
        await cy.send({"type": "draw", "ops": [stroke(1, 1, 1, 99, 99)]})
        await cy.send({"type": "submit"})
        sender = cy if holder else h.player("Late")
        if not holder:
            await sender.hello()
        for p in (*players, sender):
            p.drain()
        ids = {SELF: str(sender.id), HOST: str(ada.id), OTHER: str(bob.id)}
        for case in frames:
            before = tel_fingerprint(h.room.state)
            await sender.send(case.text(ids))
            got = sender.drain()
            assert [m["type"] for m in got] == ["error"], (case, got)
            error = got[0]
            assert error["code"] in KNOWN_CODES and error["code"] in case.codes, (case, error)
            if case.ref != ANY_REF:
                assert error.get("ref") == case.ref, (case, error)
            assert ada.drain() == [] and bob.drain() == [], case
            assert tel_fingerprint(h.room.state) == before, case
            assert sender.closed is None
        for p in (ada, bob):
            await p.send({"type": "submit"})
        for p in players:
            await p.send({"type": "submit", "text": "a line"})
        assert ada.last("phase")["phase"] == "album"
        assert ada.last("album_page")["books"] == 3


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scenario=tel_scenarios)
def test_hostile_frames_in_a_telephone_game_are_refused_and_it_goes_on(
    scenario: tuple[bool, list[Hostile]],
) -> None:
    holder, frames = scenario
    trio.run(fuzz_telephone, holder, frames, clock=trio.testing.MockClock(autojump_threshold=0))
