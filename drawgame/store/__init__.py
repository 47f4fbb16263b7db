"""SQLite storage: one connection, used from trio one thread hop at a time."""

from drawgame.store.db import Store, StoreClosed
from drawgame.store.migrate import MigrationError, apply_migrations, pending_migrations

__all__ = ["MigrationError", "Store", "StoreClosed", "apply_migrations", "pending_migrations"]
