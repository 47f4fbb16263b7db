"""Release records and pruning: which releases a deploy keeps, which a rollback picks."""

from __future__ import annotations

import json
from pathlib import Path

from drawgame.ops import releases


def make_release(folder: Path, number: int, sha: str, state: str,
                 record_version: int | None = releases.RECORD_VERSION) -> releases.Release:
    """A release folder as a deploy leaves it (no venv: pruning does not look at it)."""
    path = folder / "releases" / f"2026010{number}T000000Z-{sha}-{number}"
    path.mkdir(parents=True)
    record = {"id": path.name, "number": number, "sha": sha}
    if record_version is not None:
        record["record_version"] = record_version
    (path / releases.RECORD).write_text(json.dumps(record))
    release = releases.Release(path, record)
    if state == "healthy":
        release.mark_healthy()
    elif state == "failed":
        release.mark_failed("wait for health: not healthy within 60 s")
    return release


def test_pruning_keeps_the_distinct_good_releases_and_drops_failed_ones_first(
    tmp_path: Path,
) -> None:
    """Two failed deploys and three of one commit: the older good commits stay."""
    made = [make_release(tmp_path, 1, "aaa", "healthy"), make_release(tmp_path, 2, "bbb",
                                                                      "healthy"),
            make_release(tmp_path, 3, "ccc", "failed"), make_release(tmp_path, 4, "ddd",
                                                                     "failed"),
            make_release(tmp_path, 5, "eee", "healthy"), make_release(tmp_path, 6, "eee",
                                                                      "healthy"),
            make_release(tmp_path, 7, "eee", "healthy")]
    link = tmp_path / "current"
    releases.switch(link, made[-1])
    removed = releases.prune(link, tmp_path / "releases", 3)
    assert removed == sorted(r.id for r in made[2:6])
    left = [r.sha for r in releases.list_releases(tmp_path / "releases")]
    assert left == ["aaa", "bbb", "eee"]


def test_pruning_takes_failed_ones_first_and_old_good_ones_only_when_needed(
    tmp_path: Path,
) -> None:
    good = [make_release(tmp_path, n, f"c{n}", "healthy") for n in (1, 2, 3)]
    failed = make_release(tmp_path, 4, "c4", "failed")
    pending = make_release(tmp_path, 5, "c5", "none")  # never got healthy
    link = tmp_path / "current"
    releases.switch(link, good[-1])  # rolled back to it
    # Room for all: the failed one stays.
    assert releases.prune(link, tmp_path / "releases", 5) == []
    plan = releases.plan_pruning(releases.list_releases(tmp_path / "releases"), good[-1], 2)
    assert [r.id for r in plan] == [failed.id, pending.id, good[0].id]


def test_releases_from_before_the_healthy_record_count_as_good(tmp_path: Path) -> None:
    old = make_release(tmp_path, 1, "old", "none", record_version=None)
    new = make_release(tmp_path, 2, "new", "none")
    assert old.good and not new.good
    new.mark_healthy()
    assert releases.Release(new.path, new.record).good


def test_rollback_prefers_another_commit(tmp_path: Path) -> None:
    made = [make_release(tmp_path, 1, "aaa", "healthy"),
            make_release(tmp_path, 2, "bbb", "healthy"),
            make_release(tmp_path, 3, "bbb", "healthy"),
            make_release(tmp_path, 4, "ccc", "failed"),
            make_release(tmp_path, 5, "bbb", "healthy")]
    link = tmp_path / "current"
    releases.switch(link, made[-1])
    target = releases.previous(link, tmp_path / "releases")
    assert target is not None and target.sha == "aaa"  # not the same code again
    releases.switch(link, made[0])
    assert releases.previous(link, tmp_path / "releases") is None


def test_a_failed_release_is_never_marked_healthy(tmp_path: Path) -> None:
    failed = make_release(tmp_path, 1, "x", "failed")
    failed.mark_healthy()
    assert failed.healthy_at is None and not failed.good
