"""Several workers behind HAProxy: rooms spread, fail over, never split, roll over.

Real processes throughout (tests/cluster.py): the cluster supervisor, HAProxy
from Debian, the workers, and players who find their room through
``GET /api/rooms/<code>`` and follow it when it moves.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
from collections import Counter
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import trio
from playwright.sync_api import expect
from trio_websocket import ConnectionClosed

from drawgame.config import Config
from drawgame.ops.proxy import PROXY_SPARE_DESCRIPTORS, Upstream, config_text, proxy_maxconn
from tests.browser import Browser, in_browser
from tests.cluster import Cluster, Seat, running_cluster

WORDS = ["elephant", "giraffe", "pancake", "lighthouse", "umbrella", "volcano",
         "pyramid", "snowman", "rainbow", "airplane", "backpack", "cactus"]
GAME = {"rounds": 1, "draw_time_s": 120, "choose_time_s": 30, "word_choices": 1,
        "hints": 0, "custom_words": WORDS, "custom_only": True, "max_players": 4}


def line(stroke: int, *points: int) -> dict[str, Any]:
    return {"op": "line", "id": stroke, "c": "#204080", "w": 8, "p": list(points)}


async def seat_pair(cluster: Cluster, stack: AsyncExitStack, code: str) -> tuple[Seat, Seat]:
    ada, bob = Seat(cluster, stack, code, "Ada"), Seat(cluster, stack, code, "Bob")
    await ada.join()
    await bob.join()
    return ada, bob


def by_id(seats: tuple[Seat, Seat], pid: str) -> Seat:
    return next(s for s in seats if s.id == pid)


async def start_turn(seats: tuple[Seat, Seat], stroke: int) -> tuple[Seat, Seat, str]:
    """Wait for a turn to begin; the drawer picks the word and draws one stroke."""
    phase = await seats[0].wait_for("phase", lambda m: m["phase"] == "choosing")
    drawer = by_id(seats, phase["drawer_id"])
    guesser = next(s for s in seats if s is not drawer)
    # The drawer's own news of this turn: a guesser got `word` for the last one too.
    mine = phase if drawer is seats[0] else await drawer.wait_for(
        "phase", lambda m: m["phase"] == "choosing" and m["drawer_id"] == drawer.id)
    await drawer.wait_for("choices", since=mine)
    await drawer.send({"type": "choose", "index": 0})
    word = (await drawer.wait_for("word", since=mine))["word"]
    await drawer.send({"type": "draw", "ops": [line(stroke, 10, 10, 400, 300)]})
    await guesser.wait_for("draw")
    return drawer, guesser, word


async def finish_game(seats: tuple[Seat, Seat], guesser: Seat, word: str, stroke: int) -> None:
    """The running turn guessed, then the other turn played: the game ends, both ranked."""
    await guesser.send({"type": "chat", "text": word})
    await seats[0].wait_for("turn_end")
    _, second_guesser, second_word = await start_turn(seats, stroke)
    await second_guesser.send({"type": "chat", "text": second_word})
    over = await seats[0].wait_for("game_over", within=40)
    assert len(over["ranking"]) == 2


async def play_game(seats: tuple[Seat, Seat]) -> dict[str, Any]:
    """A whole two-turn game: each draws once, the other guesses; returns game_over."""
    await seats[0].send({"type": "start"})
    for turn in range(2):
        _, guesser, word = await start_turn(seats, turn + 1)
        await guesser.send({"type": "chat", "text": word})
        await seats[0].wait_for("turn_end")
    return await seats[0].wait_for("game_over", within=40)


async def test_rooms_spread_over_every_worker_and_all_games_finish(tmp_path: Path) -> None:
    async with running_cluster(tmp_path, workers=3) as cluster:
        rooms = [await cluster.create_room(**GAME) for _ in range(12)]
        assert Counter(r["worker"] for r in rooms) == {"w1": 4, "w2": 4, "w3": 4}
        assert all(r["ws_path"] == f"/w/{r['worker']}/ws/{r['code']}" for r in rooms)
        listed = (await cluster.http("GET", "/api/rooms")).json()["rooms"]
        assert {r["code"] for r in listed} == {r["code"] for r in rooms}
        results: list[dict[str, Any]] = []

        async def game(code: str) -> None:
            async with AsyncExitStack() as stack:
                seats = await seat_pair(cluster, stack, code)
                results.append(await play_game(seats))

        with trio.fail_after(120):
            async with trio.open_nursery() as nursery:
                for room in rooms:
                    nursery.start_soon(game, room["code"])
        assert len(results) == 12
        assert all(len(r["ranking"]) == 2 and r["ranking"][0]["score"] > 0 for r in results)
        # Every room was served where the directory said, from start to end.
        served = {r["code"]: r["worker"] for r in rooms}
        for code, worker in served.items():
            assert (await cluster.summary(code))["worker"] == worker


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_store(request: pytest.FixtureRequest) -> dict[str, str]:
    """The cluster's database: the SQLite file of one box, or a PostgreSQL server."""
    if request.param == "sqlite":
        return {}
    return {"DRAWGAME_DATABASE_URL": str(request.getfixturevalue("pg_url"))}


async def test_a_killed_worker_s_rooms_come_back_on_another_and_games_finish(
    tmp_path: Path, shared_store: dict[str, str],
) -> None:
    async with running_cluster(tmp_path, workers=3, **shared_store) as cluster:
        rooms = [await cluster.create_room(**GAME) for _ in range(3)]
        victim = rooms[0]["worker"]
        code = rooms[0]["code"]
        pid = (await cluster.workers())[victim]["pid"]
        async with AsyncExitStack() as stack:
            seats = await seat_pair(cluster, stack, code)
            await seats[0].send({"type": "start"})
            drawer, guesser, _ = await start_turn(seats, 1)
            await drawer.send({"type": "draw", "ops": [line(2, 500, 500, 600, 650)]})
            await guesser.wait_for("draw", lambda m: m["ops"][0]["id"] == 2)
            before = {s.name: (s.id, s.welcomes[-1]["room"]["players"]) for s in seats}
            await trio.sleep(0.3)  # the op batch reaches the database (every 0.1 s)

            os.kill(pid, signal.SIGKILL)
            killed_at = trio.current_time()
            workers = await cluster.until_workers(lambda w: w[victim]["status"] == "lost")
            assert workers[victim]["pid"] == pid
            # Both players find the room again, on another worker, within 10 s.
            welcomes = []
            for seat in seats:
                await seat.join(within=15)
                welcomes.append(seat.welcomes[-1])
            assert trio.current_time() - killed_at < 10
            now_at = (await cluster.summary(code))["worker"]
            assert now_at != victim
            for seat, welcome in zip(seats, welcomes, strict=True):
                room = welcome["room"]
                assert welcome["you"]["id"] == before[seat.name][0]
                assert room["phase"] == "drawing" and room["drawer_id"] == drawer.id
                assert [op["id"] for op in room["ops"]] == [1, 2]
            # The game goes on where it was and finishes.
            await drawer.send({"type": "draw", "ops": [line(3, 1, 1, 2, 2)]})
            await guesser.wait_for("draw", lambda m: m["ops"][0]["id"] == 3)
            drawer_word = drawer.welcomes[-1]["room"]["word"]
            await finish_game(seats, guesser, drawer_word, 4)
        # The supervisor started the dead worker again: up, with a new process.
        restarted = await cluster.until_workers(
            lambda w: w[victim]["status"] == "up" and w[victim]["pid"] != pid, within=30)
        assert restarted[victim]["pid"] != pid
        assert cluster.events("server_crashed")


async def test_a_paused_worker_never_serves_a_room_another_one_took(
    tmp_path: Path, shared_store: dict[str, str],
) -> None:
    async with running_cluster(tmp_path, workers=2, **shared_store) as cluster:
        room = await cluster.create_room(**GAME)
        code, first = room["code"], room["worker"]
        pid = (await cluster.workers())[first]["pid"]
        async with AsyncExitStack() as stack:
            ada, bob = await seat_pair(cluster, stack, code)
            await trio.sleep(0.3)  # their seats reach the database (every 0.1 s)
            os.kill(pid, signal.SIGSTOP)
            try:
                # While it is stopped, Ada's line reaches its socket but nobody handles it.
                await ada.send({"type": "chat", "text": "sent to a paused worker"})
                other = await cluster.until_workers(lambda w: w[first]["status"] == "lost")
                second = next(w for w in other if w != first)
                with trio.fail_after(15):
                    while True:
                        if (await cluster.summary(code))["worker"] == second:
                            break
                        await trio.sleep(0.2)
                cy = Seat(cluster, stack, code, "Cy")
                await cy.join()
                assert cy.workers == [second]
                assert {p["name"] for p in cy.welcomes[-1]["room"]["players"]} == \
                    {"Ada", "Bob", "Cy"}
            finally:
                os.kill(pid, signal.SIGCONT)
            # Back, the paused worker learns it lost the room before handling anything:
            # Ada and Bob are told to look again (4300), and the line is never relayed.
            for seat in (ada, bob):
                await seat.ws.wait_closed(within=10)
                assert seat.ws.close_code == 4300
            assert "sent to a paused worker" not in [m.get("text") for m in cy.ws.of("chat")]
            await ada.join()
            assert ada.workers[-1] == second
            await ada.send({"type": "chat", "text": "now on the right worker"})
            await cy.wait_for("chat", lambda m: m["text"] == "now on the right worker")
            assert (await cluster.summary(code))["worker"] == second
        fenced = cluster.events("records_fenced")
        lost = cluster.events("room_lost")
        assert lost and all(e["room"] == code for e in lost)
        assert all(e["records"] >= 0 for e in fenced)


class LeaseBlocker:
    """Keeps one worker from renewing its lease, with nothing else stopped: on PostgreSQL
    its ``workers`` row locked (its heartbeat waits, its records are still written); on
    SQLite the whole file held by another process (every worker stalls)."""

    def __init__(self, tmp_path: Path, store: dict[str, str], worker: str) -> None:
        self.url = store.get("DRAWGAME_DATABASE_URL")
        self.db = tmp_path / "cluster.sqlite3"
        self.worker = worker
        self.held: Any = None

    def hold(self) -> None:
        if self.url:
            conn = psycopg.connect(self.url)
            conn.execute("SELECT 1 FROM workers WHERE id = %s FOR UPDATE", (self.worker,))
            self.held = conn
        else:
            conn = sqlite3.connect(self.db, isolation_level=None, timeout=30)
            conn.execute("BEGIN EXCLUSIVE")
            self.held = conn

    def release(self) -> None:
        if self.held is not None:
            self.held.rollback() if self.url else self.held.execute("ROLLBACK")
            self.held.close()
            self.held = None

    def stored_strokes(self, code: str) -> list[int]:
        query = ("SELECT o.ops FROM turn_ops o JOIN turns t ON t.id = o.turn_id"
                 " JOIN games g ON g.id = t.game_id JOIN rooms r ON r.id = g.room_id"
                 " WHERE r.code = {} ORDER BY t.number, o.seq")
        if self.url:
            with psycopg.connect(self.url) as conn:
                rows = conn.execute(query.format("%s"), (code,)).fetchall()
        else:
            with contextlib.closing(sqlite3.connect(self.db)) as conn:
                rows = conn.execute(query.format("?"), (code,)).fetchall()
        return [op["id"] for row in rows for op in json.loads(row[0])]


async def healthy(cluster: Cluster) -> None:
    """Until every worker answers health ok with nothing left to write (the proxy routes
    to the first that does)."""
    with trio.fail_after(30):
        while True:
            try:
                report = await cluster.health()
                if report["status"] == "ok" and \
                        report["checks"]["database"]["pending_records"] == 0:
                    return
            except (httpx.HTTPError, ValueError, KeyError):
                pass
            await trio.sleep(0.2)


async def test_a_worker_whose_lease_lapses_tells_its_players_and_loses_nothing_relayed(
    tmp_path: Path, shared_store: dict[str, str],
) -> None:
    async with running_cluster(tmp_path, workers=2, **shared_store) as cluster:
        room = await cluster.create_room(**GAME)
        code, first = room["code"], room["worker"]
        blocker = LeaseBlocker(tmp_path, shared_store, first)
        async with AsyncExitStack() as stack:
            seats = await seat_pair(cluster, stack, code)
            await seats[0].send({"type": "start"})
            drawer, guesser, word = await start_turn(seats, 1)
            seen = [1]
            await trio.to_thread.run_sync(blocker.hold)
            try:
                # The drawer goes on drawing: every stroke is relayed until the worker
                # stops serving the room, and then both players are told (4300).
                stroke = 1
                with trio.fail_after(30):
                    while drawer.ws.close_code is None and guesser.ws.close_code is None:
                        stroke += 1
                        with contextlib.suppress(ConnectionClosed):
                            await drawer.send({"type": "draw", "ops": [line(stroke, 1, 2, 3, 4)]})
                        try:
                            await guesser.ws.wait_for(
                                "draw", lambda m, s=stroke: m["ops"][0]["id"] == s, within=2)
                            seen.append(stroke)
                        except AssertionError:
                            if guesser.ws.close_code is None and drawer.ws.close_code is None:
                                raise  # neither relayed nor told: a stroke in limbo
                        await trio.sleep(0.05)
                for seat in seats:
                    assert await seat.ws.wait_closed(within=10) == 4300
                assert len(seen) >= 5
                if blocker.url:  # the other worker takes the room over meanwhile
                    with trio.fail_after(20):
                        while True:
                            if (await cluster.summary(code))["worker"] != first:
                                break
                            await trio.sleep(0.2)
            finally:
                await trio.to_thread.run_sync(blocker.release)
            await healthy(cluster)
            # Every stroke relayed before the worker stopped serving is kept: the room
            # comes back (on the other worker, from the database, with PostgreSQL; on the
            # same one with SQLite, whose every worker stalled) with exactly that canvas.
            for seat in seats:
                await seat.join(within=20)
                assert seat.welcomes[-1]["room"]["phase"] == "drawing"
                assert [op["id"] for op in seat.welcomes[-1]["room"]["ops"]] == seen
            assert blocker.stored_strokes(code) == seen
            expected = first if not blocker.url else next(w for w in ("w1", "w2") if w != first)
            assert (await cluster.summary(code))["worker"] == expected
            await drawer.send({"type": "draw", "ops": [line(stroke + 1, 5, 6, 7, 8)]})
            await guesser.wait_for("draw", lambda m: m["ops"][0]["id"] == stroke + 1)
            await finish_game(seats, guesser, word, stroke + 2)
        assert cluster.events("room_fenced")


async def test_a_rolling_restart_keeps_the_games_going(tmp_path: Path) -> None:
    async with running_cluster(tmp_path, workers=2) as cluster:
        rooms = [await cluster.create_room(**GAME) for _ in range(2)]
        assert {r["worker"] for r in rooms} == {"w1", "w2"}
        pids = {w: info["pid"] for w, info in (await cluster.workers()).items()}
        async with AsyncExitStack() as stack:
            tables = [await seat_pair(cluster, stack, r["code"]) for r in rooms]
            turns = []
            for seats in tables:
                await seats[0].send({"type": "start"})
                turns.append(await start_turn(seats, 1))
            cluster.proc.send_signal(signal.SIGHUP)
            # The players reconnect as clients do, each time their worker restarts (no
            # cancel scope around it: their connections outlive the loop).
            deadline = trio.current_time() + 60
            while True:
                assert trio.current_time() < deadline, "the rolling restart did not end"
                for seats in tables:
                    for seat in seats:
                        await seat.settle()
                found = await cluster.workers()
                if all(found[i]["pid"] != pids[i] and found[i]["status"] == "up"
                       for i in pids):
                    break
            for seats, (_, guesser, word) in zip(tables, turns, strict=True):
                # Every player was told to reconnect while its worker restarted: each
                # finds the room again, in the middle of the same turn.
                for seat in seats:
                    await seat.settle()
                    assert seat.welcomes[-1]["room"]["phase"] == "drawing"
                await finish_game(seats, guesser, word, 2)
        assert cluster.events("rolling_restart_done")


async def test_a_browser_follows_its_room_to_another_worker(tmp_path: Path) -> None:
    async with running_cluster(tmp_path, workers=2) as cluster:
        room = await cluster.create_room(**GAME)
        code, first = room["code"], room["worker"]
        pid = (await cluster.workers())[first]["pid"]
        seen: dict[str, str] = {}

        def scenario(browser: Browser) -> None:
            ada = browser.player("Ada")
            seen["before"] = ada.join(f"/r/{code}", "Ada")
            os.kill(pid, signal.SIGKILL)
            # The page drops, asks where the room is now, and resumes its seat there: once
            # the dead worker's lease lapses (5 s), at the page's next try (backoff up to
            # 15 s; a try that reaches the restarting worker may wait its 10 s timeout).
            expect(ada.by("connection-status")).not_to_have_attribute(
                "data-state", "online", timeout=10_000)
            expect(ada.by("connection-status")).to_have_attribute(
                "data-state", "online", timeout=45_000)
            seen["after"] = ada.me_id()

        # A killed worker's sockets fail in the page's console; that is the point here.
        await in_browser(cluster.url, scenario,
                         allow=[r"WebSocket connection to .* failed", r"status of 50\d"])
        assert seen["after"] == seen["before"]
        assert (await cluster.summary(code))["worker"] != first


async def test_a_dead_worker_s_requests_go_elsewhere_before_the_proxy_notices(
    tmp_path: Path,
) -> None:
    # Until its health checks mark a killed worker down, the proxy still picks it: an API
    # request is then sent to a live worker instead, and the dead worker's own path is
    # refused at once (no retries of a worker that refuses), so pages ask again.
    async with running_cluster(tmp_path, workers=2) as cluster:
        room = await cluster.create_room(**GAME)
        code, first = room["code"], room["worker"]
        pid = (await cluster.workers())[first]["pid"]
        os.kill(pid, signal.SIGKILL)
        answers: list[int] = []

        async def ask(client: httpx.AsyncClient) -> None:
            answers.append((await client.get(f"/api/rooms/{code}")).status_code)

        with trio.fail_after(20):
            async with httpx.AsyncClient(base_url=cluster.url, timeout=10) as client:
                async with trio.open_nursery() as nursery:
                    for _ in range(6):
                        nursery.start_soon(ask, client)
                refused = await client.get(f"/w/{first}/ws/{code}", headers={
                    "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
                    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
        assert answers == [200] * 6
        assert refused.status_code == 503


async def test_a_cluster_starts_under_a_low_descriptor_limit(tmp_path: Path) -> None:
    # 5,000 WebSockets and 1,000 HTTP connections would need 12,000 descriptors in the
    # proxy: under a hard limit of 4,096 it takes what fits instead of refusing to start.
    async with running_cluster(tmp_path, workers=2, nofile=4096) as cluster:
        room = await cluster.create_room(**GAME)
        async with AsyncExitStack() as stack:
            ada, bob = await seat_pair(cluster, stack, room["code"])
            await ada.send({"type": "chat", "text": "hello"})
            await bob.wait_for("chat", lambda m: m["text"] == "hello")


async def test_health_names_the_workers_still_missing_while_a_cluster_starts(
    tmp_path: Path,
) -> None:
    expected = {"w1", "w2", "w3"}
    reports = []
    async with running_cluster(tmp_path, workers=3, wait=False) as cluster:
        with trio.fail_after(60):
            while True:
                try:
                    report = await cluster.health()
                except (httpx.HTTPError, ValueError):
                    await trio.sleep(0.02)  # the proxy routes to nobody yet
                    continue
                reports.append(report)
                if report["status"] == "ok":
                    break
                await trio.sleep(0.02)
    for report in reports:
        serving = {w["id"] for w in report["cluster"]["workers"] if w["status"] == "up"}
        assert report["cluster"]["missing"] == sorted(expected - serving), report["cluster"]
        if serving != expected:  # (degraded may have other reasons too: a loop lagging)
            assert report["status"] == "degraded", report
    # The first answers came while the other workers were still starting.
    assert reports[0]["cluster"]["missing"] and reports[0]["status"] == "degraded"
    assert reports[-1]["cluster"]["missing"] == []


def test_the_proxy_takes_every_connection_the_descriptors_allow() -> None:
    config = Config(max_connections=5000, max_http_connections=1000)
    assert proxy_maxconn(config, nofile=1_048_576) == 6000
    assert proxy_maxconn(config, nofile=4096) == (4096 - PROXY_SPARE_DESCRIPTORS) // 2
    assert f"maxconn {proxy_maxconn(config, 4096)}\n" in config_text(
        config, [Upstream("w1", "127.0.0.1", 8001)], Path("/run/p.pid"), nofile=4096)


async def test_every_worker_is_routed_once_the_cluster_says_it_is_ready(tmp_path: Path) -> None:
    # Rooms are placed on any live worker at once: the proxy must already route to each
    # (before, it answered 503 for up to a second, until its next health check).
    async with running_cluster(tmp_path, workers=3) as cluster:
        with trio.fail_after(30):
            # The lines come from a thread reading the cluster's stderr: polled.
            while not cluster.events("cluster_ready"):  # noqa: ASYNC110
                await trio.sleep(0.01)
        async with httpx.AsyncClient(base_url=cluster.url, timeout=5) as client:
            answers = {w: (await client.get(f"/w/{w}/ws/")).status_code
                       for w in ("w1", "w2", "w3")}
        assert answers == {"w1": 426, "w2": 426, "w3": 426}


async def test_a_cluster_under_a_root_path_routes_every_worker_and_plays(tmp_path: Path) -> None:
    # DRAWGAME_ROOT_PATH=/draw: the proxy routes /draw/w/<id>/ to each worker and checks
    # /draw/api/health; rooms tell clients their WebSocket there; nothing answers outside.
    async with running_cluster(tmp_path, workers=2, root="/draw") as cluster:
        async with httpx.AsyncClient(base_url=cluster.url, timeout=5) as client:
            routed = {w: (await client.get(f"/draw/w/{w}/ws/")).status_code for w in ("w1", "w2")}
            outside = [(await client.get(path)).status_code
                       for path in ("/api/health", "/w/w1/ws/", "/", "/static/css/app.css")]
            page = await client.get("/draw/")
        assert routed == {"w1": 426, "w2": 426}
        assert outside == [404, 404, 404, 404]
        assert page.status_code == 200 and 'content="/draw"' in page.text
        rooms = [await cluster.create_room(**GAME) for _ in range(2)]
        assert {r["worker"] for r in rooms} == {"w1", "w2"}
        for room in rooms:
            summary = await cluster.summary(room["code"])
            assert summary["ws_path"] == f"/draw/w/{room['worker']}/ws/{room['code']}"
            with trio.fail_after(60):
                async with AsyncExitStack() as stack:
                    seats = await seat_pair(cluster, stack, room["code"])
                    over = await play_game(seats)
            assert len(over["ranking"]) == 2
