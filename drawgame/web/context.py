"""Access to the running Services from inside a request or websocket handler."""

from __future__ import annotations

from typing import cast

from quart import current_app

from drawgame.services import Services

EXTENSION_KEY = "drawgame"


def services() -> Services:
    return cast(Services, current_app.extensions[EXTENSION_KEY])
