"""The container's health check: ``python -m drawgame.healthcheck``.

Asks the server of this machine (``DRAWGAME_PORT``, on the loopback address when it
listens on every address) for its /api/health, prints the status, and exits 0 when
it is ``ok`` or ``degraded``, 1 otherwise: what a ``HEALTHCHECK`` wants. It loads only
the settings and the probe: 0.08 s of CPU a run, where ``drawgame health`` takes 0.36 s
loading every command first (measured in the image), every 30 seconds.
"""

from __future__ import annotations

import sys

from drawgame.config import Config, ConfigError, load_config
from drawgame.ops.probe import fetch_health

TIMEOUT_S = 5.0
WILDCARDS = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "[::1]"}


def local_url(config: Config) -> str:
    host = WILDCARDS.get(config.host, config.host)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{config.port}"


def main() -> int:
    try:
        config = load_config()
    except ConfigError as exc:
        print(f"drawgame: {exc}", file=sys.stderr)
        return 1
    body, why = fetch_health(local_url(config), TIMEOUT_S)
    if body is None:
        print(why)
        return 1
    print(body["status"])
    return 0 if body["status"] in ("ok", "degraded") else 1


if __name__ == "__main__":
    sys.exit(main())
