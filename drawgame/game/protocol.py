"""The client side of the wire protocol: every client message type, parsed and validated.

`parse_client_frame` is the only door from a WebSocket text frame into the
game. It returns a frozen Command dataclass or raises a GameError
(`bad_json`, `bad_message`, `unknown_type`, `bad_name`, `bad_token`,
`bad_op`) with `ref` set to the frame's type when it is a known one; no input
makes it raise anything else. Client frames must hold exactly the fields of
their type (unknown fields are refused), except `settings`, whose fields are
the Settings fields themselves (checked by the rules against the room).
Server messages are plain dicts built by the rules.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, NoReturn

import orjson
import regex

from drawgame.game.avatar import validate_avatar
from drawgame.game.errors import BadJson, BadMessage, BadName, BadToken, GameError, UnknownType
from drawgame.game.matching import JOINER_IN_WORD
from drawgame.game.ops import Op, validate_ops

MAX_NAME_LEN = 24
MAX_CHAT_LEN = 200
MAX_PAGE_TEXT_LEN = 100
"""A telephone sentence page (`submit`, `draft`), in characters after cleaning."""
MAX_TOKEN_LEN = 256
MAX_PLAYER_ID_LEN = 64
MAX_CHOICE_INDEX = 15
MAX_PING_ABS = 2**53
MIN_MARKER_LEN, MAX_MARKER_LEN = 16, 64
TV_NAME = "TV"
"""The name a TV screen's seat gets (TVs need no name; it is shown nowhere)."""
_MARKER = regex.compile(r"[A-Za-z0-9_-]+")
REACTIONS = ("like", "dislike")
_ZWJ = "\u200d"  # kept: it joins emoji sequences
# Characters that show nothing by themselves: white space, the default-ignorable ones
# (joiners, fillers such as U+3164 and U+115F, variation selectors, tags), marks with
# no base, other control and unassigned characters, and the blank braille pattern.
_INVISIBLE = r"\p{White_Space}\p{Default_Ignorable_Code_Point}\p{M}\p{C}\u2800"
_VISIBLE_CHAR = regex.compile(f"[^{_INVISIBLE}]")
_IGNORED_IN_NAMES = regex.compile(r"[\p{Default_Ignorable_Code_Point}\u2800]+")


@dataclass(frozen=True)
class Hello:
    """First frame: join as `name`, or take a seat back with `token`."""

    type: ClassVar[str] = "hello"
    name: str
    token: str | None = None
    spectate: bool = False
    tv: bool = False
    """A TV screen: watches like a spectator without taking a spectator seat."""
    marker: str | None = None
    """The browser's own random marker for this room: a kick bans it, so the same
    browser cannot come back under a new name."""
    avatar: str | None = None
    """The player's drawn avatar as compact JSON (game/avatar.py), None for none."""
    avatar_given: bool = False
    """Whether the frame had an `avatar` field (a resume without one keeps the seat's)."""


@dataclass(frozen=True)
class SettingsCmd:
    """Host changes settings in the lobby; `changes` is checked by the rules."""

    type: ClassVar[str] = "settings"
    changes: dict[str, Any]


@dataclass(frozen=True)
class Start:
    """Host starts a game."""

    type: ClassVar[str] = "start"


@dataclass(frozen=True)
class Choose:
    """Drawer picks the offered word at `index`."""

    type: ClassVar[str] = "choose"
    index: int


@dataclass(frozen=True)
class Draw:
    """Drawer's ops, already validated and normalized by `ops.validate_ops`."""

    type: ClassVar[str] = "draw"
    ops: list[Op]


@dataclass(frozen=True)
class Chat:
    """A chat line, or a guess when a guesser sends it while drawing."""

    type: ClassVar[str] = "chat"
    text: str


@dataclass(frozen=True)
class React:
    """Like or dislike the current drawing."""

    type: ClassVar[str] = "react"
    value: str


@dataclass(frozen=True)
class Kick:
    """Host removes a player for good."""

    type: ClassVar[str] = "kick"
    player_id: str


@dataclass(frozen=True)
class VoteKick:
    """A player's vote to kick another."""

    type: ClassVar[str] = "vote_kick"
    player_id: str


@dataclass(frozen=True)
class TransferHost:
    """Host hands the host role to another player."""

    type: ClassVar[str] = "transfer_host"
    player_id: str


@dataclass(frozen=True)
class Mute:
    """Host mutes (or with `muted: false` unmutes) a player's chat for the rest of the game."""

    type: ClassVar[str] = "mute"
    player_id: str
    muted: bool = True


@dataclass(frozen=True)
class SetAvatar:
    """A player's own drawn avatar, new or changed (None: the letter again)."""

    type: ClassVar[str] = "avatar"
    avatar: str | None


@dataclass(frozen=True)
class HideAvatar:
    """Host hides (or with `hidden: false` shows again) a player's avatar in the room."""

    type: ClassVar[str] = "hide_avatar"
    player_id: str
    hidden: bool = True


@dataclass(frozen=True)
class Ping:
    """Latency probe, answered by the connection layer with `pong`."""

    type: ClassVar[str] = "ping"
    t: int | float


@dataclass(frozen=True)
class Submit:
    """Telephone: the sender's page is done; `text` for a sentence page, None for a drawing."""

    type: ClassVar[str] = "submit"
    text: str | None = None


@dataclass(frozen=True)
class Unsubmit:
    """Telephone: reopen the sender's page while the step lasts."""

    type: ClassVar[str] = "unsubmit"


@dataclass(frozen=True)
class Draft:
    """Telephone: the sender's sentence so far (kept, and used if the step ends first)."""

    type: ClassVar[str] = "draft"
    text: str


@dataclass(frozen=True)
class AlbumNext:
    """Telephone: the host shows the album's next page."""

    type: ClassVar[str] = "album_next"


@dataclass(frozen=True)
class AlbumPrev:
    """Telephone: the host shows the album's previous page."""

    type: ClassVar[str] = "album_prev"


@dataclass(frozen=True)
class Leave:
    """The player leaves and frees the seat at once."""

    type: ClassVar[str] = "leave"


Command = (
    Hello | SettingsCmd | Start | Choose | Draw | Chat | React | Kick | VoteKick
    | TransferHost | Mute | Ping | Leave | Submit | Unsubmit | Draft | AlbumNext | AlbumPrev
    | SetAvatar | HideAvatar
)

CLIENT_TYPES: tuple[str, ...] = (
    "hello", "settings", "start", "choose", "draw", "chat", "react", "kick",
    "vote_kick", "transfer_host", "mute", "ping", "leave",
    "submit", "unsubmit", "draft", "album_next", "album_prev", "avatar", "hide_avatar",
)
"""Every client message type of PROTOCOL.md."""


def parse_client_frame(text: str | bytes) -> Command:
    """Parse one client text frame into a Command, refusing anything malformed."""
    data = _load(text)
    if not isinstance(data, dict):
        raise BadMessage("a frame must be a JSON object with a type")
    kind = data.get("type")
    if not isinstance(kind, str):
        raise BadMessage("type must be a string")
    parser = _PARSERS.get(kind)
    if parser is None:
        raise UnknownType("unknown message type")
    try:
        return parser(data)
    except GameError as e:
        e.ref = kind
        raise


def _load(text: str | bytes) -> Any:
    if not isinstance(text, str):
        raise BadJson("frames must be JSON text")
    try:
        # orjson parses about five times faster than the standard library (every
        # stroke of every drawer is parsed here); what it refuses beyond what JSON
        # itself does (a lone surrogate escape, an integer past 64 bits) gets the
        # standard library's reading, as before, and the cleaning of each field.
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    try:
        return _DECODER.decode(text)
    except (ValueError, RecursionError, TypeError):
        raise BadJson("the frame is not valid JSON") from None


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not allowed")


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)
"""The standard library's decoder, for what orjson refuses (built once)."""


def _only(data: dict[str, Any], allowed: frozenset[str]) -> None:
    extra = set(data) - allowed - {"type"}
    if extra:
        name = sorted(str(k) for k in extra)[0]
        raise BadMessage(f"unknown field {name[:32]!r}", field=name[:32])


def _parse_hello(data: dict[str, Any]) -> Hello:
    _only(data, frozenset({"name", "token", "spectate", "tv", "marker", "avatar"}))
    token = data.get("token")
    spectate, tv = _flag(data, "spectate"), _flag(data, "tv")
    name = data.get("name")
    marker = data.get("marker")
    avatar = validate_avatar(data.get("avatar"))
    if tv and avatar is not None:
        raise BadMessage("a TV screen has no avatar", field="avatar")
    return Hello(
        name=TV_NAME if tv and name is None else clean_name(name),
        token=None if token is None else clean_token(token),
        spectate=spectate or tv,
        tv=tv,
        marker=None if marker is None else clean_marker(marker),
        avatar=avatar,
        avatar_given="avatar" in data,
    )


def _flag(data: dict[str, Any], key: str) -> bool:
    value = data.get(key)
    if value is not None and not isinstance(value, bool):
        raise BadMessage(f"{key} must be true or false", field=key)
    return bool(value)


def clean_marker(raw: object) -> str:
    """A browser's room marker: 16..64 of A-Z, a-z, 0-9, `_` and `-`."""
    if (not isinstance(raw, str) or not MIN_MARKER_LEN <= len(raw) <= MAX_MARKER_LEN
            or not _MARKER.fullmatch(raw)):
        raise BadMessage(f"marker must be {MIN_MARKER_LEN}..{MAX_MARKER_LEN} of A-Z, a-z, 0-9, "
                         "_ and -", field="marker")
    return raw


def _parse_mute(data: dict[str, Any]) -> Mute:
    muted = data.get("muted", True)
    if not isinstance(muted, bool):
        raise BadMessage("muted must be true or false", field="muted")
    rest = {k: v for k, v in data.items() if k != "muted"}
    return Mute(player_id=_player_id(rest), muted=muted)


def _parse_avatar(data: dict[str, Any]) -> SetAvatar:
    _only(data, frozenset({"avatar"}))
    if "avatar" not in data:
        raise BadMessage("avatar is required (null for none)", field="avatar")
    return SetAvatar(avatar=validate_avatar(data["avatar"]))


def _parse_hide_avatar(data: dict[str, Any]) -> HideAvatar:
    hidden = data.get("hidden", True)
    if not isinstance(hidden, bool):
        raise BadMessage("hidden must be true or false", field="hidden")
    rest = {k: v for k, v in data.items() if k != "hidden"}
    return HideAvatar(player_id=_player_id(rest), hidden=hidden)


def _parse_settings(data: dict[str, Any]) -> SettingsCmd:
    changes = {k: v for k, v in data.items() if k != "type"}
    nested = changes.get("settings")
    if len(changes) == 1 and isinstance(nested, dict):
        changes = dict(nested)  # also accept {"type": "settings", "settings": {...}}
    return SettingsCmd(changes=changes)


def _parse_start(data: dict[str, Any]) -> Start:
    _only(data, frozenset())
    return Start()


def _parse_leave(data: dict[str, Any]) -> Leave:
    _only(data, frozenset())
    return Leave()


def _bare(command: Callable[[], Command]) -> Callable[[dict[str, Any]], Command]:
    """The parser of a message with no field but `type`."""
    def parse(data: dict[str, Any]) -> Command:
        _only(data, frozenset())
        return command()
    return parse


def _parse_submit(data: dict[str, Any]) -> Submit:
    _only(data, frozenset({"text"}))
    raw = data.get("text")
    return Submit(text=None if raw is None else clean_page_text(raw, empty=False))


def _parse_draft(data: dict[str, Any]) -> Draft:
    _only(data, frozenset({"text"}))
    return Draft(text=clean_page_text(data.get("text"), empty=True))


def _parse_choose(data: dict[str, Any]) -> Choose:
    _only(data, frozenset({"index"}))
    index = data.get("index")
    if isinstance(index, bool) or not isinstance(index, int):
        raise BadMessage("index must be an integer", field="index")
    if not 0 <= index <= MAX_CHOICE_INDEX:
        raise BadMessage("index is not one of the offered words", field="index")
    return Choose(index=index)


def _parse_draw(data: dict[str, Any]) -> Draw:
    _only(data, frozenset({"ops"}))
    return Draw(ops=validate_ops(data.get("ops")))


def _parse_chat(data: dict[str, Any]) -> Chat:
    _only(data, frozenset({"text"}))
    return Chat(text=clean_chat(data.get("text")))


def _parse_react(data: dict[str, Any]) -> React:
    _only(data, frozenset({"value"}))
    value = data.get("value")
    if value not in REACTIONS:
        raise BadMessage('value must be "like" or "dislike"', field="value")
    return React(value=str(value))


def _player_id(data: dict[str, Any]) -> str:
    _only(data, frozenset({"player_id"}))
    pid = data.get("player_id")
    if not isinstance(pid, str) or not 1 <= len(pid) <= MAX_PLAYER_ID_LEN or not pid.isprintable():
        raise BadMessage("player_id must be a player's id", field="player_id")
    return pid


def _parse_ping(data: dict[str, Any]) -> Ping:
    _only(data, frozenset({"t"}))
    t = data.get("t")
    if isinstance(t, bool) or not isinstance(t, int | float):
        raise BadMessage("t must be a number", field="t")
    if not math.isfinite(t) or abs(t) > MAX_PING_ABS:
        raise BadMessage(f"t must be a finite number within ±{MAX_PING_ABS}", field="t")
    return Ping(t=t)


_PARSERS: dict[str, Callable[[dict[str, Any]], Command]] = {
    "hello": _parse_hello,
    "settings": _parse_settings,
    "start": _parse_start,
    "choose": _parse_choose,
    "draw": _parse_draw,
    "chat": _parse_chat,
    "react": _parse_react,
    "kick": lambda d: Kick(player_id=_player_id(d)),
    "vote_kick": lambda d: VoteKick(player_id=_player_id(d)),
    "transfer_host": lambda d: TransferHost(player_id=_player_id(d)),
    "mute": _parse_mute,
    "ping": _parse_ping,
    "leave": _parse_leave,
    "submit": _parse_submit,
    "unsubmit": _bare(Unsubmit),
    "draft": _parse_draft,
    "album_next": _bare(AlbumNext),
    "album_prev": _bare(AlbumPrev),
    "avatar": _parse_avatar,
    "hide_avatar": _parse_hide_avatar,
}


def _forbidden_char(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category in ("Cc", "Cs", "Co", "Zl", "Zp") or (category == "Cf" and ch != _ZWJ)


def has_forbidden_chars(text: str) -> bool:
    """Control, surrogate, private-use or invisible format characters (names refuse them).

    A zero-width non-joiner between two letters is Persian spelling ("علی‌رضا"), not one.
    """
    return any(_forbidden_char(ch) for ch in JOINER_IN_WORD.sub("", text))


def clean_name(raw: object) -> str:
    """A player name: NFC, trimmed, 1..24 characters, no control characters (BadName)."""
    if not isinstance(raw, str):
        raise BadName("name must be text")
    name = unicodedata.normalize("NFC", raw).strip()
    if not 1 <= len(name) <= MAX_NAME_LEN:
        raise BadName(f"name must be 1..{MAX_NAME_LEN} characters", field="name")
    if has_forbidden_chars(name):
        raise BadName("name may not hold control characters", field="name")
    if not has_visible_char(name):
        raise BadName("name needs at least one visible character", field="name")
    return name


def has_visible_char(text: str) -> bool:
    """Whether `text` shows anything: not only spaces, joiners, fillers or bare marks."""
    return _VISIBLE_CHAR.search(text) is not None


def name_key(name: str) -> str:
    """What makes two names the same: case, look-alike forms (fullwidth, ligatures), and
    characters that show nothing (a zero-width joiner, U+3164, ...) or extra spaces."""
    folded = unicodedata.normalize("NFKC", name)
    return " ".join(_IGNORED_IN_NAMES.sub("", folded).split()).casefold()


def clean_chat(raw: object) -> str:
    """Chat text: NFC; line breaks and other control characters become spaces,
    invisible format characters (bidi overrides, ...) are dropped (a zero-width
    non-joiner between two letters, Persian spelling, is kept), then trimmed;
    1..200 characters or BadMessage. Pasted multi-line text thus still goes
    through as one line, and nothing invisible can hide inside a message.
    """
    text = _one_line(raw)
    if not 1 <= len(text) <= MAX_CHAT_LEN:
        raise BadMessage(f"text must be 1..{MAX_CHAT_LEN} characters", field="text")
    return text


def clean_page_text(raw: object, *, empty: bool) -> str:
    """A telephone sentence, cleaned like chat: 1..100 characters (0..100 with `empty`,
    for a draft), or BadMessage."""
    text = _one_line(raw)
    if not (0 if empty else 1) <= len(text) <= MAX_PAGE_TEXT_LEN:
        least = 0 if empty else 1
        raise BadMessage(f"text must be {least}..{MAX_PAGE_TEXT_LEN} characters", field="text")
    if text and not has_visible_char(text):
        raise BadMessage("text needs at least one visible character", field="text")
    return text


def _one_line(raw: object) -> str:
    """NFC; line breaks and other control characters become spaces, invisible format
    characters are dropped (a zero-width non-joiner between two letters, Persian
    spelling, is kept), then trimmed."""
    if not isinstance(raw, str):
        raise BadMessage("text must be text", field="text")
    nfc = unicodedata.normalize("NFC", raw)
    joiners = {m.start() for m in JOINER_IN_WORD.finditer(nfc)}
    return "".join(
        " " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
        for i, ch in enumerate(nfc)
        if not _forbidden_char(ch) or i in joiners or unicodedata.category(ch) in ("Cc", "Zl", "Zp")
    ).strip()


def clean_token(raw: object) -> str:
    """A resume token: 1..256 printable ASCII characters (BadToken)."""
    if (
        not isinstance(raw, str)
        or not 1 <= len(raw) <= MAX_TOKEN_LEN
        or not all("!" <= ch <= "~" for ch in raw)
    ):
        raise BadToken("token is malformed", field="token")
    return raw
