"""The room core: seats, presence, the host, kicks, votes, mutes, chat and settings.

Every public function takes the RoomState, the current time `now` (seconds
on the room's monotonic clock, e.g. `trio.current_time()`) and returns a
list of effects (effects.py) for the room layer to carry out in order. A
refused command raises a GameError subclass and leaves the state unchanged;
no client input makes these functions raise anything else.

What every room has whatever it plays lives here; a game is played by the
mode its settings name (`mode`: game/modes/, one pure module each, behind
the `ModeRules` interface of modes/base.py). The core hands the running mode
the game's start, the mode's own commands (`draw`, `choose`, `submit`, ...),
chat lines during a game, and every seat that joins, comes back, goes away
or is freed; it asks the mode what is due and when, and what players see.

Choices made where PROTOCOL.md is silent (each mode's module lists its own):

- The game id comes from `room.new_id()` (given to `new_room`; the store
  persists it from the `game_started` record).
- A player "present" for the game is connected or disconnected for less than
  AWAY_S (10 s): a short drop changes nothing.
- A mode's command outside its game (in the lobby, or a `choose` during a
  telephone game) is refused with `wrong_phase`.
- System chat lines have `from: null, name: null, channel: "system"`.
- `leave` also closes the connection (Close 1000, "left").
- The host is always a non-spectator; with none seated, the room has no
  host until a player joins or resumes.
- A TV screen (hello `tv`) is a watcher: it sees what a spectator sees, is
  in no player list (`players` and the snapshot carry `tvs`, how many are
  connected), takes none of the MAX_SPECTATORS seats but one of MAX_TVS,
  gets no join or leave line, and may send nothing but `leave` and `ping`.
- `mute` lasts until the game ends (the room's return to the lobby); a
  player muted in the lobby stays muted through the next game. A muted
  player's chat lines reach only themselves (guesses still count, and
  `close` still comes); only the host learns who is muted (`muted`).
- A kick bans the seat's token and the browser's room marker (hello
  `marker`): a new hello with that marker is refused (`forbidden`, close
  4001). Nothing is banned by address, so a household behind one address
  is never kicked together.
- The chat filter (`chat_filter`, game/filter.py) masks or blocks chat
  lines that reach others, names at hello, and the room name; switching it
  on (from `off`) masks the names already seated and the room name.
- Drawn avatars (game/avatar.py) travel once: in the snapshot's `avatars`
  and in an `avatar` message to everyone when a seat's shown avatar appears,
  changes, or is hidden or shown again; `Player.avatar` only says there is
  one. A seat that is freed (left, expired, kicked) takes its avatar with it
  (clients forget the avatars of ids no longer in `players`). The host's
  `hide_avatar` lasts as long as the seat: a new drawing from that player
  stays hidden. A TV screen has no avatar. A `hello` that resumes a seat
  with an `avatar` field (null included) replaces the seat's avatar; one
  without the field keeps it.

Record kinds of the core (Record.data fields); the modes list theirs:

- `player_joined`: player_id, name, spectator, token_hash (TV screens: none)
- `player_left`: player_id, reason (`left`/`expired`/`kicked`)
- `settings`: settings (the Settings dict)
- `game_avatar`: game_id, player_id, avatar (compact JSON, or None: none or
  hidden): a player's avatar as the game's album shows it; one for each
  player at the game's start, and again whenever it changes during the game
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Collection
from typing import Any

from drawgame.game.effects import Close, Effect, Record, Send
from drawgame.game.errors import (
    AlreadyVoted,
    BadMessage,
    BadToken,
    Filtered,
    Forbidden,
    GameError,
    InvalidSettings,
    NameTaken,
    NotEnoughPlayers,
    NotHost,
    NotJoined,
    RoomFull,
    UnknownPlayer,
    WrongPhase,
)
from drawgame.game.filter import FilterBank, apply_filter
from drawgame.game.modes import MODES
from drawgame.game.modes import base as common
from drawgame.game.modes.classic import MIN_PLAYERS, RESULTS_S, REVEAL_S, rank
from drawgame.game.protocol import (
    TV_NAME,
    Chat,
    Command,
    Hello,
    HideAvatar,
    Kick,
    Leave,
    Mute,
    Ping,
    SetAvatar,
    SettingsCmd,
    Start,
    TransferHost,
    VoteKick,
    clean_name,
    name_key,
)
from drawgame.game.settings import Settings
from drawgame.game.state import AWAY_S, LOBBY, PlayerState, RoomState
from drawgame.game.views import (
    avatar_msg,
    muted_msg,
    player_view,
    players_msg,
    settings_msgs,
    settings_view,
    snapshot,
)
from drawgame.game.words import LANGUAGE_NAMES, WordList

__all__ = [
    "AWAY_S",
    "HOST_AWAY_S",
    "MAX_SPECTATORS",
    "MAX_TVS",
    "MIN_PLAYERS",
    "RESULTS_S",
    "REVEAL_S",
    "SEAT_GRACE_S",
    "disconnect",
    "handle",
    "join",
    "kick_votes_needed",
    "leave",
    "name_key",
    "new_room",
    "next_deadline",
    "player_view",
    "players_msg",
    "rank",
    "resume",
    "snapshot",
    "tick",
]

HOST_AWAY_S = 30.0
"""A host disconnected this long hands the host role on."""
SEAT_GRACE_S = 120.0
"""Default time a disconnected player's seat, score and slot are held."""
MAX_SPECTATORS = 16
"""Spectator seats, on top of `max_players`."""
MAX_TVS = 4
"""TV screens a room lets watch, on top of the spectators."""
KICK_CLOSE_CODE = 4001
LEAVE_CLOSE_CODE = 1000
_MAX_TICK_STEPS = 1000  # bound on transitions in one tick; each step makes progress


# ---------------------------------------------------------------- creation


def new_room(
    code: str,
    name: str,
    private: bool,
    settings: Settings,
    rng: random.Random,
    words_for: Callable[[str], WordList],
    *,
    new_id: Callable[[], str] | None = None,
    languages: Collection[str] | None = None,
    seat_grace_s: float = SEAT_GRACE_S,
    filters: FilterBank | None = None,
) -> RoomState:
    """A new empty room in the lobby.

    `words_for(language)` gives a language's word list (no I/O here: pass the
    WordBank's `words`); `new_id()` makes game ids (default: from `rng`);
    `languages` are the codes settings may name (default: LANGUAGE_NAMES);
    `filters` the chat filter's lists (default: none, nothing is filtered).
    The name is taken as given: the API filters it before.
    """
    return RoomState(
        code=code,
        name=name,
        private=private,
        settings=settings,
        rng=rng,
        words_for=words_for,
        new_id=new_id or (lambda: f"g{rng.getrandbits(64):016x}"),
        languages=frozenset(languages if languages is not None else LANGUAGE_NAMES),
        seat_grace_s=seat_grace_s,
        filters=filters or FilterBank.empty(),
    )


# ---------------------------------------------------------------- seats


def join(
    room: RoomState, now: float, player_id: str, name: str, token_hash: str, spectate: bool,
    *, tv: bool = False, marker: str | None = None, avatar: str | None = None,
) -> list[Effect]:
    """Seat a new player (or spectator, or TV screen); the room layer then sends
    `welcome` from `snapshot`.

    Raises BadName, NameTaken (same name ignoring case), Filtered (a name the
    blocking filter refuses), RoomFull, and Forbidden for a kicked browser's
    `marker`.
    """
    marker_hash = None if marker is None else hash_marker(marker)
    if marker_hash is not None and marker_hash in room.banned:
        raise Forbidden("you were kicked from this room")
    if player_id in room.players:
        raise Forbidden("this player id is already seated")
    if tv:
        return _join_tv(room, now, player_id, token_hash)
    name = _filtered_name(room, clean_name(name))
    folded = name_key(name)
    if any(name_key(p.name) == folded for p in room.seated(spectators=True)):
        raise NameTaken(f"the name {name!r} is taken in this room", field="name")
    _check_free_seat(room, spectate)
    p = PlayerState(player_id, name, token_hash, spectate, joined_at=now, connected_since=now,
                    marker_hash=marker_hash, avatar=avatar)
    room.players[player_id] = p
    if room.host_id is None and not spectate:
        room.host_id = player_id
    record = Record("player_joined", {"player_id": player_id, "name": name,
                                      "spectator": spectate, "token_hash": token_hash})
    game = [] if room.mode is None else room.mode.joined(room, now, p)
    face = _avatar_news(room, p) if avatar is not None else []
    return [record, *game, *face, common.players(room), common.system(room, f"{name} joined")]


def _avatar_news(room: RoomState, p: PlayerState) -> list[Effect]:
    """A seat's shown avatar changed: everyone gets it (the joiner has it in its
    snapshot), and a running game's album keeps it."""
    return [Send(None, avatar_msg(p)), *_game_avatar(room, p)]


def _game_avatar(room: RoomState, p: PlayerState) -> list[Effect]:
    if room.game is None or room.game_id is None or p.spectator or p.tv:
        return []
    return [Record("game_avatar", {"game_id": room.game_id, "player_id": p.id,
                                   "avatar": p.shown_avatar})]


def hash_marker(marker: str) -> str:
    """Browser markers are kept (and banned) only as SHA-256 hex digests."""
    return hashlib.sha256(b"marker:" + marker.encode("utf-8")).hexdigest()


def _join_tv(room: RoomState, now: float, player_id: str, token_hash: str) -> list[Effect]:
    if sum(1 for p in room.players.values() if p.tv) >= MAX_TVS:
        raise RoomFull(f"this room already has {MAX_TVS} TV screens")
    room.players[player_id] = PlayerState(player_id, TV_NAME, token_hash, True, joined_at=now,
                                          connected_since=now, tv=True)
    return [common.players(room)]


def _filtered_name(room: RoomState, name: str) -> str:
    shown = apply_filter(room.word_filter(), room.settings.chat_filter, name)
    if shown is None:
        raise Filtered("this name is not allowed in this room", field="name")
    return shown


def _check_free_seat(room: RoomState, spectate: bool) -> None:
    if spectate:
        if sum(1 for p in room.seated(spectators=True) if p.spectator) >= MAX_SPECTATORS:
            raise RoomFull("no spectator seat is free")
    elif sum(1 for _ in room.seated()) >= room.settings.max_players:
        raise RoomFull("the room is full")


def resume(
    room: RoomState, now: float, token_hash: str, *, avatar: str | None = None,
    avatar_given: bool = False,
) -> tuple[str, list[Effect]]:
    """Take a held seat back by token; returns the player id and the effects.

    Score, avatar and the seat's place in the running game are kept; with
    `avatar_given` (the hello had an `avatar` field) `avatar` replaces the
    seat's (not a TV screen's: it has none). Raises
    Forbidden for a kicked token and BadToken for an unknown one (or an
    expired seat). A seat that is still connected is taken over: the room
    layer closes the old connection with 4409.
    """
    if token_hash in room.banned:
        raise Forbidden("you were kicked from this room")
    p = next((p for p in room.players.values() if p.token_hash == token_hash), None)
    if p is None:
        raise BadToken("unknown token, or the seat has expired", field="token")
    if not p.connected:
        p.connected, p.connected_since = True, now
    p.disconnected_at, p.away = None, False
    if room.host_id is None and not p.spectator:
        room.host_id = p.id
    effects: list[Effect] = []
    if avatar_given and not p.tv and avatar != p.avatar:
        p.avatar = avatar
        effects += _avatar_news(room, p) if not p.avatar_hidden else []
    effects.append(common.players(room))
    if room.mode is not None:
        effects += room.mode.resumed(room, now, p)
    return p.id, effects


def disconnect(room: RoomState, now: float, player_id: str) -> list[Effect]:
    """The player's connection dropped: the seat is held for `seat_grace_s`."""
    p = room.players.get(player_id)
    if p is None or not p.connected:
        return []
    p.connected, p.disconnected_at, p.away = False, now, False
    return [common.players(room), *_settle(room, now)]


def leave(room: RoomState, now: float, player_id: str) -> list[Effect]:
    """The player leaves for good: the seat is freed at once."""
    if player_id not in room.players:
        return []
    effects = _remove(room, now, player_id, "left")
    return [Close(player_id, LEAVE_CLOSE_CODE, "left"), *effects]


def _remove(room: RoomState, now: float, player_id: str, reason: str) -> list[Effect]:
    p = room.players.pop(player_id)
    room.kick_votes.pop(player_id, None)
    for voters in room.kick_votes.values():
        voters.discard(player_id)
    room.muted.discard(player_id)
    if p.tv:
        return [Record("player_left", {"player_id": player_id, "reason": reason}),
                common.players(room)]
    verb = {"left": "left", "expired": "left", "kicked": "was kicked"}[reason]
    effects: list[Effect] = [
        Record("player_left", {"player_id": player_id, "reason": reason}),
        common.system(room, f"{p.name} {verb}"),
    ]
    if room.host_id == player_id:
        effects += _migrate_host(room)
    if room.mode is not None:
        effects += room.mode.removed(room, now, p, reason)
    effects.append(common.players(room))
    return effects + _settle(room, now)


def _settle(room: RoomState, now: float) -> list[Effect]:
    return [] if room.mode is None else room.mode.settle(room, now)


# ---------------------------------------------------------------- host


def _host_candidate(room: RoomState) -> PlayerState | None:
    """The longest-present connected non-spectator other than the host."""
    candidates = [p for p in room.seated() if p.connected and p.id != room.host_id]
    return min(candidates, key=lambda p: p.connected_since, default=None)


def _migrate_host(room: RoomState) -> list[Effect]:
    new = _host_candidate(room)
    room.host_id = new.id if new is not None else None
    if new is None:
        return []
    return [common.notice(f"{new.name} is now the host"), *_host_settings(room)]


def _host_settings(room: RoomState) -> list[Effect]:
    """A new host gets the settings with the custom words, and who is muted: what only
    the host sees."""
    if room.host_id is None:
        return []
    effects: list[Effect] = []
    if room.settings.custom_words:
        msg = {"type": "settings", "settings": settings_view(room, room.host_id)}
        effects.append(Send((room.host_id,), msg))
    if room.muted:
        effects.append(Send((room.host_id,), muted_msg(room)))
    return effects


# ---------------------------------------------------------------- commands


def handle(room: RoomState, now: float, player_id: str, cmd: Command) -> list[Effect]:
    """Apply a seated player's command (all but `hello`); refused ones raise GameError.

    The error's `ref` is set to the command's type.
    """
    try:
        if player_id not in room.players:
            raise NotJoined("send hello first")
        if room.players[player_id].tv and not isinstance(cmd, Leave | Ping):
            raise Forbidden("a TV screen only watches")
        return _dispatch(room, now, player_id, cmd)
    except GameError as e:
        if e.ref is None:
            e.ref = cmd.type
        raise


def _dispatch(room: RoomState, now: float, pid: str, cmd: Command) -> list[Effect]:
    match cmd:
        case Chat(text=text):
            return _chat(room, now, pid, text)
        case Start():
            return _start(room, now, pid)
        case SettingsCmd(changes=changes):
            return _settings(room, pid, changes)
        case Kick(player_id=target):
            return _kick(room, now, pid, target)
        case VoteKick(player_id=target):
            return _vote_kick(room, now, pid, target)
        case TransferHost(player_id=target):
            return _transfer_host(room, pid, target)
        case Mute(player_id=target, muted=muted):
            return _mute(room, pid, target, muted)
        case SetAvatar(avatar=avatar):
            return _set_avatar(room, pid, avatar)
        case HideAvatar(player_id=target, hidden=hidden):
            return _hide_avatar(room, pid, target, hidden)
        case Leave():
            return leave(room, now, pid)
        case Ping(t=t):
            return [Send((pid,), {"type": "pong", "t": t, "server_ms": round(now * 1000)})]
        case Hello():
            raise BadMessage("already joined")
    mode = room.mode
    if mode is None or cmd.type not in mode.command_types:
        raise WrongPhase(f"not allowed during {room.phase}")
    return mode.command(room, now, pid, cmd)


def _require_host(room: RoomState, pid: str) -> None:
    if room.host_id != pid:
        raise NotHost("only the host can do that")


def _require_lobby(room: RoomState) -> None:
    if room.phase != LOBBY:
        raise WrongPhase(f"not allowed during {room.phase}")


def _settings(room: RoomState, pid: str, changes: dict[str, Any]) -> list[Effect]:
    _require_host(room, pid)
    _require_lobby(room)
    new = Settings.from_dict(changes, base=room.settings, languages=room.languages,
                             packs_for=lambda code: room.words_for(code).packs)
    seated = sum(1 for _ in room.seated())
    if new.max_players < seated:
        raise InvalidSettings(
            f"max_players must be at least the {seated} players seated", field="max_players"
        )
    turned_on = room.settings.chat_filter == "off" and new.chat_filter != "off"
    room.settings = new
    sends: list[Effect] = [Send(to, msg) for to, msg in settings_msgs(room)]
    if turned_on:
        sends += _mask_names(room)
    return [*sends, Record("settings", {"settings": new.to_dict()})]


def _mask_names(room: RoomState) -> list[Effect]:
    """The filter was switched on: mask the room's name and the names already seated
    (they cannot be refused any more, so `block` masks them too)."""
    words = room.word_filter()
    changed = False
    for p in room.seated(spectators=True):
        masked = words.mask(p.name)
        changed = changed or masked != p.name
        p.name = masked
    name = words.mask(room.name)
    if name != room.name:
        room.name = name
        changed = True
    return [common.players(room), Send(None, {"type": "room", "name": room.name})] if changed \
        else []


def _start(room: RoomState, now: float, pid: str) -> list[Effect]:
    _require_host(room, pid)
    _require_lobby(room)
    mode = MODES.get(room.settings.mode)
    if mode is None:
        raise InvalidSettings(f"mode {room.settings.mode!r} cannot be played here", field="mode")
    need = mode.min_players
    if sum(1 for p in room.seated() if p.connected) < need:
        raise NotEnoughPlayers(f"at least {need} connected players are needed to start")
    effects = mode.start(room, now)
    # After the mode's `game_started` record: the album keeps each player's avatar.
    for p in room.seated():
        if p.shown_avatar is not None:
            effects += _game_avatar(room, p)
    return effects


# ---------------------------------------------------------------- chat


def _chat(room: RoomState, now: float, pid: str, text: str) -> list[Effect]:
    p = room.players[pid]
    if room.mode is not None:
        effects = room.mode.chat(room, now, p, text)
        if effects is not None:
            return effects
    return common.said(room, p, text, "all", None)


# ---------------------------------------------------------------- kicks


def _kick(room: RoomState, now: float, pid: str, target: str) -> list[Effect]:
    _require_host(room, pid)
    _require_target(room, pid, target)
    return _do_kick(room, now, target)


def _require_target(room: RoomState, pid: str, target: str) -> PlayerState:
    p = room.players.get(target)
    if p is None:
        raise UnknownPlayer("no such player in this room", field="player_id")
    if target == pid:
        raise Forbidden("you cannot do that to yourself")
    return p


def _do_kick(room: RoomState, now: float, target: str) -> list[Effect]:
    p = room.players[target]
    room.banned.add(p.token_hash)
    if p.marker_hash is not None:
        room.banned.add(p.marker_hash)
    return [Close(target, KICK_CLOSE_CODE, "kicked"), *_remove(room, now, target, "kicked")]


def kick_votes_needed(room: RoomState, target: str) -> int:
    """Votes to kick `target`: a majority of the other connected players, at least 2."""
    others = sum(1 for p in room.seated() if p.connected and p.id != target)
    return max(2, others // 2 + 1)


def _vote_kick(room: RoomState, now: float, pid: str, target: str) -> list[Effect]:
    if room.players[pid].spectator:
        raise Forbidden("spectators cannot vote")
    _require_target(room, pid, target)
    voters = room.kick_votes.get(target, set())
    if pid in voters:
        raise AlreadyVoted("you already voted to kick this player")
    room.kick_votes[target] = voters | {pid}
    votes = sum(
        1 for v in room.kick_votes[target]
        if v in room.players and room.players[v].connected and not room.players[v].spectator
    )
    needed = kick_votes_needed(room, target)
    msg = {"type": "kick_vote", "target_id": target, "votes": votes, "needed": needed}
    effects: list[Effect] = [Send(None, msg)]
    if votes >= needed:
        effects += _do_kick(room, now, target)
    return effects


def _mute(room: RoomState, pid: str, target: str, muted: bool) -> list[Effect]:
    _require_host(room, pid)
    _require_target(room, pid, target)
    if muted == (target in room.muted):
        return [Send((pid,), muted_msg(room))]
    if muted:
        room.muted.add(target)
    else:
        room.muted.discard(target)
    return [Send((pid,), muted_msg(room))]


def _set_avatar(room: RoomState, pid: str, avatar: str | None) -> list[Effect]:
    p = room.players[pid]
    if avatar == p.avatar:
        return [Send((pid,), avatar_msg(p))]
    p.avatar = avatar
    if p.avatar_hidden:
        return [Send((pid,), avatar_msg(p))]
    return [*_avatar_news(room, p), common.players(room)]


def _hide_avatar(room: RoomState, pid: str, target: str, hidden: bool) -> list[Effect]:
    _require_host(room, pid)
    p = _require_target(room, pid, target)
    if hidden == p.avatar_hidden:
        return [Send((pid,), avatar_msg(p))]
    p.avatar_hidden = hidden
    return [*_avatar_news(room, p), common.players(room)]


def _transfer_host(room: RoomState, pid: str, target: str) -> list[Effect]:
    _require_host(room, pid)
    p = _require_target(room, pid, target)
    if p.spectator or not p.connected:
        raise Forbidden("the host must be a connected player")
    room.host_id = target
    return [common.notice(f"{p.name} is now the host"), *_host_settings(room),
            common.players(room)]


# ---------------------------------------------------------------- time


def tick(room: RoomState, now: float) -> list[Effect]:
    """Carry out everything due at `now`: safe to call at any time, and idempotent.

    Handles: players gone past AWAY_S (the mode settles), expired seats, host
    migration after HOST_AWAY_S, and whatever the running mode has due
    (phase deadlines, hints).
    """
    effects: list[Effect] = []
    for _ in range(_MAX_TICK_STEPS):
        step = _tick_step(room, now)
        if step is None:
            break
        effects += step
    return effects


def _tick_step(room: RoomState, now: float) -> list[Effect] | None:
    """Do the first thing due, returning its effects; None when nothing is due."""
    for p in list(room.players.values()):
        if p.disconnected_at is None:
            continue
        if now >= p.disconnected_at + room.seat_grace_s:
            return _remove(room, now, p.id, "expired")
        if not p.away and now >= p.disconnected_at + AWAY_S:
            p.away = True
            return _settle(room, now)
    host = room.players.get(room.host_id or "")
    if host is not None and _host_due(room, host, now):
        return [*_migrate_host(room), common.players(room)]
    if room.mode is not None:
        return room.mode.due(room, now)
    return None


def _host_due(room: RoomState, host: PlayerState, now: float) -> bool:
    due = host.disconnected_at is not None and now >= host.disconnected_at + HOST_AWAY_S
    return due and _host_candidate(room) is not None


def next_deadline(room: RoomState) -> float | None:
    """The earliest time `tick` has something to do (None: nothing until an event).

    After `tick(room, now)` this is always None or later than `now`, so the
    room can sleep until it without spinning. After another event it may lie
    in the past (e.g. a player joins who can take over from a host long gone):
    then the room ticks at once.
    """
    times: list[float] = []
    if room.deadline is not None:
        times.append(room.deadline)
    if room.mode is not None:
        times += room.mode.deadlines(room)
    for p in room.players.values():
        if p.disconnected_at is not None:
            times.append(p.disconnected_at + room.seat_grace_s)
            if not p.away:
                times.append(p.disconnected_at + AWAY_S)
    host = room.players.get(room.host_id or "")
    if host is not None and host.disconnected_at is not None and _host_candidate(room):
        times.append(host.disconnected_at + HOST_AWAY_S)
    return min(times, default=None)
