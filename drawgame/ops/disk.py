"""How much disk a deployment uses, by kind, for ``make status``."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from drawgame.ops import database
from drawgame.ops.instance import Instance
from drawgame.store.db import describe

ASIDE_KINDS = ("failed-deploy", "before-restore")
WIDTH = 23


def size_of(path: Path) -> int:
    """Bytes under ``path`` (a file, or a folder walked without following links)."""
    if path.is_symlink() or not path.exists():
        return 0
    if path.is_file():
        return path.stat().st_size
    total = 0
    for folder, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                continue
    return total


def human(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


def _files_size(paths: list[Path]) -> int:
    return sum(size_of(Path(f"{p}{suffix}")) for p in paths for suffix in ("", "-wal", "-shm"))


def usage_lines(instance: Instance) -> list[str]:
    """One line per kind: releases, the live database, set-aside copies, backups, logs;
    then the free space of the deployment's file system. Each says its retention."""
    root, ops = instance.root, instance.ops
    assert root is not None
    db = instance.db_path
    folder = instance.releases_dir
    releases = list(folder.iterdir()) if folder.is_dir() else []
    lines = [f"{'releases':<{WIDTH}}{human(sum(size_of(p) for p in releases))} in {len(releases)} "
             f"(kept: {ops.releases_keep} good ones)"]
    if instance.on_postgresql:
        lines.append(f"{'database':<{WIDTH}}on PostgreSQL ({describe(instance.database)})")
    else:
        lines.append(f"{'database':<{WIDTH}}{human(_files_size([db]))} ({db})")
    keeps = {"failed-deploy": ops.failed_deploy_keep, "before-restore": ops.before_restore_keep}
    for kind in ASIDE_KINDS:
        if instance.on_postgresql:  # dumps in the backups folder
            copies = database.list_backups(instance.backup_dir, kind)
        else:
            copies = database.set_aside_copies(db, kind)
        lines.append(f"{kind + ' copies':<{WIDTH}}{human(_files_size(copies))} in {len(copies)} "
                     f"(kept: {keeps[kind]})")
    for kind, keep in (("regular", ops.backup_keep), (database.PREDEPLOY,
                                                      ops.predeploy_backup_keep)):
        found = database.list_backups(instance.backup_dir, kind)
        label = "backups" if kind == "regular" else "pre-deploy"
        lines.append(f"{label:<{WIDTH}}{human(sum(size_of(p) for p in found))} in {len(found)} "
                     f"(kept: {keep})")
    cap = instance.config.log_max_bytes * (instance.config.log_backups + 1)
    lines.append(f"{'logs':<{WIDTH}}{human(size_of(instance.log_file.parent))} (at most "
                 f"{human(cap)} with the built-in supervisor)")
    existing = root
    while not existing.exists():  # nothing deployed yet: the folder it would be in
        existing = existing.parent
    free = shutil.disk_usage(existing)
    lines.append(f"{'free':<{WIDTH}}{human(free.free)} of {human(free.total)} on that file system")
    return lines
