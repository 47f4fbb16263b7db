"""Removing old data: closed rooms and finished games past the retention period.

Used by ``python -m drawgame cleanup`` (``make cleanup``), by
``POST /api/admin/cleanup`` and by the server's scheduled cleanup task, so
all three delete exactly the same rows. Turns, telephone pages and their
drawing ops go with their game, players and games with their room (``ON DELETE CASCADE``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from drawgame.store.connection import Connection

TABLES = ("rooms", "players", "games", "turns", "turn_ops", "pages", "page_ops")
"""The keys of the counts :func:`cleanup` reports, parents first."""

_OLD_GAMES = "SELECT id FROM games WHERE finished_at IS NOT NULL AND finished_at < :cutoff"
_OLD_ROOMS = (
    "SELECT id FROM rooms WHERE is_active = 0 AND closed_at IS NOT NULL AND closed_at < :cutoff"
)
_DOOMED_GAMES = f"SELECT id FROM games WHERE id IN ({_OLD_GAMES}) OR room_id IN ({_OLD_ROOMS})"
_DOOMED_TURNS = f"SELECT id FROM turns WHERE game_id IN ({_DOOMED_GAMES})"
_DOOMED_PAGES = f"SELECT id FROM pages WHERE game_id IN ({_DOOMED_GAMES})"

_COUNTS = {
    "rooms": f"SELECT count(*) FROM ({_OLD_ROOMS}) AS doomed",
    "players": f"SELECT count(*) FROM players WHERE room_id IN ({_OLD_ROOMS})",
    "games": f"SELECT count(*) FROM ({_DOOMED_GAMES}) AS doomed",
    "turns": f"SELECT count(*) FROM ({_DOOMED_TURNS}) AS doomed",
    "turn_ops": f"SELECT count(*) FROM turn_ops WHERE turn_id IN ({_DOOMED_TURNS})",
    "pages": f"SELECT count(*) FROM ({_DOOMED_PAGES}) AS doomed",
    "page_ops": f"SELECT count(*) FROM page_ops WHERE page_id IN ({_DOOMED_PAGES})",
}


def cutoff(retention_days: float, now: datetime) -> str:
    """The timestamp before which data is old, in the format the recorder writes."""
    return (now.astimezone(UTC) - timedelta(days=retention_days)).isoformat(timespec="milliseconds")


def cleanup(conn: Connection, retention_days: float, now: datetime) -> dict[str, int]:
    """Delete rooms closed and games finished more than ``retention_days`` before ``now``.

    A room goes when it is closed (``is_active = 0``) and its ``closed_at`` is
    older than the retention; a game when its ``finished_at`` is. ``now`` must
    be timezone-aware (UTC). Returns how many rows of each table went, with
    the cascaded ones counted. Call it inside a transaction (for example
    ``Store.transaction``) so the counts and the deletions agree.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    params = {"cutoff": cutoff(retention_days, now)}
    counts = {table: int(conn.execute(_COUNTS[table], params).fetchone()[0]) for table in TABLES}
    conn.execute(f"DELETE FROM games WHERE id IN ({_OLD_GAMES})", params)
    conn.execute(f"DELETE FROM rooms WHERE id IN ({_OLD_ROOMS})", params)
    return counts
