"""A real PostgreSQL server for the tests: Debian's package, a cluster of our own.

The server runs from a temporary folder (``initdb`` there, its socket there
too) on a free loopback port, as the unprivileged ``postgres`` user when the
tests run as root (PostgreSQL refuses to run as root). Debian's ``postgresql``
package is installed when missing (``apt-get update``, then ``apt-get install
-y postgresql``; we run as root); only when that cannot be done are the
PostgreSQL tests skipped, with the reason.

Each test gets a database of its own (``fresh_database``), owned by a role
with a password, reached over TCP with that password: what a deployment does.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from tests.serverproc import free_port

PACKAGE = "postgresql"
ROLE = "drawgame"
START_TIMEOUT_S = 60
INSTALL_TIMEOUT_S = 900


class Unavailable(RuntimeError):
    """PostgreSQL cannot be installed or started here; the message says why."""


def bin_dir() -> Path | None:
    """The newest installed server's binaries (Debian keeps them off the PATH)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if found:
        return found[-1].parent
    on_path = shutil.which("initdb")
    return Path(on_path).resolve().parent if on_path else None


def install() -> Path:
    """The server's binaries, installing Debian's package first when missing."""
    found = bin_dir()
    if found is not None:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise Unavailable(f"PostgreSQL is not installed and cannot be installed here (needs "
                          f"root and apt-get): apt-get install {PACKAGE}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", PACKAGE]):
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True,
                                  timeout=INSTALL_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise Unavailable(f"{' '.join(command)} did not finish in "
                              f"{INSTALL_TIMEOUT_S} s") from None
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise Unavailable(f"{' '.join(command)} failed: {' / '.join(tail)}")
    found = bin_dir()
    if found is None:
        raise Unavailable(f"apt-get installed {PACKAGE} but no initdb was found")
    return found



@dataclass
class PgServer:
    """One running cluster in ``folder``; :meth:`stop` ends it and removes the folder."""

    bin: Path
    folder: Path
    port: int
    password: str
    user: str | None
    """The system user the server runs as (None: the current one)."""
    databases: list[str] = field(default_factory=list)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, database: str = "postgres", *, password: bool = True) -> str:
        secret = f":{self.password}" if password else ""
        return f"postgresql://{ROLE}{secret}@127.0.0.1:{self.port}/{database}"

    def admin(self) -> psycopg.Connection[tuple[object, ...]]:
        """A superuser connection over the server's own socket."""
        return psycopg.connect(host=str(self.folder), port=self.port, user="postgres",
                               dbname="postgres", autocommit=True)

    def fresh_database(self) -> str:
        """A new empty database owned by the test role; returns its URL."""
        name = f"t_{secrets.token_hex(6)}"
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}" OWNER {ROLE} TEMPLATE template0')
        self.databases.append(name)
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check,
                              timeout=START_TIMEOUT_S, cwd=self.folder)

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.folder, ignore_errors=True)


def start() -> PgServer:
    """Install if needed, ``initdb`` a temporary cluster and start it on a free port."""
    binaries = install()
    user = None
    folder = Path(tempfile.mkdtemp(prefix="drawgame-pg-"))
    if os.geteuid() == 0:  # the server refuses root: it runs as the package's own user
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            raise Unavailable("no 'postgres' system user to run the server as") from None
        user = owner.pw_name
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    server = PgServer(binaries, folder, free_port(), secrets.token_urlsafe(12), user)
    try:
        pwfile = folder / "pwfile"
        pwfile.write_text(server.password + "\n")
        if user is not None:
            os.chown(pwfile, pwd.getpwnam(user).pw_uid, -1)
        server.run("initdb", "-D", str(server.data), "-U", "postgres", "--no-sync",
                   "-E", "UTF8", "--locale=C.UTF-8", "--auth-local=trust",
                   "--auth-host=scram-sha-256", f"--pwfile={pwfile}")
        options = " ".join([
            f"-p {server.port}", f"-k {folder}", "-c listen_addresses=127.0.0.1",
            "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off",
            "-c max_connections=300", "-c shared_buffers=64MB",
        ])
        server.run("pg_ctl", "-D", str(server.data), "-l", str(folder / "server.log"),
                   "-o", options, "-w", "-t", str(START_TIMEOUT_S), "start")
        with server.admin() as conn:
            conn.execute(f"CREATE ROLE {ROLE} LOGIN CREATEDB PASSWORD '{server.password}'")
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, psycopg.Error) as exc:
        log = folder / "server.log"
        detail = getattr(exc, "stderr", "") or ""
        if log.exists():
            detail += log.read_text()[-1500:]
        server.stop()
        raise Unavailable(f"PostgreSQL did not start: {exc}: {detail.strip()}") from None
    return server

