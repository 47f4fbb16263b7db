"""What players see: the protocol's Player, `players`, `phase` and the welcome Snapshot."""

from __future__ import annotations

from typing import Any

from drawgame.game.hints import render_hint
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
        "drawer": p.id == room.drawer_id,
        "guessed": p.guessed,
        "spectator": p.spectator,
    }


def player_list(room: RoomState) -> list[dict[str, Any]]:
    """Every seat in join order, as Player objects (TV screens are no seats)."""
    return [player_view(room, p) for p in room.seated(spectators=True)]


def players_msg(room: RoomState) -> dict[str, Any]:
    """The `players` message: every seat in join order, and how many TV screens watch."""
    return {"type": "players", "players": player_list(room), "tvs": room.tvs()}


def muted_msg(room: RoomState) -> dict[str, Any]:
    """The `muted` message, for the host only: whose chat reaches only themselves."""
    return {"type": "muted", "player_ids": sorted(room.muted)}


def ends_in_ms(room: RoomState, now: float) -> int | None:
    """Time left in the phase in ms (never negative), None when the phase has no end."""
    if room.deadline is None:
        return None
    return max(0, round((room.deadline - now) * 1000))


def public_hint(room: RoomState) -> str | None:
    """The hint everyone may see: blanks while drawing, the whole word in reveal."""
    if room.word is None:
        return None
    if room.phase == "drawing":
        return render_hint(room.word, room.revealed_positions())
    if room.phase == "reveal":
        return room.word
    return None


def phase_msg(room: RoomState, now: float) -> dict[str, Any]:
    """The `phase` message sent to all on every phase change."""
    return {
        "type": "phase",
        "phase": room.phase,
        "round": room.round,
        "rounds": room.settings.rounds,
        "drawer_id": room.drawer_id,
        "ends_in_ms": ends_in_ms(room, now),
        "hint": public_hint(room),
    }


def may_see_word(room: RoomState, viewer_id: str | None) -> bool:
    """True when the viewer may know the word: drawer, guessed, or reveal/results."""
    if room.phase in ("reveal", "results"):
        return True
    viewer = room.players.get(viewer_id) if viewer_id is not None else None
    return viewer is not None and (viewer.id == room.drawer_id or viewer.guessed)


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
    return {
        "code": room.code,
        "name": room.name,
        "game_id": room.game_id,
        "settings": settings_view(room, viewer_id),
        "phase": room.phase,
        "round": room.round,
        "rounds": room.settings.rounds,
        "host_id": room.host_id,
        "drawer_id": room.drawer_id,
        "ends_in_ms": ends_in_ms(room, now),
        "hint": public_hint(room),
        "word": room.word if may_see_word(room, viewer_id) else None,
        "players": player_list(room),
        "tvs": room.tvs(),
        "muted": sorted(room.muted) if viewer_id is not None and viewer_id == room.host_id
        else [],
        "ops": list(room.oplog.ops),
        "chat": visible_chat(room, viewer_id),
    }
