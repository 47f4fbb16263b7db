"""Asking a running server for its /api/health, once or until it is healthy."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

POLL_S = 0.25


def fetch_health(url: str, timeout: float = 5.0) -> tuple[dict[str, Any] | None, str]:
    """``(body, "")`` when the server answered with a health document, else ``(None, why)``.

    A 503 (status ``down``) still carries the document, so it is returned.
    """
    target = url.rstrip("/") + "/api/health"
    try:
        with urllib.request.urlopen(target, timeout=timeout) as answer:
            body = json.load(answer)
    except urllib.error.HTTPError as exc:
        try:
            body = json.load(exc)
        except ValueError:
            return None, f"HTTP {exc.code} from {target}"
    except (OSError, ValueError) as exc:
        return None, f"no health answer from {target}: {exc}"
    if not isinstance(body, dict) or "status" not in body:
        return None, f"{target} did not answer a health document"
    return body, ""


def healthy(body: dict[str, Any]) -> bool:
    """``ok``; or ``degraded`` only because maintenance mode is on (a deploy may happen then)."""
    if body.get("status") == "ok":
        return True
    if body.get("status") != "degraded" or not body.get("maintenance"):
        return False
    checks = body.get("checks", {})
    return all(check.get("status") == "ok" for check in checks.values())


def wait_healthy(
    url: str, timeout_s: float, alive: Callable[[], bool] = lambda: True
) -> tuple[bool, str]:
    """Poll until the server is healthy, at most ``timeout_s``; ``(ok, last answer or error)``.

    ``alive`` lets the caller stop waiting early when the process is gone.
    """
    deadline = time.monotonic() + timeout_s
    last = "no answer yet"
    while True:
        body, error = fetch_health(url, timeout=min(5.0, max(0.5, timeout_s)))
        if body is not None and healthy(body):
            return True, f"status {body['status']}"
        last = error or f"status {body.get('status') if body else None}: {_why(body)}"
        if time.monotonic() >= deadline:
            return False, f"not healthy within {timeout_s:g} s ({last})"
        if not alive():
            return False, f"the server exited ({last})"
        time.sleep(POLL_S)


def cluster_pids(url: str) -> dict[str, int]:
    """Each worker's pid, as the instance's health reports its cluster (empty: no answer)."""
    body, _ = fetch_health(url, timeout=5.0)
    workers = (body or {}).get("cluster", {}).get("workers", [])
    return {str(w["id"]): int(w["pid"]) for w in workers if w.get("status") == "up"}


def wait_rolled(url: str, before: dict[str, int], timeout_s: float) -> tuple[bool, str]:
    """Wait until every worker of ``before`` serves again with a new process, and health
    is good: a rolling restart done. ``(ok, what was last seen)``."""
    deadline = time.monotonic() + timeout_s
    while True:
        now = cluster_pids(url)
        moved = [w for w in before if w in now and now[w] != before[w]]
        if len(moved) == len(before):
            return wait_healthy(url, max(1.0, deadline - time.monotonic()))
        if time.monotonic() >= deadline:
            return False, (f"{len(moved)} of {len(before)} workers restarted within "
                           f"{timeout_s:g} s")
        time.sleep(POLL_S)


def _why(body: dict[str, Any] | None) -> str:
    if not body:
        return "no details"
    failing = {name: check.get("error", check.get("status"))
               for name, check in body.get("checks", {}).items() if check.get("status") != "ok"}
    return json.dumps(failing) if failing else json.dumps({"maintenance": body.get("maintenance")})
