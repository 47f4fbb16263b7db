"""Structured logging: JSON lines in production, readable text in development.

Log with :func:`event`: a short event name plus keyword fields. Fields whose
names look secret (token, secret, password, authorization) are masked before
any handler sees them, so a token can never reach a log file by accident; so
is the password of any URL in a text field (``postgresql://user:***@host``),
whatever the field is called.
Control characters in any field (a ``%0a`` in a request path) are escaped in
both formats, so one event is always one line.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

from drawgame.config import LOG_TO_STDOUT, Config
from drawgame.text import escape_controls, json_line_safe, logfmt_value

LOGGER_NAME = "drawgame"
SECRET_MARKERS = ("token", "secret", "password", "authorization", "cookie")
URL_PASSWORD = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^:/?#@\s]*:)[^@/\s]*(@)")


def is_secret(key: str) -> bool:
    lowered = key.lower()
    return any(marker in lowered for marker in SECRET_MARKERS)


def mask_url_passwords(text: str) -> str:
    """``scheme://user:password@host`` -> ``scheme://user:***@host``, anywhere in ``text``."""
    return URL_PASSWORD.sub(r"\1***\2", text) if "://" in text else text


def redact(fields: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``fields`` with secret-looking values replaced, and URL passwords masked."""
    return {k: ("[redacted]" if is_secret(k) and v else
                mask_url_passwords(v) if isinstance(v, str) else v)
            for k, v in fields.items()}


def get_logger(name: str = "") -> logging.Logger:
    return logging.getLogger(f"{LOGGER_NAME}.{name}" if name else LOGGER_NAME)


def event(logger: logging.Logger, level: int, what: str, /, **fields: Any) -> None:
    """Log one structured event; ``fields`` become JSON keys or ``k=v`` pairs."""
    if logger.isEnabledFor(level):
        logger.log(level, what, extra={"fields": redact(fields)})


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json_line_safe(json.dumps(line, default=str, ensure_ascii=False))


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created).strftime("%H:%M:%S.%f")[:-3]
        fields = getattr(record, "fields", {})
        pairs = " ".join(f"{escape_controls(str(k))}={logfmt_value(v)}"
                         for k, v in fields.items())
        message = escape_controls(record.getMessage())
        text = f"{stamp} {record.levelname:<7} {record.name}: {message}"
        if pairs:
            text += " " + pairs
        if record.exc_info:  # indented, so no line of it can pass for a log line
            trace = self.formatException(record.exc_info).splitlines()
            text += "".join(f"\n    {escape_controls(line)}" for line in trace)
        return text


def setup_logging(config: Config) -> None:
    """Send drawgame's and hypercorn's logs to one handler in the configured format."""
    handler: logging.Handler
    if config.log_file == LOG_TO_STDOUT:
        handler = logging.StreamHandler(sys.stdout)
    elif config.log_file:
        handler = logging.FileHandler(config.log_file, encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    json_lines = config.effective_log_format == "json"
    handler.setFormatter(JsonFormatter() if json_lines else TextFormatter())
    level = getattr(logging, config.log_level.upper())
    for name in (LOGGER_NAME, "hypercorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False
