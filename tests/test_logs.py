import json
import logging

import pytest

from drawgame.config import LOG_TO_STDOUT, Config
from drawgame.logs import (
    LOGGER_NAME,
    JsonFormatter,
    TextFormatter,
    event,
    get_logger,
    redact,
    setup_logging,
)


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


def test_control_characters_never_split_or_forge_a_text_line() -> None:
    forged = "/x\n12:00:00.000 INFO    drawgame.http: request path=/admin status=200"
    record = make_record(get_logger("t3"), path=forged, agent="a\x1b[31mred\u202e\u2028b",
                         note="status=200 ok", odd="\ud800")
    line = TextFormatter().format(record)
    assert len(line.splitlines()) == 1 and "\x1b" not in line and "\u202e" not in line
    assert "path=\"/x\\n12:00:00.000 INFO" in line
    assert 'note="status=200 ok"' in line and "odd=\\ud800" in line
    line.encode("utf-8")  # a lone surrogate is escaped, not an encoding error


def test_control_characters_never_split_a_json_line() -> None:
    record = make_record(get_logger("t4"), path="/x\n\u2028\x85\u202e\ud800y")
    line = JsonFormatter().format(record)
    assert len(line.splitlines()) == 1
    line.encode("utf-8")
    assert json.loads(line)["path"] == "/x\n\u2028\x85\u202e\ud800y"


def test_a_traceback_is_indented_under_its_line() -> None:
    logger = get_logger("t5")
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger.addHandler(Keep())
    try:
        raise ValueError("bad\n12:00:00.000 INFO    forged")
    except ValueError:
        logger.exception("boom")
    lines = TextFormatter().format(records[0]).splitlines()
    assert lines[0].endswith("boom") and all(line.startswith("    ") for line in lines[1:])


def test_a_url_password_is_masked_in_any_field() -> None:
    url = "postgresql://drawgame:hunter2@db.example:5432/drawgame"
    record = make_record(get_logger("t9"), database=url, error=f"cannot reach {url} now")
    for line in (JsonFormatter().format(record), TextFormatter().format(record)):
        assert "hunter2" not in line
        assert "postgresql://drawgame:***@db.example:5432/drawgame" in line
    assert redact({"path": "/api/health", "n": 3}) == {"path": "/api/health", "n": 3}


def test_a_log_file_of_dash_is_standard_output(capsys: pytest.CaptureFixture[str]) -> None:
    """DRAWGAME_LOG_FILE=- (the container image's): the lines go to standard output."""
    logger = logging.getLogger(LOGGER_NAME)
    kept = logger.handlers[:], logger.level, logger.propagate
    try:
        setup_logging(Config(log_file=LOG_TO_STDOUT, log_format="json"))
        event(get_logger("t9"), logging.INFO, "to_stdout", room="ABC")
    finally:
        logger.handlers[:], logger.level, logger.propagate = kept
    out, err = capsys.readouterr()
    assert json.loads(out)["event"] == "to_stdout" and err == ""
