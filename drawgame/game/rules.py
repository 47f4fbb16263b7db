"""The room state machine: commands and time in, effects out.

Every public function takes the RoomState, the current time `now` (seconds
on the room's monotonic clock, e.g. `trio.current_time()`) and returns a
list of effects (effects.py) for the room layer to carry out in order. A
refused command raises a GameError subclass and leaves the state unchanged;
no client input makes these functions raise anything else.

Phases: lobby → (choosing → drawing → reveal) per turn → results → lobby.

Choices made where PROTOCOL.md is silent:

- The game id comes from `room.new_id()` (given to `new_room`; the store
  persists it from the `game_started` record).
- A player "present" for the game is connected or disconnected for less than
  AWAY_S (10 s): a short drop changes nothing. Eligible guessers are the
  present non-spectators other than the drawer, plus anyone who already
  guessed this turn. When fewer than 2 non-spectators are present during a
  game, the game ends early: the running turn is closed (`turn_end`), then
  `results` with `game_over` as usual, its record marked `complete: false`.
- Turns go to connected non-spectators only; a disconnected player's slot in
  a round is skipped, and kept for the next rounds while the seat is held.
- A drawer gone while still choosing (no word yet) gets no `turn_end`: the
  next turn starts at once.
- Only in `drawing` are the drawer's and guessed players' lines on channel
  `guessed`; in other phases everyone talks on `all`. The drawer, who knows
  the word, may not send text containing it (`word_in_chat`); in `choosing`
  the drawer may not send any offered word.
- No refusal or hidden line may tell a seat anything about the word that one
  guess would not. So only the whole line, normalized like a guess, is ever
  compared with the word, never what the line merely contains: a guesser's
  line that is the word is a correct guess, one edit from it gets `close`
  (with the guess as `text`) and reaches nobody else, anything else (also
  "an elephant maybe") is chat to everyone. A spectator's line that is the
  word or one edit from it reaches only the spectator, as an ordinary chat
  line (no `word_in_chat`, no `close`), so the sender learns nothing and
  another seat learns no more than from one guess.
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

Record kinds (Record.data fields; times are on the room clock, the store
stamps wall-clock times itself):

- `player_joined`: player_id, name, spectator, token_hash (TV screens: none)
- `player_left`: player_id, reason (`left`/`expired`/`kicked`)
- `settings`: settings (the Settings dict)
- `game_started`: game_id, settings, players [{id, name}]
- `turn_started`: game_id, turn, round, drawer_id, word, started_at
- `ops`: game_id, turn, ops (a validated batch as relayed, undo included)
- `turn_ended`: game_id, turn, round, drawer_id, word, reason, points
  {player_id: int}, started_at, ended_at, duration_ms, ops (the effective
  drawing, undo applied)
- `scores`: game_id, scores {player_id: int} (after a start and every turn)
- `game_over`: game_id, ranking [{id, name, score, rank}], complete (bool)
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Collection
from typing import Any

from drawgame.game.effects import Close, Effect, Record, Send
from drawgame.game.errors import (
    AlreadyReacted,
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
    NotYourTurn,
    RoomFull,
    UnknownPlayer,
    WordInChat,
    WrongPhase,
)
from drawgame.game.filter import FilterBank, apply_filter
from drawgame.game.hints import hint_times, pick_hint_positions, render_hint
from drawgame.game.matching import contains_word, is_close, is_correct, normalize
from drawgame.game.ops import OpLog
from drawgame.game.protocol import (
    TV_NAME,
    Chat,
    Choose,
    Command,
    Draw,
    Hello,
    Kick,
    Leave,
    Mute,
    Ping,
    React,
    SettingsCmd,
    Start,
    TransferHost,
    VoteKick,
    clean_name,
    name_key,
)
from drawgame.game.scoring import drawer_points, guesser_points
from drawgame.game.settings import Settings
from drawgame.game.state import AWAY_S, GAME_PHASES, ChatEntry, Phase, PlayerState, RoomState
from drawgame.game.views import (
    muted_msg,
    phase_msg,
    player_view,
    players_msg,
    settings_msgs,
    settings_view,
    snapshot,
)
from drawgame.game.words import LANGUAGE_NAMES, WordList, pick_choices, remember_offered

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

REVEAL_S = 5.0
"""How long the word and the turn's points are shown before the next turn."""
RESULTS_S = 15.0
"""How long the final ranking is shown before the room goes back to the lobby."""
HOST_AWAY_S = 30.0
"""A host disconnected this long hands the host role on."""
SEAT_GRACE_S = 120.0
"""Default time a disconnected player's seat, score and slot are held."""
MAX_SPECTATORS = 16
"""Spectator seats, on top of `max_players`."""
MAX_TVS = 4
"""TV screens a room lets watch, on top of the spectators."""
MIN_PLAYERS = 2
"""Non-spectators needed to start, and present to go on with, a game."""
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
    room = RoomState(
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
    return room


# ---------------------------------------------------------------- seats


def join(
    room: RoomState, now: float, player_id: str, name: str, token_hash: str, spectate: bool,
    *, tv: bool = False, marker: str | None = None,
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
                    marker_hash=marker_hash)
    room.players[player_id] = p
    if not spectate and room.phase in GAME_PHASES:
        room.order.append(player_id)
    if room.host_id is None and not spectate:
        room.host_id = player_id
    record = Record("player_joined", {"player_id": player_id, "name": name,
                                      "spectator": spectate, "token_hash": token_hash})
    return [record, _players(room), _system(room, f"{name} joined")]


def hash_marker(marker: str) -> str:
    """Browser markers are kept (and banned) only as SHA-256 hex digests."""
    return hashlib.sha256(b"marker:" + marker.encode("utf-8")).hexdigest()


def _join_tv(room: RoomState, now: float, player_id: str, token_hash: str) -> list[Effect]:
    if sum(1 for p in room.players.values() if p.tv) >= MAX_TVS:
        raise RoomFull(f"this room already has {MAX_TVS} TV screens")
    room.players[player_id] = PlayerState(player_id, TV_NAME, token_hash, True, joined_at=now,
                                          connected_since=now, tv=True)
    return [_players(room)]


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


def resume(room: RoomState, now: float, token_hash: str) -> tuple[str, list[Effect]]:
    """Take a held seat back by token; returns the player id and the effects.

    Score, drawing slot and guessed state are kept. Raises Forbidden for a
    kicked token and BadToken for an unknown one (or an expired seat). A seat
    that is still connected is taken over: the room layer closes the old
    connection with 4409.
    """
    if token_hash in room.banned:
        raise Forbidden("you were kicked from this room")
    p = next((p for p in room.players.values() if p.token_hash == token_hash), None)
    if p is None:
        raise BadToken("unknown token, or the seat has expired", field="token")
    if not p.connected:
        p.connected, p.connected_since = True, now
    p.disconnected_at, p.away = None, False
    effects: list[Effect] = []
    if room.host_id is None and not p.spectator:
        room.host_id = p.id
    effects.append(_players(room))
    if room.phase == "choosing" and p.id == room.drawer_id:
        effects.append(_choices(room, now))
    return p.id, effects


def disconnect(room: RoomState, now: float, player_id: str) -> list[Effect]:
    """The player's connection dropped: the seat is held for `seat_grace_s`."""
    p = room.players.get(player_id)
    if p is None or not p.connected:
        return []
    p.connected, p.disconnected_at, p.away = False, now, False
    return [_players(room), *_settle(room, now)]


def leave(room: RoomState, now: float, player_id: str) -> list[Effect]:
    """The player leaves for good: the seat is freed at once."""
    if player_id not in room.players:
        return []
    effects = _remove(room, now, player_id, "left")
    return [Close(player_id, LEAVE_CLOSE_CODE, "left"), *effects]


def _remove(room: RoomState, now: float, player_id: str, reason: str) -> list[Effect]:
    p = room.players.pop(player_id)
    _drop_from_order(room, player_id)
    room.kick_votes.pop(player_id, None)
    for voters in room.kick_votes.values():
        voters.discard(player_id)
    room.reactions.pop(player_id, None)
    room.muted.discard(player_id)
    if p.tv:
        return [Record("player_left", {"player_id": player_id, "reason": reason}),
                _players(room)]
    verb = {"left": "left", "expired": "left", "kicked": "was kicked"}[reason]
    effects: list[Effect] = [
        Record("player_left", {"player_id": player_id, "reason": reason}),
        _system(room, f"{p.name} {verb}"),
    ]
    if room.host_id == player_id:
        effects += _migrate_host(room)
    if player_id == room.drawer_id and room.phase in ("choosing", "drawing"):
        why = "drawer_kicked" if reason == "kicked" else "drawer_left"
        effects += _end_turn(room, now, why)
    effects.append(_players(room))
    return effects + _settle(room, now)


def _drop_from_order(room: RoomState, player_id: str) -> None:
    if player_id not in room.order:
        return
    index = room.order.index(player_id)
    room.order.pop(index)
    if index <= room.position:
        room.position -= 1  # the next turn goes to whoever followed


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
    return [_notice(f"{new.name} is now the host"), *_host_settings(room)]


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
        case Draw(ops=ops):
            return _draw(room, pid, ops)
        case Choose(index=index):
            return _choose(room, now, pid, index)
        case React(value=value):
            return _react(room, pid, value)
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
        case Leave():
            return leave(room, now, pid)
        case Ping(t=t):
            return [Send((pid,), {"type": "pong", "t": t, "server_ms": round(now * 1000)})]
        case Hello():
            raise BadMessage("already joined")
    raise BadMessage("unsupported command")  # pragma: no cover - Command is exhaustive


def _require_host(room: RoomState, pid: str) -> None:
    if room.host_id != pid:
        raise NotHost("only the host can do that")


def _require_phase(room: RoomState, *phases: str) -> None:
    if room.phase not in phases:
        raise WrongPhase(f"not allowed during {room.phase}")


def _require_drawer(room: RoomState, pid: str) -> None:
    if room.drawer_id != pid:
        raise NotYourTurn("only the drawer can do that")


def _settings(room: RoomState, pid: str, changes: dict[str, Any]) -> list[Effect]:
    _require_host(room, pid)
    _require_phase(room, "lobby")
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
    return [_players(room), Send(None, {"type": "room", "name": room.name})] if changed else []


def _start(room: RoomState, now: float, pid: str) -> list[Effect]:
    _require_host(room, pid)
    _require_phase(room, "lobby")
    if sum(1 for p in room.seated() if p.connected) < MIN_PLAYERS:
        raise NotEnoughPlayers(f"at least {MIN_PLAYERS} connected players are needed to start")
    room.game_id = room.new_id()
    room.used_words.clear()
    room.offered_words.clear()
    room.games_started += 1
    room.kick_votes.clear()
    room.order = [p.id for p in room.seated()]
    room.position, room.round, room.turn = -1, 1, 0
    for p in room.players.values():
        p.score = 0
    started = {"game_id": room.game_id, "settings": room.settings.to_dict(),
               "players": [{"id": p.id, "name": p.name} for p in room.seated()]}
    return [Record("game_started", started), _scores_record(room), *_next_turn(room, now)]


def _choose(room: RoomState, now: float, pid: str, index: int) -> list[Effect]:
    _require_phase(room, "choosing")
    _require_drawer(room, pid)
    if not 0 <= index < len(room.choices):
        raise BadMessage("index is not one of the offered words", field="index")
    return _begin_drawing(room, now, room.choices[index])


def _draw(room: RoomState, pid: str, ops: list[dict[str, Any]]) -> list[Effect]:
    _require_phase(room, "drawing")
    _require_drawer(room, pid)
    room.oplog.apply(ops)
    effects: list[Effect] = []
    others = room.connected_ids(exclude=(pid,))
    if others:
        effects.append(Send(others, {"type": "draw", "from": pid, "ops": ops}))
    effects.append(Record("ops", {"game_id": room.game_id, "turn": room.turn, "ops": ops}))
    return effects


def _react(room: RoomState, pid: str, value: str) -> list[Effect]:
    _require_phase(room, "drawing", "reveal")
    if room.players[pid].spectator or pid == room.drawer_id:
        raise Forbidden("only guessers can react")
    if pid in room.reactions:
        raise AlreadyReacted("you already reacted to this drawing")
    room.reactions[pid] = value
    likes = sum(1 for v in room.reactions.values() if v == "like")
    return [Send(None, {"type": "reaction", "likes": likes,
                        "dislikes": len(room.reactions) - likes})]


# ---------------------------------------------------------------- chat


def _chat(room: RoomState, now: float, pid: str, text: str) -> list[Effect]:
    p = room.players[pid]
    choosing = pid == room.drawer_id and room.phase == "choosing"
    if choosing and any(contains_word(text, w) for w in room.choices):
        raise WordInChat("you cannot say an offered word")
    if room.phase != "drawing" or room.word is None:
        return _said(room, p, text, "all", None)
    word = room.word
    if pid == room.drawer_id:
        if contains_word(text, word):
            raise WordInChat("you cannot give the word away")
        return _guessed_channel(room, p, text)
    if p.guessed:
        return _guessed_channel(room, p, text)
    # Only the whole line counts as a guess; what it merely contains never hides it,
    # so no seat can test many candidate words with one line.
    correct, close = is_correct(text, word), is_close(text, word)
    if p.spectator and (correct or close):
        return [_line(room, _chat_msg(p, text, "all"), frozenset({pid}))]
    if correct:
        return _correct_guess(room, now, p)
    if close:
        return [Send((pid,), {"type": "close", "text": text})]
    return _said(room, p, text, "all", None)


def _said(
    room: RoomState, p: PlayerState, text: str, channel: str, to: frozenset[str] | None
) -> list[Effect]:
    """A chat line that may reach others, through the mute and the room's chat filter."""
    if p.id in room.muted:
        return [_line(room, _chat_msg(p, text, channel), frozenset({p.id}))]
    shown = apply_filter(room.word_filter(), room.settings.chat_filter, text)
    if shown is None:
        raise Filtered("that line has a word this room's chat filter blocks", field="text")
    return [_line(room, _chat_msg(p, shown, channel), to)]


def _chat_msg(p: PlayerState, text: str, channel: str) -> dict[str, Any]:
    return {"type": "chat", "from": p.id, "name": p.name, "text": text, "channel": channel}


def _guessed_channel(room: RoomState, p: PlayerState, text: str) -> list[Effect]:
    audience = [room.drawer_id or "", *room.guess_points, p.id]
    to = frozenset(pid for pid in audience if pid in room.players)
    return _said(room, p, text, "guessed", to)


def _line(room: RoomState, msg: dict[str, Any], to: frozenset[str] | None) -> Effect:
    """Keep a chat line for snapshots and send it to exactly its audience."""
    room.chat.append(ChatEntry(msg, to))
    return Send(None if to is None else tuple(sorted(to)), msg)


def _system(room: RoomState, text: str) -> Effect:
    msg = {"type": "chat", "from": None, "name": None, "text": text, "channel": "system"}
    return _line(room, msg, None)


def _notice(text: str) -> Effect:
    return Send(None, {"type": "notice", "text": text})


def _correct_guess(room: RoomState, now: float, p: PlayerState) -> list[Effect]:
    assert room.deadline is not None and room.word is not None
    draw_ms = room.settings.draw_time_s * 1000
    left_ms = round((room.deadline - now) * 1000)
    points = guesser_points(left_ms, draw_ms, first=not room.guess_points)
    room.guess_points[p.id] = points
    p.guessed = True
    p.score += points
    effects: list[Effect] = [
        Send(None, {"type": "correct", "player_id": p.id, "points": points}),
        Send((p.id,), {"type": "word", "word": room.word}),
        _players(room),
    ]
    return effects + _settle(room, now)


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


def _transfer_host(room: RoomState, pid: str, target: str) -> list[Effect]:
    _require_host(room, pid)
    p = _require_target(room, pid, target)
    if p.spectator or not p.connected:
        raise Forbidden("the host must be a connected player")
    room.host_id = target
    return [_notice(f"{p.name} is now the host"), *_host_settings(room), _players(room)]


# ---------------------------------------------------------------- turns


def _next_turn(room: RoomState, now: float) -> list[Effect]:
    _reset_turn(room)
    if len(room.present_players()) < MIN_PLAYERS:
        return _end_game(room, now, complete=False)
    drawer = _advance(room)
    if drawer is None:
        return _end_game(room, now, complete=True)
    room.drawer_id = drawer
    room.turn += 1
    _offer_words(room)
    _enter(room, now, "choosing", room.settings.choose_time_s)
    return [Send(None, phase_msg(room, now)), _choices(room, now), _players(room)]


def _offer_words(room: RoomState) -> None:
    """Pick the drawer's choices and remember them, so they are not offered again soon."""
    s = room.settings
    picks = pick_choices(
        room.rng, room.words_for(s.language), packs=s.packs, difficulty=s.difficulty,
        custom_words=s.custom_words, custom_only=s.custom_only, used=room.used_words,
        offered=room.offered_words, recent=room.recent_words, n=s.word_choices,
    )
    room.choices = [w.text for w in picks]
    room.choice_difficulties = [w.difficulty for w in picks]
    room.offered_words.update(w.key for w in picks)
    remember_offered(room.recent_words, (w.key for w in picks), room.games_started)


def _reset_turn(room: RoomState) -> None:
    room.drawer_id, room.word, room.choices = None, None, []
    room.choice_difficulties = []
    room.hint_positions, room.hint_times, room.revealed = [], [], 0
    room.guess_points, room.reactions = {}, {}
    room.oplog = OpLog()
    for p in room.players.values():
        p.guessed = False


def _advance(room: RoomState) -> str | None:
    """Move to the next connected player in the order; None when the game is over."""
    for _ in range((len(room.order) + 1) * (room.settings.rounds + 1)):
        room.position += 1
        if room.position >= len(room.order):
            room.position, room.round = 0, room.round + 1
            if room.round > room.settings.rounds or not room.order:
                return None
        p = room.players.get(room.order[room.position])
        if p is not None and p.connected:
            return p.id
    return None


def _enter(room: RoomState, now: float, phase: Phase, duration: float | None) -> None:
    room.phase = phase
    room.phase_started = now
    room.deadline = None if duration is None else now + duration


def _choices(room: RoomState, now: float) -> Effect:
    assert room.drawer_id is not None
    msg = {"type": "choices", "words": list(room.choices),
           "difficulties": list(room.choice_difficulties), "ends_in_ms": _left_ms(room, now)}
    return Send((room.drawer_id,), msg)


def _left_ms(room: RoomState, now: float) -> int | None:
    return None if room.deadline is None else max(0, round((room.deadline - now) * 1000))


def _begin_drawing(room: RoomState, now: float, word: str) -> list[Effect]:
    assert room.drawer_id is not None
    room.word = word
    room.used_words.add(normalize(word))
    s = room.settings
    room.hint_positions = pick_hint_positions(word, s.hints, room.rng)
    room.hint_times = hint_times(word, s.hints, now, s.draw_time_s, sooner=s.relaxed)
    room.revealed = 0
    _enter(room, now, "drawing", s.draw_time_s)
    record = {"game_id": room.game_id, "turn": room.turn, "round": room.round,
              "drawer_id": room.drawer_id, "word": word, "started_at": now}
    return [Send(None, phase_msg(room, now)),
            Send((room.drawer_id,), {"type": "word", "word": word}),
            Record("turn_started", record)]


def _eligible(room: RoomState) -> list[str]:
    present = [p.id for p in room.present_players() if p.id != room.drawer_id]
    return present + [pid for pid in room.guess_points if pid not in present]


def _close_turn(room: RoomState, now: float, reason: str) -> list[Effect]:
    """Score the drawer and announce the turn's end (the phase is left to the caller)."""
    assert room.word is not None and room.drawer_id is not None
    eligible = _eligible(room)
    points = {pid: room.guess_points.get(pid, 0) for pid in eligible}
    drawer = room.players.get(room.drawer_id)
    gained = drawer_points(list(room.guess_points.values()), len(eligible)) if drawer else 0
    if drawer is not None:
        drawer.score += gained
    points[room.drawer_id] = gained
    ended = {"game_id": room.game_id, "turn": room.turn, "round": room.round,
             "drawer_id": room.drawer_id, "word": room.word, "reason": reason,
             "points": points, "started_at": room.phase_started, "ended_at": now,
             "duration_ms": round((now - room.phase_started) * 1000),
             "ops": list(room.oplog.ops)}
    msg = {"type": "turn_end", "word": room.word, "reason": reason, "points": points}
    return [Send(None, msg), Record("turn_ended", ended), _scores_record(room), _players(room)]


def _end_turn(room: RoomState, now: float, reason: str) -> list[Effect]:
    """End the running turn; a drawer gone while choosing just passes the turn on."""
    if room.phase == "choosing":
        return _next_turn(room, now)
    effects = _close_turn(room, now, reason)
    _enter(room, now, "reveal", REVEAL_S)
    return [*effects, Send(None, phase_msg(room, now))]


def _end_game(room: RoomState, now: float, *, complete: bool) -> list[Effect]:
    effects: list[Effect] = []
    if room.phase == "drawing":
        drawer = room.players.get(room.drawer_id or "")
        gone = drawer is None or not drawer.present
        effects += _close_turn(room, now, "drawer_left" if gone else "time_up")
    _reset_turn(room)
    room.round = min(room.round, room.settings.rounds)
    _enter(room, now, "results", RESULTS_S)
    ranking = rank(room)
    over = {"game_id": room.game_id, "ranking": ranking}
    return [*effects, Send(None, phase_msg(room, now)), Send(None, {"type": "game_over", **over}),
            _players(room), Record("game_over", {**over, "complete": complete})]


def rank(room: RoomState) -> list[dict[str, Any]]:
    """The ranking of seated players by score; ties share a rank (1, 1, 3)."""
    players = sorted(room.seated(), key=lambda p: -p.score)
    ranking: list[dict[str, Any]] = []
    for i, p in enumerate(players):
        tied = ranking and ranking[-1]["score"] == p.score
        place = ranking[-1]["rank"] if tied else i + 1
        ranking.append({"id": p.id, "name": p.name, "score": p.score, "rank": place})
    return ranking


def _to_lobby(room: RoomState, now: float) -> list[Effect]:
    _reset_turn(room)
    room.order, room.position, room.round, room.turn = [], -1, 0, 0
    room.game_id = None
    _enter(room, now, "lobby", None)
    effects: list[Effect] = [Send(None, phase_msg(room, now)), _players(room)]
    if room.muted:  # a mute lasts for the rest of the game
        room.muted.clear()
        if room.host_id is not None:
            effects.append(Send((room.host_id,), muted_msg(room)))
    return effects


def _settle(room: RoomState, now: float) -> list[Effect]:
    """End the turn or game when the players present no longer allow it to go on."""
    if room.phase not in GAME_PHASES:
        return []
    if len(room.present_players()) < MIN_PLAYERS:
        return _end_game(room, now, complete=False)
    if room.phase not in ("choosing", "drawing"):
        return []
    drawer = room.players.get(room.drawer_id or "")
    if drawer is None or not drawer.present:
        return _end_turn(room, now, "drawer_left")
    if room.phase == "drawing" and _all_guessed(room):
        return _end_turn(room, now, "all_guessed")
    return []


def _all_guessed(room: RoomState) -> bool:
    waiting = [p for p in room.present_players() if p.id != room.drawer_id and not p.guessed]
    return not waiting and bool(room.guess_points)


def _scores_record(room: RoomState) -> Record:
    scores = {p.id: p.score for p in room.seated()}
    return Record("scores", {"game_id": room.game_id, "scores": scores})


def _players(room: RoomState) -> Effect:
    return Send(None, players_msg(room))


# ---------------------------------------------------------------- time


def tick(room: RoomState, now: float) -> list[Effect]:
    """Carry out everything due at `now`: safe to call at any time, and idempotent.

    Handles: players gone past AWAY_S (drawer_left, too few players), expired
    seats, host migration after HOST_AWAY_S, hint reveals, and the phase
    deadlines (choice timeout takes the first word, time up, reveal → next
    turn, results → lobby).
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
        return [*_migrate_host(room), _players(room)]
    if _hint_due(room, now):
        return _reveal_hints(room, now)
    if room.deadline is not None and now >= room.deadline:
        return _on_deadline(room, now)
    return None


def _host_due(room: RoomState, host: PlayerState, now: float) -> bool:
    due = host.disconnected_at is not None and now >= host.disconnected_at + HOST_AWAY_S
    return due and _host_candidate(room) is not None


def _hint_due(room: RoomState, now: float) -> bool:
    return (
        room.phase == "drawing"
        and room.revealed < len(room.hint_times)
        and now >= room.hint_times[room.revealed]
    )


def _reveal_hints(room: RoomState, now: float) -> list[Effect]:
    assert room.word is not None
    while _hint_due(room, now):
        room.revealed += 1
    hint = render_hint(room.word, room.revealed_positions())
    waiting = room.connected_ids(exclude=(room.drawer_id or "", *room.guess_points))
    return [Send(waiting, {"type": "hint", "hint": hint})] if waiting else []


def _on_deadline(room: RoomState, now: float) -> list[Effect]:
    if room.phase == "choosing":
        return _begin_drawing(room, now, room.choices[0])
    if room.phase == "drawing":
        return _end_turn(room, now, "time_up")
    if room.phase == "reveal":
        return _next_turn(room, now)
    return _to_lobby(room, now)


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
    if room.phase == "drawing" and room.revealed < len(room.hint_times):
        times.append(room.hint_times[room.revealed])
    for p in room.players.values():
        if p.disconnected_at is not None:
            times.append(p.disconnected_at + room.seat_grace_s)
            if not p.away:
                times.append(p.disconnected_at + AWAY_S)
    host = room.players.get(room.host_id or "")
    if host is not None and host.disconnected_at is not None and _host_candidate(room):
        times.append(host.disconnected_at + HOST_AWAY_S)
    return min(times, default=None)
