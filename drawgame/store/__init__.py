"""Storage on SQLite (the embedded default) or PostgreSQL: one writing connection, used
from trio one thread hop at a time, with readers and a probe of their own."""

from drawgame.store.connection import Connection, Row
from drawgame.store.db import Store, StoreClosed
from drawgame.store.migrate import MigrationError, apply_migrations, pending_migrations

__all__ = ["Connection", "MigrationError", "Row", "Store", "StoreClosed", "apply_migrations",
           "pending_migrations"]
