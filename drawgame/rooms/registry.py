"""The registry of active rooms: it owns the nursery every room task runs in."""

from __future__ import annotations

import trio

from drawgame.config import Config
from drawgame.stats import Stats
from drawgame.store import Store


class Registry:
    """All active rooms of this process, and their shared nursery."""

    def __init__(self, config: Config, store: Store, stats: Stats) -> None:
        self.config = config
        self.store = store
        self.stats = stats
        self.rooms: dict[str, object] = {}
        self._nursery: trio.Nursery | None = None

    @property
    def active_rooms(self) -> int:
        return len(self.rooms)

    @property
    def active_players(self) -> int:
        return 0

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Hold the rooms' nursery open until cancelled."""
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            task_status.started()
            await trio.sleep_forever()

    def announce_maintenance(self, on: bool, message: str) -> None:
        """Tell every room that maintenance mode changed."""

    async def shutdown(self) -> None:
        """Tell every room the server is going away and let it write its state."""
