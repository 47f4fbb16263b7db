"""A database stall never freezes the one-box server: a real server process, a real
SQLite file, and another process holding it with ``BEGIN EXCLUSIVE`` while two players
draw and chat.

The lock is held until the stall has lasted longer than a lease (the server once
stopped every room when it could not renew its own lease) and the health report
has said ``down``; every stroke drawn meanwhile must be relayed within a second,
and every one must be in the database once the lock is gone.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import trio

from drawgame.rooms.directory import LEASE_S
from tests.serverproc import start_and_wait_logging_to, stop
from tests.wsclient import WsClient, connect

RELAY_S = 1.0
"""Every stroke drawn during the stall reaches the other player within this long."""

LOCKER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
"""
"""Another process holding the database (an operator's sqlite3 shell with an open
transaction does the same) until a line arrives on its standard input."""


def line(stroke: int) -> dict[str, Any]:
    return {"op": "line", "id": stroke, "c": "#204080", "w": 6,
            "p": [stroke % 900, 10, stroke % 900 + 50, 400]}


@asynccontextmanager
async def exclusive_lock(db: Path) -> AsyncIterator[trio.Process]:
    """The database held by another process with BEGIN EXCLUSIVE, until the block ends."""
    locker = await trio.lowlevel.open_process([sys.executable, "-c", LOCKER, str(db)],
                                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert locker.stdout is not None and locker.stdin is not None
        ready = b""
        while b"\n" not in ready:
            chunk = await locker.stdout.receive_some()
            assert chunk, "the locking process ended before it held the database"
            ready += chunk
        assert ready.strip() == b"locked"
        yield locker
    finally:
        with trio.CancelScope(shield=True), trio.move_on_after(10):
            if locker.returncode is None and locker.stdin is not None:
                await locker.stdin.send_all(b"done\n")
            await locker.wait()
        if locker.returncode is None:
            locker.kill()


async def health(url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=5) as http:
        body: dict[str, Any] = (await http.get(url + "/api/health")).json()
    return body


async def start_turn(url: str, stack: AsyncExitStack) -> tuple[WsClient, WsClient]:
    """Two players in a new room, a turn begun: the drawer and the guesser."""
    async with httpx.AsyncClient(timeout=5) as http:
        answer = await http.post(url + "/api/rooms", json={"private": True, "settings": {
            "rounds": 1, "draw_time_s": 240, "hints": 0, "word_choices": 1}})
    assert answer.status_code == 201, answer.text
    ws_url = "ws" + url.removeprefix("http") + f"/ws/{answer.json()['code']}"
    ada = await stack.enter_async_context(connect(ws_url, "Ada"))
    await ada.hello()
    bob = await stack.enter_async_context(connect(ws_url, "Bob"))
    await bob.hello()
    await ada.send({"type": "start"})
    phase = await ada.wait_for("phase", lambda m: m["phase"] == "choosing")
    drawer, guesser = (ada, bob) if phase["drawer_id"] == ada.id else (bob, ada)
    await drawer.wait_for("choices")
    await drawer.send({"type": "choose", "index": 0})
    await guesser.wait_for("phase", lambda m: m["phase"] == "drawing")
    return drawer, guesser


async def stroke_relayed(drawer: WsClient, guesser: WsClient, stroke: int) -> float:
    """Draw one stroke; the time until the other player has it (fails past RELAY_S)."""
    sent = trio.current_time()
    await drawer.send({"type": "draw", "ops": [line(stroke)]})
    await guesser.wait_for("draw", lambda m: m["ops"][0]["id"] == stroke, within=RELAY_S)
    return trio.current_time() - sent


async def chat_relayed(sender: WsClient, reader: WsClient, text: str) -> None:
    await sender.send({"type": "chat", "text": text})
    await reader.wait_for("chat", lambda m: m["text"] == text, within=RELAY_S)


async def all_written(url: str) -> dict[str, Any]:
    """Wait for health to be ok with nothing left to write."""
    with trio.fail_after(20):
        while True:
            report = await health(url)
            if report["status"] == "ok" and report["checks"]["database"]["pending_records"] == 0:
                return report
            await trio.sleep(0.1)


def stored_strokes(db: Path) -> list[int]:
    """Every stroke id in the database's op log, in the order it was written."""
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT ops FROM turn_ops ORDER BY turn_id, seq").fetchall()
    finally:
        conn.close()
    return [op["id"] for row in rows for op in json.loads(row[0])]


async def test_a_locked_database_never_stops_play_and_loses_no_stroke(tmp_path: Path) -> None:
    db = tmp_path / "stall.sqlite3"
    proc, url = await trio.to_thread.run_sync(lambda: start_and_wait_logging_to(
        tmp_path, tmp_path / "server.log", DRAWGAME_DB_PATH=str(db),
        DRAWGAME_ENVIRONMENT="test", DRAWGAME_CHAT_RATE="20", DRAWGAME_CHAT_BURST="20"))
    try:
        with trio.fail_after(90):
            async with AsyncExitStack() as stack:
                drawer, guesser = await start_turn(url, stack)
                strokes = 1
                await stroke_relayed(drawer, guesser, strokes)
                reports: list[dict[str, Any]] = []
                async with exclusive_lock(db):
                    locked_at = trio.current_time()
                    delays = []
                    # Draw and chat until the stall has outlasted a lease and health has
                    # told it, then a few strokes more.
                    after_down = 0
                    while after_down < 5 or trio.current_time() - locked_at < LEASE_S + 2:
                        strokes += 1
                        delays.append(await stroke_relayed(drawer, guesser, strokes))
                        if strokes % 4 == 0:
                            await chat_relayed(guesser, drawer, f"is it a cat {strokes}?")
                        if strokes % 5 == 0:
                            reports.append(await health(url))
                        if reports and reports[-1]["status"] == "down":
                            after_down += 1
                        await trio.sleep(0.1)
                down = reports[-1]
                assert down["checks"]["database"]["pending_records"] >= 1, down
                assert max(delays) < RELAY_S
                # The store answers again: everything waiting is written, in order.
                await all_written(url)
                assert stored_strokes(db) == list(range(1, strokes + 1))
                strokes += 1
                await stroke_relayed(drawer, guesser, strokes)
                await all_written(url)
                assert stored_strokes(db) == list(range(1, strokes + 1))
    finally:
        await trio.to_thread.run_sync(stop, proc)
