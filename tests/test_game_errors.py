"""The error hierarchy: stable, unique codes and the two wire shapes."""

from __future__ import annotations

from drawgame.game.errors import ALL_ERRORS, GameError, InvalidSettings, WrongPhase

PROTOCOL_CODES = {
    "bad_json", "bad_message", "unknown_type", "not_joined", "bad_name", "name_taken",
    "bad_token", "room_full", "not_host", "not_your_turn", "wrong_phase", "bad_op",
    "word_in_chat", "rate_limited", "maintenance", "invalid_settings", "canvas_full",
}


def test_codes_unique_and_cover_the_protocol() -> None:
    codes = [cls.code for cls in ALL_ERRORS]
    assert len(codes) == len(set(codes))
    assert set(codes) >= PROTOCOL_CODES
    assert all(issubclass(cls, GameError) for cls in ALL_ERRORS)


def test_error_message_shape() -> None:
    e = WrongPhase("not allowed during lobby", ref="choose")
    assert e.to_message() == {"type": "error", "code": "wrong_phase",
                              "message": "not allowed during lobby", "ref": "choose"}
    assert "ref" not in WrongPhase("x").to_message()


def test_http_shape_has_field() -> None:
    e = InvalidSettings("rounds must be 1..10", field="rounds")
    assert e.to_http() == {"error": {"code": "invalid_settings",
                                     "message": "rounds must be 1..10", "field": "rounds"}}
    assert str(e) == "rounds must be 1..10"
