"""What a game mode is to the room, and the helpers every mode shares.

A mode is one pure module (state in, effects out, time passed in, no I/O)
exposing a `ModeRules` object. The room core (rules.py) keeps what every
room has: seats, presence, the host, kicks, votes, mutes, the chat filter,
settings, spectators and TV screens. It hands a mode the game's start, the
mode's own commands, chat lines during a game, and the news that a seat
joined, came back, went away or was freed; it asks the mode what is due and
when, and what players see of the game. persist.py stores a game through
`dump`/`load`, and the registry restores its drawings through
`content_query`/`restore`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from drawgame.game.effects import Effect, Send
from drawgame.game.errors import Filtered
from drawgame.game.filter import apply_filter
from drawgame.game.ops import Op
from drawgame.game.protocol import Command
from drawgame.game.state import LOBBY, ChatEntry, GameState, Phase, PlayerState, RoomState
from drawgame.game.views import muted_msg, phase_msg, players_msg

# ---------------------------------------------------------------- restoring drawings


@dataclass(frozen=True)
class ContentQuery:
    """The drawings and pages a recovered game needs back from the store.

    `turns`: classic turn numbers whose op batches to read; `pages`: whether
    to read every telephone page of the game (text and op batches).
    """

    game_id: str
    turns: tuple[int, ...] = ()
    pages: bool = False


@dataclass(frozen=True)
class StoredPage:
    """A telephone page as the store has it: its latest text and its op batches."""

    book: int
    page: int
    text: str
    batches: tuple[Sequence[Op], ...]


@dataclass(frozen=True)
class Content:
    """What the store answered to a ContentQuery."""

    turns: dict[int, list[list[Op]]] = field(default_factory=dict)
    pages: tuple[StoredPage, ...] = ()


# ---------------------------------------------------------------- the interface


class ModeRules(Protocol):
    """The small interface through which the room runs a mode's games.

    Every function is pure: it reads and changes the RoomState (and the
    mode's own GameState in `room.game`), takes the time `now`, and returns
    effects; refusals raise GameError and change nothing.
    """

    name: str
    """The `mode` setting's value."""
    phases: frozenset[Phase]
    """The phases of a running game (the room is in `lobby` otherwise)."""
    playing_phases: frozenset[Phase]
    """Phases in which players are at work (a new non-spectator waits for the next game)."""
    min_players: int
    """Connected non-spectators needed to start."""
    command_types: frozenset[str]
    """Client message types the mode handles (the core answers `wrong_phase` in the lobby)."""

    def start(self, room: RoomState, now: float) -> list[Effect]:
        """The host asked to start in the lobby: set `room.game` and enter the first phase.

        The core has checked host and phase and set `game_id`; the mode
        checks what it needs (players, settings) and raises before changing
        anything.
        """
        ...

    def command(self, room: RoomState, now: float, pid: str, cmd: Command) -> list[Effect]:
        """One of the mode's own commands from a seated player, during a game."""
        ...

    def chat(self, room: RoomState, now: float, p: PlayerState, text: str) -> list[Effect] | None:
        """A chat line during a game: the mode's effects, or None for an ordinary line."""
        ...

    def joined(self, room: RoomState, now: float, p: PlayerState) -> list[Effect]:
        """A new seat during a game."""
        ...

    def resumed(self, room: RoomState, now: float, p: PlayerState) -> list[Effect]:
        """A held seat was taken back during a game (the snapshot went out already)."""
        ...

    def removed(self, room: RoomState, now: float, p: PlayerState, reason: str) -> list[Effect]:
        """A seat was freed during a game (`left`, `expired`, `kicked`)."""
        ...

    def settle(self, room: RoomState, now: float) -> list[Effect]:
        """Presence changed: end the step, turn or game when it can no longer go on."""
        ...

    def due(self, room: RoomState, now: float) -> list[Effect] | None:
        """Do the first thing due at `now` (a deadline, a hint); None when nothing is."""
        ...

    def deadlines(self, room: RoomState) -> list[float]:
        """When `due` will have something to do, besides `room.deadline`."""
        ...

    def player_flags(self, room: RoomState, p: PlayerState) -> dict[str, bool]:
        """The Player object's game flags (`drawer`, `guessed`, `done`) for `p`."""
        ...

    def phase_fields(self, room: RoomState, now: float) -> dict[str, Any]:
        """The game's fields of the `phase` message and RoomSummary."""
        ...

    def snapshot_fields(self, room: RoomState, now: float, viewer: str | None
                        ) -> dict[str, Any]:
        """The game's fields of the welcome snapshot, as `viewer` may see them."""
        ...

    def dump(self, room: RoomState, now: float, *, drawings: bool) -> dict[str, Any]:
        """The game as JSON-ready data, times relative to `now`; drawings only when asked
        (the store keeps them apart, see `content_query`)."""
        ...

    def load(self, room: RoomState, data: dict[str, Any], now: float) -> GameState:
        """The game back from `dump` data on a new clock (with the drawings it holds; the
        registry restores the others later)."""
        ...

    def content_query(self, room: RoomState) -> ContentQuery | None:
        """What a recovered game needs from the store (None: nothing)."""
        ...

    def restore(self, room: RoomState, content: Content) -> None:
        """Put the stored drawings (and pages) back into the recovered game."""
        ...


# ---------------------------------------------------------------- shared helpers


def enter(room: RoomState, now: float, phase: Phase, duration: float | None) -> None:
    """Enter `phase` at `now`, ending by itself after `duration` seconds (None: never)."""
    room.phase = phase
    room.phase_started = now
    room.deadline = None if duration is None else now + duration


def left_ms(room: RoomState, now: float) -> int | None:
    """Time left in the phase in ms, never negative; None when it has no end."""
    return None if room.deadline is None else max(0, round((room.deadline - now) * 1000))


def players(room: RoomState) -> Effect:
    """The `players` message to everyone."""
    return Send(None, players_msg(room))


def phase(room: RoomState, now: float) -> Effect:
    """The `phase` message to everyone."""
    return Send(None, phase_msg(room, now))


def notice(text: str) -> Effect:
    return Send(None, {"type": "notice", "text": text})


def chat_msg(p: PlayerState, text: str, channel: str) -> dict[str, Any]:
    return {"type": "chat", "from": p.id, "name": p.name, "text": text, "channel": channel}


def line(room: RoomState, msg: dict[str, Any], to: frozenset[str] | None) -> Effect:
    """Keep a chat line for snapshots and send it to exactly its audience."""
    room.chat.append(ChatEntry(msg, to))
    return Send(None if to is None else tuple(sorted(to)), msg)


def system(room: RoomState, text: str) -> Effect:
    """A system chat line to everyone (`from`/`name` null, channel `system`)."""
    msg = {"type": "chat", "from": None, "name": None, "text": text, "channel": "system"}
    return line(room, msg, None)


def said(
    room: RoomState, p: PlayerState, text: str, channel: str, to: frozenset[str] | None
) -> list[Effect]:
    """A chat line that may reach others, through the mute and the room's chat filter."""
    if p.id in room.muted:
        return [line(room, chat_msg(p, text, channel), frozenset({p.id}))]
    shown = apply_filter(room.word_filter(), room.settings.chat_filter, text)
    if shown is None:
        raise Filtered("that line has a word this room's chat filter blocks", field="text")
    return [line(room, chat_msg(p, shown, channel), to)]


def begin_game(room: RoomState) -> None:
    """What every game's start does to the room, once the mode has checked it may start:
    a new game id, a fresh count for the word memory, no old kick votes, scores at 0."""
    room.game_id = room.new_id()
    room.games_started += 1
    room.kick_votes.clear()
    for p in room.players.values():
        p.score = 0


def to_lobby(room: RoomState, now: float) -> list[Effect]:
    """The game is over: back to the lobby, where the next game (of any mode) starts."""
    room.game = None
    room.game_id = None
    enter(room, now, LOBBY, None)
    effects: list[Effect] = [phase(room, now), players(room)]
    if room.muted:  # a mute lasts for the rest of the game
        room.muted.clear()
        if room.host_id is not None:
            effects.append(Send((room.host_id,), muted_msg(room)))
    return effects
