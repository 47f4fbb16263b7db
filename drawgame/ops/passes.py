"""Which commits passed ``make check`` and ``make test`` on this box, so a deploy tests once.

``make check`` and a full ``make test`` (no ``PYTEST_ARGS``) record their
pass for the checkout's commit in ``.passed-tests.json`` at the top of the
checkout (never committed). A deploy of a commit that passed both skips
them and says so: staging and then production run the suite once. Only a
clean checkout is recorded or trusted (uncommitted changes were not what
passed); ``FORCE_TESTS=1`` runs them again anyway.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RECORD_FILE = ".passed-tests.json"
TARGETS = ("check", "test")
MAX_COMMITS = 50
"""Commits remembered; the oldest are forgotten first."""


def clean_commit(source: Path) -> str | None:
    """The checkout's full commit id when it has no uncommitted changes, else None."""
    try:
        head = subprocess.run(["git", "-C", str(source), "rev-parse", "HEAD"],
                              capture_output=True, text=True, timeout=30)
        dirty = subprocess.run(["git", "-C", str(source), "status", "--porcelain",
                                "--untracked-files=no"], capture_output=True, text=True,
                               timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if head.returncode != 0 or dirty.returncode != 0 or dirty.stdout.strip():
        return None
    return head.stdout.strip()


def _load(source: Path) -> dict[str, Any]:
    try:
        data = json.loads((source / RECORD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def record(source: Path, commit: str, target: str) -> None:
    """Note that ``make <target>`` passed for ``commit``."""
    data = _load(source)
    entry = data.pop(commit, {})
    entry[target] = datetime.now(UTC).isoformat(timespec="seconds")
    data[commit] = entry  # re-inserted last: the newest
    while len(data) > MAX_COMMITS:
        del data[next(iter(data))]
    partial = source / (RECORD_FILE + ".partial")
    partial.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    partial.replace(source / RECORD_FILE)


def passed(source: Path, commit: str, target: str) -> str | None:
    """When ``make <target>`` passed for ``commit`` on this checkout, if it did."""
    entry = _load(source).get(commit)
    when = entry.get(target) if isinstance(entry, dict) else None
    return when if isinstance(when, str) else None
