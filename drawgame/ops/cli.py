"""The operations commands of ``python -m drawgame`` (the make targets call these).

Each takes ``--instance production|staging|local``: the deployed production
or staging instance, or ``local``, the database and address of the current
settings (what ``make start`` uses).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from drawgame.config import LOG_TO_STDOUT, Config
from drawgame.ops import admin_token, database, deploy, disk, passes, postgres, releases
from drawgame.ops.instance import INSTANCES, Instance, InstanceError, resolve
from drawgame.ops.probe import fetch_health, wait_healthy
from drawgame.ops.service import Service, ServiceError, for_instance
from drawgame.ops.steps import OperationFailed, Steps
from drawgame.services import MAINTENANCE_KEY
from drawgame.store import kv
from drawgame.store.cleanup import cleanup
from drawgame.store.connection import Error as DATABASE_ERRORS
from drawgame.store.db import describe, in_transaction
from drawgame.text import operator_text_problem

MAINTENANCE_SEEN_S = 10.0

Command = Callable[[Config, argparse.Namespace], int]


def fail(text: str) -> int:
    print(f"drawgame: {text}", file=sys.stderr, flush=True)
    return 1


def _instance(config: Config, args: argparse.Namespace) -> Instance:
    return resolve(getattr(args, "instance", "local"), config)


def _service(instance: Instance) -> Service:
    if not instance.deployed:
        raise InstanceError("the local instance has no service: make start runs it in the "
                            "foreground (use --instance production or staging)")
    return for_instance(instance)


EXPECTED: tuple[type[Exception], ...] = (
    InstanceError, ServiceError, OperationFailed, database.DatabaseError, releases.ReleaseError,
    *DATABASE_ERRORS)


def guarded(command: Command) -> Command:
    """Turn the expected failures into one line on standard error and exit code 1."""

    def run(config: Config, args: argparse.Namespace) -> int:
        try:
            return command(config, args)
        except EXPECTED as exc:
            return fail(str(exc))

    run.__doc__ = command.__doc__
    return run


# ---------------------------------------------------------------- deploys


@guarded
def cmd_deploy(config: Config, args: argparse.Namespace) -> int:
    """Deploy the source tree to production or staging (or only show what would happen)."""
    instance = resolve("staging" if args.staging else args.instance, config)
    instance.require_valid_env()
    opts = deploy.DeployOptions(
        instance=instance,
        service=_service(instance),
        source=Path(args.source),
        dry_run=args.dry_run,
        skip_tests=args.skip_tests or _flag("SKIP_TESTS"),
        deps_from=Path(args.deps_from) if args.deps_from else None,
        force_tests=args.force_tests or _flag("FORCE_TESTS"),
        wheel=Path(args.wheel) if args.wheel else None,
    )
    steps = Steps()
    try:
        deploy.deploy(opts, steps)
    except OperationFailed as exc:
        steps.say(f"DEPLOY FAILED: {exc}")
        return 1
    return 0


def _flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


@guarded
def cmd_dist(config: Config, args: argparse.Namespace) -> int:
    """Build a wheel to deploy on another box, after make check and make test (unless they
    passed for this commit here), with a record of its commit and tests beside it."""
    source, out = Path(args.source).resolve(), Path(args.out)
    steps = Steps()
    try:
        tests, emergency = deploy.test_gate(source, steps, skip=args.skip_tests or
                                            _flag("SKIP_TESTS"),
                                            force=args.force_tests or _flag("FORCE_TESTS"))
        with steps.step("build wheel"):
            wheel = releases.build_wheel(source, out)
    except OperationFailed as exc:
        steps.say(f"DIST FAILED: {exc}")
        return 1
    facts = {"commit": releases.git_sha(source), "tests": tests, "emergency": emergency,
             "built_at": datetime.now(UTC).isoformat(timespec="seconds")}
    record = wheel.with_name(wheel.name + releases.BUILD_RECORD_SUFFIX)
    record.write_text(json.dumps(facts, indent=2) + "\n")
    print(f"built {wheel} and {record.name} (commit {facts['commit']}, tests {tests}); "
          f"copy both, then: make deploy WHEEL={wheel.name}")
    return 0


@guarded
def cmd_record_pass(config: Config, args: argparse.Namespace) -> int:
    """Note that make check or make test passed for the checkout's commit."""
    source = Path(args.source).resolve()
    commit = passes.clean_commit(source)
    if commit is None:
        print(f"make {args.target} passed; not recorded: the checkout has uncommitted changes "
              "(or is no git checkout), so a deploy runs it again")
        return 0
    passes.record(source, commit, args.target)
    print(f"make {args.target} passed for commit {commit[:10]}: recorded in "
          f"{passes.RECORD_FILE}, a deploy of this commit skips it")
    return 0


@guarded
def cmd_rollback(config: Config, args: argparse.Namespace) -> int:
    """Back to the previous release, restart, wait for health."""
    instance = _instance(config, args)
    instance.require_valid_env()
    deploy.rollback(instance, _service(instance), Steps())
    return 0


@guarded
def cmd_releases(config: Config, args: argparse.Namespace) -> int:
    """List the releases of an instance, the current one marked."""
    instance = _instance(config, args)
    if not instance.deployed:
        return fail("the local instance has no releases")
    now = releases.current(instance.current_link, instance.releases_dir)
    found = releases.list_releases(instance.releases_dir)
    for release in found:
        current = now is not None and release.path == now.path
        print(describe_release(release, current))
    if not found:
        print(f"no releases in {instance.releases_dir}")
    return 0


def describe_release(release: releases.Release, current: bool) -> str:
    """One line of ``make releases``: id, number, when, commit, tests, what became of it."""
    if release.failed:
        state = f"FAILED: {release.failed.splitlines()[0]}"
    elif release.healthy_at:
        state = "served healthily"
    else:
        state = "not yet healthy" if "record_version" in release.record else ""
    tests = release.record.get("tests")
    if release.emergency:
        tests_part = "EMERGENCY (tests skipped)"
    else:
        tests_part = f"tests {tests}" if tests else ""
    parts = [tests_part, state]
    detail = "; ".join(p for p in parts if p)
    return (f"{'*' if current else ' '} {release.id}  (#{release.number}, "
            f"{release.record.get('created_at')})" + (f"  {detail}" if detail else ""))


@guarded
def cmd_service(config: Config, args: argparse.Namespace) -> int:
    """Start, stop, restart or show the service of a deployed instance.

    Start and restart wait (at most ``DRAWGAME_HEALTH_TIMEOUT_S``) for /api/health and
    say what it answered, like deploys and rollbacks do.
    """
    instance = _instance(config, args)
    service = _service(instance)
    if args.action == "status":
        return show_status(instance, service)
    if args.action in ("start", "restart"):
        instance.require_valid_env()
    if args.action == "restart" and service.running():
        print(f"{service.describe()}: {deploy.restart(instance, service)}")
    else:
        if args.action == "stop":
            service.stop()
        if args.action == "start":
            service.start()
        if args.action == "restart":  # not running: nothing to stop
            service.start()
    print(f"{service.describe()}: {'running' if service.running() else 'stopped'}")
    if args.action == "stop":
        return 0
    ok, why = wait_healthy(instance.url, instance.ops.health_timeout_s, service.running)
    print(f"{instance.url}/api/health: {why}")
    now = releases.current(instance.current_link, instance.releases_dir)
    if ok and now is not None:
        now.mark_healthy()
    return 0 if ok else 1


def show_status(instance: Instance, service: Service) -> int:
    """The service's state, what runs, health and disk use; exit 0 running, 3 stopped."""
    running = service.running()
    print(f"{service.describe()}: {'running' if running else 'stopped'}")
    for line in service.details():
        print(f"  {line}")
    if instance.env_error:
        print(f"warning: {instance.env_error}; the server will not start with it")
    body, error = fetch_health(instance.url, timeout=3)
    print(f"{instance.url}/api/health: {body['status'] if body else error}")
    now = releases.current(instance.current_link, instance.releases_dir)
    print(f"release: {describe_release(now, True)[2:] if now else 'nothing deployed'}")
    serving = (body or {}).get("build") or {}
    if body is not None:
        print(f"serving: release {serving.get('release')}, commit {serving.get('commit')}, "
              f"version {serving.get('version', body.get('version'))}"
              + (", EMERGENCY (tests skipped)" if serving.get("emergency") else ""))
        if now is not None and serving.get("release") not in (None, now.id):
            print("  (current points to another release: make restart to serve it)")
    print("disk:")
    for line in disk.usage_lines(instance):
        print(f"  {line}")
    return 0 if running else 3


@guarded
def cmd_logs(config: Config, args: argparse.Namespace) -> int:
    """Show (and follow) the service's log."""
    instance = _instance(config, args)
    if instance.deployed:
        command = _service(instance).logs_command(args.lines, not args.no_follow)
    elif instance.config.log_file == LOG_TO_STDOUT:
        return fail("the local server logs to its standard output (DRAWGAME_LOG_FILE=-): "
                    "in a container, podman logs or docker logs shows it")
    elif instance.config.log_file:
        follow = [] if args.no_follow else ["-F"]
        command = ["tail", "-n", str(args.lines), *follow, instance.config.log_file]
    else:
        return fail("the local server logs to its terminal (set DRAWGAME_LOG_FILE to keep them)")
    sys.stdout.flush()
    os.execvp(command[0], command)


@guarded
def cmd_url(config: Config, args: argparse.Namespace) -> int:
    """Print the URL the smoke tests use for an instance."""
    print(_instance(config, args).smoke_url)
    return 0


# ---------------------------------------------------------------- data


@guarded
def cmd_db_check(config: Config, args: argparse.Namespace) -> int:
    """SELECT 1, the integrity check and a few figures, readable."""
    instance = _instance(config, args)
    if instance.on_postgresql:
        report = postgres.check(instance.database)
    else:
        report = database.check(instance.db_path)
    print(report.render())
    return 0 if report.ok else 1


@guarded
def cmd_backup(config: Config, args: argparse.Namespace) -> int:
    """An online, checked backup of the live database; old backups pruned."""
    instance = _instance(config, args)
    keep = instance.ops.backup_keep
    if instance.on_postgresql:
        path, pruned = postgres.backup(instance.database, instance.backup_dir, keep)
        checked = "pg_dump archive, read back"
    else:
        path, pruned = database.backup(instance.db_path, instance.backup_dir, keep)
        checked = "integrity ok"
    print(f"backup {path} ({path.stat().st_size / 1024:.0f} KiB, {checked})")
    print(f"kept the newest {keep} regular backups (pre-deploy ones are kept apart); "
          f"removed {len(pruned)}: {', '.join(p.name for p in pruned) or 'none'}")
    return 0


@guarded
def cmd_backups(config: Config, args: argparse.Namespace) -> int:
    """List the backups of an instance, newest last."""
    instance = _instance(config, args)
    found = database.list_backups(instance.backup_dir)
    for path in found:
        kind = database.backup_kind(path).replace(database.PREDEPLOY, "pre-deploy")
        print(f"{path}  {path.stat().st_size / 1024:.0f} KiB  {kind}")
    if not found:
        print(f"no backups in {instance.backup_dir}")
    return 0


@guarded
def cmd_restore(config: Config, args: argparse.Namespace) -> int:
    """Stop the service, keep the current database aside, restore FILE, check, start."""
    instance = _instance(config, args)
    instance.require_valid_env()
    service = _service(instance) if instance.deployed else None
    deploy.restore(instance, service, Path(args.file), Steps())
    return 0


@guarded
def cmd_cleanup(config: Config, args: argparse.Namespace) -> int:
    """Remove closed rooms and finished games past retention; print the counts."""
    instance = _instance(config, args)
    days = instance.config.retention_days if args.days is None else args.days
    now = datetime.now(UTC)
    counts = _with_db(instance, lambda conn: cleanup(conn, days, now))
    removed = ", ".join(f"{table} {count}" for table, count in counts.items())
    print(f"removed what was closed or finished more than {days:g} days ago: {removed}")
    return 0


# ---------------------------------------------------------------- control


def _with_db(instance: Instance, work: Callable[[Any], Any]) -> Any:
    """``work(conn)`` in one transaction on the instance's existing database."""
    conn: Any
    if instance.on_postgresql:
        conn = postgres.connect(instance.database)
    else:
        conn = database.open_existing(instance.db_path)
    try:
        return in_transaction(conn, work)
    finally:
        conn.close()


@guarded
def cmd_token(config: Config, args: argparse.Namespace) -> int:
    """Make a new admin token (the old one stops working at once) and print it."""
    instance = _instance(config, args)
    token = _with_db(instance, admin_token.rotate)
    print(f"new admin token for {instance.name} (the old one no longer works):")
    print(token)
    return 0


def _admin_post(url: str, token: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    req = urllib.request.Request(url.rstrip("/") + path, data=json.dumps(body).encode(),
                                 method="POST")
    req.add_header("Authorization", f"Bearer {token}")
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


@guarded
def cmd_maintenance(config: Config, args: argparse.Namespace) -> int:
    """Switch maintenance mode: through the admin API when a token is given and the
    server runs, else in the database, which the server re-reads every few seconds."""
    instance = _instance(config, args)
    on = args.state == "on"
    message = (args.message or "").strip() if on else ""
    trouble = operator_text_problem(message)
    if trouble is not None:
        return fail(f"--message: {trouble}")
    token = args.token or os.environ.get("DRAWGAME_ADMIN_TOKEN", "")
    body, _ = fetch_health(instance.url, timeout=3)
    if body is not None and token:
        status, answer = _admin_post(instance.url, token, "/api/admin/maintenance",
                                     {"on": on, "message": message})
        if status != 200:
            return fail(f"the admin API answered {status}: {answer}")
        print(f"maintenance {args.state} on {instance.url} (admin API)")
        return 0
    _with_db(instance, lambda conn: kv.set_json(conn, MAINTENANCE_KEY,
                                                {"on": on, "message": message}))
    print(f"maintenance {args.state}: saved in {describe(instance.database)}")
    if body is None:
        print("no server answers now; it takes effect when the server starts")
        return 0
    return _await_maintenance(instance, on)


def _await_maintenance(instance: Instance, on: bool) -> int:
    deadline = time.monotonic() + MAINTENANCE_SEEN_S
    while time.monotonic() < deadline:
        body, _ = fetch_health(instance.url, timeout=3)
        if body is not None and body.get("maintenance") is on:
            print(f"the server at {instance.url} applied it (players were told)")
            return 0
        time.sleep(0.25)
    return fail(f"the server at {instance.url} did not apply it within {MAINTENANCE_SEEN_S:g} s")


# ---------------------------------------------------------------- the parser


def add_instance(parser: argparse.ArgumentParser, default: str = "local") -> None:
    parser.add_argument("--instance", choices=INSTANCES, default=default,
                        help=f"which instance (default {default})")


def add_commands(sub: Any) -> dict[str, Command]:
    """Add the operations subcommands to ``sub``; return name -> function."""
    p = sub.add_parser("deploy", help="build, check and deploy a release (see docs/RUNBOOK.md)")
    add_instance(p, "production")
    p.add_argument("--staging", action="store_true", help="deploy to staging")
    p.add_argument("--dry-run", action="store_true", help="build and check, change nothing")
    p.add_argument("--skip-tests", action="store_true",
                   help="emergency: no make check / make test (also SKIP_TESTS=1)")
    p.add_argument("--source", default=".", help="source tree to deploy (default: .)")
    p.add_argument("--deps-from", metavar="SITE_PACKAGES",
                   help="take dependencies from this site-packages instead of installing them")
    p.add_argument("--force-tests", action="store_true",
                   help="run make check and make test even if they passed for this commit "
                        "(also FORCE_TESTS=1)")
    p.add_argument("--wheel", help="deploy this wheel (built elsewhere by make dist): no "
                                   "tests or build here")
    p = sub.add_parser("dist", help="build a wheel to deploy on another box (after the tests)")
    p.add_argument("--source", default=".", help="source tree (default: .)")
    p.add_argument("--out", default="dist", help="folder for the wheel (default: dist)")
    p.add_argument("--skip-tests", action="store_true", help="emergency: no tests (recorded)")
    p.add_argument("--force-tests", action="store_true", help="run the tests even if they "
                                                              "passed for this commit")
    p = sub.add_parser("record-pass", help="note that make check or make test passed here")
    p.add_argument("target", choices=passes.TARGETS)
    p.add_argument("--source", default=".", help="the checkout (default: .)")
    p = sub.add_parser("rollback", help="back to the previous release")
    add_instance(p, "production")
    p = sub.add_parser("releases", help="list releases")
    add_instance(p, "production")
    p = sub.add_parser("service", help="start, stop, restart or show the service")
    p.add_argument("action", choices=("start", "stop", "restart", "status"))
    add_instance(p, "production")
    p = sub.add_parser("logs", help="show and follow the service's log")
    add_instance(p, "production")
    p.add_argument("-n", "--lines", type=int, default=100)
    p.add_argument("--no-follow", action="store_true")
    p = sub.add_parser("url", help="print the URL smoke tests use for an instance")
    add_instance(p, "production")
    p = sub.add_parser("db-check", help="SELECT 1 and the integrity check")
    add_instance(p)
    p = sub.add_parser("backup", help="online backup of the live database")
    add_instance(p)
    p = sub.add_parser("backups", help="list backups")
    add_instance(p)
    p = sub.add_parser("restore", help="restore a backup (stops and starts the service)")
    p.add_argument("file")
    add_instance(p)
    p = sub.add_parser("cleanup", help="remove closed rooms and finished games past retention")
    p.add_argument("--days", type=float, help="retention in days (default: the setting)")
    add_instance(p)
    p = sub.add_parser("maintenance", help="switch maintenance mode")
    p.add_argument("state", choices=("on", "off"))
    p.add_argument("--message", default="", help="shown to players (with on)")
    p.add_argument("--token", help="admin token (default: $DRAWGAME_ADMIN_TOKEN)")
    add_instance(p)
    p = sub.add_parser("token", help="admin token")
    p.add_argument("action", choices=("rotate",))
    add_instance(p)
    return {
        "deploy": cmd_deploy, "dist": cmd_dist, "record-pass": cmd_record_pass,
        "rollback": cmd_rollback, "releases": cmd_releases,
        "service": cmd_service, "logs": cmd_logs, "url": cmd_url, "db-check": cmd_db_check,
        "backup": cmd_backup, "backups": cmd_backups, "restore": cmd_restore,
        "cleanup": cmd_cleanup, "maintenance": cmd_maintenance, "token": cmd_token,
    }
