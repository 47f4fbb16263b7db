"""GET /metrics: the server's figures in Prometheus text format.

Each app gets its own ``CollectorRegistry`` (never the library's global one),
so several apps in one process, as in the tests, keep separate figures.
Live values (rooms, players, connections, loop lag, message counts by type,
error codes, database calls) are read when scraped; request durations and
what the recorder wrote are observed as they happen.
"""

from __future__ import annotations

import collections
from collections.abc import Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    Info,
    ProcessCollector,
)
from prometheus_client import generate_latest as render
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from quart import Blueprint, Response, current_app, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from drawgame import build
from drawgame.rooms.recorder import Pending
from drawgame.services import Services
from drawgame.stats import memory_rss_mb
from drawgame.web import scrape
from drawgame.web.context import services
from drawgame.web.errors import error_response

EXTENSION_KEY = "drawgame_metrics"
OTHER = "other"
"""The label value of every method, route and status outside the known ones: made-up
methods and paths cannot add label values (each one a series kept until restart)."""
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

blueprint = Blueprint("metrics", __name__)


class LiveFigures:
    """A collector that reads the running services at scrape time."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterator[Metric]:
        svc = self.services
        stats, registry, store = svc.stats, svc.registry, svc.store
        yield _gauge("drawgame_active_rooms", "Rooms open in this process.", registry.active_rooms)
        yield _gauge("drawgame_active_players", "Players connected to a room.",
                     registry.active_players)
        yield _gauge("drawgame_ws_connections", "Open WebSocket connections.",
                     stats.ws_connections)
        yield _gauge("drawgame_event_loop_lag_seconds",
                     "Worst recent delay of the event loop in waking a sleeping task.",
                     stats.loop_lag_ms / 1000)
        yield _gauge("drawgame_maintenance", "1 while maintenance mode is on.",
                     int(svc.maintenance.on))
        yield _gauge("drawgame_uptime_seconds", "Time since the server started.", stats.uptime_s)
        yield _gauge("drawgame_memory_rss_bytes", "Resident memory of the process.",
                     memory_rss_mb() * 1024 * 1024)
        handled = stats.draw_handled
        yield HistogramMetricFamily(
            "drawgame_draw_handled_seconds",
            "Time from a draw frame's arrival until its room relayed it and queued its record.",
            buckets=handled.cumulative(), sum_value=handled.sum)
        yield _by_label("drawgame_ws_frames_in", "Client messages received, by type.", "type",
                        stats.frames_in)
        yield _by_label("drawgame_ws_frames_out",
                        "Messages sent to clients, by type (each message of a batched frame "
                        "counts).", "type", stats.frames_out)
        yield _by_label("drawgame_errors", "Client messages refused, by error code.", "code",
                        stats.errors)
        yield _gauge("drawgame_http_connections",
                     "Open HTTP connections (WebSockets not past their handshake included).",
                     stats.http_connections)
        yield _by_label("drawgame_http_connections_refused",
                        "Connections answered at once and closed: busy (the HTTP budget is "
                        "taken) or per_address (their address holds its share).", "reason",
                        stats.http_refused)
        calls = SummaryMetricFamily("drawgame_db_call_seconds",
                                    "Database work through the store thread: calls and time.",
                                    count_value=store.hops, sum_value=store.busy_s)
        yield calls
        recorder = registry.recorder
        yield _gauge("drawgame_recorder_pending",
                     "Records waiting to be written (the batch being written included).",
                     recorder.waiting)
        yield _gauge("drawgame_recorder_pending_seconds",
                     "How long the oldest record not written yet has waited.",
                     recorder.waiting_for_s())
        yield _gauge("drawgame_recorder_full",
                     "1 while the write queue is full and new drawing is refused.",
                     int(recorder.full))
        yield CounterMetricFamily("drawgame_recorder_refused_draws",
                                  "Draw frames refused (storage_full): the write queue was full.",
                                  value=recorder.refused_draws)
        yield _by_label("drawgame_recorder_dropped",
                        "Records not kept: the write queue held its maximum, by kind.", "kind",
                        recorder.dropped)
        yield CounterMetricFamily("drawgame_recorder_fenced",
                                  "Records not written: another worker owns their room now.",
                                  value=recorder.fenced)

    def describe(self) -> Iterator[Metric]:
        return self.collect()


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


def _by_label(name: str, doc: str, label: str, counts: Any) -> CounterMetricFamily:
    family = CounterMetricFamily(name, doc, labels=[label])
    for key, value in sorted(counts.items()):
        family.add_metric([str(key)], value)
    return family


def add_process_figures(registry: CollectorRegistry) -> None:
    """``process_*`` (CPU, memory, descriptors, start time: prometheus-client's own
    collector, from /proc) and ``drawgame_build_info`` (what runs: drawgame/build.py)."""
    ProcessCollector(registry=registry)
    Info("drawgame_build", "The running release: version, release id, git commit, and "
         "whether it was an emergency deploy (tests skipped).",
         registry=registry).info(build.current().labels())


class Metrics:
    """Everything /metrics shows for one app."""

    def __init__(self, services: Services) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(LiveFigures(services))
        add_process_figures(self.registry)
        self.http_seconds = Histogram(
            "drawgame_http_request_duration_seconds", "HTTP request duration, by route.",
            ["method", "route"], buckets=HTTP_BUCKETS, registry=self.registry)
        self.http_requests = Counter(
            "drawgame_http_requests", "HTTP requests, by route and status.",
            ["method", "route", "status"], registry=self.registry)
        self.games_started = Counter("drawgame_games_started", "Games started.",
                                     registry=self.registry)
        self.games_finished = Counter(
            "drawgame_games_finished", "Games over: complete, or ended early (too few players).",
            ["complete"], registry=self.registry)
        self.ops_persisted = Counter("drawgame_ops_persisted",
                                     "Drawing ops written to the database.",
                                     registry=self.registry)
        self.records_written = Counter("drawgame_records_written",
                                       "Records the recorder wrote, by kind.", ["kind"],
                                       registry=self.registry)

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.http_seconds.labels(method, route).observe(seconds)
        self.http_requests.labels(method, route, _status(status)).inc()

    def observe_batch(self, batch: list[Pending]) -> None:
        kinds: collections.Counter[str] = collections.Counter()
        ops = 0
        for _, record, _ in batch:
            kinds[record.kind] += 1
            if record.kind == "game_started":
                self.games_started.inc()
            elif record.kind == "game_over":
                complete = bool(record.data.get("complete", True))
                self.games_finished.labels(str(complete).lower()).inc()
            elif record.kind == "ops":
                ops += len(record.data.get("ops", ()))
        # One update per kind: a busy batch holds thousands of op records.
        for kind, n in kinds.items():
            self.records_written.labels(kind).inc(n)
        if ops:
            self.ops_persisted.inc(ops)

    def render(self) -> bytes:
        data: bytes = render(self.registry)
        return data


def install(app: Any, services: Services) -> Metrics:
    """Create the app's metrics and hook them to the request middleware and the recorder."""
    metrics = Metrics(services)
    app.extensions[EXTENSION_KEY] = metrics
    routes = app.url_map.bind("localhost")  # route patterns keep label values few

    def on_request(method: str, path: str, status: int, seconds: float) -> None:
        method = method if method in KNOWN_METHODS else OTHER
        metrics.observe_request(_route(routes, path, method), method, status, seconds)

    app.asgi_app.observers.append(on_request)
    services.registry.recorder.on_batch.append(metrics.observe_batch)
    return metrics


def _route(routes: Any, path: str, method: str) -> str:
    """The route pattern of ``path`` (whatever the method), else ``other``."""
    try:
        rule, _ = routes.match(path, method="GET" if method == OTHER else method,
                               return_rule=True)
    except MethodNotAllowed as wrong:  # the route exists: name it
        allowed = sorted(wrong.valid_methods or ())
        if not allowed:
            return OTHER
        try:
            rule, _ = routes.match(path, method=allowed[0], return_rule=True)
        except HTTPException:
            return OTHER
    except HTTPException:  # not found, or a redirect
        return OTHER
    return str(rule.rule)


def _status(status: int) -> str:
    return str(status) if 100 <= status <= 599 else OTHER


@blueprint.get("/metrics")
async def metrics_page() -> Response:
    svc = services()
    headers = request.headers
    refused = scrape.refusal(
        scrape.networks(svc.config.metrics_allow), svc.config.metrics_token,
        forwarded=scrape.forwarded_for(headers.getlist), peer=_peer(),
        authorization=headers.get("Authorization", ""))
    if refused is not None:
        status, code, message = refused
        extra = {"WWW_Authenticate": 'Bearer realm="metrics"'} if status == 401 else {}
        return error_response(status, code, message, **extra)
    metrics: Metrics = current_app.extensions[EXTENSION_KEY]
    return Response(metrics.render(), status=200, content_type=CONTENT_TYPE_LATEST,
                    headers={"Cache-Control": "no-store"})


def _peer() -> str:
    """The TCP peer (never a header); None in process or over a unix socket: local."""
    client = request.scope.get("client")
    return "127.0.0.1" if not client else str(client[0])
