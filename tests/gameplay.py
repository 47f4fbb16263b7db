"""A whole game played from outside a server, as its players' browsers would: for tests
of a server in another process (an installed wheel, a container).

Two real WebSocket clients (tests/wsclient.py) create a private one-round room through
the HTTP API and play both turns to ``game_over``. Given a ``restart``, it is called in
the middle of the first turn, after a stroke and before anyone guessed: both players
must be told to come back (``shutdown``, close 1012), come back with their tokens once
the server answers again, and find the turn as it was.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import trio

from tests.wsclient import WsClient, connect

ROOM = {"name": "played from outside", "private": True,
        "settings": {"rounds": 1, "max_players": 2, "word_choices": 1, "hints": 0}}
BACK_WITHIN_S = 90.0
TURN_WITHIN_S = 20.0  # the reveal between turns takes 5 s of real time


def line(stroke: int, *points: int) -> dict[str, Any]:
    return {"op": "line", "id": stroke, "c": "#204080", "w": 8, "p": list(points)}


SMALL_ROOM = {"private": True, "settings": {"rounds": 1, "draw_time_s": 60}}
"""A private room of one round with the other settings at their defaults."""


async def create_room(base_url: str, room: dict[str, Any] = ROOM) -> str:
    async with httpx.AsyncClient(timeout=10) as http:
        answer = await http.post(base_url + "/api/rooms", json=room)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["code"])


async def wait_healthy(base_url: str, within: float = BACK_WITHIN_S) -> dict[str, Any]:
    """Poll /api/health until it answers ``ok`` (a restarting server refuses meanwhile)."""
    last: object = None
    with trio.move_on_after(within):
        async with httpx.AsyncClient(timeout=5) as http:
            while True:
                try:
                    answer = await http.get(base_url + "/api/health")
                    last = answer.status_code
                    if answer.status_code == 200 and answer.json()["status"] == "ok":
                        return dict(answer.json())
                except httpx.TransportError as exc:
                    last = exc
                await trio.sleep(0.2)
    raise AssertionError(f"{base_url} was not healthy within {within} s (last: {last!r})")


async def join(stack: AsyncExitStack, ws_url: str, name: str, token: str | None = None
               ) -> WsClient:
    client = await stack.enter_async_context(connect(ws_url, name))
    await client.hello(token=token)
    return client


async def play_a_game(base_url: str,
                      restart: Callable[[], Awaitable[None]] | None = None) -> dict[str, Any]:
    """Play a one-round game of two to its end; returns the ``game_over`` message."""
    code = await create_room(base_url)
    ws_url = "ws" + base_url.removeprefix("http") + f"/ws/{code}"
    with trio.fail_after(BACK_WITHIN_S + 4 * TURN_WITHIN_S):
        async with AsyncExitStack() as stack:
            ada = await join(stack, ws_url, "Ada")
            bob = await join(stack, ws_url, "Bob")
            marks = mark(ada, bob)
            await ada.send({"type": "start"})
            drawer, guesser, word = await choose([ada, bob], marks)
            strokes = [line(1, 10, 10, 400, 300), line(2, 500, 500, 600, 620)]
            await drawer.send({"type": "draw", "ops": strokes})
            await guesser.wait_for("draw", within=TURN_WITHIN_S)
            await drawer.barrier()
            if restart is not None:
                await restart()
                for client in (drawer, guesser):
                    await client.wait_for("shutdown", within=TURN_WITHIN_S)
                    assert await client.wait_closed(within=TURN_WITHIN_S) == 1012
                await wait_healthy(base_url)
                drawer, guesser = await resume(stack, ws_url, drawer, guesser, strokes)
            await guesser.send({"type": "chat", "text": word})
            marks = {}
            for client in (drawer, guesser):
                end = await client.wait_for("turn_end", within=TURN_WITHIN_S)
                assert (end["reason"], end["word"]) == ("all_guessed", word)
                marks[id(client)] = client.after(end)  # the next turn starts after it
            drawer, guesser, word = await choose([drawer, guesser], marks)
            await drawer.send({"type": "draw", "ops": [line(1, 5, 5, 50, 50)]})
            await guesser.send({"type": "chat", "text": word})
            over = await guesser.wait_for("game_over", within=TURN_WITHIN_S)
    ranking = {entry["id"]: entry["score"] for entry in over["ranking"]}
    assert set(ranking) == {drawer.id, guesser.id} and all(ranking.values()), over
    return over


def mark(*clients: WsClient) -> dict[int, int]:
    """Where each client's next messages will start (for ``since``)."""
    return {id(client): len(client.received) for client in clients}


async def choose(clients: list[WsClient], marks: dict[int, int]
                 ) -> tuple[WsClient, WsClient, str]:
    """Wait for the next turn's choosing; its drawer picks. (drawer, guesser, word)"""
    host = clients[0]
    phase = await host.wait_for("phase", lambda m: m["phase"] == "choosing",
                                within=TURN_WITHIN_S, since=marks[id(host)])
    drawer = next(c for c in clients if c.id == phase["drawer_id"])
    guesser = next(c for c in clients if c is not drawer)
    await drawer.wait_for("choices", within=TURN_WITHIN_S, since=marks[id(drawer)])
    await drawer.send({"type": "choose", "index": 0})
    word = (await drawer.wait_for("word", within=TURN_WITHIN_S, since=marks[id(drawer)]))["word"]
    await guesser.wait_for("phase", lambda m: m["phase"] == "drawing", within=TURN_WITHIN_S,
                           since=marks[id(guesser)])
    return drawer, guesser, str(word)


async def resume(stack: AsyncExitStack, ws_url: str, drawer: WsClient, guesser: WsClient,
                 strokes: list[dict[str, Any]]) -> tuple[WsClient, WsClient]:
    """Both players come back with their tokens and find the turn as it was."""
    back = []
    for old in (drawer, guesser):
        assert old.token is not None
        new = await join(stack, ws_url, old.name, old.token)
        room = new.of("welcome")[0]["room"]
        assert new.id == old.id
        assert (room["phase"], room["drawer_id"]) == ("drawing", drawer.id), room
        assert room["ops"] == strokes
        back.append(new)
    return back[0], back[1]
