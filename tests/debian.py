"""Debian's packages a test needs, installed when missing (the tests run as root, or
with passwordless sudo), all in one apt-get run."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

APT_TIMEOUT_S = 900
SEARCH_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def find(binary: str) -> str | None:
    return shutil.which(binary) or shutil.which(binary, path=SEARCH_PATH)


def ensure_packages(wanted: dict[str, str], recommends: bool = True) -> dict[str, str]:
    """The path of each binary of ``wanted`` (binary: the Debian package that has it),
    installing the packages of the missing ones first (with what they recommend, as a
    plain ``apt-get install`` does, unless ``recommends`` is false: podman needs its
    recommended network tools to publish a port)."""
    missing = sorted({package for binary, package in wanted.items() if find(binary) is None})
    if missing:
        sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (["apt-get", "update", "-qq"],
                        ["apt-get", "install", "-y", "-qq",
                         *([] if recommends else ["--no-install-recommends"]), *missing]):
            done = subprocess.run([*sudo, *command], env=env, capture_output=True, text=True,
                                  timeout=APT_TIMEOUT_S, stdin=subprocess.DEVNULL)
            if done.returncode != 0:
                pytest.fail(f"{' '.join(command)} failed (this test needs Debian's "
                            f"{', '.join(missing)}):\n{done.stderr[-2000:]}")
    found = {binary: find(binary) for binary in wanted}
    lacking = [binary for binary, path in found.items() if path is None]
    assert not lacking, f"installed {missing}, but {lacking} are not on the PATH"
    return {binary: str(path) for binary, path in found.items()}
