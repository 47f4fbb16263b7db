"""Where a drawgame instance lives and how its processes are configured.

Three instances can be operated:

- ``production`` (``make deploy``) and ``staging`` (``make deploy-dev``): each in
  its own deployment folder, laid out as::

      <root>/releases/<timestamp>-<git sha>/   one release: its own venv and wheel
      <root>/current -> releases/<id>          the release the service runs
      <root>/.env                              the instance's own settings (yours to edit)
      <root>/data/drawgame.sqlite3             the live database
      <root>/backups/  <root>/logs/  <root>/run/

  Its processes get the settings the deployment owns (environment name, port,
  database, backups, log file) as ``DRAWGAME_*`` variables, which win over
  ``<root>/.env``; every other setting comes from ``<root>/.env``.
- ``local``: the database and address of the current settings, as used by
  ``make start`` in a checkout (no service: it runs in the foreground). When a
  server runs on that database, its address comes from the database's lock
  file (drawgame/ops/serverlock.py), whatever port it was started with.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from drawgame.config import PREFIX, Config, ConfigError, load_config
from drawgame.ops import serverlock
from drawgame.store.db import location

INSTANCES = ("production", "staging", "local")
SERVICE_NAMES = {"production": "drawgame", "staging": "drawgame-staging"}
DB_FILE = "drawgame.sqlite3"


class InstanceError(RuntimeError):
    """The instance cannot be operated as asked (not deployed, no database...)."""


@dataclass(frozen=True)
class Instance:
    """One operated instance: its name, folder, settings and service name.

    ``config`` holds the settings its server runs with; ``ops`` the settings
    of whoever operates it (the checkout's ``.env`` and ``DRAWGAME_*``), which
    say how deploys, backups and health waits behave.
    """

    name: str
    config: Config
    ops: Config
    root: Path | None = None
    env: tuple[tuple[str, str], ...] = ()
    public_url: str = ""
    env_error: str = ""
    served_url: str = ""
    """Where a server of the local database says it serves (its lock file), if one runs."""
    """Why ``<root>/.env`` cannot be used (empty when it can): ``config`` then holds only
    what the deployment sets, so the service can still be looked at and stopped."""

    @property
    def deployed(self) -> bool:
        return self.root is not None

    def require_valid_env(self) -> None:
        """Refuse to start anything with settings its server would refuse."""
        if self.env_error:
            raise InstanceError(f"{self.env_error} (fix it, then try again)")

    @property
    def service_name(self) -> str:
        return SERVICE_NAMES.get(self.name, "drawgame")

    @property
    def url(self) -> str:
        """The local address of the service (what health waits and deploy smoke use),
        with the root path (``DRAWGAME_ROOT_PATH``) when there is one."""
        if self.served_url:
            return self.served_url + self.config.root_path
        host = self.config.host
        if host in ("0.0.0.0", ""):
            host = "127.0.0.1"
        elif host == "::":
            host = "[::1]"
        elif ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:{self.config.port}{self.config.root_path}"

    @property
    def smoke_url(self) -> str:
        return self.public_url or self.url

    def _under_root(self, *parts: str) -> Path:
        if self.root is None:
            raise InstanceError(f"the {self.name} instance has no deployment folder")
        return self.root.joinpath(*parts)

    @property
    def releases_dir(self) -> Path:
        return self._under_root("releases")

    @property
    def current_link(self) -> Path:
        return self._under_root("current")

    @property
    def env_file(self) -> Path:
        return self._under_root(".env")

    @property
    def log_file(self) -> Path:
        return self._under_root("logs", "drawgame.log")

    @property
    def pidfile(self) -> Path:
        return self._under_root("run", f"{self.service_name}.pid")

    @property
    def lock_file(self) -> Path:
        return self._under_root(".deploy.lock")

    @property
    def db_path(self) -> Path:
        """The SQLite file (see :attr:`database`: PostgreSQL's URL, when one is set)."""
        return Path(self.config.db_path)

    @property
    def database(self) -> str:
        """Where the instance's data is: its PostgreSQL URL, else its SQLite file."""
        return location(self.config)

    @property
    def on_postgresql(self) -> bool:
        return bool(self.config.database_url)

    @property
    def backup_dir(self) -> Path:
        return Path(self.config.backup_dir)

    def process_env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """The environment for the instance's processes: ``base`` without any
        ``DRAWGAME_*`` of the caller, plus the deployment's own settings."""
        base = dict(os.environ if base is None else base)
        clean = {k: v for k, v in base.items() if not k.startswith(PREFIX)}
        return {**clean, **dict(self.env)}


def deployment_env(name: str, root: Path, config: Config) -> dict[str, str]:
    """The settings a deployment fixes for its processes."""
    port = config.deploy_port if name == "production" else config.staging_port
    return {
        PREFIX + "ENV_FILE": str(root / ".env"),
        PREFIX + "ENVIRONMENT": name,
        PREFIX + "HOST": config.host,
        PREFIX + "PORT": str(port),
        PREFIX + "DB_PATH": str(root / "data" / DB_FILE),
        PREFIX + "BACKUP_DIR": str(root / "backups"),
        # Through the link: with several workers, a rolling restart starts the release
        # `current` points to at that moment.
        PREFIX + "WORKER_PYTHON": str(root / "current" / "venv" / "bin" / "python"),
    }


def resolve(name: str, config: Config) -> Instance:
    """The instance called ``name`` as the settings in ``config`` describe it."""
    if name == "local":
        public = config.public_url or ""
        running = serverlock.servers(serverlock.target(config))
        served = (serverlock.local_url(running[0]) or "") if running else ""
        return Instance("local", config, config, public_url=public, served_url=served)
    if name not in SERVICE_NAMES:
        raise InstanceError(f"unknown instance {name!r}: expected one of {', '.join(INSTANCES)}")
    raw_root = config.deploy_root if name == "production" else config.staging_root
    root = Path(raw_root).expanduser().absolute()
    env = deployment_env(name, root, config)
    env_error = ""
    try:
        own = load_config(environ=env, env_file=root / ".env")
    except ConfigError as exc:
        env_error = f"{root / '.env'}: {exc}"
        own = load_config(environ=env, env_file=Path(os.devnull))
    public = config.prod_url if name == "production" else config.staging_url
    return Instance(name, own, config, root, tuple(sorted(env.items())), public, env_error)
