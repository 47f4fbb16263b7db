"""What runs: the package version, and the release and commit it was deployed as.

A deployed server runs the Python of its release's own venv
(``<root>/releases/<id>/venv``), so the release's record, ``release.json``,
sits beside that venv: its id, the commit it was built from, whether it
was an emergency deploy (tests skipped) and how its tests went. A server
run from a checkout (``make start``) has no release; its commit is the
checkout's, read once with git. ``/api/health`` (``build``), the
``drawgame_build_info`` metric and ``make status`` all show this.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import drawgame

RELEASE_RECORD = "release.json"
GIT_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Build:
    """The build facts of this process (PROTOCOL.md v2: ``version``, ``release``, ``commit``).

    ``release`` and ``commit`` are None when unknown (a checkout outside git,
    or a wheel installed by hand). ``emergency`` is true for a release
    deployed with ``SKIP_TESTS=1``; ``tests`` says how its tests went
    (``passed``, ``passed earlier``, ``skipped``, ``unknown``) and
    ``deployed_at`` when the release was made.
    """

    version: str
    release: str | None
    commit: str | None
    emergency: bool = False
    tests: str | None = None
    deployed_at: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def labels(self) -> dict[str, str]:
        """The same facts as metric label values (text; empty when unknown)."""
        return {"version": self.version, "release": self.release or "",
                "commit": self.commit or "", "emergency": str(self.emergency).lower()}


def read_release_record(prefix: Path) -> dict[str, Any] | None:
    """The record of the release whose venv is ``prefix``, if it is one."""
    try:
        record = json.loads((prefix.parent / RELEASE_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("id"), str):
        return None
    return record


def checkout_commit(package_dir: Path) -> str | None:
    """The short commit of the git checkout the package is imported from, ``-dirty``
    when it has changes; None outside a checkout or without git."""
    try:
        head = subprocess.run(["git", "-C", str(package_dir), "rev-parse", "--short=10", "HEAD"],
                              capture_output=True, text=True, timeout=GIT_TIMEOUT_S)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(package_dir), "status", "--porcelain",
                                "--untracked-files=no"],
                               capture_output=True, text=True, timeout=GIT_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def from_record(record: dict[str, Any]) -> Build:
    """The build a release record describes."""
    sha = record.get("sha")
    return Build(
        version=drawgame.__version__,
        release=str(record["id"]),
        commit=str(sha) if sha and sha not in ("nogit", "unknown") else None,
        emergency=bool(record.get("emergency", False)),
        tests=record.get("tests"),
        deployed_at=record.get("created_at"),
    )


@functools.cache
def current() -> Build:
    """This process's build, found once (the release does not change under a process)."""
    record = read_release_record(Path(sys.prefix))
    if record is not None:
        return from_record(record)
    package_dir = Path(drawgame.__file__).resolve().parent
    return Build(version=drawgame.__version__, release=None,
                 commit=checkout_commit(package_dir))
