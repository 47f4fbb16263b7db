"""What a rule asks the room to do: send messages, close connections, persist facts.

The room layer carries effects out in order. Rules never do I/O themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Send:
    """Deliver `msg` to `to` (player ids), or to every connected member when None.

    The room serializes `msg` once and puts the same text on each connected
    recipient's outbox; ids of disconnected or unknown players are skipped.
    """

    to: tuple[str, ...] | None
    msg: dict[str, Any]


@dataclass(frozen=True)
class Close:
    """Close `player_id`'s connection with a WebSocket close code (4001 kicked, 1000 left)."""

    player_id: str
    code: int
    reason: str


@dataclass(frozen=True)
class Record:
    """A fact for the store to persist; the kinds and their fields are listed in rules.py."""

    kind: str
    data: dict[str, Any]


Effect = Send | Close | Record
