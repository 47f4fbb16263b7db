"""Release folders: a wheel, a venv of their own, a record; the ``current`` link.

A release is ``<root>/releases/<timestamp>-<git sha>/`` holding ``venv/``
(the wheel and its dependencies installed), ``dist/`` (the wheel) and
``release.json`` (sequence number, sha, when, from where, how its tests went,
whether it was an emergency deploy). Releases are ordered by their sequence
number. A release whose deploy failed carries a ``FAILED`` file with the
reason and is never chosen by a rollback; one that served healthily carries
a ``HEALTHY`` file with the time. Pruning keeps the newest releases that
served healthily, one per commit, and removes failed ones first.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RECORD = "release.json"
FAILED = "FAILED"
HEALTHY = "HEALTHY"
RECORD_VERSION = 2
"""Releases whose record has no ``record_version`` predate the HEALTHY marker: they count
as good unless they failed."""
PIP_TIMEOUT_S = 600


class ReleaseError(RuntimeError):
    """A release could not be built, found or switched to."""


@dataclass(frozen=True)
class Release:
    path: Path
    record: dict[str, Any]

    @property
    def id(self) -> str:
        return self.path.name

    @property
    def number(self) -> int:
        return int(self.record.get("number", 0))

    @property
    def python(self) -> Path:
        return self.path / "venv" / "bin" / "python"

    def _marker(self, name: str) -> str | None:
        marker = self.path / name
        return marker.read_text().strip() if marker.exists() else None

    @property
    def failed(self) -> str | None:
        """Why its deploy failed, if it did."""
        return self._marker(FAILED)

    @property
    def sha(self) -> str:
        return str(self.record.get("sha", ""))

    @property
    def emergency(self) -> bool:
        return bool(self.record.get("emergency", False))

    @property
    def healthy_at(self) -> str | None:
        """When it first served with health ok, if it did."""
        return self._marker(HEALTHY)

    @property
    def good(self) -> bool:
        """Served healthily (or is older than that record) and never failed."""
        if self.failed is not None:
            return False
        return self.healthy_at is not None or "record_version" not in self.record

    def mark_failed(self, reason: str) -> None:
        (self.path / FAILED).write_text(reason + "\n")

    def mark_healthy(self) -> None:
        """It served with health ok: a release pruning keeps and a rollback may choose."""
        if self.failed is None:
            (self.path / HEALTHY).write_text(datetime.now(UTC).isoformat(timespec="seconds")
                                             + "\n")


def _run(cmd: list[str], cwd: Path | None = None, timeout: float = PIP_TIMEOUT_S) -> str:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        output = (done.stderr or done.stdout).strip().splitlines()[-15:]
        raise ReleaseError(f"{' '.join(cmd[:4])} ... failed:\n" + "\n".join(output))
    return done.stdout


BUILD_RECORD_SUFFIX = ".build.json"


def wheel_facts(wheel: Path) -> dict[str, Any]:
    """What ``make dist`` wrote beside a wheel (commit, tests, emergency, built_at)."""
    try:
        facts = json.loads(wheel.with_name(wheel.name + BUILD_RECORD_SUFFIX).read_text())
    except (OSError, ValueError):
        return {}
    return facts if isinstance(facts, dict) else {}


def git_sha(source: Path) -> str:
    """The checkout's short commit id, ``-dirty`` when it has changes; ``nogit`` outside git."""
    try:
        sha = subprocess.run(["git", "-C", str(source), "rev-parse", "--short=10", "HEAD"],
                             capture_output=True, text=True, timeout=30)
        if sha.returncode != 0:
            return "nogit"
        dirty = subprocess.run(["git", "-C", str(source), "status", "--porcelain",
                                "--untracked-files=no"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "nogit"
    return sha.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def build_wheel(source: Path, out: Path) -> Path:
    """``pip wheel`` of the source tree (migrations included in the wheel)."""
    if not (source / "pyproject.toml").is_file():
        raise ReleaseError(f"{source} is not a drawgame source tree (no pyproject.toml)")
    out.mkdir(parents=True, exist_ok=True)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out),
          str(source)])
    wheels = sorted(out.glob("drawgame-*.whl"))
    if not wheels:
        raise ReleaseError(f"pip wheel produced no drawgame wheel in {out}")
    return wheels[-1]


def install(folder: Path, wheel: Path, deps_from: Path | None = None) -> Path:
    """Make ``folder/venv`` and install the wheel into it; return its Python.

    Normally the wheel's dependencies are installed too (pip's cache makes a
    rebuild quick). With ``deps_from`` (a site-packages folder) they are taken
    from there instead, through a ``.pth`` line, and only the wheel itself is
    installed: an offline, seconds-long build used by the tests.
    """
    venv = folder / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet"]
    if deps_from is not None:
        purelib = Path(_run([str(python), "-c",
                             "import sysconfig; print(sysconfig.get_path('purelib'))"]).strip())
        (purelib / "_drawgame_deps.pth").write_text(f"{deps_from}\n")
        _run([*pip, "--no-deps", str(wheel)])
    else:
        _run([*pip, str(wheel)])
    # Run from the release folder: a checkout in the working directory would shadow it.
    where = _run([str(python), "-c", "import drawgame; print(drawgame.__file__)"],
                 cwd=folder).strip()
    if not Path(where).resolve().is_relative_to(venv.resolve()):
        raise ReleaseError(f"the release imports drawgame from {where}, not from its own venv")
    return python


def list_releases(releases_dir: Path) -> list[Release]:
    """Complete releases, oldest first (by sequence number, then name)."""
    if not releases_dir.is_dir():
        return []
    found = []
    for path in releases_dir.iterdir():
        record_file = path / RECORD
        if path.is_dir() and record_file.is_file():
            try:
                record = json.loads(record_file.read_text())
            except ValueError:
                continue
            found.append(Release(path, record))
    return sorted(found, key=lambda r: (r.number, r.id))


def current(current_link: Path, releases_dir: Path) -> Release | None:
    """The release ``current`` points to, if any."""
    if not current_link.is_symlink():
        return None
    target = current_link.resolve()
    return next((r for r in list_releases(releases_dir) if r.path.resolve() == target), None)


def previous(current_link: Path, releases_dir: Path) -> Release | None:
    """The newest good release older than the current one, preferring another commit
    (a rollback to the same code would change nothing)."""
    now = current(current_link, releases_dir)
    older = [r for r in list_releases(releases_dir)
             if r.good and (now is None or r.number < now.number)]
    other = [r for r in older if now is None or r.sha != now.sha]
    choices = other or older
    return choices[-1] if choices else None


def new_release_id(releases_dir: Path, sha: str, when: datetime | None = None) -> str:
    stamp = (when or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    base = f"{stamp}-{sha}"
    name, n = base, 1
    while (releases_dir / name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def create(releases_dir: Path, release_id: str, wheel: Path, record: dict[str, Any],
           deps_from: Path | None = None) -> Release:
    """Build the release in its folder; ``release.json``, written last, marks it complete."""
    folder = releases_dir / release_id
    try:
        (folder / "dist").mkdir(parents=True)
        shutil.copy2(wheel, folder / "dist" / wheel.name)
        install(folder, folder / "dist" / wheel.name, deps_from)
        numbers = [r.number for r in list_releases(releases_dir)]
        full = {**record, "id": release_id, "number": max(numbers, default=0) + 1,
                "wheel": wheel.name, "record_version": RECORD_VERSION,
                "created_at": datetime.now(UTC).isoformat(timespec="seconds")}
        (folder / RECORD).write_text(json.dumps(full, indent=2) + "\n")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return Release(folder, full)


def switch(current_link: Path, release: Release) -> None:
    """Point ``current`` at ``release`` atomically (a new link renamed over the old)."""
    tmp = current_link.with_name(current_link.name + ".new")
    tmp.unlink(missing_ok=True)
    os.symlink(os.path.relpath(release.path, current_link.parent), tmp)
    tmp.replace(current_link)


def plan_pruning(releases: list[Release], now: Release | None, keep: int) -> list[Release]:
    """The releases pruning removes so that ``keep`` are left (``now``, the current one,
    always stays): first failed or never-healthy ones, then good ones whose commit a newer
    good release has, then the oldest good ones; oldest first within each."""
    seen: set[str] = {now.sha} if now is not None else set()
    unwanted, duplicates, distinct = [], [], []
    for release in reversed(releases):  # newest first: the newest of a commit is kept
        if now is not None and release.path == now.path:
            continue
        if not release.good:
            unwanted.append(release)
        elif release.sha in seen:
            duplicates.append(release)
        else:
            seen.add(release.sha)
            distinct.append(release)
    order = [*reversed(unwanted), *reversed(duplicates), *reversed(distinct)]
    return order[:max(0, len(releases) - keep)]


def prune(current_link: Path, releases_dir: Path, keep: int) -> list[str]:
    """Remove what :func:`plan_pruning` names, and folders without a ``release.json`` (a
    build that was interrupted); return the names removed."""
    now = current(current_link, releases_dir)
    doomed = [r.path for r in plan_pruning(list_releases(releases_dir), now, keep)]
    complete = {r.path for r in list_releases(releases_dir)}
    doomed += [p for p in releases_dir.iterdir()
               if p.is_dir() and not p.is_symlink() and p not in complete]
    for path in doomed:
        shutil.rmtree(path, ignore_errors=True)
    return sorted(p.name for p in doomed)
