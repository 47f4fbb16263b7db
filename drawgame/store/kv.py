"""Server-wide values kept in the ``kv`` table (maintenance mode, admin token hash)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from drawgame.store.connection import Connection


def get_json(conn: Connection, key: str, default: Any = None) -> Any:
    row = conn.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
    return default if row is None else json.loads(row[0])


def set_json(conn: Connection, key: str, value: Any) -> None:
    conn.execute(
        "INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        (key, json.dumps(value), datetime.now(UTC).isoformat(timespec="seconds")),
    )
