"""The docs stay true to the code: what they quote is checked against it here.

Tables the tests read are marked in the Markdown with ``<!-- table: name -->``
on the line before them. A table with a ``source`` column names, in each row,
where its ``value`` (or ``default``) comes from:

- ```DRAWGAME_NAME```: a setting, compared with ``Config()``'s default;
- ```drawgame.module.NAME```: a constant in the code;
- ``room setting `name```: a room setting's default (``Settings()``);
- ```path/to/file.py` `excerpt```: a literal; the excerpt must be in the file
  and the number it ends with must be the value.
"""

from __future__ import annotations

import importlib
import random
import re
from pathlib import Path
from typing import Any

import pytest

from drawgame.app import HTTP_ERROR_CODES
from drawgame.config import FIELDS, PREFIX, Config
from drawgame.game import rules
from drawgame.game.errors import ALL_ERRORS, GameError
from drawgame.game.protocol import CLIENT_TYPES
from drawgame.game.settings import (
    DEFAULT_LANGUAGE,
    FIELD_NAMES,
    INT_LIMITS,
    MAX_CUSTOM_WORD_LEN,
    MAX_CUSTOM_WORDS,
    MIN_CUSTOM_ONLY_WORDS,
    Settings,
)
from drawgame.game.views import phase_msg, player_view, snapshot
from drawgame.rooms.recorder import WRITERS
from drawgame.rooms.room import NO_SNAPSHOT_SENDS
from drawgame.store import apply_migrations
from drawgame.store.db import connect

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
DOC_NAMES = ("PROTOCOL.md", "ARCHITECTURE.md", "DURABILITY.md", "LIMITS.md")

LIMIT_SETTINGS = frozenset({
    "max_connections", "max_connections_per_ip", "max_rooms", "rooms_per_minute_per_ip",
    "album_reads_per_minute_per_ip",
    "shutdown_grace_s", "seat_grace_s", "room_idle_close_s", "retention_days",
    "cleanup_interval_s", "hello_timeout_s", "max_frame_bytes", "outbox_bytes",
    "slow_consumer_s", "max_http_connections", "max_http_connections_per_ip",
    "http_keep_alive_s", "inbox_size",
    "chat_rate", "chat_burst", "draw_rate", "draw_burst", "msg_rate", "msg_burst",
    "abuse_limit", "lag_degraded_ms", "log_max_bytes", "log_backups", "restart_limit",
})
"""Settings that bound something: each must be in LIMITS.md with its default."""
OTHER_SETTINGS = frozenset({
    "host", "port", "db_path", "database_url", "environment", "log_level", "log_format", "log_file",
    "allowed_origins", "trust_proxy_headers", "metrics_token", "metrics_allow", "public_url",
    "workers", "worker_id", "proxy", "worker_host", "worker_port", "worker_first",
    "worker_python", "root_path",
    "reconnect_in_ms", "backup_dir",
    "backup_keep", "deploy_root", "deploy_port", "staging_root", "staging_port", "prod_url",
    "staging_url", "service_manager", "releases_keep", "health_timeout_s", "deflate",
    "deflate_min_bytes", "predeploy_backup_keep", "failed_deploy_keep", "before_restore_keep",
    "restart_backoff_s",
})
"""Settings that are not limits (addresses, paths, logging, operations)."""

SOURCED_TABLES = (
    ("PROTOCOL.md", "constants"),
    ("LIMITS.md", "limits"),
    ("DURABILITY.md", "durability"),
)

_SETTING = re.compile(r"`(DRAWGAME_[A-Z0-9_]+)`")
_CONSTANT = re.compile(r"`(drawgame(?:\.\w+)+)\.([A-Z][A-Z0-9_]*)`")
_ROOM_SETTING = re.compile(r"room setting `(\w+)`")
_LITERAL = re.compile(r"`((?:drawgame|migrations)/[\w/]+\.\w+)` `([^`]+)`")
_TRAILING_NUMBER = re.compile(r"([\d_]+(?:\s*[*+]\s*[\d_]+)*)\s*$")


# ---------------------------------------------------------------- reading the docs


def doc(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def marked_table(text: str, name: str) -> list[dict[str, str]]:
    """The rows of the table after ``<!-- table: name -->``, as {header: cell}."""
    marker = f"<!-- table: {name} -->"
    assert text.count(marker) == 1, f"the marker {marker!r} must appear exactly once"
    lines = text.split(marker, 1)[1].strip().splitlines()
    rows: list[list[str]] = []
    for line in lines:
        if not line.startswith("|"):
            break
        rows.append(_cells(line))
    assert len(rows) >= 3, f"table {name!r} has no rows"
    header, body = rows[0], rows[2:]
    return [dict(zip(header, row, strict=True)) for row in body]


def _cells(line: str) -> list[str]:
    # A cell may hold an escaped pipe (\|), which does not split it.
    parts = re.split(r"(?<!\\)\|", line.strip())[1:-1]
    return [part.strip().replace("\\|", "|") for part in parts]


def plain(cell: str) -> str:
    return cell.strip().strip("`*").strip()


def number(cell: str) -> int | float:
    text = plain(cell).replace(",", "").replace("_", "")
    try:
        return int(text)
    except ValueError:
        return float(text)


def value_column(row: dict[str, str]) -> str:
    return row["value"] if "value" in row else row["default"]


def source_value(source: str) -> Any:
    """What the code says for a table row's ``source`` cell (see the module docstring)."""
    source = source.strip()
    if m := _SETTING.fullmatch(source):
        variable = m.group(1)
        names = {field.variable: field.name for field in FIELDS}
        assert variable in names, f"{variable} is not a setting"
        return getattr(Config(), names[variable])
    if m := _CONSTANT.fullmatch(source):
        module = importlib.import_module(m.group(1))
        assert hasattr(module, m.group(2)), f"{m.group(1)} has no {m.group(2)}"
        return getattr(module, m.group(2))
    if m := _ROOM_SETTING.fullmatch(source):
        return getattr(Settings(), m.group(1))
    if m := _LITERAL.fullmatch(source):
        path, excerpt = ROOT / m.group(1), m.group(2)
        assert excerpt in path.read_text(encoding="utf-8"), f"{excerpt!r} is not in {path}"
        tail = _TRAILING_NUMBER.search(excerpt)
        assert tail is not None, f"{excerpt!r} does not end with a number"
        return eval(tail.group(1), {"__builtins__": {}}, {})  # digits, _, * and + only
    raise AssertionError(f"unreadable source {source!r}")


def backticked(text: str) -> set[str]:
    return set(re.findall(r"`([^`]+)`", text))


def source_files(*patterns: str) -> list[Path]:
    return sorted(path for pattern in patterns for path in ROOT.glob(pattern))


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize(("name", "table"), SOURCED_TABLES)
def test_every_quoted_number_matches_the_code(name: str, table: str) -> None:
    rows = marked_table(doc(name), table)
    checked = 0
    for row in rows:
        what = row.get("limit") or row.get("what") or ""
        if not row["source"]:
            assert what.startswith("**"), f"{name}: row {what!r} names no source"
            continue
        expected = source_value(row["source"])
        assert number(value_column(row)) == expected, (
            f"{name}: {what!r} says {value_column(row)}, {row['source']} is {expected!r}"
        )
        checked += 1
    assert checked >= 10


def test_every_setting_is_classified_as_a_limit_or_not() -> None:
    names = {field.name for field in FIELDS}
    assert not LIMIT_SETTINGS & OTHER_SETTINGS
    assert names == LIMIT_SETTINGS | OTHER_SETTINGS, (
        "a setting was added or removed: put it in LIMIT_SETTINGS (and docs/LIMITS.md) "
        "or in OTHER_SETTINGS"
    )


def test_every_limit_setting_is_in_limits_with_its_default() -> None:
    rows = marked_table(doc("LIMITS.md"), "limits")
    by_source = {row["source"]: row for row in rows}
    defaults = Config()
    for name in sorted(LIMIT_SETTINGS):
        source = f"`{PREFIX}{name.upper()}`"
        assert source in by_source, f"docs/LIMITS.md has no row for {source}"
        assert number(value_column(by_source[source])) == getattr(defaults, name), source


def test_the_settings_table_matches_the_ranges_in_code() -> None:
    rows = {plain(row["field"]): row for row in marked_table(doc("PROTOCOL.md"), "settings")}
    assert set(rows) == set(FIELD_NAMES)
    for name, (lo, hi, default) in INT_LIMITS.items():
        assert plain(rows[name]["range"]) == f"{lo}..{hi}", name
        assert number(rows[name]["default"]) == default, name
    assert plain(rows["language"]["default"]) == DEFAULT_LANGUAGE
    assert f"0..{MAX_CUSTOM_WORDS} words" in rows["custom_words"]["range"]
    assert f"1..{MAX_CUSTOM_WORD_LEN} characters" in rows["custom_words"]["range"]
    assert f"at least {MIN_CUSTOM_ONLY_WORDS} custom words" in rows["custom_only"]["range"]
    assert plain(rows["custom_only"]["default"]) == str(Settings().custom_only).lower()


# ---------------------------------------------------------------- messages and codes


def test_every_client_message_type_is_in_the_protocol() -> None:
    rows = marked_table(doc("PROTOCOL.md"), "client-messages")
    assert [plain(row["type"]) for row in rows] == list(CLIENT_TYPES)


def server_message_types() -> set[str]:
    found: set[str] = set()
    for path in source_files("drawgame/game/*.py", "drawgame/game/modes/*.py",
                             "drawgame/rooms/*.py", "drawgame/web/*.py"):
        found |= set(re.findall(r'"type":\s*"([a-z_]+)"', path.read_text(encoding="utf-8")))
    return found


def test_every_server_message_type_is_in_the_protocol() -> None:
    rows = marked_table(doc("PROTOCOL.md"), "server-messages")
    documented = {plain(row["type"]) for row in rows}
    in_code = server_message_types()
    assert len(in_code) >= 15
    assert in_code - documented == set(), "server messages missing from docs/PROTOCOL.md"
    assert documented - in_code == set(), "docs/PROTOCOL.md lists messages the code never sends"


def test_the_fields_of_the_main_messages_are_in_the_protocol() -> None:
    room = rules.new_room("ABCDEFGH", "Room", False, Settings(), random.Random(1),
                          lambda language: ("apple", "house", "tree"))
    rules.join(room, 0.0, "p_1", "Ada", "digest", False)
    text = doc("PROTOCOL.md")
    keys = {*snapshot(room, 0.0, "p_1"), *player_view(room, room.players["p_1"]),
            *phase_msg(room, 0.0)} - {"type"}
    missing = {key for key in keys if f'"{key}"' not in text and f"`{key}`" not in text}
    assert missing == set()


def game_error_classes() -> set[type[GameError]]:
    found: set[type[GameError]] = set()
    todo = [GameError]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("drawgame.") and sub not in found:
                found.add(sub)
                todo.append(sub)
    return found


def test_every_error_code_is_in_the_protocol() -> None:
    rows = marked_table(doc("PROTOCOL.md"), "ws-errors")
    documented = {plain(row["code"]) for row in rows}
    codes = {cls.code for cls in {*ALL_ERRORS, *game_error_classes()}} | {"server_error"}
    assert codes - documented == set(), "error codes missing from docs/PROTOCOL.md"
    assert documented - codes == set(), "docs/PROTOCOL.md lists error codes that do not exist"
    room_py = (ROOT / "drawgame/rooms/room.py").read_text(encoding="utf-8")
    assert '"server_error"' in room_py


def http_errors_in_code() -> set[tuple[str, str]]:
    found = {(str(status), code) for status, code in HTTP_ERROR_CODES.items()}
    pattern = re.compile(r'(?:error_response|HandshakeError|reject)\(\s*(\d{3}),\s*"([a-z_]+)"')
    for path in source_files("drawgame/web/*.py", "drawgame/app.py", "drawgame/transport/*.py"):
        found |= set(pattern.findall(path.read_text(encoding="utf-8")))
    app_py = (ROOT / "drawgame/app.py").read_text(encoding="utf-8")
    assert '"http_error"' in app_py
    return found | {("any other", "http_error")}


def test_every_http_error_is_in_the_protocol() -> None:
    rows = marked_table(doc("PROTOCOL.md"), "http-errors")
    documented = {(plain(row["status"]), plain(row["code"])) for row in rows}
    in_code = http_errors_in_code()
    assert in_code - documented == set(), "HTTP errors missing from docs/PROTOCOL.md"
    assert documented - in_code == set(), "docs/PROTOCOL.md lists HTTP errors the code never sends"


def close_codes_in_code() -> set[int]:
    found: set[int] = set()
    constant = re.compile(r"^[A-Z_]*CLOSE[A-Z_]*\s*=\s*\(?(\d{4})\b", re.MULTILINE)
    call = re.compile(r"close(?:_now|_everyone)?\((\d{4})\b")
    for path in source_files("drawgame/game/rules.py", "drawgame/game/modes/*.py",
                             "drawgame/rooms/*.py", "drawgame/web/*.py",
                             "drawgame/transport/*.py"):
        text = path.read_text(encoding="utf-8")
        found |= {int(code) for code in constant.findall(text) + call.findall(text)}
    for field in FIELDS:  # close codes sent by hypercorn on a setting's behalf (1009)
        found |= {int(code) for code in re.findall(r"close (\d{4})", field.doc)}
    return found


def test_every_close_code_is_in_the_protocol() -> None:
    rows = marked_table(doc("PROTOCOL.md"), "close-codes")
    documented = {int(plain(row["code"])) for row in rows}
    in_code = close_codes_in_code()
    assert {1000, 1008, 1009, 1012, 1013, 4001, 4004, 4009, 4401, 4409} <= in_code
    assert in_code - documented == set(), "close codes missing from docs/PROTOCOL.md"
    assert documented - in_code == set(), "docs/PROTOCOL.md lists close codes the code never uses"


# ---------------------------------------------------------------- durability


def test_durability_describes_every_table() -> None:
    """A new table needs a row in docs/DURABILITY.md (docs/RUNBOOK.md, "Schema changes",
    says so): the tables are those the migrations leave, however many there are."""
    rows = marked_table(doc("DURABILITY.md"), "tables")
    documented = {plain(row["table"]) for row in rows}
    conn = connect(":memory:")
    try:
        apply_migrations(conn)
        in_schema = {row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
    finally:
        conn.close()
    in_schema.discard("schema_migrations")  # the runner's own, named in the text
    undocumented, gone = sorted(in_schema - documented), sorted(documented - in_schema)
    assert not undocumented, (f"tables without a row in the table of docs/DURABILITY.md: "
                              f"{undocumented} (say what each holds and when it is written)")
    assert not gone, f"docs/DURABILITY.md describes tables the migrations do not make: {gone}"


def test_durability_describes_every_record_kind() -> None:
    rows = marked_table(doc("DURABILITY.md"), "records")
    assert {plain(row["record"]) for row in rows} == set(WRITERS)


def test_durability_names_the_messages_that_cause_no_snapshot() -> None:
    text = doc("DURABILITY.md")
    quoted = backticked(text)
    assert set(NO_SNAPSHOT_SENDS) <= quoted


# ---------------------------------------------------------------- links and paths


def test_paths_named_in_the_docs_exist() -> None:
    pattern = re.compile(r"\b((?:drawgame|migrations|tests)/[\w./-]*\w)")
    for name in DOC_NAMES:
        for path in pattern.findall(doc(name)):
            if "NNNN" in path:
                continue
            assert (ROOT / path).exists(), f"docs/{name} names {path}, which does not exist"


def slug(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(text: str) -> set[str]:
    return {slug(m) for m in re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE)}


def test_links_between_the_docs_resolve() -> None:
    for name in DOC_NAMES:
        text = doc(name)
        for target, anchor in re.findall(r"\]\(([\w.]*)(?:#([\w-]+))?\)", text):
            if not target and not anchor:
                continue
            linked = doc(target) if target else text
            if anchor:
                assert anchor in anchors(linked), f"docs/{name}: no #{anchor} in {target or name}"


def test_readme_links_every_doc() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in DOC_NAMES:
        assert f"](docs/{name})" in readme, f"README.md does not link docs/{name}"
