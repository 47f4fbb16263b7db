"""Settings from the environment and an optional .env file, validated once.

Every setting is read from a ``DRAWGAME_<NAME>`` environment variable (or the
same line in a ``.env`` file; the environment wins). The result is one frozen
:class:`Config`. A bad value raises :class:`ConfigError` naming the variable
and the expected form; the CLI turns that into one line and exit code 2.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PREFIX = "DRAWGAME_"
ENVIRONMENTS = ("development", "staging", "production", "test")
LOG_LEVELS = ("debug", "info", "warning", "error")
LOG_FORMATS = ("json", "text")
LOG_TO_STDOUT = "-"
"""The ``DRAWGAME_LOG_FILE`` that means standard output (a container's log)."""


class ConfigError(ValueError):
    """A setting has a value that cannot be used."""

    def __init__(self, variable: str, value: str, expected: str) -> None:
        super().__init__(f"invalid {variable}={value!r}: expected {expected}")
        self.variable = variable
        self.expected = expected


@dataclass(frozen=True)
class Field:
    """How one setting is parsed, its default and what it means."""

    name: str
    parse: Callable[[str], Any]
    expected: str
    doc: str
    secret: bool = False
    """A value never shown in an error (only masked)."""

    @property
    def variable(self) -> str:
        return PREFIX + self.name.upper()


def _int_in(lo: int, hi: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        value = int(raw.strip())
        if not lo <= value <= hi:
            raise ValueError
        return value

    return parse


def _float_in(lo: float, hi: float) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        value = float(raw.strip())
        if not lo <= value <= hi:
            raise ValueError
        return value

    return parse


def _choice(options: tuple[str, ...]) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in options:
            raise ValueError
        return value

    return parse


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError


def _text(raw: str) -> str:
    value = raw.strip()
    if not value:
        raise ValueError
    return value


def _origins(raw: str) -> tuple[str, ...]:
    origins = tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
    for origin in origins:
        if not origin.startswith(("http://", "https://")):
            raise ValueError
    return origins


def _networks(raw: str) -> tuple[str, ...]:
    nets = tuple(str(ipaddress.ip_network(n.strip(), strict=False))
                 for n in raw.split(",") if n.strip())
    if not nets:
        raise ValueError
    return nets


def _optional_text(raw: str) -> str:
    return raw.strip()


def _worker_id(raw: str) -> str:
    value = raw.strip()
    if value and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]{0,15}", value):
        raise ValueError
    return value


def _database_url(raw: str) -> str:
    value = raw.strip()
    if not value:
        return ""
    if not value.startswith(("postgresql://", "postgres://")):
        raise ValueError
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    try:  # libpq's own parser: what it refuses, the server would never see
        conninfo_to_dict(value)
    except ProgrammingError:
        raise ValueError from None
    return value


ROOT_PATH_MAX = 100
_ROOT_PATH = re.compile(r"(?:/[A-Za-z0-9._~-]+)+")


def _root_path(raw: str) -> str:
    value = raw.strip().rstrip("/")
    if not value:
        return ""
    if (len(value) > ROOT_PATH_MAX or not _ROOT_PATH.fullmatch(value)
            or any(part in (".", "..") for part in value.split("/"))):
        raise ValueError
    return value


def mask_secret(raw: str) -> str:
    """A secret setting as an error may show it: a URL keeps all but its password."""
    from drawgame.store.postgresql import safe_url

    return safe_url(raw) if "://" in raw else "***"


FIELDS: tuple[Field, ...] = (
    Field(
        "host",
        _text,
        "a host name or address",
        "Address to listen on.",
    ),
    Field(
        "port",
        _int_in(0, 65535),
        "an integer 0..65535",
        "TCP port (0 picks a free one).",
    ),
    Field(
        "db_path",
        _text,
        "a file path",
        "SQLite database file (used when `DRAWGAME_DATABASE_URL` is empty).",
    ),
    Field(
        "database_url",
        _database_url,
        "empty (the SQLite file) or postgresql://user:password@host:port/database",
        "PostgreSQL instead of the SQLite file: workers on several boxes share it "
        "(docs/SCALING.md). Its password is never logged or shown.",
        secret=True,
    ),
    Field(
        "environment",
        _choice(ENVIRONMENTS),
        "one of " + "|".join(ENVIRONMENTS),
        "Environment name shown by /api/health; development logs as text.",
    ),
    Field(
        "log_level",
        _choice(LOG_LEVELS),
        "one of " + "|".join(LOG_LEVELS),
        "Lowest log level written.",
    ),
    Field(
        "log_format",
        _choice(("auto", *LOG_FORMATS)),
        "one of auto|json|text",
        "Log line format; auto is text in development, JSON elsewhere.",
    ),
    Field(
        "log_file",
        _optional_text,
        "a file path, - or empty",
        "Append logs to this file instead of standard error (-: standard output, as the "
        "container image does).",
    ),
    Field(
        "workers",
        _int_in(1, 64),
        "an integer 1..64",
        "Worker processes (one core each) behind a proxy on the one public port; 1 is a "
        "single process and no proxy (docs/SCALING.md).",
    ),
    Field(
        "proxy",
        _choice(("haproxy", "none")),
        "haproxy or none",
        "With several workers: the proxy the cluster runs on the public port (none: a proxy "
        "elsewhere routes to this box's workers, docs/SCALING.md).",
    ),
    Field(
        "worker_host",
        _text,
        "a host name or address",
        "With several workers: the address the workers listen on (the proxy's side).",
    ),
    Field(
        "worker_port",
        _int_in(0, 65535),
        "an integer 0..65535",
        "With several workers: the first worker's port, the next ones follow; 0 picks free "
        "ports.",
    ),
    Field(
        "worker_first",
        _int_in(1, 999),
        "an integer 1..999",
        "With several workers: the number of this box's first worker (w1, or w3 on a second "
        "box of two workers each).",
    ),
    Field(
        "worker_python",
        _optional_text,
        "a path to a Python, or empty",
        "With several workers: the Python workers start with (deploys set the current "
        "release's, so a rolling restart starts the new one); empty: the cluster's own.",
    ),
    Field(
        "worker_id",
        _worker_id,
        "a worker id like w1 (letters, digits, dashes; at most 16), or empty",
        "Set by the cluster for each of its workers (clients reach one through /w/<id>/); "
        "empty for a single process.",
    ),
    Field(
        "allowed_origins",
        _origins,
        "comma-separated http(s)://host[:port] origins",
        "Extra origins allowed to open WebSockets (the server's own host always is).",
    ),
    Field(
        "trust_proxy_headers",
        _bool,
        "true or false",
        "Take the client address from X-Forwarded-For (only behind your own proxy).",
    ),
    Field(
        "metrics_token",
        _optional_text,
        "a token or empty",
        "When set, /metrics also needs Authorization: Bearer <this token>.",
    ),
    Field(
        "metrics_allow",
        _networks,
        "comma-separated addresses or CIDR networks",
        "Client addresses /metrics answers (a proxy's forwarded addresses must match too).",
    ),
    Field(
        "public_url",
        _optional_text,
        "a URL or empty",
        "Public base URL, used by smoke tests and share links when set.",
    ),
    Field(
        "root_path",
        _root_path,
        "empty, or a path like /draw (letters, digits and - . _ ~ between slashes)",
        "Serve everything (pages, files, API, WebSockets) under this path of a site, as a "
        "proxy passes it on unchanged; other paths answer 404 (docs/RUNBOOK.md). With it, "
        "`DRAWGAME_PUBLIC_URL` ends with it.",
    ),
    Field(
        "max_connections",
        _int_in(1, 100_000),
        "an integer 1..100000",
        "WebSocket connections allowed in total.",
    ),
    Field(
        "max_connections_per_ip",
        _int_in(1, 10_000),
        "an integer 1..10000",
        "WebSocket connections allowed from one client address.",
    ),
    Field(
        "max_rooms",
        _int_in(1, 100_000),
        "an integer 1..100000",
        "Active rooms allowed at once.",
    ),
    Field(
        "rooms_per_minute_per_ip",
        _int_in(1, 10_000),
        "an integer 1..10000",
        "Rooms one client address may create per minute.",
    ),
    Field(
        "album_reads_per_minute_per_ip",
        _int_in(1, 100_000),
        "an integer 1..100000",
        "Album pages, album and gallery reads, hides and deletions one client address"
        " may make per minute.",
    ),
    Field(
        "shutdown_grace_s",
        _float_in(0.5, 300),
        "a number of seconds 0.5..300",
        "Time open work gets to finish at shutdown.",
    ),
    Field(
        "reconnect_in_ms",
        _int_in(0, 60_000),
        "an integer 0..60000",
        "Delay announced to clients in the shutdown message.",
    ),
    Field(
        "seat_grace_s",
        _float_in(1, 3600),
        "a number of seconds 1..3600",
        "How long a disconnected player's seat is held.",
    ),
    Field(
        "room_idle_close_s",
        _float_in(1, 86_400),
        "a number of seconds 1..86400",
        "An empty room closes after this long.",
    ),
    Field(
        "retention_days",
        _float_in(0, 3650),
        "a number of days 0..3650",
        "Finished games and closed rooms are kept this long.",
    ),
    Field(
        "cleanup_interval_s",
        _float_in(10, 86_400),
        "a number of seconds 10..86400",
        "How often the cleanup task runs.",
    ),
    Field(
        "hello_timeout_s",
        _float_in(0.5, 120),
        "a number of seconds 0.5..120",
        "Time a new WebSocket has to send hello (close 4401).",
    ),
    Field(
        "max_frame_bytes",
        _int_in(1024, 1_048_576),
        "an integer 1024..1048576",
        "Largest WebSocket frame accepted (bigger: close 1009).",
    ),
    Field(
        "outbox_bytes",
        _int_in(4096, 64 * 1024 * 1024),
        "an integer 4096..67108864",
        "Bytes waiting for one WebSocket (beyond its socket buffer) before the client counts "
        "as a slow consumer and is closed with 1013.",
    ),
    Field(
        "slow_consumer_s",
        _float_in(0.5, 300),
        "a number of seconds 0.5..300",
        "A WebSocket whose socket takes nothing for this long while messages wait is dropped.",
    ),
    Field(
        "deflate",
        _bool,
        "true or false",
        "Offer permessage-deflate on WebSockets (each broadcast is compressed once).",
    ),
    Field(
        "deflate_min_bytes",
        _int_in(0, 1_048_576),
        "an integer 0..1048576",
        "Messages shorter than this go out uncompressed even when deflate is on.",
    ),
    Field(
        "max_http_connections",
        _int_in(16, 100_000),
        "an integer 16..100000",
        "Open HTTP connections allowed at once (also bounded by a quarter of the descriptor "
        "limit); past it new ones get 503.",
    ),
    Field(
        "max_http_connections_per_ip",
        _int_in(1, 100_000),
        "an integer 1..100000",
        "Open HTTP connections (and WebSockets not past their handshake) one client address "
        "may hold (an IPv6 /64 counts as one address); at most an eighth of the HTTP "
        "connections allowed, never fewer than 16; past it new ones get 429 at once. Not "
        "applied with DRAWGAME_TRUST_PROXY_HEADERS: every connection then comes from your "
        "proxy, which should limit clients itself.",
    ),
    Field(
        "http_keep_alive_s",
        _float_in(0.5, 300),
        "a number of seconds 0.5..300",
        "An idle HTTP connection (or one that sends no request line) is closed after this long.",
    ),
    Field(
        "inbox_size",
        _int_in(8, 100_000),
        "an integer 8..100000",
        "Commands queued for one room before senders wait.",
    ),
    Field(
        "chat_rate",
        _float_in(0.1, 1000),
        "a number per second 0.1..1000",
        "Chat messages per second per connection (sustained).",
    ),
    Field(
        "chat_burst",
        _int_in(1, 10_000),
        "an integer 1..10000",
        "Chat messages a connection may send at once.",
    ),
    Field(
        "draw_rate",
        _float_in(1, 10_000),
        "a number per second 1..10000",
        "Draw frames per second per connection (sustained).",
    ),
    Field(
        "draw_burst",
        _int_in(1, 100_000),
        "an integer 1..100000",
        "Draw frames a connection may send at once.",
    ),
    Field(
        "msg_rate",
        _float_in(0.1, 1000),
        "a number per second 0.1..1000",
        "Other messages per second per connection (sustained).",
    ),
    Field(
        "msg_burst",
        _int_in(1, 10_000),
        "an integer 1..10000",
        "Other messages a connection may send at once.",
    ),
    Field(
        "abuse_limit",
        _int_in(1, 10_000),
        "an integer 1..10000",
        "Refused frames within a minute before the connection is closed with 1008.",
    ),
    Field(
        "lag_degraded_ms",
        _float_in(1, 60_000),
        "a number of milliseconds 1..60000",
        "Event-loop lag above which /api/health reports degraded.",
    ),
    Field(
        "backup_dir",
        _text,
        "a folder path",
        "Where make backup writes.",
    ),
    Field(
        "backup_keep",
        _int_in(1, 10_000),
        "an integer 1..10000",
        "Regular backups (make backup) kept; older ones are pruned.",
    ),
    Field(
        "deploy_root",
        _text,
        "a folder path (~ is your home)",
        "Production deployment folder: releases, the current link, data, logs, backups.",
    ),
    Field(
        "deploy_port",
        _int_in(1, 65535),
        "an integer 1..65535",
        "Port the production service listens on (make deploy).",
    ),
    Field(
        "staging_root",
        _text,
        "a folder path (~ is your home)",
        "Staging deployment folder (make deploy-dev), laid out like the production one.",
    ),
    Field(
        "staging_port",
        _int_in(1, 65535),
        "an integer 1..65535",
        "Port the staging service listens on.",
    ),
    Field(
        "prod_url",
        _optional_text,
        "a URL or empty",
        "URL make smoke-prod tests; empty means the production service's local address.",
    ),
    Field(
        "staging_url",
        _optional_text,
        "a URL or empty",
        "URL make smoke-staging tests; empty means the staging service's local address.",
    ),
    Field(
        "service_manager",
        _choice(("auto", "systemd", "supervisor")),
        "one of auto|systemd|supervisor",
        "How deployed services run; auto is systemd when it is running, else the built-in "
        "supervisor.",
    ),
    Field(
        "releases_keep",
        _int_in(2, 100),
        "an integer 2..100",
        "Releases kept in a deployment folder; older ones are removed after a deploy.",
    ),
    Field(
        "health_timeout_s",
        _float_in(1, 600),
        "a number of seconds 1..600",
        "How long a deploy, rollback or restore waits for /api/health to be ok.",
    ),
    Field(
        "predeploy_backup_keep",
        _int_in(1, 1000),
        "an integer 1..1000",
        "Pre-deploy backups kept (apart from the DRAWGAME_BACKUP_KEEP regular ones).",
    ),
    Field(
        "failed_deploy_keep",
        _int_in(1, 1000),
        "an integer 1..1000",
        "Databases set aside by a rolled-back deploy (*.failed-deploy-*) kept.",
    ),
    Field(
        "before_restore_keep",
        _int_in(1, 1000),
        "an integer 1..1000",
        "Databases set aside by a restore (*.before-restore-*) kept.",
    ),
    Field(
        "log_max_bytes",
        _int_in(65_536, 10 * 1024**3),
        "an integer 65536..10737418240",
        "Built-in supervisor: the service log is rotated when it reaches this size.",
    ),
    Field(
        "log_backups",
        _int_in(1, 100),
        "an integer 1..100",
        "Built-in supervisor: rotated service logs kept (drawgame.log.1 ... .N).",
    ),
    Field(
        "restart_limit",
        _int_in(1, 100),
        "an integer 1..100",
        "Built-in supervisor: crashes within 10 minutes before it stops restarting the server.",
    ),
    Field(
        "restart_backoff_s",
        _float_in(0.05, 60),
        "a number of seconds 0.05..60",
        "Built-in supervisor: wait before the first restart after a crash (doubles each time).",
    ),
)


@dataclass(frozen=True)
class Config:
    """Validated settings; build it with :func:`load_config`."""

    host: str = "127.0.0.1"
    port: int = 8000
    db_path: str = "data/drawgame.sqlite3"
    database_url: str = dataclasses.field(default="", repr=False)  # holds a password
    environment: str = "production"
    log_level: str = "info"
    log_format: str = "auto"
    log_file: str = ""
    workers: int = 1
    proxy: str = "haproxy"
    worker_host: str = "127.0.0.1"
    worker_port: int = 0
    worker_first: int = 1
    worker_python: str = ""
    worker_id: str = ""
    allowed_origins: tuple[str, ...] = ()
    trust_proxy_headers: bool = False
    metrics_token: str = ""
    metrics_allow: tuple[str, ...] = ("127.0.0.0/8", "::1/128")
    public_url: str = ""
    root_path: str = ""
    max_connections: int = 5000
    max_connections_per_ip: int = 20
    max_rooms: int = 1000
    rooms_per_minute_per_ip: int = 10
    album_reads_per_minute_per_ip: int = 120
    shutdown_grace_s: float = 10.0
    reconnect_in_ms: int = 2000
    seat_grace_s: float = 120.0
    room_idle_close_s: float = 300.0
    retention_days: float = 30.0
    cleanup_interval_s: float = 3600.0
    hello_timeout_s: float = 10.0
    max_frame_bytes: int = 65536
    outbox_bytes: int = 262_144
    slow_consumer_s: float = 5.0
    deflate: bool = True
    deflate_min_bytes: int = 256
    max_http_connections: int = 1000
    max_http_connections_per_ip: int = 64
    http_keep_alive_s: float = 5.0
    inbox_size: int = 1024
    chat_rate: float = 2.0
    chat_burst: int = 6
    draw_rate: float = 60.0
    draw_burst: int = 120
    msg_rate: float = 5.0
    msg_burst: int = 20
    abuse_limit: int = 50
    lag_degraded_ms: float = 250.0
    backup_dir: str = "backups"
    backup_keep: int = 14
    deploy_root: str = "~/drawgame"
    deploy_port: int = 8080
    staging_root: str = "~/drawgame-staging"
    staging_port: int = 8081
    prod_url: str = ""
    staging_url: str = ""
    service_manager: str = "auto"
    releases_keep: int = 5
    health_timeout_s: float = 60.0
    predeploy_backup_keep: int = 5
    failed_deploy_keep: int = 3
    before_restore_keep: int = 3
    log_max_bytes: int = 10 * 1024 * 1024
    log_backups: int = 5
    restart_limit: int = 5
    restart_backoff_s: float = 1.0

    @property
    def effective_log_format(self) -> str:
        if self.log_format != "auto":
            return self.log_format
        return "text" if self.environment == "development" else "json"

    def replace(self, **changes: Any) -> Config:
        """A copy with some settings changed (tests and the CLI use it)."""
        return dataclasses.replace(self, **changes)


def read_env_file(path: Path) -> dict[str, str]:
    """Parse KEY=VALUE lines; blank lines and # comments are skipped."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip().removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


def load_config(
    environ: Mapping[str, str] | None = None,
    env_file: Path | None = None,
    defaults: Mapping[str, str] | None = None,
) -> Config:
    """Read every setting from ``environ`` over the ``.env`` file; validate all of them.

    ``env_file`` defaults to ``$DRAWGAME_ENV_FILE`` or ``./.env``. ``defaults``
    (``DRAWGAME_*`` names) replace the built-in defaults: they apply only where
    neither the environment nor the file says anything.
    """
    environ = os.environ if environ is None else environ
    if env_file is None:
        env_file = Path(environ.get(PREFIX + "ENV_FILE", ".env"))
    merged = {**(defaults or {}), **read_env_file(env_file), **environ}
    values: dict[str, Any] = {}
    for field in FIELDS:
        raw = merged.get(field.variable)
        if raw is None:
            continue
        try:
            values[field.name] = field.parse(raw)
        except ValueError:
            shown = mask_secret(raw) if field.secret else raw
            raise ConfigError(field.variable, shown, field.expected) from None
    _check_public_url(values.get("public_url", ""), values.get("root_path", ""))
    return Config(**values)


def _check_public_url(public_url: str, root_path: str) -> None:
    """Under a root path, share links are the public URL plus ``/r/<code>``: the public
    URL must end with the root path, or every link would miss it."""
    if public_url and root_path and urlsplit(public_url).path.rstrip("/") != root_path:
        raise ConfigError(PREFIX + "PUBLIC_URL", public_url,
                          f"a URL ending with DRAWGAME_ROOT_PATH ({root_path})")


def _show_default(value: Any) -> str:
    if isinstance(value, tuple):
        return ", ".join(value) or "(none)"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value) if value != "" else "(empty)"


def markdown_table() -> str:
    """The settings table the README shows (a test keeps the two equal)."""
    defaults = Config()
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for field in FIELDS:
        default = _show_default(getattr(defaults, field.name))
        rows.append(f"| `{field.variable}` | `{default}` | {field.doc} |")
    return "\n".join(rows)
