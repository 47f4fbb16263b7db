"""Everything the web layer needs at run time, opened and closed as one unit."""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import trio

from drawgame.config import Config
from drawgame.logs import event, get_logger
from drawgame.ops import admin_token
from drawgame.rooms.registry import Maintenance, Registry
from drawgame.stats import Stats, watch_loop_lag
from drawgame.store import Store, apply_migrations, kv
from drawgame.store.cleanup import cleanup
from drawgame.text import valid_text

log = get_logger("services")

MAINTENANCE_KEY = "maintenance"
MAINTENANCE_POLL_S = 2.0
"""How often the persisted maintenance flag is re-read (the CLI may change it)."""


@dataclass
class Services:
    config: Config
    store: Store
    stats: Stats
    registry: Registry
    started_wall: float = field(default_factory=time.time)
    shutting_down: trio.Event = field(default_factory=trio.Event)
    """Set when a graceful shutdown begins: new connections are refused with 1012 and
    connections that have not joined a room yet are told to come back."""

    maintenance_lock: trio.Lock = field(default_factory=trio.Lock)

    @property
    def stopping(self) -> bool:
        return self.shutting_down.is_set()

    async def set_maintenance(self, on: bool, message: str = "") -> None:
        """Switch maintenance mode, persist it, and tell every open room."""
        text = message if on else ""
        value = {"on": on, "message": text}
        async with self.maintenance_lock:
            await self.store.transaction(lambda conn: kv.set_json(conn, MAINTENANCE_KEY, value))
            self._announce_maintenance(Maintenance(on, text), source="api")

    async def watch_maintenance(self, interval_s: float = MAINTENANCE_POLL_S) -> None:
        """Follow the persisted flag: a change made outside (the CLI) is announced here."""
        while True:
            await trio.sleep(interval_s)
            async with self.maintenance_lock:
                before = self.maintenance
                after = await self.reload_maintenance()
                if after != before:
                    self._announce_maintenance(after, source="database")

    def _announce_maintenance(self, state: Maintenance, source: str) -> None:
        event(log, 20, "maintenance", on=state.on, message=state.message, source=source)
        self.registry.announce_maintenance(state.on, state.message)

    async def clean_up(self) -> dict[str, int]:
        """Delete closed rooms and finished games past ``retention_days``; return counts."""
        days, now = self.config.retention_days, datetime.now(UTC)
        counts = await self.store.transaction(lambda conn: cleanup(conn, days, now))
        event(log, 20, "cleanup", retention_days=days, **counts)
        return counts

    async def clean_up_periodically(self) -> None:
        """The scheduled cleanup: every ``cleanup_interval_s``, starting one interval in."""
        while True:
            await trio.sleep(self.config.cleanup_interval_s)
            try:
                await self.clean_up()
            except Exception as exc:  # a failed run is retried at the next interval
                event(log, 40, "cleanup_failed", error=f"{type(exc).__name__}: {exc}")

    @property
    def maintenance(self) -> Maintenance:
        return self.registry.maintenance

    async def reload_maintenance(self) -> Maintenance:
        """Read the persisted flag (another process, such as the CLI, may have set it)."""
        value = await self.store.read(lambda conn: kv.get_json(conn, MAINTENANCE_KEY, {}))
        self.registry.maintenance = Maintenance(
            bool(value.get("on")), valid_text(str(value.get("message", "")))
        )
        return self.registry.maintenance


async def prepare_database(config: Config) -> Store:
    """Open the store and apply pending migrations (server start does this)."""
    store = await Store.for_config(config)
    try:
        applied = await store.run(apply_migrations)
        for migration in applied:
            event(log, 20, "migration_applied", version=migration.version, name=migration.name)
        token = await store.transaction(admin_token.ensure)
    except BaseException:
        await store.close()
        raise
    if token is not None:
        show_new_admin_token(token)
    return store


def show_new_admin_token(token: str) -> None:
    """Show a token made at first start once, on the terminal, and never in a log.

    Standard error (else standard output) is used only when it is a terminal;
    a service's output goes to its log file or the journal, so there the
    token is not shown at all and ``make rotate-token`` makes one to use.
    """
    terminal = next((s for s in (sys.stderr, sys.stdout) if _is_terminal(s)), None)
    if terminal is not None:
        print(f"drawgame: admin token (shown once, keep it safe): {token}", file=terminal,
              flush=True)
        event(log, 20, "admin_token_created", shown="once, on the terminal")
        return
    event(log, 30, "admin_token_created", shown="nowhere: the output is not a terminal",
          hint="run `make rotate-token` (python -m drawgame token rotate) to get one")


def _is_terminal(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (OSError, ValueError):  # closed or detached
        return False


@asynccontextmanager
async def open_services(config: Config) -> AsyncIterator[Services]:
    """Open the database, start the background tasks and the room registry.

    On exit the registry is shut down first (rooms write their state), then
    the background tasks are cancelled and the store is closed.
    """
    store = await prepare_database(config)
    try:
        stats = Stats()
        async with trio.open_nursery() as nursery:
            registry = Registry(config, store, stats)
            services = Services(config=config, store=store, stats=stats, registry=registry)
            await services.reload_maintenance()
            nursery.start_soon(watch_loop_lag, stats)
            nursery.start_soon(services.watch_maintenance)
            await nursery.start(registry.run)
            await registry.recover()
            nursery.start_soon(services.clean_up_periodically)
            try:
                yield services
            finally:
                with trio.CancelScope(shield=True), trio.move_on_after(config.shutdown_grace_s):
                    await registry.shutdown()
                nursery.cancel_scope.cancel()
    finally:
        await store.close()
