"""The game's error hierarchy: every refused command maps to one stable protocol code.

The room and web layers translate a `GameError` into the protocol's `error`
message (`{"type": "error", "code", "message", "ref"?}`) or an HTTP error body
(`{"error": {"code", "message", "field"?}}`) without knowing the rules.
"""

from __future__ import annotations

from typing import Any, ClassVar


class GameError(Exception):
    """A command refused by the rules; `code` is the protocol's stable error code."""

    code: ClassVar[str] = "error"

    def __init__(
        self, message: str, *, field: str | None = None, ref: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.ref = ref

    def to_message(self) -> dict[str, Any]:
        """The protocol's `error` message for the sender of the refused frame."""
        msg: dict[str, Any] = {"type": "error", "code": self.code, "message": self.message}
        if self.ref is not None:
            msg["ref"] = self.ref
        return msg

    def to_http(self) -> dict[str, Any]:
        """The HTTP error body shape of PROTOCOL.md."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        return {"error": body}


class BadJson(GameError):
    """The frame is not valid JSON (or uses NaN/Infinity, or nests too deep)."""

    code = "bad_json"


class BadMessage(GameError):
    """The frame is JSON but not a well-formed message of its type."""

    code = "bad_message"


class UnknownType(GameError):
    """The frame's `type` is not a client message type."""

    code = "unknown_type"


class NotJoined(GameError):
    """A command arrived before `hello`, or from a player without a seat."""

    code = "not_joined"


class BadName(GameError):
    """The player name is empty, too long, or holds control characters."""

    code = "bad_name"


class NameTaken(GameError):
    """Another seated player already has this name (ignoring case)."""

    code = "name_taken"


class BadToken(GameError):
    """The resume token is malformed, unknown, or its seat has expired."""

    code = "bad_token"


class RoomFull(GameError):
    """No free player (or spectator) seat."""

    code = "room_full"


class NotHost(GameError):
    """A host-only command from someone else."""

    code = "not_host"


class NotYourTurn(GameError):
    """A drawer-only command from someone else."""

    code = "not_your_turn"


class WrongPhase(GameError):
    """The command is not allowed in the room's current phase."""

    code = "wrong_phase"


class BadOp(GameError):
    """A drawing op is malformed."""

    code = "bad_op"


class WordInChat(GameError):
    """Chat text that would give the word away (drawer, or a spectator while drawing)."""

    code = "word_in_chat"


class RateLimited(GameError):
    """Too many frames of this kind; raised by the connection layer."""

    code = "rate_limited"


class Maintenance(GameError):
    """The server is in maintenance mode; raised by the web layer."""

    code = "maintenance"


class InvalidSettings(GameError):
    """A settings field is unknown, of the wrong type, or out of range (`field` names it)."""

    code = "invalid_settings"


class CanvasFull(GameError):
    """The turn's op log reached its cap; the batch was not applied."""

    code = "canvas_full"


class NotEnoughPlayers(GameError):
    """`start` with fewer than 2 connected non-spectators."""

    code = "not_enough_players"


class Forbidden(GameError):
    """The sender may not do this (a spectator guessing or voting, a kicked token, ...)."""

    code = "forbidden"


class UnknownPlayer(GameError):
    """The `player_id` of a kick, vote or transfer names nobody in the room."""

    code = "unknown_player"


class AlreadyReacted(GameError):
    """A second reaction in the same turn."""

    code = "already_reacted"


class AlreadyVoted(GameError):
    """A second kick vote from the same voter against the same target."""

    code = "already_voted"


class Filtered(GameError):
    """A chat line, name or room name with a word the room's chat filter blocks."""

    code = "filtered"


class PageSubmitted(GameError):
    """Telephone: the sender's page is marked done; `unsubmit` first to change it."""

    code = "page_submitted"


ALL_ERRORS: tuple[type[GameError], ...] = (
    BadJson, BadMessage, UnknownType, NotJoined, BadName, NameTaken, BadToken,
    RoomFull, NotHost, NotYourTurn, WrongPhase, BadOp, WordInChat, RateLimited,
    Maintenance, InvalidSettings, CanvasFull, NotEnoughPlayers, Forbidden, UnknownPlayer,
    AlreadyReacted, AlreadyVoted, Filtered, PageSubmitted,
)
"""Every error class; their codes are unique and stable (clients may switch on them)."""
