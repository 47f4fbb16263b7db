import json
import logging

from drawgame.logs import JsonFormatter, TextFormatter, event, get_logger, redact


def make_record(logger: logging.Logger, **fields: object) -> logging.LogRecord:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        event(logger, logging.INFO, "joined", **fields)
    finally:
        logger.removeHandler(handler)
    return records[0]


def test_secrets_are_never_written() -> None:
    record = make_record(get_logger("t1"), token="abc123", admin_secret="s3", room="XYZ")
    line = JsonFormatter().format(record)
    data = json.loads(line)
    assert data["event"] == "joined"
    assert data["room"] == "XYZ"
    assert "abc123" not in line and "s3" not in line
    assert data["token"] == "[redacted]"


def test_text_format_is_readable() -> None:
    record = make_record(get_logger("t2"), path="/api/health", status=200)
    line = TextFormatter().format(record)
    assert "INFO" in line and "joined" in line and "path=/api/health status=200" in line


def test_redact_keeps_other_fields() -> None:
    assert redact({"Authorization": "Bearer x", "n": 1}) == {"Authorization": "[redacted]", "n": 1}
