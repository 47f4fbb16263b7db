"""Deploy, dry run, rollback and restore of a deployed instance.

A deploy, in order: ``make check`` and ``make test`` (unless they passed for
this commit on this box, or skipped, loudly); build the wheel (or take one
built elsewhere, ``make dist``); create the release folder with its own venv; check its
migrations on a copy of the live database; take an online backup of the live
database; apply the migrations with the new release; switch ``current``;
restart the service; wait for /api/health (bounded); run the smoke tests;
prune old releases. A failure after the switch rolls back on its own: the
previous release comes back, and the backup too if a migration ran; the
deploy then exits non-zero with the reason.

On PostgreSQL (``DRAWGAME_DATABASE_URL`` in the instance's ``.env``) the same
steps use the server's forms: the migrations are checked in place, applied in
a transaction that is rolled back (its DDL is transactional); the backups are
``pg_dump`` archives and a restore replays one in a single transaction
(drawgame/ops/postgres.py).
"""

from __future__ import annotations

import fcntl
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from drawgame.ops import database, passes, postgres, releases, serverlock
from drawgame.ops.instance import Instance, InstanceError
from drawgame.ops.probe import cluster_pids, fetch_health, wait_healthy, wait_rolled
from drawgame.ops.releases import Release
from drawgame.ops.service import Service, ServiceError
from drawgame.ops.steps import OperationFailed, Steps
from drawgame.store.db import describe

MIGRATE_TIMEOUT_S = 600
SMOKE_TIMEOUT_S = 120


@dataclass
class DeployOptions:
    instance: Instance
    service: Service
    source: Path
    dry_run: bool = False
    skip_tests: bool = False
    deps_from: Path | None = None
    force_tests: bool = False
    wheel: Path | None = None
    """A wheel built elsewhere (``make dist``): no tests or build here."""


@dataclass
class Candidate:
    """What is about to be deployed: its wheel and the facts its release records."""

    sha: str
    wheel: Path | None
    facts: dict[str, object]


@contextmanager
def deploy_lock(instance: Instance) -> Iterator[None]:
    """One deploy, rollback or restore at a time per instance."""
    assert instance.root is not None
    instance.root.mkdir(parents=True, exist_ok=True)
    with open(instance.lock_file, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OperationFailed(
                f"another deploy, rollback or restore of {instance.name} is running"
            ) from None
        yield


def applied_versions(instance: Instance) -> set[int]:
    """Migration versions recorded in the instance's database (empty when there is none)."""
    if instance.on_postgresql:
        return postgres.applied_versions(instance.database)
    db = instance.db_path
    if not db.exists():
        return set()
    conn = database.open_existing(db, read_only=True)
    try:
        return {int(row[0]) for row in conn.execute("SELECT version FROM schema_migrations")}
    except sqlite3.OperationalError:
        return set()
    finally:
        conn.close()


def run_migrations(python: Path, instance: Instance, db: Path | None = None,
                   *, check: bool = False) -> list[str]:
    """``python -m drawgame migrate`` of a release against the instance's database (or
    ``db``); returns the names of the migrations it applied (``check``: that apply, in a
    transaction rolled back; PostgreSQL)."""
    assert instance.root is not None
    env = instance.process_env()
    if db is not None:
        env["DRAWGAME_DB_PATH"] = str(db)
    cwd = instance.root if instance.root.exists() else Path(tempfile.gettempdir())
    command = [str(python), "-m", "drawgame", "migrate", *(["--check"] if check else [])]
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=MIGRATE_TIMEOUT_S)
    if done.returncode != 0:
        raise OperationFailed(f"migrations failed: {(done.stderr or done.stdout).strip()}")
    word = "applies " if check else "applied "
    return [line.split(" ", 1)[1] for line in done.stdout.splitlines()
            if line.startswith(word)]


def check_migrations(python: Path, instance: Instance, scratch: Path) -> list[str]:
    """Apply the release's migrations to a copy of the live database (or an empty one);
    on PostgreSQL to the live database in a transaction that is rolled back."""
    if instance.on_postgresql:
        return run_migrations(python, instance, check=True)
    copy = scratch / "live-copy.sqlite3"
    if instance.db_path.exists():
        database.copy_consistent(instance.db_path, copy)
    return run_migrations(python, instance, copy)


def has_database(instance: Instance) -> bool:
    """Whether there is live data to back up (a PostgreSQL database with no migration
    applied yet holds none)."""
    if instance.on_postgresql:
        return bool(postgres.applied_versions(instance.database))
    return instance.db_path.exists()


def check_step(instance: Instance) -> str:
    if instance.on_postgresql:
        return "check migrations on the live database (in a transaction rolled back)"
    return "check migrations on a copy of the live database"


def back_up(instance: Instance, keep: int, label: str) -> Path:
    """A checked backup of the live database, ``keep`` of its kind kept."""
    if instance.on_postgresql:
        path, _ = postgres.backup(instance.database, instance.backup_dir, keep, label)
    else:
        path, _ = database.backup(instance.db_path, instance.backup_dir, keep, label)
    return path


def smoke(source: Path, url: str) -> None:
    """The smoke tests of the source tree against ``url``; raises when a step fails."""
    try:
        done = subprocess.run([sys.executable, "-m", "smoke", url], cwd=source,
                              timeout=SMOKE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise OperationFailed(f"smoke tests did not finish within {SMOKE_TIMEOUT_S} s") from None
    if done.returncode != 0:
        raise OperationFailed("smoke tests failed (the failed step is named above)")


def smoke_available(source: Path) -> None:
    done = subprocess.run([sys.executable, "-c", "import smoke.run"], cwd=source,
                          capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise OperationFailed(
            "the smoke tests cannot run here: " + done.stderr.strip().splitlines()[-1]
            + " (make installs what they need: pip install -e '.[ops]')"
        )


def restart(instance: Instance, service: Service, *, rolling: bool = True) -> str:
    """Install or refresh the service, then restart it; says how.

    A running cluster (several workers) restarts one worker at a time and its
    games go on (``rolling``); otherwise, or with ``rolling`` False (a deploy
    that changed the schema: old and new code must not serve side by side),
    the service stops (gracefully: games resume) and starts again.
    """
    service.install()
    if rolling:
        before = cluster_pids(instance.url)
        if len(before) > 1 and service.reload():
            ok, why = wait_rolled(instance.url, before, instance.ops.health_timeout_s)
            if not ok:
                raise OperationFailed(f"the rolling restart did not finish: {why}")
            return f"rolling restart of {len(before)} workers"
    service.stop()
    service.start()
    return "stopped and started"


def await_health(instance: Instance, service: Service) -> str:
    """Wait, bounded, for the instance to be healthy; raises OperationFailed if it is not."""
    ok, why = wait_healthy(instance.url, instance.ops.health_timeout_s, service.running)
    if not ok:
        raise OperationFailed(f"wait for health: {why}")
    return f"{instance.url} {why}"


def _make(source: Path, target: str) -> None:
    done = subprocess.run(["make", target], cwd=source)
    if done.returncode != 0:
        raise OperationFailed(f"make {target} failed (exit {done.returncode})")


def test_gate(source: Path, steps: Steps, *, skip: bool, force: bool) -> tuple[str, bool]:
    """``make check`` and ``make test``, each skipped when it passed for this commit on
    this box (drawgame/ops/passes.py); returns (how the tests went, emergency)."""
    if skip:
        steps.banner("SKIP_TESTS: deploying WITHOUT make check and make test (emergency path)")
        return "skipped (SKIP_TESTS=1)", True
    commit = passes.clean_commit(source)
    earlier = 0
    for target in passes.TARGETS:
        when = passes.passed(source, commit, target) if commit and not force else None
        if when is not None:
            assert commit is not None
            steps.say(f"make {target}: skipped, it passed for commit {commit[:10]} on this box "
                      f"at {when} (FORCE_TESTS=1 runs it again)")
            earlier += 1
            continue
        with steps.step(f"make {target}"):
            _make(source, target)
        if commit is not None:
            passes.record(source, commit, target)
    return ("passed earlier" if earlier == len(passes.TARGETS) else "passed"), False


def deploy(opts: DeployOptions, steps: Steps) -> None:
    """Deploy ``opts.source`` (or ``opts.wheel``) to the instance; raises OperationFailed."""
    inst, source = opts.instance, opts.source.resolve()
    if inst.root is None:
        raise InstanceError("only production and staging are deployed")
    with steps.step("preflight"):
        smoke_available(source)
        if opts.wheel is not None:
            candidate = from_wheel(opts.wheel.resolve())
            steps.say(f"wheel {opts.wheel} ({candidate.facts['tests']}), commit "
                      f"{candidate.sha}; instance {inst.name} in {inst.root}")
        else:
            sha = releases.git_sha(source)
            candidate = Candidate(sha, None, {"sha": sha, "source": str(source)})
            steps.say(f"source {source} at {sha}; instance {inst.name} in {inst.root}")
    if opts.wheel is None:
        tests, emergency = test_gate(source, steps, skip=opts.skip_tests, force=opts.force_tests)
        candidate.facts.update(tests=tests, emergency=emergency)
    elif candidate.facts.get("emergency"):
        steps.banner("this wheel was built WITHOUT make check and make test (emergency path)")
    with tempfile.TemporaryDirectory(prefix="drawgame-deploy-") as scratch_name:
        scratch = Path(scratch_name)
        if candidate.wheel is None:
            with steps.step("build wheel"):
                candidate.wheel = releases.build_wheel(source, scratch / "dist")
                steps.say(f"built {candidate.wheel.name}")
        if opts.dry_run:
            _dry_run(opts, steps, candidate, scratch)
            return
        with deploy_lock(inst):
            _deploy(opts, steps, candidate, scratch)


def from_wheel(wheel: Path) -> Candidate:
    """A wheel built elsewhere, with the facts its ``make dist`` wrote beside it (if any)."""
    if not wheel.is_file() or not wheel.name.endswith(".whl"):
        raise OperationFailed(f"{wheel} is not a wheel file")
    facts = releases.wheel_facts(wheel)
    sha = str(facts.get("commit") or "wheel")
    tests = str(facts.get("tests") or "unknown (no build record beside the wheel)")
    return Candidate(sha, wheel, {"sha": sha, "source": str(wheel), "origin": "wheel",
                                  "tests": f"{tests}, where it was built",
                                  "emergency": bool(facts.get("emergency", False)),
                                  "built_at": facts.get("built_at")})


def _dry_run(opts: DeployOptions, steps: Steps, candidate: Candidate, scratch: Path) -> None:
    inst = opts.instance
    assert inst.root is not None and candidate.wheel is not None
    with steps.step("build release (in a temporary folder)"):
        python = releases.install(scratch / "release", candidate.wheel, opts.deps_from)
    with steps.step(check_step(inst)):
        pending = check_migrations(python, inst, scratch)
    release_id = releases.new_release_id(inst.releases_dir, candidate.sha)
    now = releases.current(inst.current_link, inst.releases_dir)
    keep = inst.ops.releases_keep
    found = releases.list_releases(inst.releases_dir)
    new = releases.Release(inst.releases_dir / release_id,
                           {"sha": candidate.sha, "record_version": releases.RECORD_VERSION,
                            "number": max((r.number for r in found), default=0) + 1})
    doomed = [r.id for r in releases.plan_pruning([*found, new], new, keep)]
    live = "the live database" if has_database(inst) else "a new database (none yet)"
    state = "running" if opts.service.running() else "not running"
    steps.say("dry run: nothing was changed under " + str(inst.root))
    steps.say(f"would create  {inst.releases_dir / release_id} (tests: "
              f"{candidate.facts.get('tests')})")
    steps.say(f"would replace {now.id if now else 'nothing (first deploy)'} as current")
    steps.say(f"would back up {describe(inst.database)} into {inst.backup_dir}")
    steps.say(f"would apply   {', '.join(pending) or 'no migrations'} to {live} "
              "(checked on a copy: they apply cleanly)")
    steps.say(f"would restart {opts.service.describe()}, now {state}")
    steps.say(f"would wait    for {inst.url}/api/health (at most "
              f"{inst.ops.health_timeout_s:g} s), then run the smoke tests")
    steps.say(f"would remove  {', '.join(doomed) or 'no old releases'} (keeping {keep})")


ENV_TEMPLATE = """\
# Settings of the drawgame {name} instance: DRAWGAME_<NAME>=value lines (README.md,
# "Configuration", lists them). The deploy sets DRAWGAME_ENVIRONMENT, DRAWGAME_HOST,
# DRAWGAME_PORT, DRAWGAME_DB_PATH and DRAWGAME_BACKUP_DIR itself; anything else goes here.
# Changes apply at the next restart: make restart INSTANCE={name} (in the checkout).
"""


def _deploy(opts: DeployOptions, steps: Steps, candidate: Candidate, scratch: Path) -> None:
    inst, service = opts.instance, opts.service
    assert candidate.wheel is not None
    if not inst.env_file.exists():
        inst.env_file.write_text(ENV_TEMPLATE.format(name=inst.name))
    previous = releases.current(inst.current_link, inst.releases_dir)
    release_id = releases.new_release_id(inst.releases_dir, candidate.sha)
    with steps.step(f"create release {release_id}"):
        release = releases.create(inst.releases_dir, release_id, candidate.wheel,
                                  candidate.facts, opts.deps_from)
    try:
        with steps.step(check_step(inst)):
            pending = check_migrations(release.python, inst, scratch)
            steps.say(f"to apply: {', '.join(pending) or 'none'}")
    except OperationFailed as exc:
        release.mark_failed(str(exc))
        raise
    backup = None
    if has_database(inst):
        with steps.step("back up the live database"):
            backup = back_up(inst, inst.ops.predeploy_backup_keep,
                             f"{database.PREDEPLOY}-{release_id}")
            steps.say(f"backup {backup}")
    before = applied_versions(inst)
    try:
        with steps.step("apply migrations"):
            applied = run_migrations(release.python, inst)
            steps.say(f"applied: {', '.join(applied) or 'none'}")
        with steps.step("switch current"):
            releases.switch(inst.current_link, release)
            steps.say(f"current -> releases/{release.id}")
        with steps.step(f"restart {inst.service_name}"):
            steps.say(restart(inst, service, rolling=not applied))
        with steps.step("wait for health"):
            steps.say(await_health(inst, service))
        _smoke_unless_maintenance(opts, steps)
        release.mark_healthy()
    except OperationFailed as exc:
        release.mark_failed(str(exc))
        migrated = applied_versions(inst) != before
        _roll_back(opts, steps, previous, backup if migrated else None, str(exc))
        raise OperationFailed(f"deploy of {release.id} failed and was rolled back: {exc}") from exc
    with steps.step("prune old releases"):
        removed = releases.prune(inst.current_link, inst.releases_dir, inst.ops.releases_keep)
        steps.say(f"removed: {', '.join(removed) or 'none'}")
    steps.say(f"deployed {release.id} to {inst.name}: {inst.url}")


def _smoke_unless_maintenance(opts: DeployOptions, steps: Steps) -> None:
    body, _ = fetch_health(opts.instance.url)
    if body is not None and body.get("maintenance"):
        steps.say("maintenance mode is on: smoke tests skipped (they need to create a room); "
                  "run make smoke-prod or make smoke-staging once it is off")
        return
    with steps.step("smoke tests"):
        smoke(opts.source.resolve(), opts.instance.url)


def _roll_back(opts: DeployOptions, steps: Steps, previous: Release | None,
               backup: Path | None, reason: str) -> None:
    """Put the previous release (and the pre-deploy backup, if given) back; bounded."""
    inst, service = opts.instance, opts.service
    steps.say(f"ROLLING BACK: {reason}")
    try:
        service.stop()
        if previous is not None:
            releases.switch(inst.current_link, previous)
            steps.say(f"current -> releases/{previous.id}")
        else:
            inst.current_link.unlink(missing_ok=True)
            steps.say("no previous release: the service stays stopped")
        if backup is not None and inst.on_postgresql:
            postgres.refuse_while_used(inst.database)
            dumped = back_up(inst, inst.ops.failed_deploy_keep, "failed-deploy")
            postgres.restore(inst.database, backup)
            steps.say(f"restored {backup} (the migrated database is kept as {dumped})")
        elif backup is not None:
            with serverlock.exclusive(inst.db_path):
                aside = database.set_aside(inst.db_path, "failed-deploy")
                database.put_in_place(backup, inst.db_path)
            steps.say(f"restored {backup} (the migrated database is kept as {aside})")
            pruned = database.prune_set_aside(inst.db_path, "failed-deploy",
                                              inst.ops.failed_deploy_keep)
            if pruned:
                steps.say(f"removed older failed-deploy copies: "
                          f"{', '.join(p.name for p in pruned)}")
        if previous is None:
            return
        service.start()
    except (OperationFailed, ServiceError, database.DatabaseError, serverlock.DatabaseInUse,
            OSError) as exc:
        steps.banner(f"ROLLBACK FAILED: {exc}; see docs/RUNBOOK.md, 'Deploy and rollback'")
        return
    try:
        steps.say(f"rolled back to {previous.id}: {await_health(inst, service)}")
        previous.mark_healthy()
    except OperationFailed as exc:
        steps.banner(f"ROLLBACK DONE BUT NOT HEALTHY: {exc}")


def rollback(instance: Instance, service: Service, steps: Steps) -> None:
    """Back to the previous good release: switch, restart, wait for health."""
    with deploy_lock(instance):
        now = releases.current(instance.current_link, instance.releases_dir)
        target = releases.previous(instance.current_link, instance.releases_dir)
        if target is None:
            raise OperationFailed(f"no release older than {now.id if now else 'nothing'} to "
                                  "roll back to")
        with steps.step(f"switch current to {target.id}"):
            releases.switch(instance.current_link, target)
        with steps.step(f"restart {instance.service_name}"):
            restart(instance, service)
        with steps.step("wait for health"):
            steps.say(await_health(instance, service))
        target.mark_healthy()
        steps.say(f"{instance.name} runs {target.id} (was {now.id if now else 'nothing'})")


def restore(instance: Instance, service: Service | None, source: Path, steps: Steps) -> None:
    """Stop, set the live database aside, restore ``source``, check, start, wait for health.

    ``service`` is None for the local instance: its server must be stopped first. Any
    server still using the database, whatever its port, is found by the database's lock
    (drawgame/ops/serverlock.py), and the restore refuses.
    """
    if instance.on_postgresql:
        _restore_postgresql(instance, service, source, steps)
        return
    with steps.step(f"check {source}"):
        report = database.check(source)
        if not report.ok:
            raise OperationFailed(f"{source} is not a sound database:\n{report.render()}")
    db = instance.db_path
    with _stopped_for_restore(instance, service, steps):
        try:
            with serverlock.exclusive(db):
                if service is None:  # no server holds the database; none answers either?
                    body, _ = fetch_health(instance.url, timeout=2)
                    if body is not None:
                        raise OperationFailed(f"a server answers at {instance.url}: stop it "
                                              "first")
                _replace_database(db, source, steps)
                pruned = database.prune_set_aside(db, "before-restore",
                                                  instance.ops.before_restore_keep)
                if pruned:
                    steps.say(f"removed older before-restore copies: "
                              f"{', '.join(p.name for p in pruned)}")
        except serverlock.DatabaseInUse as exc:
            if service is not None:  # leave the service as it was found
                service.start()
            raise OperationFailed(f"{exc}: stop it first (nothing was changed)") from None
        _serve_restored(instance, service, f"{source} into {db}", steps)


def _serve_restored(instance: Instance, service: Service | None, what: str,
                    steps: Steps) -> None:
    """Start the service that was stopped for a restore again, and say how it went."""
    if service is None:
        steps.say(f"restored {what}; start the server (make start)")
        return
    with steps.step(f"start {instance.service_name}"):
        service.start()
    with steps.step("wait for health"):
        healthy = await_health(instance, service)
    steps.say(f"restored {what}; {healthy}")


def _replace_database(db: Path, source: Path, steps: Steps) -> None:
    """Set the live database aside and install ``source`` in its place, checked."""
    with steps.step("set the current database aside"):
        aside = database.set_aside(db, "before-restore")
        steps.say(f"kept as {aside}" if aside else "there was no database")
    with steps.step("restore"):
        database.put_in_place(source, db)
    with steps.step("integrity check"):
        report = database.check(db)
        if not report.ok:
            raise OperationFailed(f"the restored database is not sound:\n{report.render()}")


def _restore_postgresql(instance: Instance, service: Service | None, source: Path,
                        steps: Steps) -> None:
    """The same on PostgreSQL: a pg_dump archive replaces every table in one transaction,
    after a dump of what it replaces; it refuses while any server (of any box) is
    connected."""
    url = instance.database
    with steps.step(f"check {source}"):
        if not source.name.endswith(postgres.DUMP_SUFFIX):
            raise OperationFailed(f"{source} is not a pg_dump archive ({postgres.DUMP_SUFFIX}):"
                                  " the database is PostgreSQL (a SQLite backup cannot be "
                                  "restored into it)")
        postgres.verify(source)
    with _stopped_for_restore(instance, service, steps):
        try:
            postgres.refuse_while_used(url)
            if service is None:
                body, _ = fetch_health(instance.url, timeout=2)
                if body is not None:
                    raise OperationFailed(f"a server answers at {instance.url}: stop it first")
        except (database.DatabaseError, OperationFailed) as exc:
            if service is not None:  # leave the service as it was found
                service.start()
            raise OperationFailed(str(exc)) from None
        with steps.step("dump the current database aside"):
            aside, _ = postgres.backup(url, instance.backup_dir,
                                       instance.ops.before_restore_keep, "before-restore")
            steps.say(f"kept as {aside}")
        with steps.step("restore"):
            postgres.restore(url, source)
        with steps.step("check"):
            report = postgres.check(url)
            if not report.ok:
                raise OperationFailed(f"the restored database is not sound:\n{report.render()}")
        _serve_restored(instance, service, f"{source} into {describe(url)}", steps)


@contextmanager
def _stopped_for_restore(instance: Instance, service: Service | None,
                         steps: Steps) -> Iterator[None]:
    """Under the instance's deploy lock (when it has a root), with its service stopped."""
    lock = deploy_lock(instance) if instance.root is not None else _no_lock()
    with lock:
        if service is not None:
            with steps.step(f"stop {instance.service_name}"):
                service.stop()
        yield


@contextmanager
def _no_lock() -> Iterator[None]:
    yield
