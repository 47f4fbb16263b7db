"""A room's runtime state as JSON-ready data, so games survive a restart.

`dump_state` turns a RoomState into plain data with every time made relative
to `now` (time left, time elapsed), since the room clock does not survive the
process; `load_state` rebuilds the room on a new clock. Every seat comes back
disconnected, held for `seat_grace_s` from the load, and players take their
seats back with their tokens (`rules.resume`) into the same phase, drawer,
scores, hints and canvas, with the phase timer resuming with the time it had
left.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Collection
from typing import Any

from drawgame.game.filter import FilterBank
from drawgame.game.ops import OpLog
from drawgame.game.settings import Settings
from drawgame.game.state import CHAT_HISTORY, ChatEntry, PlayerState, RoomState
from drawgame.game.words import LANGUAGE_NAMES, MAX_RECENT_WORDS, WordList

STATE_VERSION = 1
_PHASES = ("lobby", "choosing", "drawing", "reveal", "results")


def dump_state(room: RoomState, now: float) -> dict[str, Any]:
    """The room's whole runtime state as JSON-ready data, times relative to `now`."""
    return {
        "v": STATE_VERSION,
        "code": room.code, "name": room.name, "private": room.private,
        "settings": room.settings.to_dict(),
        "phase": room.phase, "host_id": room.host_id, "game_id": room.game_id,
        "order": list(room.order), "position": room.position,
        "round": room.round, "turn": room.turn,
        "drawer_id": room.drawer_id, "word": room.word, "choices": list(room.choices),
        "choice_difficulties": list(room.choice_difficulties),
        "phase_elapsed": now - room.phase_started,
        "deadline_in": None if room.deadline is None else room.deadline - now,
        "hint_positions": list(room.hint_positions),
        "hint_in": [t - now for t in room.hint_times], "revealed": room.revealed,
        "guess_points": dict(room.guess_points), "reactions": dict(room.reactions),
        "kick_votes": {t: sorted(v) for t, v in room.kick_votes.items()},
        "banned": sorted(room.banned), "muted": sorted(room.muted),
        "used_words": sorted(room.used_words),
        "offered_words": sorted(room.offered_words),
        "recent_words": [[key, game] for key, game in room.recent_words.items()],
        "games_started": room.games_started,
        "players": [_dump_player(p) for p in room.players.values()],
        "chat": [{"msg": e.msg, "to": None if e.to is None else sorted(e.to)}
                 for e in room.chat],
        "ops": list(room.oplog.ops),
        "rng": _dump_rng(room.rng),
    }


def _dump_player(p: PlayerState) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "token_hash": p.token_hash,
            "spectator": p.spectator, "score": p.score, "guessed": p.guessed,
            "tv": p.tv, "marker_hash": p.marker_hash}


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
    if not isinstance(data, dict) or data.get("v") != STATE_VERSION:
        raise ValueError("unknown room state version")
    if data["phase"] not in _PHASES:
        raise ValueError(f"unknown phase {data['phase']!r}")
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
    _load_game(room, data, now)
    return room


def _load_player(raw: dict[str, Any], now: float) -> PlayerState:
    return PlayerState(
        id=str(raw["id"]), name=str(raw["name"]), token_hash=str(raw["token_hash"]),
        spectator=bool(raw["spectator"]), joined_at=now, connected_since=now,
        connected=False, disconnected_at=now, score=int(raw["score"]),
        guessed=bool(raw["guessed"]), tv=bool(raw.get("tv", False)),
        marker_hash=None if raw.get("marker_hash") is None else str(raw["marker_hash"]),
    )


def _load_game(room: RoomState, data: dict[str, Any], now: float) -> None:
    room.phase = data["phase"]
    room.host_id = _known(room, data["host_id"])
    room.game_id = data["game_id"]
    room.order = [pid for pid in data["order"] if pid in room.players]
    room.position, room.round, room.turn = (
        int(data["position"]), int(data["round"]), int(data["turn"])
    )
    room.drawer_id = data["drawer_id"]
    room.word = data["word"]
    room.choices = [str(w) for w in data["choices"]]
    room.choice_difficulties = _choice_difficulties(room, data.get("choice_difficulties"))
    room.phase_started = now - float(data["phase_elapsed"])
    left = data["deadline_in"]
    room.deadline = None if left is None else now + float(left)
    room.hint_positions = [int(i) for i in data["hint_positions"]]
    room.hint_times = [now + float(t) for t in data["hint_in"]]
    room.revealed = int(data["revealed"])
    room.guess_points = {str(k): int(v) for k, v in data["guess_points"].items()}
    room.reactions = {str(k): str(v) for k, v in data["reactions"].items()}
    room.kick_votes = {str(t): set(v) for t, v in data["kick_votes"].items()}
    room.banned = set(data["banned"])
    room.muted = {str(pid) for pid in data.get("muted", []) if pid in room.players}
    room.used_words = set(data["used_words"])
    room.offered_words = {str(k) for k in data.get("offered_words", [])}
    recent = [(str(k), int(n)) for k, n in data.get("recent_words", [])]
    room.recent_words = dict(recent[-MAX_RECENT_WORDS:])
    room.games_started = int(data.get("games_started", 0))
    room.chat = deque(
        (ChatEntry(e["msg"], None if e["to"] is None else frozenset(e["to"]))
         for e in data["chat"]),
        maxlen=CHAT_HISTORY,
    )
    room.oplog = OpLog(data["ops"])


def _choice_difficulties(room: RoomState, raw: Any) -> list[str | None]:
    if isinstance(raw, list) and len(raw) == len(room.choices):
        return [None if d is None else str(d) for d in raw]
    # a snapshot from before difficulties: look the offered words up in the list
    words = room.words_for(room.settings.language)
    found = [words.find(w) for w in room.choices]
    return [None if w is None else w.difficulty for w in found]


def _known(room: RoomState, pid: Any) -> str | None:
    return pid if isinstance(pid, str) and pid in room.players else None


def _load_rng(raw: Any) -> random.Random:
    rng = random.Random()
    if raw is not None:
        version, internal, gauss = raw
        rng.setstate((version, tuple(internal), gauss))
    return rng
