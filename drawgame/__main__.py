"""Command line: ``python -m drawgame <command>``; ``--help`` lists the commands."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

import trio

from drawgame.config import ENVIRONMENTS, LOG_TO_STDOUT, Config, ConfigError, load_config
from drawgame.logs import setup_logging
from drawgame.ops import cli as ops_cli
from drawgame.ops.probe import fetch_health
from drawgame.ops.serverlock import DatabaseInUse, ServerLock, alone_on
from drawgame.ops.serverlock import target as serverlock_target
from drawgame.store import MigrationError, apply_migrations, pending_migrations
from drawgame.store.connection import Error as DATABASE_ERRORS
from drawgame.store.connection import table_exists
from drawgame.store.db import connect_to, describe, location
from drawgame.store.migrate import check_migrations, folder_for, load_migrations

EXIT_CONFIG = 2
DAEMON_READY_TIMEOUT_S = 60.0


def cmd_serve(config: Config, args: argparse.Namespace) -> int:
    """Serve until SIGTERM or SIGINT, then shut down gracefully and exit 0.

    With ``--daemon`` the built-in supervisor runs in the background and runs
    the server as its child (drawgame/ops/supervise.py): this command returns
    once the server listens, or with the reason it did not start.
    """
    if args.log_file:
        config = config.replace(log_file=args.log_file)
    if args.daemon:
        from drawgame.ops.daemon import daemonize
        from drawgame.ops.supervise import supervise

        if not (args.pidfile and config.log_file) or config.log_file == LOG_TO_STDOUT:
            print("drawgame: --daemon needs --pidfile and a log file (--log-file)",
                  file=sys.stderr)
            return EXIT_CONFIG
        pidfile, log_file = Path(args.pidfile), Path(config.log_file)
        report = daemonize(pidfile, log_file, DAEMON_READY_TIMEOUT_S + 10)
        return supervise(config, pidfile, log_file, report)
    if config.workers > 1 and not config.worker_id:
        from drawgame.ops.cluster import run_cluster

        setup_logging(config)
        return run_cluster(config, args.ready_fd)
    lock = ServerLock(serverlock_target(config), exclusive=alone_on(config))
    try:
        lock.acquire()
    except DatabaseInUse as exc:
        print(f"drawgame: {exc}: stop it first", file=sys.stderr)
        return 1
    try:
        return _serve(config, lock, args.ready_fd)
    finally:
        lock.release()


def _serve(config: Config, lock: ServerLock, ready_fd: int | None) -> int:
    from drawgame.app import serve

    setup_logging(config)

    async def main() -> None:
        stop = trio.Event()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_watch_signals, stop, nursery.cancel_scope)

            async def run(task_status: trio.TaskStatus[list[str]]) -> None:
                await serve(config, stop, task_status=task_status)
                nursery.cancel_scope.cancel()

            binds = await nursery.start(run)
            lock.announce(binds)
            if ready_fd is not None:  # the supervisor waits for this line
                os.write(ready_fd, b"ready\n")
                os.close(ready_fd)

    try:
        trio.run(main)
    except MigrationError as exc:
        print(f"drawgame: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        traceback.print_exc()
        print(f"drawgame: the server stopped: {_innermost(exc)}", file=sys.stderr, flush=True)
        return 1
    return 0


def _innermost(exc: BaseException) -> str:
    """The first leaf of an exception group (trio wraps what a task raised), as one line."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc}"


async def _watch_signals(stop: trio.Event, scope: trio.CancelScope) -> None:
    """First SIGTERM/SIGINT: graceful shutdown. A second one: stop waiting at once."""
    with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async for _ in signals:
            if stop.is_set():
                scope.cancel()
                return
            stop.set()


def cmd_migrate(config: Config, args: argparse.Namespace) -> int:
    """Apply pending migrations; with --dry-run list them and change nothing; with
    --check (PostgreSQL) apply them in a transaction that is rolled back."""
    where = location(config)
    try:
        conn = connect_to(where)
    except DATABASE_ERRORS as exc:
        print(f"drawgame: cannot open {describe(where)}: {exc}", file=sys.stderr)
        return 1
    try:
        if args.dry_run:
            if table_exists(conn, "schema_migrations"):
                pending = pending_migrations(conn)
            else:
                pending = load_migrations(folder_for(conn))
            for migration in pending:
                print(f"would apply {migration.path.name}")
            print(f"{len(pending)} pending migration(s) for {describe(where)}")
            return 0
        if args.check:
            for migration in check_migrations(conn):
                print(f"applies {migration.path.name}")
            print(f"the pending migrations apply cleanly to {describe(where)} (rolled back)")
            return 0
        applied = apply_migrations(conn)
        for migration in applied:
            print(f"applied {migration.path.name}")
        print(f"{len(applied)} migration(s) applied; {describe(where)} is up to date")
        return 0
    except MigrationError as exc:
        print(f"drawgame: {exc}", file=sys.stderr)
        return 1
    finally:
        conn.close()


def cmd_health(config: Config, args: argparse.Namespace) -> int:
    """Print the running server's /api/health, pretty; exit 1 unless ok or degraded.

    Without ``--url``: the server of the configured database, wherever it listens (its
    lock file says), else the configured address.
    """
    from drawgame.ops.instance import resolve

    url = args.url or resolve("local", config).url
    body, error = fetch_health(url)
    if body is None:
        print(f"drawgame: {error}", file=sys.stderr)
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
    parser.add_argument("--default-environment", choices=ENVIRONMENTS, metavar="NAME",
                        help="environment name when neither DRAWGAME_ENVIRONMENT nor .env "
                             "sets one (make start: development)")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the server (settings from DRAWGAME_* and .env)")
    serve.add_argument("--daemon", action="store_true",
                       help="run in the background (needs --pidfile and --log-file)")
    serve.add_argument("--pidfile", help="with --daemon: where the server's pid is kept")
    serve.add_argument("--log-file", help="append logs (and, with --daemon, all output) here")
    serve.add_argument("--ready-fd", type=int, help=argparse.SUPPRESS)  # the supervisor's
    migrate = sub.add_parser("migrate", help="apply pending database migrations")
    migrate.add_argument("--dry-run", action="store_true", help="list them, change nothing")
    migrate.add_argument("--check", action="store_true",
                         help="PostgreSQL: apply them in a transaction, then roll it back")
    health = sub.add_parser("health", help="print a running server's health")
    health.add_argument("--url", help="base URL (default: the configured host and port)")
    COMMANDS.update(ops_cli.add_commands(sub))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    defaults = {}
    if args.default_environment:
        defaults["DRAWGAME_ENVIRONMENT"] = args.default_environment
    try:
        config = load_config(defaults=defaults)
    except ConfigError as exc:
        print(f"drawgame: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        code = COMMANDS[args.command](config, args)
        sys.stdout.flush()  # here, so that a reader gone away is caught below
        return code
    except BrokenPipeError:
        return _reader_left()


def _reader_left() -> int:
    """The reader of our output went away (``make releases | head -3``): not an error.

    Standard output is pointed at /dev/null so that flushing it at exit raises nothing
    (the way the Python documentation advises for SIGPIPE).
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 0


if __name__ == "__main__":
    sys.exit(main())

