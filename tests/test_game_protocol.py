"""The client frame parser: every message type, and hostile input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drawgame.game.errors import GameError
from drawgame.game.protocol import (
    CLIENT_TYPES,
    AlbumNext,
    AlbumPrev,
    Chat,
    Choose,
    Draft,
    Draw,
    Hello,
    Kick,
    Leave,
    Mute,
    Ping,
    React,
    SettingsCmd,
    Start,
    Submit,
    TransferHost,
    Unsubmit,
    VoteKick,
    parse_client_frame,
)


def parse(obj: Any) -> Any:
    return parse_client_frame(json.dumps(obj))


def error(frame: str) -> GameError:
    with pytest.raises(GameError) as e:
        parse_client_frame(frame)
    return e.value


def test_every_type_parses() -> None:
    assert parse({"type": "hello", "name": " Ada "}) == Hello("Ada", None, False)
    assert parse({"type": "hello", "name": "Ada", "token": "abc_-9", "spectate": True}) == Hello(
        "Ada", "abc_-9", True
    )
    assert parse({"type": "settings", "rounds": 5}) == SettingsCmd({"rounds": 5})
    assert parse({"type": "settings", "settings": {"rounds": 5}}) == SettingsCmd({"rounds": 5})
    assert parse({"type": "start"}) == Start()
    assert parse({"type": "choose", "index": 2}) == Choose(2)
    draw = parse({"type": "draw", "ops": [{"op": "clear"}]})
    assert draw == Draw([{"op": "clear"}])
    assert parse({"type": "chat", "text": " hi "}) == Chat("hi")
    assert parse({"type": "react", "value": "like"}) == React("like")
    assert parse({"type": "kick", "player_id": "p1"}) == Kick("p1")
    assert parse({"type": "vote_kick", "player_id": "p1"}) == VoteKick("p1")
    assert parse({"type": "transfer_host", "player_id": "p1"}) == TransferHost("p1")
    assert parse({"type": "ping", "t": 12.5}) == Ping(12.5)
    assert parse({"type": "leave"}) == Leave()
    assert parse({"type": "mute", "player_id": "p1"}) == Mute("p1", True)
    assert parse({"type": "mute", "player_id": "p1", "muted": False}) == Mute("p1", False)
    assert parse({"type": "hello", "tv": True}) == Hello("TV", None, True, tv=True)
    marker = "m" * 20
    assert parse({"type": "hello", "name": "Ada", "marker": marker}).marker == marker
    assert parse({"type": "submit", "text": " a cat\non a mat "}) == Submit("a cat on a mat")
    assert parse({"type": "submit"}) == Submit(None)
    assert parse({"type": "draft", "text": ""}) == Draft("")
    assert parse({"type": "unsubmit"}) == Unsubmit()
    assert parse({"type": "album_next"}) == AlbumNext()
    assert parse({"type": "album_prev"}) == AlbumPrev()
    assert set(CLIENT_TYPES) == {
        "hello", "settings", "start", "choose", "draw", "chat", "react", "kick",
        "vote_kick", "transfer_host", "mute", "ping", "leave",
        "submit", "unsubmit", "draft", "album_next", "album_prev", "avatar", "hide_avatar",
    }


@pytest.mark.parametrize("frame", [
    {"type": "hello", "name": "Ada", "marker": "short"},
    {"type": "hello", "name": "Ada", "marker": "x" * 65},
    {"type": "hello", "name": "Ada", "marker": "has spaces in it ok?"},
    {"type": "hello", "name": "Ada", "marker": 12345678901234567},
    {"type": "hello", "name": "Ada", "tv": "yes"},
    {"type": "hello"},
    {"type": "mute", "player_id": "p1", "muted": "no"},
    {"type": "mute", "player_id": "p1", "extra": 1},
    {"type": "mute"},
])
def test_bad_party_frames_are_refused(frame: dict[str, Any]) -> None:
    e = error(json.dumps(frame))
    assert e.code in ("bad_message", "bad_name"), e.code
    assert e.ref == frame["type"]


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json", "bad_json"),
        ("", "bad_json"),
        ('{"type": "ping", "t": NaN}', "bad_json"),
        ('{"type": "ping", "t": Infinity}', "bad_json"),
        ("[" * 100_000 + "]" * 100_000, "bad_json"),
        ('{"type": "ping", "t": ' + "9" * 5000 + "}", "bad_json"),
        ("[1, 2]", "bad_message"),
        ('"hello"', "bad_message"),
        ("{}", "bad_message"),
        ('{"type": 5}', "bad_message"),
        ('{"type": "dance"}', "unknown_type"),
        ('{"type": "start", "now": true}', "bad_message"),
        ('{"type": "choose", "index": true}', "bad_message"),
        ('{"type": "choose", "index": 1.0}', "bad_message"),
        ('{"type": "choose", "index": -1}', "bad_message"),
        ('{"type": "chat", "text": "   "}', "bad_message"),
        ('{"type": "chat", "text": 5}', "bad_message"),
        ('{"type": "react", "value": "love"}', "bad_message"),
        ('{"type": "kick", "player_id": ""}', "bad_message"),
        ('{"type": "kick"}', "bad_message"),
        ('{"type": "ping", "t": "1"}', "bad_message"),
        ('{"type": "ping", "t": 1e300}', "bad_message"),
        ('{"type": "ping"}', "bad_message"),
        ('{"type": "draw", "ops": []}', "bad_op"),
        ('{"type": "hello", "name": ""}', "bad_name"),
        ('{"type": "hello", "name": "a\\u0007b"}', "bad_name"),
        ('{"type": "hello", "name": "evil\\u202e"}', "bad_name"),
        ('{"type": "hello", "name": "' + "x" * 25 + '"}', "bad_name"),
        ('{"type": "hello", "name": 3}', "bad_name"),
        ('{"type": "hello", "name": "Ada", "token": ""}', "bad_token"),
        ('{"type": "hello", "name": "Ada", "token": 5}', "bad_token"),
        ('{"type": "hello", "name": "Ada", "spectate": "yes"}', "bad_message"),
    ],
)
def test_refused_with_code(frame: str, code: str) -> None:
    assert error(frame).code == code


def test_ref_is_the_known_type_only() -> None:
    assert error('{"type": "choose", "index": "a"}').ref == "choose"
    assert error('{"type": "draw", "ops": 1}').ref == "draw"
    assert error('{"type": "nope"}').ref is None
    assert error("{").ref is None


def test_bytes_refused() -> None:
    assert error(b'{"type": "start"}').code == "bad_json"  # type: ignore[arg-type]


def test_name_nfc_and_length_after_trim() -> None:
    assert parse({"type": "hello", "name": "  Zoe\u0301  "}).name == "Zoé"
    assert parse({"type": "hello", "name": "x" * 24 + "   "}).name == "x" * 24


@pytest.mark.parametrize("name", [
    "\u200d", "\u3164", "\u2800", "\u115f", "\u0301", "\u0301\u0308", "\u3164\u200d\u2800",
    "\ufe0f", "\u1160\u3000\u115f", "\U000e0041",
])
def test_names_with_nothing_visible_are_refused(name: str) -> None:
    err = error(json.dumps({"type": "hello", "name": name}))
    assert (err.code, err.field) == ("bad_name", "name")


@pytest.mark.parametrize("name", ["Ada", "👩‍💻", "李", "a\u3164b", "⠁"])
def test_names_with_something_visible_are_taken(name: str) -> None:
    assert parse({"type": "hello", "name": name}).name == name


def test_chat_control_characters_become_spaces_and_invisibles_go() -> None:
    assert parse({"type": "chat", "text": "a\nb\tc"}).text == "a b c"
    assert parse({"type": "chat", "text": "he\u202ello\ud800"}).text == "hello"
    assert parse({"type": "chat", "text": "x" * 200}).text == "x" * 200
    assert error(json.dumps({"type": "chat", "text": "x" * 201})).code == "bad_message"


def test_persian_keeps_the_zero_width_non_joiner_between_letters() -> None:
    # "می‌خواهم" ("I want") and "علی‌رضا" need it; anywhere else it is an invisible character.
    assert parse({"type": "chat", "text": "می\u200cخواهم"}).text == "می\u200cخواهم"
    assert parse({"type": "chat", "text": "\u200cسلام \u200c!"}).text == "سلام !"
    assert parse({"type": "hello", "name": "علی\u200cرضا"}).name == "علی\u200cرضا"
    assert error(json.dumps({"type": "hello", "name": "علی \u200c"})).code == "bad_name"
    assert error(json.dumps({"type": "hello", "name": "\u200cعلی"})).code == "bad_name"


# -- hostile input: everything is a Command or a GameError, never anything else

json_leaf = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=40)
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=6),
    max_leaves=30,
)
field_names = st.sampled_from(
    ["name", "token", "spectate", "index", "ops", "text", "value", "player_id", "t",
     "rounds", "language", "custom_words", "settings", "op", "p", "c", "w", "id", "x", "y"]
)
frames = st.builds(
    lambda kind, fields: {"type": kind, **fields},
    st.sampled_from([*CLIENT_TYPES, "nope", ""]),
    st.dictionaries(field_names, json_value, max_size=4),
)
op_value = st.fixed_dictionaries(
    {"op": st.sampled_from(["line", "erase", "fill", "undo", "clear", "x"])},
    optional={"id": json_value, "c": st.sampled_from(["#aabbcc", "#AbCdEf", "red", 1]),
              "w": json_value, "p": st.lists(json_leaf, max_size=8), "x": json_leaf,
              "y": json_leaf},
)


def must_parse_or_refuse(text: str) -> None:
    try:
        parse_client_frame(text)
    except GameError as e:
        assert isinstance(e.code, str) and e.code
        json.dumps(e.to_message())


@settings(max_examples=400, deadline=None)
@given(frames)
def test_hostile_frames(frame: dict[str, Any]) -> None:
    must_parse_or_refuse(json.dumps(frame))


@settings(max_examples=300, deadline=None)
@given(st.lists(op_value, min_size=0, max_size=4))
def test_hostile_draw_frames(ops: list[dict[str, Any]]) -> None:
    must_parse_or_refuse(json.dumps({"type": "draw", "ops": ops}))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_hostile_text(text: str) -> None:
    must_parse_or_refuse(text)


@settings(max_examples=200, deadline=None)
@given(json_value)
def test_hostile_json_values(value: Any) -> None:
    must_parse_or_refuse(json.dumps(value))


def test_parsed_strings_encode_as_utf8() -> None:
    cmd = parse({"type": "chat", "text": "ok \udfff fine"})
    cmd.text.encode("utf-8")
