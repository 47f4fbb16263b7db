"""Drawn avatars: the wire format's checks, and what the room core does with them."""

from __future__ import annotations

import json
import random
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drawgame.game import rules
from drawgame.game.avatar import (
    AVATAR_MAX_WIDTH,
    AVATAR_PALETTE,
    AVATAR_SIZE,
    MAX_AVATAR_BYTES,
    MAX_AVATAR_STROKES,
    restored_avatar,
    validate_avatar,
)
from drawgame.game.effects import Effect, Record, Send
from drawgame.game.errors import GameError
from drawgame.game.persist import dump_state, load_state
from drawgame.game.protocol import Hello, HideAvatar, SetAvatar, parse_client_frame
from drawgame.game.rules import handle, snapshot
from drawgame.game.settings import Settings
from drawgame.game.words import WordList

FACE = [[2, 44, 32, 34], [1, 3, 22, 28], [1, 3, 42, 28], [5, 3, 22, 44, 32, 48, 42, 44]]
OTHER = [[7, 40, 32, 32], [1, 2, 20, 20, 44, 44]]


def parse(obj: Any) -> Any:
    return parse_client_frame(json.dumps(obj))


def refused(obj: Any) -> GameError:
    with pytest.raises(GameError) as e:
        parse(obj)
    return e.value


def largest_avatar() -> list[list[int]]:
    """An avatar of exactly MAX_AVATAR_BYTES bytes of compact JSON (points of 4, 5 and 6
    bytes: ",1,1", ",10,1", ",10,10")."""
    stroke = [1, 2, 10, 10]
    while len(orjson.dumps([stroke])) + 6 <= MAX_AVATAR_BYTES - 12:
        stroke += [10, 10]
    rest = MAX_AVATAR_BYTES - len(orjson.dumps([stroke]))
    fours, fives = next((a, b) for a in range(4) for b in range(4) if 4 * a + 5 * b <= rest
                        and (rest - 4 * a - 5 * b) % 6 == 0)
    stroke += [1, 1] * fours + [10, 1] * fives + [10, 10] * ((rest - 4 * fours - 5 * fives) // 6)
    return [stroke]


# ---------------------------------------------------------------- the wire format


def test_a_face_parses_in_hello_and_avatar_as_its_compact_json() -> None:
    hello = parse({"type": "hello", "name": "Ada", "avatar": FACE})
    assert hello == Hello("Ada", avatar=orjson.dumps(FACE).decode(), avatar_given=True)
    assert parse({"type": "hello", "name": "Ada"}).avatar_given is False
    assert parse({"type": "hello", "name": "Ada", "avatar": None}) == Hello(
        "Ada", avatar=None, avatar_given=True)
    assert parse({"type": "avatar", "avatar": FACE}) == SetAvatar(orjson.dumps(FACE).decode())
    assert parse({"type": "avatar", "avatar": None}) == SetAvatar(None)
    assert parse({"type": "avatar", "avatar": []}) == SetAvatar(None)  # no strokes: none
    assert parse({"type": "hide_avatar", "player_id": "p1"}) == HideAvatar("p1", True)
    assert parse({"type": "hide_avatar", "player_id": "p1", "hidden": False}) == HideAvatar(
        "p1", False)


def test_the_bounds_are_inclusive() -> None:
    edge = [[len(AVATAR_PALETTE) - 1, AVATAR_MAX_WIDTH, 0, 0, AVATAR_SIZE - 1, AVATAR_SIZE - 1]]
    assert validate_avatar(edge) == orjson.dumps(edge).decode()
    assert validate_avatar([[1, 1, 5, 5]] * MAX_AVATAR_STROKES) is not None
    biggest = largest_avatar()
    assert len(orjson.dumps(biggest)) == MAX_AVATAR_BYTES
    assert validate_avatar(biggest) is not None


@pytest.mark.parametrize(("avatar", "words"), [
    ("face", "list"),
    ({"strokes": []}, "list"),
    ([[1, 1, 5, 5]] * (MAX_AVATAR_STROKES + 1), "at most"),
    ([[1, 2]], "at least one point"),
    ([[1, 2, 5]], "at least one point"),
    ([[1, 2, 5, 5, 6]], "at least one point"),
    ([[1, 2, *[5] * MAX_AVATAR_BYTES]], "at least one point"),
    (["1,2,5,5"], "at least one point"),
    ([{"c": 1, "w": 2, "p": [5, 5]}], "at least one point"),
    ([[1, 2, 5.0, 5]], "integers"),
    ([[1, 2, 5.5, 5]], "integers"),
    ([[True, 2, 5, 5]], "integers"),
    ([[1, 2, "5", 5]], "integers"),
    ([[1, 2, None, 5]], "integers"),
    ([[len(AVATAR_PALETTE), 2, 5, 5]], "colour"),
    ([[-1, 2, 5, 5]], "colour"),
    ([[1, 0, 5, 5]], "width"),
    ([[1, AVATAR_MAX_WIDTH + 1, 5, 5]], "width"),
    ([[1, 2, AVATAR_SIZE, 5]], "coordinates"),
    ([[1, 2, 5, -1]], "coordinates"),
    ([[1, 2, 5, 2**40]], "coordinates"),
    ([[1, 2, 5, 2**70]], "integers"),
])
def test_malformed_avatars_are_refused_everywhere(avatar: Any, words: str) -> None:
    for frame in ({"type": "hello", "name": "Ada", "avatar": avatar},
                  {"type": "avatar", "avatar": avatar}):
        err = refused(frame)
        assert err.code == "bad_message"
        assert err.ref == frame["type"]
        assert words in err.message, err.message


def test_an_avatar_past_its_byte_budget_is_refused() -> None:
    over = largest_avatar()
    over[-1] += [9, 9]
    err = refused({"type": "avatar", "avatar": over})
    assert err.code == "bad_message"
    assert f"at most {MAX_AVATAR_BYTES}" in err.message


def test_other_avatar_frames_are_refused() -> None:
    assert refused({"type": "avatar"}).code == "bad_message"  # the field is required
    assert refused({"type": "avatar", "avatar": FACE, "x": 1}).code == "bad_message"
    assert refused({"type": "hide_avatar"}).code == "bad_message"
    assert refused({"type": "hide_avatar", "player_id": "p1", "hidden": "yes"}).code == \
        "bad_message"
    assert refused({"type": "hello", "tv": True, "avatar": FACE}).code == "bad_message"


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                    lambda inner: st.lists(inner, max_size=6), max_leaves=40))
def test_any_json_is_an_avatar_or_bad_message(raw: Any) -> None:
    try:
        text = validate_avatar(raw)
    except GameError as e:
        assert e.code == "bad_message"
        return
    if text is not None:
        assert len(text) <= MAX_AVATAR_BYTES
        assert restored_avatar(text) == text


def test_a_restored_avatar_is_checked_again() -> None:
    assert restored_avatar(orjson.dumps(FACE).decode()) == orjson.dumps(FACE).decode()
    assert restored_avatar([[1, 2, 99, 99]]) is None
    assert restored_avatar("not json") is None
    assert restored_avatar(None) is None


# ---------------------------------------------------------------- the room


class Room:
    def __init__(self) -> None:
        self.room = rules.new_room(
            "ROOM", "Test", False, Settings(draw_time_s=80, hints=0), random.Random(3),
            lambda code: WordList.of(("apple", "house", "tree", "river")),
            new_id=iter(f"game{i}" for i in range(1, 9)).__next__)
        self.now = 0.0

    def join(self, name: str, avatar: Any = None, spectate: bool = False) -> list[Effect]:
        face = None if avatar is None else validate_avatar(avatar)
        return rules.join(self.room, self.now, f"p_{name.lower()}", name, f"h_{name}",
                          spectate, avatar=face)

    def cmd(self, pid: str, **frame: Any) -> list[Effect]:
        return handle(self.room, self.now, pid, parse_client_frame(json.dumps(frame)))


def sent(effects: list[Effect], kind: str) -> list[Send]:
    return [e for e in effects if isinstance(e, Send) and e.msg["type"] == kind]


def kinds(effects: list[Effect]) -> list[str]:
    return [e.msg["type"] if isinstance(e, Send) else type(e).__name__ for e in effects]


def player(r: Room, pid: str, viewer: str = "p_ada") -> dict[str, Any]:
    return next(p for p in snapshot(r.room, r.now, viewer)["players"] if p["id"] == pid)


def test_a_joiner_with_a_face_is_sent_once_and_named_in_players() -> None:
    r = Room()
    r.join("Ada")
    effects = r.join("Bob", FACE)
    # The avatar goes to everyone before the player list that names it.
    assert kinds(effects)[:4] == ["Record", "avatar", "players", "chat"]
    (avatar,) = sent(effects, "avatar")
    assert avatar.to is None
    assert avatar.msg == {"type": "avatar", "player_id": "p_bob", "avatar": FACE}
    listed = {p["id"]: p for p in sent(effects, "players")[0].msg["players"]}
    assert listed["p_bob"]["avatar"] == "shown"
    assert listed["p_ada"]["avatar"] is None
    # `players` names the avatar, never carries its strokes.
    assert "32, 48" not in json.dumps(sent(effects, "players")[0].msg)
    assert snapshot(r.room, r.now, "p_ada")["avatars"] == {"p_bob": FACE}
    # Joining without one sends no avatar message at all.
    assert sent(r.join("Cy"), "avatar") == []


def test_a_player_changes_and_clears_their_face() -> None:
    r = Room()
    r.join("Ada", FACE)
    r.join("Bob")
    effects = r.cmd("p_ada", type="avatar", avatar=OTHER)
    assert [e.msg for e in sent(effects, "avatar")] == [
        {"type": "avatar", "player_id": "p_ada", "avatar": OTHER}]
    assert sent(effects, "players")
    assert snapshot(r.room, r.now, "p_bob")["avatars"] == {"p_ada": OTHER}
    same = r.cmd("p_ada", type="avatar", avatar=OTHER)
    assert [(e.to, e.msg["type"]) for e in same] == [(("p_ada",), "avatar")]
    r.cmd("p_ada", type="avatar", avatar=None)
    assert snapshot(r.room, r.now, "p_bob")["avatars"] == {}
    assert player(r, "p_ada")["avatar"] is None


def test_resume_keeps_the_face_unless_hello_brings_one() -> None:
    r = Room()
    r.join("Ada", FACE)
    r.join("Bob")
    rules.disconnect(r.room, r.now, "p_ada")
    pid, effects = rules.resume(r.room, r.now, "h_Ada")
    assert pid == "p_ada" and sent(effects, "avatar") == []
    assert snapshot(r.room, r.now, "p_bob")["avatars"] == {"p_ada": FACE}
    other = validate_avatar(OTHER)
    _, effects = rules.resume(r.room, r.now, "h_Ada", avatar=other, avatar_given=True)
    assert [e.msg["avatar"] for e in sent(effects, "avatar")] == [OTHER]
    _, effects = rules.resume(r.room, r.now, "h_Ada", avatar=None, avatar_given=True)
    assert [e.msg["avatar"] for e in sent(effects, "avatar")] == [None]
    assert snapshot(r.room, r.now, "p_bob")["avatars"] == {}


def test_the_host_hides_a_face_for_everyone_until_shown_again() -> None:
    r = Room()
    r.join("Ada")
    r.join("Bob", FACE)
    r.join("Cy")
    for pid, code in (("p_bob", "not_host"), ("p_cy", "not_host")):
        with pytest.raises(GameError) as e:
            r.cmd(pid, type="hide_avatar", player_id="p_bob")
        assert e.value.code == code
    with pytest.raises(GameError) as e:
        r.cmd("p_ada", type="hide_avatar", player_id="p_ada")
    assert e.value.code == "forbidden"
    with pytest.raises(GameError) as e:
        r.cmd("p_ada", type="hide_avatar", player_id="p_nobody")
    assert e.value.code == "unknown_player"
    effects = r.cmd("p_ada", type="hide_avatar", player_id="p_bob")
    assert [(e.to, e.msg) for e in sent(effects, "avatar")] == [
        (None, {"type": "avatar", "player_id": "p_bob", "avatar": None})]
    for viewer in ("p_ada", "p_bob", "p_cy", None):
        snap = snapshot(r.room, r.now, viewer)
        assert snap["avatars"] == {}
        bob = next(p for p in snap["players"] if p["id"] == "p_bob")
        assert bob["avatar"] == "hidden"
    # A new drawing from a hidden player stays hidden; only its sender hears back.
    effects = r.cmd("p_bob", type="avatar", avatar=OTHER)
    assert [(e.to, e.msg["avatar"]) for e in effects if isinstance(e, Send)] == [
        (("p_bob",), None)]
    assert snapshot(r.room, r.now, "p_cy")["avatars"] == {}
    effects = r.cmd("p_ada", type="hide_avatar", player_id="p_bob", hidden=False)
    assert [e.msg["avatar"] for e in sent(effects, "avatar")] == [OTHER]
    assert snapshot(r.room, r.now, "p_cy")["avatars"] == {"p_bob": OTHER}


def test_a_kicked_players_face_goes_with_them() -> None:
    r = Room()
    r.join("Ada")
    r.join("Bob", FACE)
    effects = r.cmd("p_ada", type="kick", player_id="p_bob")
    assert "p_bob" not in {p["id"] for p in sent(effects, "players")[-1].msg["players"]}
    assert snapshot(r.room, r.now, "p_ada")["avatars"] == {}
    assert "p_bob" not in r.room.players


def test_a_tv_screen_cannot_set_an_avatar() -> None:
    r = Room()
    r.join("Ada")
    rules.join(r.room, r.now, "p_tv", "TV", "h_tv", True, tv=True)
    with pytest.raises(GameError) as e:
        r.cmd("p_tv", type="avatar", avatar=FACE)
    assert e.value.code == "forbidden"
    assert snapshot(r.room, r.now, "p_ada")["avatars"] == {}


def test_a_snapshot_and_a_restart_keep_faces_and_what_the_host_hid() -> None:
    r = Room()
    r.join("Ada", OTHER)
    r.join("Bob", FACE)
    r.cmd("p_ada", type="hide_avatar", player_id="p_bob")
    data = json.loads(json.dumps(dump_state(r.room, r.now)))
    back = load_state(data, 100.0, words_for=lambda code: WordList.of(("apple",)),
                      new_id=lambda: "g2")
    assert back.players["p_ada"].avatar == orjson.dumps(OTHER).decode()
    assert back.players["p_bob"].avatar == orjson.dumps(FACE).decode()
    assert back.players["p_bob"].avatar_hidden is True
    assert snapshot(back, 100.0, "p_ada")["avatars"] == {"p_ada": OTHER}
    # A snapshot from before avatars has none.
    for p in data["players"]:
        p.pop("avatar", None)
        p.pop("avatar_hidden", None)
    old = load_state(data, 100.0, words_for=lambda code: WordList.of(("apple",)),
                     new_id=lambda: "g2")
    assert all(p.avatar is None and not p.avatar_hidden for p in old.players.values())


def test_the_album_keeps_the_faces_of_the_game() -> None:
    r = Room()
    r.join("Ada", FACE)
    r.join("Bob")
    r.join("Eve", OTHER, spectate=True)
    effects = r.cmd("p_ada", type="start")
    kept = [e for e in effects if isinstance(e, Record)]
    assert [e.kind for e in kept].index("game_started") < [e.kind for e in kept].index(
        "game_avatar")
    faces = [e.data for e in kept if e.kind == "game_avatar"]
    # Players only (a spectator draws nothing in the album), as compact JSON.
    assert faces == [{"game_id": "game1", "player_id": "p_ada",
                      "avatar": orjson.dumps(FACE).decode()}]
    changed = r.cmd("p_bob", type="avatar", avatar=OTHER)
    assert [e.data for e in changed if isinstance(e, Record)] == [
        {"game_id": "game1", "player_id": "p_bob", "avatar": orjson.dumps(OTHER).decode()}]
    hidden = r.cmd("p_ada", type="hide_avatar", player_id="p_bob")
    assert [e.data["avatar"] for e in hidden if isinstance(e, Record)] == [None]
    late = r.join("Cy", FACE)
    assert [e.data["player_id"] for e in late if isinstance(e, Record)
            and e.kind == "game_avatar"] == ["p_cy"]
