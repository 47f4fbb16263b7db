"""Games survive restarts and crashes: real servers, real sockets, one database (the
graceful restart and the kill -9 on SQLite and on PostgreSQL)."""

from __future__ import annotations

import signal
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

from drawgame.config import Config
from drawgame.game.modes import classic
from drawgame.game.ops import OpLog
from drawgame.rooms.room import SNAPSHOT_HEARTBEAT_S
from drawgame.services import open_services
from drawgame.store import Connection
from drawgame.store.db import connect_to, location
from tests.conftest import RunningServer, start_server
from tests.serverproc import start_and_wait
from tests.wsclient import WsClient, connect

ROOT = Path(__file__).resolve().parent.parent


def line(stroke: int, *points: int) -> dict[str, Any]:
    return {"op": "line", "id": stroke, "c": "#204080", "w": 8, "p": list(points)}


@pytest.fixture(autouse=True)
def short_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(classic, "REVEAL_S", 0.2)
    monkeypatch.setattr(classic, "RESULTS_S", 0.5)


async def create_room(url: str, **settings: Any) -> str:
    async with httpx.AsyncClient() as http:
        answer = await http.post(url + "/api/rooms", json={"private": True, "settings": settings})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["code"])


def canvas(messages: list[dict[str, Any]], start: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a client's canvas shows: the snapshot's ops, then every relayed draw."""
    log = OpLog(start)
    for msg in messages:
        if msg["type"] == "draw":
            log.apply(msg["ops"])
    return list(log.ops)


def scores(client: WsClient) -> dict[str, int]:
    return {p["id"]: p["score"] for p in client.of("players")[-1]["players"]}


class Table:
    """Three players in one room, driven turn by turn."""

    def __init__(self, clients: list[WsClient]) -> None:
        self.clients = clients

    def by_id(self, pid: str) -> WsClient:
        return next(c for c in self.clients if c.id == pid)

    async def drawer(self) -> WsClient:
        phase = await self.clients[0].wait_for("phase", lambda m: m["phase"] == "choosing")
        return self.by_id(phase["drawer_id"])

    async def play_turn(self) -> None:
        """The drawer picks and draws; everyone guesses right; the turn ends."""
        drawer = await self.drawer()
        word = (await drawer.wait_for("choices"))["words"][0]
        await drawer.send({"type": "choose", "index": 0})
        await drawer.send({"type": "draw", "ops": [line(1, 10, 10, 300, 300)]})
        for guesser in self.clients:
            if guesser is not drawer:
                await guesser.send({"type": "chat", "text": word})
        await self.clients[0].wait_for("turn_end")


async def mid_turn(table: Table) -> tuple[WsClient, list[dict[str, Any]]]:
    """Start, choose, draw three batches (one undo), one right guess: the middle of a turn."""
    host = table.clients[0]
    await host.send({"type": "start"})
    drawer = await table.drawer()
    await drawer.send({"type": "choose", "index": 0})
    word = (await drawer.wait_for("word"))["word"]
    batches = [
        [line(1, 10, 10, 100, 100, 200, 120)],
        [line(2, 500, 500, 510, 520), {"op": "undo"}],
        [{"op": "fill", "x": 700, "y": 100, "c": "#ffcc00"}, line(3, 1, 700, 999, 700)],
    ]
    for batch in batches:
        await drawer.send({"type": "draw", "ops": batch})
    guesser = next(c for c in table.clients if c is not drawer)
    await guesser.send({"type": "chat", "text": word})
    for client in table.clients:
        await client.wait_for("correct")
        await client.barrier()
    expected = list(OpLog([op for batch in batches for op in batch]).ops)
    return drawer, expected


async def join_table(stack: AsyncExitStack, url: str, tokens: list[str | None]) -> Table:
    names = ["Ada", "Bob", "Cy"]
    clients = []
    for name, token in zip(names, tokens, strict=True):
        client = await stack.enter_async_context(connect(url, name))
        await client.hello(token=token)
        clients.append(client)
    return Table(clients)


async def resume_and_check(
    stack: AsyncExitStack, url: str, before: Table, drawer_id: str,
    expected_ops: list[dict[str, Any]], expected_scores: dict[str, int], left_ms: float,
    tolerance_ms: float,
) -> Table:
    tokens = [c.token for c in before.clients]
    table = await join_table(stack, url, tokens)
    for old, new in zip(before.clients, table.clients, strict=True):
        room = new.of("welcome")[0]["room"]
        assert new.id == old.id
        assert room["phase"] == "drawing"
        assert room["drawer_id"] == drawer_id
        assert {p["id"]: p["score"] for p in room["players"]} == expected_scores
        assert room["ops"] == expected_ops
        assert abs(room["ends_in_ms"] - left_ms) <= tolerance_ms, (room["ends_in_ms"], left_ms)
    return table


async def finish_game(table: Table) -> dict[str, Any]:
    """Everyone still to guess guesses right, then the remaining turns are played out."""
    drawer = next(c for c in table.clients if c.id == table.clients[0].of("welcome")[0]["room"]
                  ["drawer_id"])
    word = drawer.of("welcome")[0]["room"]["word"]
    for client in table.clients:
        if client is not drawer and not client.of("welcome")[0]["room"]["word"]:
            await client.send({"type": "chat", "text": word})
    await table.clients[0].wait_for("turn_end")
    for _ in range(2):
        await table.play_turn()
    return await table.clients[0].wait_for("game_over", within=10)


async def test_graceful_restart_keeps_the_game(nursery: trio.Nursery, db_config: Config) -> None:
    config = db_config.replace(reconnect_in_ms=250)
    first = await start_server(nursery, config)
    code = await create_room(first.url, rounds=1, draw_time_s=60)
    url = f"{first.ws_url}/ws/{code}"
    with trio.fail_after(30):
        async with AsyncExitStack() as stack:
            table = await join_table(stack, url, [None, None, None])
            drawer, expected = await mid_turn(table)
            drawing_at = trio.current_time()
            drawing_msg = next(m for m in table.clients[0].of("phase") if m["phase"] == "drawing")
            expected_scores = scores(table.clients[0])
            first.stop.set()
            for client in table.clients:
                shutdown = await client.wait_for("shutdown")
                assert shutdown["reconnect_in_ms"] == 250
                assert await client.wait_closed() == 1012
                assert client.types()[-1] == "shutdown"
            stopped_at = trio.current_time()
        await first.done.wait()
        second = await start_server(nursery, config)
        async with AsyncExitStack() as stack:
            url = f"{second.ws_url}/ws/{code}"
            left_at_stop = drawing_msg["ends_in_ms"] - (stopped_at - drawing_at) * 1000
            table = await resume_and_check(
                stack, url, table, drawer.id or "", expected, expected_scores, left_at_stop, 2000
            )
            over = await finish_game(table)
            ranking = {r["id"]: r["score"] for r in over["ranking"]}
            assert all(ranking[pid] >= score for pid, score in expected_scores.items())
        second.stop.set()
        await second.done.wait()


async def test_sigkill_loses_at_most_the_last_batch(
    nursery: trio.Nursery, db_config: Config, tmp_path: Path
) -> None:
    config = db_config
    where = {"DRAWGAME_DATABASE_URL": config.database_url} if config.database_url else {
        "DRAWGAME_DB_PATH": config.db_path}
    proc, url = await trio.to_thread.run_sync(
        lambda: start_and_wait(tmp_path, DRAWGAME_ENVIRONMENT="test", **where)
    )
    try:
        code = await create_room(url, rounds=1, draw_time_s=60)
        ws_url = "ws" + url.removeprefix("http") + f"/ws/{code}"
        with trio.fail_after(30):
            async with AsyncExitStack() as stack:
                table = await join_table(stack, ws_url, [None, None, None])
                drawer, flushed = await mid_turn(table)
                drawing_msg = next(m for m in table.clients[0].of("phase")
                                   if m["phase"] == "drawing")
                drawing_at = trio.current_time()
                expected_scores = scores(table.clients[0])
                await trio.sleep(0.5)  # longer than a flush: what came before is on disk
                late = [line(9, 900, 10, 950, 60)]
                await drawer.send({"type": "draw", "ops": late})
                await table.clients[0].barrier()
                proc.send_signal(signal.SIGKILL)
                killed_at = trio.current_time()
                await trio.to_thread.run_sync(proc.wait)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    second = await start_server(nursery, config)
    async with AsyncExitStack() as stack:
        tokens = [c.token for c in table.clients]
        resumed = await join_table(stack, f"{second.ws_url}/ws/{code}", tokens)
        room = resumed.clients[0].of("welcome")[0]["room"]
        assert room["phase"] == "drawing" and room["drawer_id"] == drawer.id
        assert {p["id"]: p["score"] for p in room["players"]} == expected_scores
        # Everything flushed before the last batch is there; the last batch may be lost.
        assert room["ops"] in (flushed, list(OpLog(flushed + late).ops))
        # The timer resumes from the last snapshot: never less time than at the kill,
        # and at most one snapshot heartbeat (plus a flush) more.
        left_at_kill = drawing_msg["ends_in_ms"] - (killed_at - drawing_at) * 1000
        assert left_at_kill - 1500 <= room["ends_in_ms"]
        assert room["ends_in_ms"] <= left_at_kill + SNAPSHOT_HEARTBEAT_S * 1000 + 1500
        over = await finish_game(resumed)
        assert len(over["ranking"]) == 3
    second.stop.set()
    await second.done.wait()


async def test_unreadable_snapshot_does_not_stop_start_up(db_config: Config) -> None:
    config = db_config
    async with open_services(config) as svc:
        from drawgame.game.settings import Settings

        good = await svc.registry.create_room("good", False, Settings())
        bad = await svc.registry.create_room("bad", False, Settings())
        worse = await svc.registry.create_room("worse", False, Settings())
        young = await svc.registry.create_room("young", True, Settings(rounds=7))
        codes = good["code"], bad["code"], worse["code"], young["code"]
    conn = connect_to(location(config))
    conn.execute("UPDATE rooms SET snapshot = '{not json' WHERE code = ?", (codes[1],))
    conn.execute("UPDATE rooms SET snapshot = '{\"v\": 99}' WHERE code = ?", (codes[2],))
    # a room created just before a crash, whose first snapshot never reached the disk
    conn.execute("UPDATE rooms SET snapshot = NULL WHERE code = ?", (codes[3],))
    async with open_services(config) as svc:
        assert set(svc.registry.rooms) == {codes[0], codes[3]}
        young_state = svc.registry.rooms[codes[3]].state
        assert (young_state.name, young_state.private) == ("young", True)
        assert young_state.settings.rounds == 7 and young_state.phase == "lobby"
        assert await svc.store.ping() > 0
    active = dict(conn.execute("SELECT code, is_active FROM rooms").fetchall())
    assert active == {codes[0]: 1, codes[1]: 0, codes[2]: 0, codes[3]: 1}


async def test_album_replays_to_what_every_player_saw(db_server: RunningServer) -> None:
    server = db_server
    code = await create_room(server.url, rounds=1, draw_time_s=60)
    url = f"{server.ws_url}/ws/{code}"
    with trio.fail_after(30):
        async with AsyncExitStack() as stack:
            ada = await stack.enter_async_context(connect(url, "Ada"))
            bob = await stack.enter_async_context(connect(url, "Bob"))
            await ada.hello()
            await bob.hello()
            await ada.send({"type": "start"})
            seen: dict[str, list[list[dict[str, Any]]]] = {"Ada": [], "Bob": []}
            for turn in range(2):
                phase = await ada.wait_for("phase", lambda m: m["phase"] == "choosing")
                drawer, guesser = (ada, bob) if phase["drawer_id"] == ada.id else (bob, ada)
                word = (await drawer.wait_for("choices"))["words"][0]
                await drawer.send({"type": "choose", "index": 0})
                mark = len(guesser.received)
                batches = [[line(1, turn, 5, 400, 400)], [line(2, 9, 9, 90, 90)], [{"op": "undo"}],
                           [{"op": "fill", "x": 50 + turn, "y": 60, "c": "#00aa00"}]]
                for batch in batches:
                    await drawer.send({"type": "draw", "ops": batch})
                await guesser.send({"type": "chat", "text": word})
                await guesser.wait_for("turn_end", lambda m, w=word: m["word"] == w)
                seen[guesser.name].append(canvas(guesser.received[mark:], []))
                seen[drawer.name].append(list(OpLog([o for b in batches for o in b]).ops))
            over = await ada.wait_for("game_over")
        await trio.sleep(0.3)  # one recorder flush
        async with httpx.AsyncClient() as http:
            answer = await http.get(f"{server.url}/api/games/{over['game_id']}")
            missing = await http.get(f"{server.url}/api/games/g_nothing")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "game_not_found"
    album = answer.json()
    assert album["game_id"] == over["game_id"] and album["room_code"] == code
    assert album["ranking"] == over["ranking"]
    assert album["finished_at"].startswith("20")
    assert len(album["turns"]) == 2
    for i, turn in enumerate(album["turns"]):
        assert turn["ops"] == seen["Ada"][i] == seen["Bob"][i]
        assert turn["ops"][0]["p"][0] == i and len(turn["ops"]) == 2
        assert turn["drawer"]["name"] in ("Ada", "Bob") and turn["word"]
        assert turn["duration_ms"] >= 0


async def test_scheduled_cleanup_removes_what_is_past_retention(
    db_config: Config, mock_clock: trio.testing.MockClock
) -> None:
    config = db_config.replace(retention_days=30, cleanup_interval_s=60)
    async with open_services(config) as svc:
        def seed(conn: Connection) -> None:
            for code, closed in (("OLDROOM1", "2000-01-01T00:00:00+00:00"),
                                 ("NEWROOM1", "2999-01-01T00:00:00+00:00")):
                conn.execute(
                    "INSERT INTO rooms (code, name, settings, is_active, created_at,"
                    " last_active_at, closed_at) VALUES (?, 'r', '{}', 0, ?, ?, ?)",
                    (code, closed, closed, closed),
                )
            conn.execute("INSERT INTO games (public_id, room_id, started_at, finished_at)"
                         " SELECT 'g_old', id, '2000', '2000-01-02' FROM rooms"
                         " WHERE code = 'NEWROOM1'")

        await svc.store.transaction(seed)
        count = "SELECT (SELECT count(*) FROM rooms), (SELECT count(*) FROM games)"
        mock_clock.jump(59)
        await trio.testing.wait_all_tasks_blocked()
        assert tuple(await svc.store.run(lambda c: c.execute(count).fetchone())) == (2, 1)
        mock_clock.jump(2)  # the scheduled run is due
        for _ in range(100):
            await trio.testing.wait_all_tasks_blocked()
            left = tuple(await svc.store.run(lambda c: c.execute(count).fetchone()))
            if left != (2, 1):
                break
        assert left == (1, 0)
        rows = await svc.store.run(lambda c: c.execute("SELECT code FROM rooms").fetchall())
        assert [r[0] for r in rows] == ["NEWROOM1"]


async def test_a_connection_not_in_a_room_yet_is_told_to_come_back(
    nursery: trio.Nursery, config: Config
) -> None:
    server = await start_server(nursery, config.replace(reconnect_in_ms=300))
    code = await create_room(server.url)
    with trio.fail_after(10):
        async with connect(f"{server.ws_url}/ws/{code}", "Early") as early:
            await early.send({"type": "ping", "t": 1})
            await early.wait_for("pong")
            server.stop.set()
            shutdown = await early.wait_for("shutdown")
            assert shutdown["reconnect_in_ms"] == 300
            assert await early.wait_closed() == 1012
        await server.done.wait()
