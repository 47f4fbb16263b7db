"""The telephone mode over real sockets: the whole contract, the album API, restarts and
a kill -9 in the middle of a step (SQLite and PostgreSQL)."""

from __future__ import annotations

import signal
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import trio

from drawgame.config import Config
from drawgame.game.ops import OpLog
from tests.conftest import RunningServer, start_server
from tests.serverproc import start_and_wait
from tests.wsclient import WsClient, connect

NAMES = ("Ada", "Bob", "Cy")


def line(stroke: int, *points: int) -> dict[str, Any]:
    return {"op": "line", "id": stroke, "c": "#aa3300", "w": 6, "p": list(points)}


async def create_room(url: str, **settings: Any) -> str:
    async with httpx.AsyncClient() as http:
        answer = await http.post(url + "/api/rooms", json={
            "private": True, "settings": {"mode": "telephone", **settings}})
    assert answer.status_code == 201, answer.text
    assert answer.json()["room"]["mode"] == "telephone"
    return str(answer.json()["code"])


async def join(stack: AsyncExitStack, url: str, tokens: list[str | None] | None = None
               ) -> list[WsClient]:
    clients = []
    for name, token in zip(NAMES, tokens or [None] * len(NAMES), strict=True):
        client = await stack.enter_async_context(connect(url, name))
        await client.hello(token=token)
        clients.append(client)
    return clients


def page_for(client: WsClient, step: int) -> str:
    return f"{client.name} wrote page {step}"


async def play_step(clients: list[WsClient], step: int, *, since: dict[str, int] | None = None
                    ) -> dict[str, dict[str, Any]]:
    """Each player answers their task of `step` and submits; returns the tasks by name."""
    got = {}
    for c in clients:
        task = await c.wait_for("task", lambda m: m["step"] == step,
                                since=(since or {}).get(c.name, 0))
        got[c.name] = task
        if task["kind"] == "draw":
            await c.send({"type": "draw", "ops": [line(1, step, 10, 200, 300 + step)]})
            await c.send({"type": "draw", "ops": [line(2, 5, 5, 6, 6), {"op": "undo"}]})
            await c.send({"type": "submit"})
        else:
            await c.send({"type": "draft", "text": "half"})
            await c.send({"type": "submit", "text": page_for(c, step)})
    return got


async def test_a_whole_telephone_game_over_the_wire(server: RunningServer) -> None:
    code = await create_room(server.url, write_time_s=60, draw_time_s=60)
    url = f"{server.ws_url}/ws/{code}"
    with trio.fail_after(30):
        async with AsyncExitStack() as stack:
            ada, bob, cy = clients = await join(stack, url)
            watcher = await stack.enter_async_context(connect(url, "Watcher"))
            await watcher.hello(spectate=True)
            await bob.send({"type": "start"})
            assert (await bob.wait_for("error"))["code"] == "not_host"
            await ada.send({"type": "start"})
            phase = await watcher.wait_for("phase", lambda m: m["phase"] == "writing")
            assert (phase["mode"], phase["step"], phase["steps"]) == ("telephone", 1, 3)
            progress = await watcher.wait_for("progress")
            assert progress["waiting"] == [ada.id, bob.id, cy.id] and progress["done"] == []
            await watcher.send({"type": "submit", "text": "me too"})
            assert (await watcher.wait_for("error"))["code"] == "not_your_turn"
            assert not watcher.of("task")
            tasks = await play_step(clients, 1)
            assert {t["kind"] for t in tasks.values()} == {"write"}
            assert all(t["prompt"] is None for t in tasks.values())
            done = await watcher.wait_for("progress", lambda m: len(m["done"]) == 1)
            assert done["done"] == [ada.id]
            tasks = await play_step(clients, 2)
            # page 1 of book j is drawn by player j+1: Bob draws Ada's sentence
            assert tasks["Bob"]["prompt"] == {"kind": "text", "text": page_for(ada, 1)}
            assert tasks["Ada"]["prompt"] == {"kind": "text", "text": page_for(cy, 1)}
            await ada.send({"type": "draw", "ops": [line(3, 1, 1, 2, 2)]})
            assert (await ada.wait_for("error"))["code"] in ("page_submitted", "wrong_phase")
            tasks = await play_step(clients, 3)
            assert tasks["Cy"]["kind"] == "describe"
            assert tasks["Cy"]["prompt"] == {"kind": "drawing", "ops": [line(1, 2, 10, 200, 302)]}
            over = await watcher.wait_for("game_over")
            assert over["ranking"] == []
            first = await watcher.wait_for("album_page")
            assert (first["book"], first["page"], first["books"], first["pages"]) == (0, 0, 3, 3)
            pages = [first]
            for _ in range(8):
                await ada.send({"type": "album_next"})
                pages.append(await watcher.wait_for("album_page"))
            await bob.send({"type": "react", "value": "like"})  # Bob made this page
            assert (await bob.wait_for("error"))["code"] == "forbidden"
            await cy.send({"type": "react", "value": "like"})
            reaction = await watcher.wait_for("reaction")
            assert (reaction["book"], reaction["page"], reaction["likes"]) == (2, 2, 1)
            await ada.send({"type": "album_next"})
            await watcher.wait_for("phase", lambda m: m["phase"] == "lobby")
    assert [(p["book"], p["page"]) for p in pages] == [(b, p) for b in range(3) for p in range(3)]
    await trio.sleep(0.3)  # one recorder flush
    async with httpx.AsyncClient() as http:
        album = (await http.get(f"{server.url}/api/games/{over['game_id']}")).json()
    assert album["mode"] == "telephone" and album["turns"] == [] and album["ranking"] == []
    assert [b["owner"]["name"] for b in album["books"]] == list(NAMES)
    for shown in pages:
        page = album["books"][shown["book"]]["pages"][shown["page"]]
        entry = shown["entry"]
        assert page["author"] == entry["author"] and page["kind"] == entry["kind"]
        assert page.get("text") == entry.get("text") and page.get("ops") == entry.get("ops")
        assert page["duration_ms"] >= 0
    assert album["books"][2]["pages"][2]["likes"] == 1
    assert album["books"][0]["pages"][1]["ops"] == [line(1, 2, 10, 200, 302)]


async def mid_step(clients: list[WsClient]) -> dict[str, Any]:
    """Start, write page 1, then in the drawing step: Ada draws (unsubmitted), Bob draws and
    submits, Cy draws nothing. Returns what each should find again."""
    ada, bob, _ = clients
    await ada.send({"type": "start"})
    await play_step(clients, 1)
    for c in clients:
        await c.wait_for("task", lambda m: m["step"] == 2)
    ada_ops = [line(1, 10, 10, 500, 500), line(2, 0, 0, 9, 9), {"op": "undo"}]
    await ada.send({"type": "draw", "ops": ada_ops[:1]})
    await ada.send({"type": "draw", "ops": ada_ops[1:]})
    await bob.send({"type": "draw", "ops": [line(1, 100, 100, 120, 140)]})
    await bob.send({"type": "submit"})
    for c in clients:
        await c.wait_for("progress", lambda m: m["done"] == [bob.id])
        await c.barrier()
    return {"ada_ops": list(OpLog(ada_ops).ops), "bob_ops": [line(1, 100, 100, 120, 140)]}


async def check_resumed(stack: AsyncExitStack, url: str, before: list[WsClient],
                        expected: dict[str, Any]) -> list[WsClient]:
    clients = await join(stack, url, [c.token for c in before])
    ada, bob, cy = clients
    for c in clients:
        room = c.of("welcome")[0]["room"]
        assert room["phase"] == "drawing" and room["mode"] == "telephone" and room["step"] == 2
        assert room["task"]["kind"] == "draw"
    assert ada.of("welcome")[0]["room"]["task"]["draft_ops"] == expected["ada_ops"]
    bob_task = bob.of("welcome")[0]["room"]["task"]
    assert bob_task["submitted"] is True and bob_task["draft_ops"] == expected["bob_ops"]
    assert cy.of("welcome")[0]["room"]["task"]["draft_ops"] == []
    assert (await ada.wait_for("task"))["draft_ops"] == expected["ada_ops"]
    return clients


async def test_a_restart_mid_step_keeps_every_page(nursery: trio.Nursery,
                                                    db_config: Config) -> None:
    config = db_config.replace(reconnect_in_ms=200)
    first = await start_server(nursery, config)
    code = await create_room(first.url, draw_time_s=120)
    with trio.fail_after(40):
        async with AsyncExitStack() as stack:
            clients = await join(stack, f"{first.ws_url}/ws/{code}")
            expected = await mid_step(clients)
            first.stop.set()
            for c in clients:
                assert await c.wait_closed() == 1012
        await first.done.wait()
        second = await start_server(nursery, config)
        async with AsyncExitStack() as stack:
            clients = await check_resumed(stack, f"{second.ws_url}/ws/{code}", clients, expected)
            ada, _bob, cy = clients
            for c in (ada, cy):
                await c.send({"type": "submit"})
            tasks = await play_step(clients, 3)
            # Cy drew nothing: whoever describes Cy's page sees the sentence before it
            assert sorted(t["prompt"]["kind"] for t in tasks.values()) == [
                "drawing", "drawing", "text"]
            await ada.wait_for("album_page")
            await ada.send({"type": "album_next"})
            await ada.send({"type": "album_next"})
            at = await cy.wait_for("album_page", lambda m: m["page"] == 2)
            second.stop.set()
            for c in clients:
                await c.wait_closed()
        await second.done.wait()
        third = await start_server(nursery, config)
        async with AsyncExitStack() as stack:
            clients = await join(stack, f"{third.ws_url}/ws/{code}",
                                 [c.token for c in clients])
            room = clients[2].of("welcome")[0]["room"]
            assert room["phase"] == "album"
            assert room["album_page"] == {k: v for k, v in at.items() if k != "type"}
        third.stop.set()
        await third.done.wait()


async def test_a_kill_mid_step_keeps_what_was_flushed(nursery: trio.Nursery, db_config: Config,
                                                       tmp_path: Path) -> None:
    config = db_config
    where = {"DRAWGAME_DATABASE_URL": config.database_url} if config.database_url else {
        "DRAWGAME_DB_PATH": config.db_path}
    proc, url = await trio.to_thread.run_sync(
        lambda: start_and_wait(tmp_path, DRAWGAME_ENVIRONMENT="test", **where))
    try:
        code = await create_room(url, draw_time_s=120)
        ws_url = "ws" + url.removeprefix("http") + f"/ws/{code}"
        with trio.fail_after(30):
            async with AsyncExitStack() as stack:
                clients = await join(stack, ws_url)
                expected = await mid_step(clients)
                await trio.sleep(0.5)  # longer than a flush: what came before is on disk
                proc.send_signal(signal.SIGKILL)
                await trio.to_thread.run_sync(proc.wait)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    second = await start_server(nursery, config)
    with trio.fail_after(30):
        async with AsyncExitStack() as stack:
            await check_resumed(stack, f"{second.ws_url}/ws/{code}", clients, expected)
    second.stop.set()
    await second.done.wait()
