"""Drawn avatars against a real server and real WebSockets: refused when malformed or too
big (the connection and the room go on), sent once, hidden by the host, gone with a kick,
kept across a resume, and kept by the album on both databases."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

import httpx
import orjson
import pytest
import trio

from drawgame.game.avatar import MAX_AVATAR_BYTES
from drawgame.game.modes import classic
from tests.conftest import RunningServer
from tests.gameplay import SMALL_ROOM, create_room
from tests.wsclient import WsClient, connect

FACE = [[2, 44, 32, 34], [1, 3, 22, 28], [1, 3, 42, 28], [5, 3, 22, 44, 32, 48, 42, 44]]
OTHER = [[7, 40, 32, 32], [1, 2, 20, 20, 44, 44]]
TOO_BIG = [[1, 2, *[10, 10] * 100]] * 2  # about 1.2 KB of JSON


async def hello(client: WsClient, avatar: Any = None, token: str | None = None) -> dict[str, Any]:
    msg: dict[str, Any] = {"type": "hello", "name": client.name, "avatar": avatar}
    if token is not None:
        msg["token"] = token
    await client.send(msg)
    welcome = await client.wait_for("welcome")
    client.id, client.token = welcome["you"]["id"], welcome["you"]["token"]
    room: dict[str, Any] = welcome["room"]
    return room


async def test_avatars_over_real_sockets(server: RunningServer) -> None:
    assert len(orjson.dumps(TOO_BIG)) > MAX_AVATAR_BYTES
    with trio.fail_after(20):
        url = f"{server.ws_url}/ws/{await create_room(server.url, SMALL_ROOM)}"
        async with AsyncExitStack() as stack:
            ada = await stack.enter_async_context(connect(url, "Ada"))
            cy = await stack.enter_async_context(connect(url, "Cy"))
            assert (await hello(ada, FACE))["avatars"] == {ada.id: FACE}
            async with connect(url, "Bob") as bob:
                # A malformed or oversized avatar in hello: bad_message, and the connection
                # stays open for another hello.
                for bad in (TOO_BIG, [[1, 2, 64, 0]], "face", [[1, 2, 1.5, 1]]):
                    mark = len(bob.received)
                    await bob.send({"type": "hello", "name": "Bob", "avatar": bad})
                    err = await bob.wait_for("error", since=mark)
                    assert (err["code"], err["ref"]) == ("bad_message", "hello"), err
                snap = await hello(bob)
                assert snap["avatars"] == {ada.id: FACE}
                assert {p["id"]: p["avatar"] for p in snap["players"]} == {
                    ada.id: "shown", bob.id: None}
                # An oversized change is refused and changes nothing; a good one reaches all.
                await bob.send({"type": "avatar", "avatar": TOO_BIG})
                err = await bob.wait_for("error", lambda m: m.get("ref") == "avatar")
                assert err["code"] == "bad_message"
                await bob.send({"type": "avatar", "avatar": OTHER})
                got = await ada.wait_for("avatar", lambda m: m["player_id"] == bob.id)
                assert got["avatar"] == OTHER
                listed = await ada.wait_for("players", lambda m: any(
                    p["id"] == bob.id and p["avatar"] == "shown" for p in m["players"]))
                assert "avatars" not in listed and all(
                    p["avatar"] in ("shown", None) for p in listed["players"])
                # A late joiner gets every face in its snapshot, and no message for its own.
                snap = await hello(cy, FACE)
                assert snap["avatars"] == {ada.id: FACE, bob.id: OTHER, cy.id: FACE}
                await ada.wait_for("avatar", lambda m: m["player_id"] == cy.id)
                await cy.barrier()
                assert cy.of("avatar") == []

                # Only the host hides a face; then everyone falls back to the letter, Bob too.
                await bob.send({"type": "hide_avatar", "player_id": ada.id})
                err = await bob.wait_for("error", lambda m: m.get("ref") == "hide_avatar")
                assert err["code"] == "not_host"
                await ada.send({"type": "hide_avatar", "player_id": bob.id})
                for client in (ada, bob, cy):
                    await client.wait_for(
                        "avatar", lambda m: m["player_id"] == bob.id and m["avatar"] is None)
                bob_id, token = bob.id, str(bob.token)
            await ada.wait_for("players", lambda m: any(
                p["id"] == bob_id and not p["connected"] for p in m["players"]))

            # Bob resumes with a hello without an avatar: the seat keeps its face, still
            # hidden; shown again by the host, it is the face Bob drew.
            async with connect(url, "Bob") as bob2:
                await bob2.send({"type": "hello", "name": "Bob", "token": token})
                snap = (await bob2.wait_for("welcome"))["room"]
                mine = next(p for p in snap["players"] if p["id"] == bob_id)
                assert mine["avatar"] == "hidden"
                assert bob_id not in snap["avatars"]
                await ada.send({"type": "hide_avatar", "player_id": bob_id, "hidden": False})
                shown = await bob2.wait_for("avatar", lambda m: m["player_id"] == bob_id)
                assert shown["avatar"] == OTHER

                # A kicked player's face goes with them.
                await ada.send({"type": "kick", "player_id": cy.id})
                await cy.wait_closed()
                listed = await bob2.wait_for("players", lambda m: all(
                    p["id"] != cy.id for p in m["players"]))
                assert {p["id"] for p in listed["players"]} == {ada.id, bob_id}
                async with connect(url, "Dee") as dee:
                    snap = await hello(dee)
                    assert snap["avatars"] == {ada.id: FACE, bob_id: OTHER}
                # The room is fine: a ping still gets its pong.
                await bob2.send({"type": "ping", "t": 7})
                assert (await bob2.wait_for("pong"))["t"] == 7


async def test_the_album_keeps_the_faces(
    db_server: RunningServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(classic, "REVEAL_S", 0.2)
    monkeypatch.setattr(classic, "RESULTS_S", 60.0)
    server = db_server
    with trio.fail_after(30):
        url = f"{server.ws_url}/ws/{await create_room(server.url, SMALL_ROOM)}"
        async with connect(url, "Ada") as ada, connect(url, "Bob") as bob, \
                connect(url, "Cy") as cy, httpx.AsyncClient(base_url=server.url) as http:
            await hello(ada, FACE)
            await hello(bob, OTHER)
            await hello(cy, FACE)
            await ada.send({"type": "hide_avatar", "player_id": cy.id})
            await cy.wait_for("avatar", lambda m: m["player_id"] == cy.id)
            await ada.send({"type": "start"})
            await ada.wait_for("phase", lambda m: m["phase"] == "choosing")
            # Bob changes his face during the game: the album keeps the newest. Then two
            # leave, and the game ends early, with an album.
            await bob.send({"type": "avatar", "avatar": FACE})
            await ada.wait_for("avatar", lambda m: m["player_id"] == bob.id)
            await bob.send({"type": "leave"})
            await cy.send({"type": "leave"})
            over = await ada.wait_for("game_over")
            game = str(over["game_id"])
            for _ in range(100):  # the recorder's next flush
                answer = await http.get(f"/api/games/{game}")
                if answer.status_code == 200:
                    break
                await trio.sleep(0.05)
            album = answer.json()
            assert album["avatars"] == {ada.id: FACE, bob.id: FACE}
            # Who hides their drawings from the album hides their face too.
            hid = await http.post(f"/api/games/{game}/hide", json={"token": bob.token})
            assert hid.status_code == 200, hid.text
            album = (await http.get(f"/api/games/{game}?view=thumbs")).json()
            assert album["avatars"] == {ada.id: FACE}
