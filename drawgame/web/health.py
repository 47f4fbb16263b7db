"""GET /api/health: what an operator or a load balancer needs to know, with real figures."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import trio
from quart import Blueprint, Response, jsonify

import drawgame
from drawgame import build
from drawgame.config import Config
from drawgame.rooms.directory import wall_time
from drawgame.rooms.recorder import LATE_AFTER_S
from drawgame.services import Services
from drawgame.stats import memory_rss_mb
from drawgame.web.context import services

blueprint = Blueprint("health", __name__)

DB_CHECK_TIMEOUT_S = 2.0
CONNECTIONS_NEAR_LIMIT = 0.9
STOPPED_SHOWN_S = 3600.0
"""A worker stopped on purpose stays in ``cluster.workers`` this long."""


async def database_check(svc: Services) -> dict[str, Any]:
    """A real ``SELECT 1`` on the store's probe connection, and whether writes succeed.

    The probe has a connection of its own, so neither a batch of writes nor a
    heavy album read delays it. A database that answers but cannot be written
    (a full disk) fails the check too: the recorder reports its last error
    and how many records wait to be written.
    """
    recorder = svc.registry.recorder
    try:
        with trio.fail_after(DB_CHECK_TIMEOUT_S):
            latency = await svc.store.ping()
    except trio.TooSlowError:
        return {"status": "error", "error": f"no answer within {DB_CHECK_TIMEOUT_S:g} s"}
    except Exception as exc:  # any database failure is reported, not raised
        return {"status": "error", "error": f"database unavailable: {exc}"}
    waiting, late = recorder.waiting, recorder.waiting_for_s()
    check: dict[str, Any] = {"status": "ok", "latency_ms": round(latency, 3),
                             "pending_records": waiting}
    if recorder.last_error is not None:
        check.update(
            status="error",
            error=f"writes are failing since {recorder.failing_since}: {recorder.last_error};"
                  f" {waiting} records wait to be written",
            last_error=recorder.last_error, failing_since=recorder.failing_since)
    elif late > LATE_AFTER_S:
        check.update(status="error",
                     error=f"no write has finished for {late:.0f} s; {waiting} records wait to"
                           " be written")
    if recorder.full:
        check.update(status="error", error=f"{check.get('error', 'writes are behind')};"
                                           " the write queue is full: new drawing is refused")
    return check


def websocket_check(svc: Services) -> dict[str, Any]:
    connections, limit = svc.stats.ws_connections, svc.config.max_connections
    check: dict[str, Any] = {"status": "ok", "connections": connections, "limit": limit}
    if connections >= limit * CONNECTIONS_NEAR_LIMIT:
        check["status"] = "error"
        check["error"] = f"{connections} of {limit} connections in use"
    return check


def performance(svc: Services) -> dict[str, Any]:
    stats = svc.stats
    return {
        "active_rooms": svc.registry.active_rooms,
        "active_players": svc.registry.active_players,
        "ws_connections": stats.ws_connections,
        "messages_in_per_s": round(stats.messages_in.rate(), 1),
        "messages_out_per_s": round(stats.messages_out.rate(), 1),
        "event_loop_lag_ms": round(stats.loop_lag_ms, 1),
        "memory_rss_mb": round(memory_rss_mb(), 1),
    }


async def health_report(svc: Services) -> dict[str, Any]:
    """The health document of PROTOCOL.md; ``status`` is ok, degraded or down."""
    checks = {"database": await database_check(svc), "websocket": websocket_check(svc)}
    perf = performance(svc)
    if checks["database"]["status"] != "ok":
        status = "down"
    elif (
        svc.maintenance.on
        or svc.stopping
        or checks["websocket"]["status"] != "ok"
        or perf["event_loop_lag_ms"] > svc.config.lag_degraded_ms
    ):
        status = "degraded"
    else:
        status = "ok"
    cluster = cluster_report(svc)
    if status == "ok" and (cluster["missing"]
                           or any(w["status"] == "lost" for w in cluster["workers"])):
        status = "degraded"
    return {
        "status": status,
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "version": drawgame.__version__,
        "build": build.current().as_dict(),
        "environment": svc.config.environment,
        "uptime_s": round(svc.stats.uptime_s, 1),
        "maintenance": svc.maintenance.on,
        "checks": checks,
        "performance": perf,
        "cluster": cluster,
    }


def cluster_report(svc: Services) -> dict[str, Any]:
    """Every worker of the directory (read each second by the registry): a worker whose
    heartbeat is late is ``lost``; stopped ones are listed for an hour. ``missing``: the
    workers this box is configured to run that do not serve (yet): while a cluster
    starts, during a rolling restart, or when one died."""
    now = wall_time()
    workers = [w.health(now) for w in svc.registry.cluster
               if w.status != "stopped" or now - w.heartbeat_at < STOPPED_SHOWN_S]
    serving = {w["id"] for w in workers if w["status"] == "up"}
    expected = configured_workers(svc.config, svc.registry.me.worker_id)
    return {"worker": svc.registry.me.worker_id, "workers": workers,
            "missing": [w for w in expected if w not in serving]}


def configured_workers(config: Config, me: str) -> list[str]:
    """The ids of the workers this box runs: ``w<first>``... for a cluster's worker, the
    process itself for a single one."""
    if not config.worker_id:
        return [me]
    return [f"w{config.worker_first + i}" for i in range(config.workers)]


@blueprint.get("/api/health")
async def health() -> Response:
    report = await health_report(services())
    response: Response = jsonify(report)
    response.status_code = 503 if report["status"] == "down" else 200
    response.headers["Cache-Control"] = "no-store"
    return response
