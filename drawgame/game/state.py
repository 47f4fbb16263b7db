"""The room's state: plain mutable dataclasses, changed only by the rules (rules.py and the
modes in modes/)."""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from drawgame.game.filter import FilterBank, WordFilter
from drawgame.game.settings import Settings
from drawgame.game.words import WordList

if TYPE_CHECKING:
    from drawgame.game.modes.base import ModeRules

Phase = str
"""`lobby`, or one of the running game's mode's phases (its `ModeRules.phases`)."""
LOBBY = "lobby"

CHAT_HISTORY = 200
"""Chat lines kept per room, so a snapshot finds the last 50 each viewer may see."""

AWAY_S = 10.0
"""A player disconnected this long stops counting as present (a drawer: `drawer_left`)."""


@dataclass
class PlayerState:
    """One seat: a player or spectator, connected or held for `seat_grace_s`."""

    id: str
    name: str
    token_hash: str
    spectator: bool
    joined_at: float
    connected_since: float
    connected: bool = True
    disconnected_at: float | None = None
    away: bool = False
    """Disconnected for AWAY_S or more (set by `tick`, cleared on resume)."""
    score: int = 0
    tv: bool = False
    """A TV screen: a watcher in no player list, under its own limit (MAX_TVS)."""
    marker_hash: str | None = None
    """The hash of the browser's room marker (hello `marker`), banned with a kick."""
    avatar: str | None = None
    """The player's drawn avatar as its compact JSON (game/avatar.py), None for none."""
    avatar_hidden: bool = False
    """The host hid this seat's avatar for the room (kept when the player draws a new one)."""

    @property
    def shown_avatar(self) -> str | None:
        """The avatar others see: none when the host hid it."""
        return None if self.avatar_hidden else self.avatar

    @property
    def present(self) -> bool:
        """Connected, or disconnected for less than AWAY_S (a short drop changes nothing)."""
        return self.connected or not self.away


@dataclass
class ChatEntry:
    """A chat message kept for snapshots, with who received it (None: everyone)."""

    msg: dict[str, Any]
    to: frozenset[str] | None


class GameState:
    """What one game of a mode keeps, from its start to the room's return to the lobby.

    Each mode subclasses it (a dataclass) and names its rules in `rules`, so
    the room core and the views reach the running mode through the game alone.
    """

    rules: ClassVar[ModeRules]


@dataclass
class RoomState:
    """Everything the rules know about one room. Times are on the caller's `now` clock.

    What every room has whatever it plays lives here; the running game's own
    state (the classic game's turns, the telephone game's books) is `game`,
    None in the lobby.
    """

    code: str
    name: str
    private: bool
    settings: Settings
    rng: random.Random
    words_for: Callable[[str], WordList]
    new_id: Callable[[], str]
    languages: Collection[str]
    seat_grace_s: float
    phase: Phase = LOBBY
    players: dict[str, PlayerState] = field(default_factory=dict)
    host_id: str | None = None
    game_id: str | None = None
    game: GameState | None = None
    """The running game (from `start` until the room is back in the lobby)."""
    phase_started: float = 0.0
    deadline: float | None = None
    """When the current phase ends by itself (None: it waits for players)."""
    kick_votes: dict[str, set[str]] = field(default_factory=dict)
    banned: set[str] = field(default_factory=set)
    """Token hashes and browser-marker hashes of kicked players: refused at hello."""
    muted: set[str] = field(default_factory=set)
    """Players whose chat reaches only themselves until the game ends (host `mute`)."""
    filters: FilterBank = field(default_factory=FilterBank.empty)
    recent_words: dict[str, int] = field(default_factory=dict)
    """Normalized words offered in the room's last games → the game's number (bounded)."""
    games_started: int = 0
    """Games started in this room: numbers the games in `recent_words`."""
    chat: deque[ChatEntry] = field(default_factory=lambda: deque(maxlen=CHAT_HISTORY))

    @property
    def mode(self) -> ModeRules | None:
        """The running game's rules (None in the lobby)."""
        return None if self.game is None else self.game.rules

    def seated(self, *, spectators: bool = False) -> Iterator[PlayerState]:
        """Seated players in join order (spectators only when asked; never TV screens)."""
        return (p for p in self.players.values()
                if not p.tv and (spectators or not p.spectator))

    def tvs(self) -> int:
        """TV screens connected to the room."""
        return sum(1 for p in self.players.values() if p.tv and p.connected)

    def word_filter(self) -> WordFilter:
        """The filter words of the room's language (see game/filter.py)."""
        return self.filters.for_language(self.settings.language)

    def connected_ids(self, *, exclude: Collection[str] = ()) -> tuple[str, ...]:
        """Ids of every connected member (spectators too), minus `exclude`."""
        return tuple(
            pid for pid, p in self.players.items() if p.connected and pid not in exclude
        )

    def present_players(self) -> list[PlayerState]:
        """Non-spectators who count for the game: connected or only briefly gone."""
        return [p for p in self.seated() if p.present]
