"""The app factory and the server entry point with our own graceful shutdown.

``serve`` runs the front door (web/server.py: HTTP through hypercorn's trio
server, WebSockets through drawgame's own transport) on the configured port.
When asked to stop (SIGTERM, SIGINT, or a test's event) it stops accepting,
lets the rooms tell their players and write their state, tells connections
not yet in a room to come back, and gives everything still open until
``shutdown_grace_s`` after the stop began: one deadline, whatever the
clients do. The store is closed last.
"""

from __future__ import annotations

import gc
import logging

import trio
from hypercorn.config import Config as HypercornConfig
from quart import Response, has_request_context, has_websocket_context, request, websocket
from quart_trio import QuartTrio
from werkzeug.exceptions import HTTPException

from drawgame.config import Config
from drawgame.logs import event, get_logger
from drawgame.services import Services, open_services
from drawgame.store.db import describe, location
from drawgame.web import admin, albums, api, health, metrics, pages, ws
from drawgame.web.context import EXTENSION_KEY
from drawgame.web.errors import error_response
from drawgame.web.middleware import Middleware
from drawgame.web.server import Caps, FrontDoor

log = get_logger("app")

HTTP_ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    429: "rate_limited",
}


def create_app(services: Services) -> QuartTrio:
    """Build the Quart app around running ``services``."""
    app = QuartTrio("drawgame", static_folder=None)
    app.extensions[EXTENSION_KEY] = services
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    blueprints = (health.blueprint, api.blueprint, admin.blueprint, metrics.blueprint,
                  ws.blueprint, pages.blueprint, albums.blueprint)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    pages.install(app, services.config)
    app.asgi_app = Middleware(app.asgi_app, services.config.root_path)  # type: ignore[method-assign,assignment,arg-type]
    metrics.install(app, services)
    return app


async def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    code = HTTP_ERROR_CODES.get(status, "http_error")
    return error_response(status, code, error.description or error.name)


async def _unexpected_error(error: Exception) -> Response:
    # also reached from a WebSocket handler, where there is no request
    path = (request.path if has_request_context()
            else websocket.path if has_websocket_context() else "")
    event(log, logging.ERROR, "unhandled_error", path=path,
          error=f"{type(error).__name__}: {error}")
    log.debug("traceback", exc_info=error)
    return error_response(500, "server_error", "the server hit an unexpected error")


def hypercorn_config(config: Config) -> HypercornConfig:
    hc = HypercornConfig()
    hc.bind = [f"{config.host}:{config.port}"]
    hc.graceful_timeout = config.shutdown_grace_s
    hc.accesslog = None
    hc.errorlog = logging.getLogger("hypercorn.error")
    hc.include_server_header = False
    hc.keep_alive_timeout = config.http_keep_alive_s
    hc.read_timeout = int(max(10.0, config.http_keep_alive_s * 2))
    return hc


GC_THRESHOLDS = (10_000, 50, 50)
"""The cyclic collector's thresholds while serving (Python's defaults: 700, 10, 10)."""


def _tune_collector() -> None:
    """Fewer, cheaper cyclic collections while serving.

    Everything loaded at start (modules, word lists, the app) is frozen out of
    the collector's reach, and the youngest generation is collected after
    10,000 allocations instead of 700: a relayed stroke allocates a few dozen
    short-lived objects that reference counting frees anyway, and on a busy
    server the default collected dozens of times a second.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


async def serve(
    config: Config,
    stop: trio.Event,
    *,
    task_status: trio.TaskStatus[list[str]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve until ``stop`` is set, then shut down gracefully.

    Reports the bound addresses (``http://host:port``) through ``task_status``,
    so tests can bind port 0 and learn the port.
    """
    async with open_services(config) as services:
        _tune_collector()
        caps = Caps.for_config(config)
        sockets = ws.RoomSockets(services, caps.websockets)
        door = FrontDoor(config, create_app(services), hypercorn_config(config), sockets, caps,
                         services.stats)
        async with trio.open_nursery() as nursery:
            binds: list[str] = await nursery.start(door.serve)
            services.registry.serving_at(binds[0])
            event(log, logging.INFO, "serving", binds=binds, environment=config.environment,
                  database=describe(location(config)), descriptors=caps.descriptors,
                  max_http_connections=caps.http, max_connections=caps.websockets,
                  max_http_connections_per_ip=caps.http_per_ip)
            task_status.started(list(binds))
            await stop.wait()
            deadline = trio.current_time() + config.shutdown_grace_s
            event(log, logging.INFO, "shutdown_started", grace_s=config.shutdown_grace_s)
            services.shutting_down.set()
            await door.shutdown(deadline)
            with trio.move_on_at(deadline):
                await services.registry.shutdown()
            sockets.restart_waiting()
    event(log, logging.INFO, "shutdown_complete")
