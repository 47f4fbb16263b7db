"""A room's runtime state as JSON-ready data, so games survive a restart.

`dump_state` turns a RoomState into plain data with every time made relative
to `now` (time left, time elapsed), since the room clock does not survive the
process; `load_state` rebuilds the room on a new clock. Every seat comes back
disconnected, held for `seat_grace_s` from the load, and players take their
seats back with their tokens (`rules.resume`) into the same phase and game
(the running mode dumps and loads its own part), with the phase timer
resuming with the time it had left.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Collection
from typing import Any

from drawgame.game.avatar import restored_avatar
from drawgame.game.filter import FilterBank
from drawgame.game.modes import MODES
from drawgame.game.settings import Settings
from drawgame.game.state import CHAT_HISTORY, LOBBY, ChatEntry, PlayerState, RoomState
from drawgame.game.words import LANGUAGE_NAMES, MAX_RECENT_WORDS, WordList

STATE_VERSION = 2
"""2: the running game under `game` with its `mode` (1: a classic game's fields at the top
level, still read, so rooms saved before modes come back)."""
_V1_GAME = ("order", "position", "round", "turn", "drawer_id", "word", "choices",
            "choice_difficulties", "hint_positions", "hint_in", "revealed", "guess_points",
            "reactions", "used_words", "offered_words")


def dump_state(room: RoomState, now: float, *, drawings: bool = True) -> dict[str, Any]:
    """The room's whole runtime state as JSON-ready data, times relative to `now`.

    `drawings=False` leaves the running game's drawings out (the room's
    snapshots do: their ops are stored in batches as they are drawn, and
    the registry restores them from there).
    """
    game = None
    if room.mode is not None:
        game = {"mode": room.mode.name, **room.mode.dump(room, now, drawings=drawings)}
    return {
        "v": STATE_VERSION,
        "code": room.code, "name": room.name, "private": room.private,
        "settings": room.settings.to_dict(),
        "phase": room.phase, "host_id": room.host_id, "game_id": room.game_id,
        "phase_elapsed": now - room.phase_started,
        "deadline_in": None if room.deadline is None else room.deadline - now,
        "kick_votes": {t: sorted(v) for t, v in room.kick_votes.items()},
        "banned": sorted(room.banned), "muted": sorted(room.muted),
        "recent_words": [[key, game] for key, game in room.recent_words.items()],
        "games_started": room.games_started,
        "players": [_dump_player(p) for p in room.players.values()],
        "chat": [{"msg": e.msg, "to": None if e.to is None else sorted(e.to)}
                 for e in room.chat],
        "game": game,
        "rng": _dump_rng(room.rng),
    }


def _dump_player(p: PlayerState) -> dict[str, Any]:
    data = {"id": p.id, "name": p.name, "token_hash": p.token_hash,
            "spectator": p.spectator, "score": p.score, "tv": p.tv,
            "marker_hash": p.marker_hash}
    if p.avatar is not None:
        data["avatar"] = p.avatar  # its compact JSON, as kept
    if p.avatar_hidden:
        data["avatar_hidden"] = True
    return data


def _dump_rng(rng: random.Random) -> list[Any]:
    version, internal, gauss = rng.getstate()
    return [version, list(internal), gauss]


def load_state(
    data: Any,
    now: float,
    *,
    words_for: Callable[[str], WordList],
    new_id: Callable[[], str],
    languages: Collection[str] | None = None,
    seat_grace_s: float = 120.0,
    filters: FilterBank | None = None,
) -> RoomState:
    """Rebuild a room from `dump_state` data on a new clock; ValueError if unreadable.

    Settings are checked again (with `languages`, default LANGUAGE_NAMES), so a
    snapshot naming a language that is gone is refused rather than half loaded.
    A running game's drawings are not in the data: the registry restores them
    from the store (`ModeRules.content_query`).
    """
    try:
        room = _load(data, now, words_for, new_id, languages, seat_grace_s)
    except ValueError:
        raise
    except (KeyError, TypeError, AttributeError, IndexError) as e:
        raise ValueError(f"unreadable room state: {e!r}") from None
    room.filters = filters or FilterBank.empty()
    return room


def _load(
    data: Any,
    now: float,
    words_for: Callable[[str], WordList],
    new_id: Callable[[], str],
    languages: Collection[str] | None,
    seat_grace_s: float,
) -> RoomState:
    if not isinstance(data, dict) or data.get("v") not in (1, STATE_VERSION):
        raise ValueError("unknown room state version")
    game = _game_data(data)
    mode = None if game is None else MODES.get(str(game.get("mode")))
    if game is not None and mode is None:
        raise ValueError(f"unknown game mode {game.get('mode')!r}")
    phase = data["phase"]
    if phase != LOBBY and (mode is None or phase not in mode.phases):
        raise ValueError(f"unknown phase {phase!r}")
    langs = frozenset(languages if languages is not None else LANGUAGE_NAMES)
    room = RoomState(
        code=str(data["code"]), name=str(data["name"]), private=bool(data["private"]),
        settings=Settings.from_dict(data["settings"], languages=langs),
        rng=_load_rng(data.get("rng")), words_for=words_for, new_id=new_id,
        languages=langs, seat_grace_s=seat_grace_s,
    )
    for raw in data["players"]:
        p = _load_player(raw, now)
        room.players[p.id] = p
    _load_room(room, data, now)
    if mode is not None and game is not None:
        room.game = mode.load(room, game, now)
    return room


def _game_data(data: dict[str, Any]) -> dict[str, Any] | None:
    """The game's part of the data (a version 1 room's classic fields gathered up)."""
    if data["v"] != 1:
        game = data["game"]
        return None if game is None else dict(game)
    if data["phase"] == LOBBY:
        return None
    game = {key: data[key] for key in (*_V1_GAME, "ops") if key in data}
    game["guessed"] = [p["id"] for p in data["players"] if p.get("guessed")]
    return {"mode": "classic", **game}


def _load_player(raw: dict[str, Any], now: float) -> PlayerState:
    return PlayerState(
        id=str(raw["id"]), name=str(raw["name"]), token_hash=str(raw["token_hash"]),
        spectator=bool(raw["spectator"]), joined_at=now, connected_since=now,
        connected=False, disconnected_at=now, score=int(raw["score"]),
        tv=bool(raw.get("tv", False)),
        marker_hash=None if raw.get("marker_hash") is None else str(raw["marker_hash"]),
        avatar=restored_avatar(raw.get("avatar")),
        avatar_hidden=bool(raw.get("avatar_hidden", False)),
    )


def _load_room(room: RoomState, data: dict[str, Any], now: float) -> None:
    room.phase = data["phase"]
    room.host_id = _known(room, data["host_id"])
    room.game_id = data["game_id"]
    room.phase_started = now - float(data["phase_elapsed"])
    left = data["deadline_in"]
    room.deadline = None if left is None else now + float(left)
    room.kick_votes = {str(t): set(v) for t, v in data["kick_votes"].items()}
    room.banned = set(data["banned"])
    room.muted = {str(pid) for pid in data.get("muted", []) if pid in room.players}
    recent = [(str(k), int(n)) for k, n in data.get("recent_words", [])]
    room.recent_words = dict(recent[-MAX_RECENT_WORDS:])
    room.games_started = int(data.get("games_started", 0))
    room.chat = deque(
        (ChatEntry(e["msg"], None if e["to"] is None else frozenset(e["to"]))
         for e in data["chat"]),
        maxlen=CHAT_HISTORY,
    )


def _known(room: RoomState, pid: Any) -> str | None:
    return pid if isinstance(pid, str) and pid in room.players else None


def _load_rng(raw: Any) -> random.Random:
    rng = random.Random()
    if raw is not None:
        version, internal, gauss = raw
        rng.setstate((version, tuple(internal), gauss))
    return rng
