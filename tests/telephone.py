"""A telephone game played to its album through real WebSocket clients, for the album
tests (the server's and Chromium's): four players, four pages a book (a sentence, a
drawing, a sentence, a drawing), three of them left empty (an empty drawing submitted, a
sentence and a drawing never made by a player who left).
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx

from tests.wsclient import WsClient, connect

NAMES = ("Ada", "Bob", "Cy", "Dee")
STEPS = 4
COLOURS = {"Ada": "#e91e63", "Bob": "#2196f3", "Cy": "#4caf50", "Dee": "#ff9800"}


def sentence(name: str, step: int) -> str:
    return f"{name}'s page {step}: a cat rides a bike"


def stroke(name: str, step: int) -> list[dict[str, Any]]:
    """What `name` draws on page `step`: one thick stroke across the canvas."""
    y = 200 + 100 * step
    return [{"op": "line", "id": 1, "c": COLOURS[name], "w": 24,
             "p": [100, y, 500, y, 900, y + 40]}]


@dataclass
class PlayedGame:
    code: str
    game_id: str
    seats: dict[str, WsClient]


async def play_telephone(url: str, ws_url: str, stack: AsyncExitStack) -> PlayedGame:
    """Ada (the host), Bob, Cy and Dee play a 4-page telephone game to its album: step 1
    each writes a sentence, step 2 each draws (Dee submits an empty drawing), at step 3
    Dee leaves (their sentence stays empty, and so does their drawing of step 4), the
    others describe and draw. Page k of book j is player (j + k) mod 4's. Returns when
    the album is on disk."""
    async with httpx.AsyncClient(base_url=url) as http:
        created = await http.post("/api/rooms", json={"private": True, "settings": {
            "mode": "telephone", "steps": STEPS, "write_time_s": 120, "draw_time_s": 240}})
        assert created.status_code == 201, created.text
        code = str(created.json()["code"])
        clients: dict[str, WsClient] = {}
        for name in NAMES:
            client = await stack.enter_async_context(connect(f"{ws_url}/ws/{code}", name))
            await client.hello()
            clients[name] = client
        await clients["Ada"].send({"type": "start"})
        playing = dict(clients)
        for step in range(1, STEPS + 1):
            for name, client in list(playing.items()):
                task = await client.wait_for("task", lambda m, s=step: m["step"] == s)
                if name == "Dee" and step == 3:
                    await client.send({"type": "leave"})
                    del playing[name]
                elif task["kind"] == "draw":
                    if name != "Dee" or step != 2:
                        await client.send({"type": "draw", "ops": stroke(name, step)})
                    await client.send({"type": "submit"})
                else:
                    await client.send({"type": "submit", "text": sentence(name, step)})
        over = await clients["Ada"].wait_for("game_over")
        await clients["Ada"].wait_for("album_page")
        game_id = str(over["game_id"])
        # The album API flushes the recorder when it finds nothing: the album is there.
        assert (await http.get(f"/api/games/{game_id}")).status_code == 200
    return PlayedGame(code, game_id, clients)
