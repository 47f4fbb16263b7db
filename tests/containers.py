"""The container image, built and run for real with Debian's podman and podman-compose.

No registry is reachable from the tests, so the base image the Containerfile starts
``FROM`` is made here with Debian's mmdebstrap (minbase, without documentation, as the
slim images are) and imported under that very name; podman's own image store keeps it
for the next run. The Python packages come from a wheelhouse built outside
(tests/wheels.py) and mounted into the build (the Containerfile's ``WHEELS``), so the
build needs no package index; Debian's packages it fetches itself.

Everything runs with runc (the sandbox this runs in lets no runtime raise resource
limits, so containers get limits within the test's own), from a containers.conf of
the test's (``CONTAINERS_CONF``), which podman-compose's podman calls read too. Each
run tags its image, names its compose project and publishes its port uniquely, so two
runs on one machine never meet.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.debian import ensure_packages
from tests.serverproc import free_port

ROOT = Path(__file__).resolve().parent.parent
CONTAINERFILE = ROOT / "Containerfile"
TOOLS = {"podman": "podman", "runc": "runc", "podman-compose": "podman-compose",
         "mmdebstrap": "mmdebstrap"}
SUITE = "bookworm"
MIRRORS = (f"deb http://deb.debian.org/debian {SUITE} main",
           f"deb http://deb.debian.org/debian {SUITE}-updates main",
           f"deb http://deb.debian.org/debian-security {SUITE}-security main")
# What Debian's slim images leave out, and the layout (merged /usr) of bookworm's.
SLIM = ("--dpkgopt=path-exclude=/usr/share/man/*", "--dpkgopt=path-exclude=/usr/share/info/*",
        "--dpkgopt=path-exclude=/usr/share/doc/*",
        "--dpkgopt=path-include=/usr/share/doc/*/copyright",
        "--dpkgopt=path-exclude=/usr/share/locale/*",
        "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr")
LIMITS = '["nofile=4096:4096", "nproc=4096:4096"]'
COMMAND_TIMEOUT_S = 120
CACHE = "localhost/drawgame-test-cache"
"""The newest test build, kept as the next one's layer cache (its tags: CACHED_STAGES)."""
CACHED_STAGES = ("build", "final")
BUILD_TIMEOUT_S = 1200


def base_image() -> str:
    """The image the Containerfile's first stage starts from."""
    found = re.search(r"^FROM\s+(\S+)", CONTAINERFILE.read_text(), re.MULTILINE)
    assert found, "the Containerfile has no FROM line"
    return found.group(1)


@dataclass
class Podman:
    """podman and podman-compose with the test's containers.conf."""

    folder: Path

    @classmethod
    def ready(cls, folder: Path) -> Podman:
        ensure_packages(TOOLS)
        conf = folder / "containers.conf"
        conf.write_text(f'[containers]\ndefault_ulimits = {LIMITS}\n\n'
                        '[engine]\nruntime = "runc"\n')
        return cls(folder)

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DRAWGAME_")}
        return {**env, "CONTAINERS_CONF": str(self.folder / "containers.conf"), **extra}

    def run(self, *args: str, timeout: float = COMMAND_TIMEOUT_S, check: bool = True
            ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(["podman", *args], env=self.env(), capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        if check:
            assert done.returncode == 0, (f"podman {' '.join(args)} exited {done.returncode}:"
                                          f"\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
        return done

    def inspect(self, kind: str, name: str) -> dict[str, Any]:
        found: list[dict[str, Any]] = json.loads(
            self.run(kind, "inspect", name).stdout)
        return found[0]

    def ensure_base_image(self) -> str:
        """The Containerfile's base image: podman's store keeps it between runs; when it
        is missing it is made with mmdebstrap and imported. Says which it was."""
        name = base_image()
        with build_lock():
            if self.run("image", "exists", name, check=False).returncode == 0:
                return "cached"
            self.make_base_image(name)
        return "made"

    def make_base_image(self, name: str) -> None:
        rootfs = self.folder / "rootfs.tar"
        done = subprocess.run(["mmdebstrap", "--variant=minbase", "--quiet", *SLIM, SUITE,
                               str(rootfs), *MIRRORS], capture_output=True, text=True,
                              timeout=BUILD_TIMEOUT_S, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, f"mmdebstrap failed:\n{done.stderr[-3000:]}"
        self.run("import", "--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
                 "/usr/bin:/sbin:/bin", "--change", 'CMD ["bash"]', str(rootfs), name)
        rootfs.unlink()

    def image_id(self, name: str) -> str | None:
        done = self.run("image", "inspect", "--format", "{{.Id}}", name, check=False)
        return done.stdout.strip() if done.returncode == 0 else None

    def build(self, tag: str, wheelhouse: Path) -> None:
        """The real Containerfile, its Python packages from ``wheelhouse`` (less
        drawgame's own wheel, which the build makes from the checkout itself).

        The newest build's two last stages stay tagged as ``CACHE``, so the next build
        reuses every layer its changes leave alone (Debian's packages above all); the
        ones they replace are removed, so the store holds one build's layers, not one
        per run.
        """
        wheels = self.folder / "wheels"
        wheels.mkdir()
        for wheel in wheelhouse.glob("*.whl"):
            if not wheel.name.startswith("drawgame-"):
                shutil.copy2(wheel, wheels)
        common = ["build", "--format", "docker", "-f", str(CONTAINERFILE),
                  "-v", f"{wheels}:/wheels:ro", "--build-arg", "WHEELS=/wheels"]
        log = self.folder / "build.log"
        with build_lock():
            replaced = {stage: self.image_id(f"{CACHE}:{stage}") for stage in CACHED_STAGES}
            for target, name in (("build", f"{CACHE}:build"), ("", tag)):
                done = self.run(*common, *(["--target", target] if target else []),
                                "-t", name, str(ROOT), timeout=BUILD_TIMEOUT_S, check=False)
                with open(log, "a") as out:
                    out.write(done.stdout + done.stderr)
                assert done.returncode == 0, (f"the build failed:\n{done.stdout[-4000:]}"
                                              f"{done.stderr}")
            self.run("tag", tag, f"{CACHE}:final")
            for stage, old in replaced.items():
                if old is not None and old != self.image_id(f"{CACHE}:{stage}"):
                    self.run("rmi", old, check=False)


@contextmanager
def build_lock() -> Iterator[None]:
    """One build of the test image at a time on this machine (runs share podman's store)."""
    with open(Path(tempfile.gettempdir()) / "drawgame-container-test.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def unique_name(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


@dataclass
class Project:
    """One compose project of compose.yaml, on its own port and volume."""

    podman: Podman
    name: str
    image: str
    port: int
    files: tuple[Path, ...] = (ROOT / "compose.yaml",)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def container(self) -> str:
        return f"{self.name}_drawgame_1"

    @property
    def volume(self) -> str:
        return f"{self.name}_data"

    def compose(self, *args: str, check: bool = True, **env: str
                ) -> subprocess.CompletedProcess[str]:
        files = [arg for path in self.files for arg in ("-f", str(path))]
        done = subprocess.run(
            ["podman-compose", "-p", self.name, *files, *args], cwd=ROOT,
            env=self.podman.env(DRAWGAME_IMAGE=self.image,
                                DRAWGAME_PUBLISH=f"127.0.0.1:{self.port}", **env),
            capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, stdin=subprocess.DEVNULL)
        if check:
            assert done.returncode == 0, (f"podman-compose {' '.join(args)} exited "
                                          f"{done.returncode}:\n{done.stdout[-3000:]}\n"
                                          f"{done.stderr[-3000:]}")
        return done

    def remove(self) -> None:
        """Down, with everything the project made: containers, volumes, its network."""
        self.compose("down", "-v", check=False)
        made = self.podman.run("volume", "ls", "--quiet", "--filter",
                               f"label=io.podman.compose.project={self.name}", check=False)
        for volume in made.stdout.split():
            self.podman.run("volume", "rm", "--force", volume, check=False)
        self.podman.run("network", "rm", "--force", f"{self.name}_default", check=False)

    def logs(self) -> tuple[str, str]:
        """The container's standard output and standard error, apart."""
        done = self.podman.run("logs", self.container)
        return done.stdout, done.stderr


@contextmanager
def project(podman: Podman, image: str) -> Iterator[Project]:
    """compose.yaml brought up on a free port; down, with its volume, afterwards."""
    running = Project(podman, unique_name("dgtest"), image, free_port())
    try:
        running.compose("up", "-d")
        yield running
    finally:
        running.remove()


def json_events(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]
