"""Command line: ``python -m drawgame <command>``; ``--help`` lists the commands."""

from __future__ import annotations

import argparse
import json
import signal
import sqlite3
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence

import trio

from drawgame.config import Config, ConfigError, load_config
from drawgame.logs import setup_logging
from drawgame.store import MigrationError, apply_migrations, pending_migrations
from drawgame.store.db import connect

EXIT_CONFIG = 2


def cmd_serve(config: Config, args: argparse.Namespace) -> int:
    """Serve until SIGTERM or SIGINT, then shut down gracefully and exit 0."""
    from drawgame.app import serve

    setup_logging(config)

    async def main() -> None:
        stop = trio.Event()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_watch_signals, stop, nursery.cancel_scope)
            await serve(config, stop)
            nursery.cancel_scope.cancel()

    try:
        trio.run(main)
    except MigrationError as exc:
        print(f"drawgame: {exc}", file=sys.stderr)
        return 1
    return 0


async def _watch_signals(stop: trio.Event, scope: trio.CancelScope) -> None:
    """First SIGTERM/SIGINT: graceful shutdown. A second one: stop waiting at once."""
    with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async for _ in signals:
            if stop.is_set():
                scope.cancel()
                return
            stop.set()


def cmd_migrate(config: Config, args: argparse.Namespace) -> int:
    """Apply pending migrations, or with --dry-run list them and change nothing."""
    conn = connect(config.db_path)
    try:
        if args.dry_run:
            pending = pending_migrations(conn) if _has_table(conn) else _all_migrations()
            for migration in pending:
                print(f"would apply {migration.path.name}")
            print(f"{len(pending)} pending migration(s) for {config.db_path}")
            return 0
        applied = apply_migrations(conn)
        for migration in applied:
            print(f"applied {migration.path.name}")
        print(f"{len(applied)} migration(s) applied; {config.db_path} is up to date")
        return 0
    except MigrationError as exc:
        print(f"drawgame: {exc}", file=sys.stderr)
        return 1
    finally:
        conn.close()


def _has_table(conn: sqlite3.Connection) -> bool:
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_migrations'"
    ).fetchone()
    return row is not None


def _all_migrations() -> list:  # type: ignore[type-arg]
    from drawgame.store.migrate import default_dir, load_migrations

    return load_migrations(default_dir())


def cmd_health(config: Config, args: argparse.Namespace) -> int:
    """Print the running server's /api/health, pretty; exit 1 unless ok or degraded."""
    url = args.url or f"http://{config.host}:{config.port}"
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/api/health", timeout=5) as answer:
            body = json.load(answer)
    except urllib.error.HTTPError as exc:
        body = json.load(exc)
    except (OSError, ValueError) as exc:
        print(f"drawgame: no health answer from {url}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(body, indent=2))
    return 0 if body.get("status") in ("ok", "degraded") else 1


COMMANDS: dict[str, Callable[[Config, argparse.Namespace], int]] = {
    "serve": cmd_serve,
    "migrate": cmd_migrate,
    "health": cmd_health,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="drawgame", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run the server (settings from DRAWGAME_* and .env)")
    migrate = sub.add_parser("migrate", help="apply pending database migrations")
    migrate.add_argument("--dry-run", action="store_true", help="list them, change nothing")
    health = sub.add_parser("health", help="print a running server's health")
    health.add_argument("--url", help="base URL (default: the configured host and port)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = load_config()
    except ConfigError as exc:
        print(f"drawgame: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    return COMMANDS[args.command](config, args)


if __name__ == "__main__":
    sys.exit(main())
