"""The cluster's reverse proxy: HAProxy (Debian's package), configured from a template.

One public port for every worker: ``/w/<id>/...`` goes to worker ``<id>``
(``<root>/w/<id>/...`` under a root path, ``DRAWGAME_ROOT_PATH``)
(the room directory's ``ws_path`` says which), everything else to any
healthy worker, least connections first. Each worker is health-checked on
``/api/health`` every second (a worker that is down, stopping or whose
database is down leaves the rotation at once); until its checks notice that a
worker died, a request it refuses goes to another worker, and its own prefix
is answered 503 at once, without retries. WebSocket upgrades always get
a new server connection of their own (``http-reuse never``): drawgame's
transport takes the upgrade only as the first request of a connection.

HAProxy was chosen over nginx for the active health checks Debian's nginx
lacks; the template is all drawgame needs of it.
"""

from __future__ import annotations

import resource
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from drawgame.config import Config

HEALTH_INTERVAL_MS = 1000
DOWN_INTERVAL_MS = 100
CHECK_HEADER = "X-Drawgame-Check"
"""Sent with the proxy's health checks: the server leaves them out of its request log."""
TUNNEL_TIMEOUT = "1h"
"""An open WebSocket with no traffic at all is closed after this long."""


@dataclass(frozen=True)
class Upstream:
    """One worker as the proxy sees it."""

    id: str
    host: str
    port: int

    @property
    def address(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


class ProxyMissing(RuntimeError):
    """HAProxy is not installed (``make start`` installs it)."""


def haproxy_binary() -> str:
    found = shutil.which("haproxy") or next(
        (p for p in ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy") if Path(p).exists()), None)
    if found is None:
        raise ProxyMissing("HAProxy is needed for DRAWGAME_WORKERS above 1: "
                           "`apt-get install haproxy` (make start does it)")
    return found


PROXY_SPARE_DESCRIPTORS = 64
"""Descriptors HAProxy keeps for itself (listeners, checks, logs) beyond its connections."""


def proxy_maxconn(config: Config, nofile: int | None = None) -> int:
    """HAProxy's ``maxconn``: every WebSocket and HTTP connection the workers take, as far
    as the descriptor limit allows (HAProxy needs two a connection, and refuses to start
    when its ``maxconn`` would need more than the hard limit)."""
    wanted = config.max_connections + config.max_http_connections
    if nofile is None:
        nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if nofile == resource.RLIM_INFINITY:
        return wanted
    return max(1, min(wanted, (nofile - PROXY_SPARE_DESCRIPTORS) // 2))


def config_text(config: Config, upstreams: Sequence[Upstream], pidfile: Path,
                nofile: int | None = None) -> str:
    """The HAProxy configuration for the cluster on ``config.host:config.port``
    (``nofile``: the descriptor hard limit, by default this process's)."""
    bind = f"[{config.host}]:{config.port}" if ":" in config.host else \
        f"{config.host}:{config.port}"
    # A worker that is down is checked more often, so one that starts is routed at once.
    check = f"check inter {HEALTH_INTERVAL_MS}ms downinter {DOWN_INTERVAL_MS}ms fall 2 rise 1"
    # A client address is believed from X-Forwarded-For only when the operator says a
    # proxy of theirs stands in front; otherwise the proxy writes the peer's own.
    forwarded = ("    option forwardfor\n" if config.trust_proxy_headers else
                 "    http-request set-header X-Forwarded-For %[src]\n")
    lines = [
        "# Made by drawgame (drawgame/ops/proxy.py) at each start; edits are lost.",
        "global",
        f"    maxconn {proxy_maxconn(config, nofile)}",
        f"    pidfile {pidfile}",
        "    log stderr format raw local0 warning",
        "",
        "defaults",
        "    mode http",
        "    log global",
        "    option dontlognull",
        "    timeout connect 5s",
        "    timeout client 30s",
        "    timeout server 30s",
        "    timeout http-request 10s",
        "    timeout http-keep-alive 5s",
        f"    timeout tunnel {TUNNEL_TIMEOUT}",
        "    timeout client-fin 5s",
        "    timeout server-fin 5s",
        "",
        "frontend drawgame",
        f"    bind {bind}",
        forwarded.rstrip("\n"),
    ]
    root = config.root_path  # every path is under it, the workers' own included
    for up in upstreams:
        lines.append(f"    use_backend worker_{up.id} if {{ path_beg {root}/w/{up.id}/ }}")
    lines += ["    default_backend workers", "",
              "backend workers",
              "    balance leastconn",
              # A worker that died since its last check refuses the connection: the
              # request goes to another worker at once, not three times to the dead one.
              "    option redispatch 1",
              "    http-reuse never",
              "    option httpchk",
              f"    http-check send meth GET uri {root}/api/health hdr {CHECK_HEADER} proxy",
              "    http-check expect status 200"]
    lines += [f"    server {up.id} {up.address} {check}" for up in upstreams]
    for up in upstreams:
        # The same worker, checked once: this backend follows the other's check.
        # A worker that refuses is down or restarting: the client is told at once and
        # asks where the room is now, rather than waiting out retries of the same worker.
        lines += ["", f"backend worker_{up.id}",
                  "    retries 0",
                  "    http-reuse never",
                  f"    server {up.id} {up.address} track workers/{up.id}"]
    return "\n".join(lines) + "\n"
