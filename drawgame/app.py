"""The app factory and the server entry point with our own graceful shutdown.

``serve`` runs hypercorn's trio worker with a shutdown trigger we control:
when asked to stop (SIGTERM, SIGINT, or a test's event) the server first
stops taking new work and lets the rooms tell their players and write their
state, then hypercorn closes the listeners and gives what is left
``shutdown_grace_s`` to finish. The store is closed last.
"""

from __future__ import annotations

import logging
from typing import Any

import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio import serve as hypercorn_serve
from quart import Response, has_request_context, has_websocket_context, request, websocket
from quart_trio import QuartTrio
from werkzeug.exceptions import HTTPException

from drawgame.config import Config
from drawgame.logs import event, get_logger
from drawgame.services import Services, open_services
from drawgame.web import admin, api, health, metrics, pages, ws
from drawgame.web.context import EXTENSION_KEY
from drawgame.web.errors import error_response
from drawgame.web.middleware import Middleware

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
                  ws.blueprint, pages.blueprint)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    app.asgi_app = Middleware(app.asgi_app)  # type: ignore[method-assign,assignment,arg-type]
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
    hc.websocket_max_message_size = config.max_frame_bytes
    hc.accesslog = None
    hc.errorlog = logging.getLogger("hypercorn.error")
    hc.include_server_header = False
    hc.keep_alive_timeout = 30
    return hc


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
        app = create_app(services)

        async def shutdown_trigger() -> None:
            await stop.wait()
            event(log, logging.INFO, "shutdown_started", grace_s=config.shutdown_grace_s)
            services.shutting_down.set()
            with trio.move_on_after(config.shutdown_grace_s):
                await services.registry.shutdown()

        async with trio.open_nursery() as nursery:
            binds: Any = await nursery.start(
                lambda task_status: hypercorn_serve(
                    app, hypercorn_config(config),
                    shutdown_trigger=shutdown_trigger, task_status=task_status,
                )
            )
            event(log, logging.INFO, "serving", binds=binds, environment=config.environment,
                  database=config.db_path)
            task_status.started(list(binds))
    event(log, logging.INFO, "shutdown_complete")
