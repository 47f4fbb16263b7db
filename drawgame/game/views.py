"""What players see: the protocol's Player, `players`, `phase` and the welcome Snapshot.

The room's own part is built here; the running game's part comes from its
mode (`ModeRules.player_flags`, `phase_fields`, `snapshot_fields`), and the
lobby shows the defaults below.
"""

from __future__ import annotations

from typing import Any

from drawgame.game.avatar import avatar_strokes
from drawgame.game.state import PlayerState, RoomState

SNAPSHOT_CHAT = 50
"""Chat lines in a snapshot: the last ones the viewer may see."""


def player_view(room: RoomState, p: PlayerState) -> dict[str, Any]:
    """The protocol's Player object for `p`."""
    return {
        "id": p.id,
        "name": p.name,
        "score": p.score,
        "connected": p.connected,
        "host": p.id == room.host_id,
        **(NO_FLAGS if room.mode is None else room.mode.player_flags(room, p)),
        "spectator": p.spectator,
        "avatar": avatar_state(p),
    }


def avatar_state(p: PlayerState) -> str | None:
    """`Player.avatar`: `"hidden"` when the host hid the seat's avatar, `"shown"` when it has
    one others see, else None. The strokes travel apart (`avatars_view`, `avatar_msg`)."""
    if p.avatar_hidden:
        return "hidden"
    return None if p.avatar is None else "shown"


NO_FLAGS = {"drawer": False, "guessed": False, "done": False}
"""A Player's game flags outside a game."""


def player_list(room: RoomState) -> list[dict[str, Any]]:
    """Every seat in join order, as Player objects (TV screens are no seats)."""
    return [player_view(room, p) for p in room.seated(spectators=True)]


def players_msg(room: RoomState) -> dict[str, Any]:
    """The `players` message: every seat in join order, and how many TV screens watch."""
    return {"type": "players", "players": player_list(room), "tvs": room.tvs()}


def avatar_msg(p: PlayerState) -> dict[str, Any]:
    """The `avatar` message: a seat's avatar appeared, changed, was hidden or shown again."""
    return {"type": "avatar", "player_id": p.id, "avatar": avatar_strokes(p.shown_avatar)}


def avatars_view(room: RoomState) -> dict[str, Any]:
    """Every seat's shown avatar by player id (the snapshot's `avatars`): avatars travel
    here and in `avatar` messages, once, and `Player.avatar` only says there is one."""
    return {p.id: avatar_strokes(p.shown_avatar) for p in room.seated(spectators=True)
            if p.shown_avatar is not None}


def muted_msg(room: RoomState) -> dict[str, Any]:
    """The `muted` message, for the host only: whose chat reaches only themselves."""
    return {"type": "muted", "player_ids": sorted(room.muted)}


def ends_in_ms(room: RoomState, now: float) -> int | None:
    """Time left in the phase in ms (never negative), None when the phase has no end."""
    if room.deadline is None:
        return None
    return max(0, round((room.deadline - now) * 1000))


def lobby_fields(room: RoomState) -> dict[str, Any]:
    """The game fields of `phase`, the snapshot and RoomSummary when no game runs."""
    return {"mode": room.settings.mode, "round": 0, "rounds": room.settings.rounds,
            "drawer_id": None, "hint": None, "step": None, "steps": None}


def game_fields(room: RoomState, now: float) -> dict[str, Any]:
    """The running game's fields of `phase` and RoomSummary (the lobby's when none runs)."""
    return lobby_fields(room) if room.mode is None else room.mode.phase_fields(room, now)


def summary_fields(room: RoomState, now: float) -> dict[str, Any]:
    """The game's fields of RoomSummary: `round`, `rounds`, `mode`, `step`, `steps`."""
    fields = game_fields(room, now)
    return {key: fields[key] for key in ("round", "rounds", "mode", "step", "steps")}


def phase_msg(room: RoomState, now: float) -> dict[str, Any]:
    """The `phase` message sent to all on every phase change."""
    return {"type": "phase", "phase": room.phase, **game_fields(room, now),
            "ends_in_ms": ends_in_ms(room, now)}


def visible_chat(room: RoomState, viewer_id: str | None) -> list[dict[str, Any]]:
    """The last SNAPSHOT_CHAT chat messages the viewer received (or would have)."""
    lines = [e.msg for e in room.chat if e.to is None or viewer_id in e.to]
    return lines[-SNAPSHOT_CHAT:]


def settings_view(room: RoomState, viewer_id: str | None) -> dict[str, Any]:
    """The Settings object as `viewer_id` may see it: custom words only for the host.

    With `custom_only` the word comes from that list, so everyone else gets
    just `custom_words_count` (the host gets both).
    """
    data = room.settings.to_dict()
    data["custom_words_count"] = len(room.settings.custom_words)
    if viewer_id is None or viewer_id != room.host_id:
        del data["custom_words"]
    return data


def settings_msgs(room: RoomState) -> list[tuple[tuple[str, ...] | None, dict[str, Any]]]:
    """The `settings` message as (recipients, message) pairs: the host's, then everyone else's."""
    host = room.host_id if room.host_id in room.players else None
    others = tuple(pid for pid in room.players if pid != host)
    out: list[tuple[tuple[str, ...] | None, dict[str, Any]]] = []
    if host is not None:
        out.append(((host,), {"type": "settings", "settings": settings_view(room, host)}))
    if others:
        out.append((others, {"type": "settings", "settings": settings_view(room, None)}))
    return out


def snapshot(room: RoomState, now: float, viewer_id: str | None) -> dict[str, Any]:
    """The protocol's Snapshot for `welcome`: enough to render the room from nothing."""
    game = (_lobby_snapshot(room) if room.mode is None
            else room.mode.snapshot_fields(room, now, viewer_id))
    return {
        "code": room.code,
        "name": room.name,
        "game_id": room.game_id,
        "settings": settings_view(room, viewer_id),
        "phase": room.phase,
        **game,
        "host_id": room.host_id,
        "ends_in_ms": ends_in_ms(room, now),
        "players": player_list(room),
        "avatars": avatars_view(room),
        "tvs": room.tvs(),
        "muted": sorted(room.muted) if viewer_id is not None and viewer_id == room.host_id
        else [],
        "chat": visible_chat(room, viewer_id),
    }


def _lobby_snapshot(room: RoomState) -> dict[str, Any]:
    return {**lobby_fields(room), "word": None, "ops": [], "task": None, "progress": None,
            "album_page": None}
