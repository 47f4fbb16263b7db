"""Party features over the real server: TV screens, the join QR code, mute, the chat
filter, and a kicked browser's rejoin refused, with real WebSocket clients."""

from __future__ import annotations

import re
from contextlib import AsyncExitStack
from typing import Any

import httpx
import trio
from conftest import RunningServer

from drawgame.game import rules
from tests.wsclient import WsClient, connect

MARKER = "k" * 24
OTHER_MARKER = "h" * 24


async def create(server: RunningServer, **body: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as client:
        return await client.post("/api/rooms", json={"private": True, **body})


async def room_code(server: RunningServer, **settings: Any) -> str:
    answer = await create(server, settings=settings)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["code"])


async def join(stack: AsyncExitStack, server: RunningServer, code: str, name: str,
               **hello: Any) -> WsClient:
    client = await stack.enter_async_context(connect(f"{server.ws_url}/ws/{code}", name))
    await client.send({"type": "hello", "name": name, **hello})
    welcome = await client.wait_for("welcome")
    client.id, client.token = welcome["you"]["id"], welcome["you"]["token"]
    return client


async def test_the_qr_code_and_the_tv_page(server: RunningServer) -> None:
    code = await room_code(server)
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as client:
        svg = await client.get(f"/r/{code}/qr.svg")
        page = await client.get(f"/r/{code}/tv")
        missing = await client.get("/r/NOSUCHROOM/qr.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert f"<title>{server.url}/r/{code}</title>" in svg.text
    assert re.search(r"<svg[^>]*viewBox", svg.text) and "<path" in svg.text
    assert page.status_code == 200
    assert re.search(r'<script type="module" src="/static/js/tv\.[0-9a-f]{12}\.js">', page.text)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "room_not_found"


async def test_a_tv_screen_watches_a_game_without_a_seat(server: RunningServer) -> None:
    code = await room_code(server, max_players=2)
    async with AsyncExitStack() as stack:
        ada = await join(stack, server, code, "Ada")
        bob = await join(stack, server, code, "Bob")
        tv = await stack.enter_async_context(connect(f"{server.ws_url}/ws/{code}", "tv"))
        await tv.send({"type": "hello", "tv": True})
        welcome = await tv.wait_for("welcome")
        assert welcome["room"]["tvs"] == 1
        assert [p["name"] for p in welcome["room"]["players"]] == ["Ada", "Bob"]
        listed = await ada.wait_for("players", lambda m: m["tvs"] == 1)
        assert len(listed["players"]) == 2  # the TV is counted, not listed
        await tv.send({"type": "chat", "text": "hello from the couch"})
        refused = await tv.wait_for("error")
        assert refused["code"] == "forbidden" and refused["ref"] == "chat"
        await ada.send({"type": "start"})
        phase = await tv.wait_for("phase", lambda m: m["phase"] == "choosing")
        assert phase["drawer_id"] in (ada.id, bob.id)
        assert not tv.of("chat", 0) or all(m["channel"] != "guessed" for m in tv.of("chat"))
        await tv.send({"type": "leave"})
        assert await tv.wait_closed() == 1000
        await ada.wait_for("players", lambda m: m["tvs"] == 0)


async def test_a_room_takes_a_few_tv_screens_only(server: RunningServer) -> None:
    code = await room_code(server)
    async with AsyncExitStack() as stack:
        await join(stack, server, code, "Ada")
        for _ in range(rules.MAX_TVS):
            await join(stack, server, code, "TV", tv=True)
        extra = await stack.enter_async_context(connect(f"{server.ws_url}/ws/{code}", "tv"))
        await extra.send({"type": "hello", "tv": True})
        assert (await extra.wait_for("error"))["code"] == "room_full"
        assert await extra.wait_closed() == 4009


async def test_a_muted_players_lines_reach_only_themselves(server: RunningServer) -> None:
    code = await room_code(server)
    async with AsyncExitStack() as stack:
        ada = await join(stack, server, code, "Ada")
        bob = await join(stack, server, code, "Bob")
        cy = await join(stack, server, code, "Cy")
        await ada.send({"type": "mute", "player_id": bob.id})
        assert (await ada.wait_for("muted"))["player_ids"] == [bob.id]
        await bob.send({"type": "chat", "text": "nobody hears this"})
        await bob.wait_for("chat", lambda m: m["text"] == "nobody hears this")
        await cy.send({"type": "chat", "text": "after the muted line"})
        await ada.wait_for("chat", lambda m: m["text"] == "after the muted line")
        await cy.barrier()
        for other in (ada, cy):
            assert not [m for m in other.of("chat") if m["text"] == "nobody hears this"]
        assert not bob.of("muted")  # the muted player is not told
        await bob.send({"type": "mute", "player_id": cy.id})
        assert (await bob.wait_for("error"))["code"] == "not_host"


async def test_the_chat_filter_in_each_mode(server: RunningServer) -> None:
    seen: dict[str, str | None] = {}
    for mode in ("off", "mask", "block"):
        code = await room_code(server, chat_filter=mode)
        async with AsyncExitStack() as stack:
            ada = await join(stack, server, code, "Ada")
            bob = await join(stack, server, code, "Bob")
            await bob.send({"type": "chat", "text": "this is shit"})
            await bob.send({"type": "chat", "text": "next line"})
            await ada.wait_for("chat", lambda m: m["text"] == "next line")
            lines = [m["text"] for m in ada.of("chat") if m["from"] == bob.id]
            seen[mode] = lines[0] if len(lines) == 2 else None
            if mode == "block":
                refused = await bob.wait_for("error")
                assert refused["code"] == "filtered" and refused["ref"] == "chat"
    assert seen == {"off": "this is shit", "mask": "this is ****", "block": None}


async def test_the_filter_on_names_and_room_names(server: RunningServer) -> None:
    masked = await create(server, name="shit show", settings={})
    assert masked.status_code == 201 and masked.json()["room"]["name"] == "**** show"
    blocked = await create(server, name="shit show", settings={"chat_filter": "block"})
    assert blocked.status_code == 422
    assert blocked.json()["error"] == {"code": "filtered", "field": "name",
                                       "message": blocked.json()["error"]["message"]}
    code = await room_code(server, chat_filter="block")
    async with AsyncExitStack() as stack:
        await join(stack, server, code, "Ada")
        rude = await stack.enter_async_context(connect(f"{server.ws_url}/ws/{code}", "x"))
        await rude.send({"type": "hello", "name": "Dickhead"})
        assert (await rude.wait_for("error"))["code"] == "filtered"
        await rude.send({"type": "hello", "name": "Dee"})  # the connection stays for another
        assert (await rude.wait_for("welcome"))["room"]["players"][-1]["name"] == "Dee"


async def test_a_kicked_browser_cannot_rejoin_under_a_new_name_but_its_household_can(
    server: RunningServer,
) -> None:
    code = await room_code(server)
    async with AsyncExitStack() as stack:
        ada = await join(stack, server, code, "Ada", marker="a" * 24)
        bob = await join(stack, server, code, "Bob", marker=MARKER)
        sister = await join(stack, server, code, "Sis", marker=OTHER_MARKER)  # same address
        await ada.send({"type": "kick", "player_id": bob.id})
        assert await bob.wait_closed() == 4001
        back = await stack.enter_async_context(connect(f"{server.ws_url}/ws/{code}", "b2"))
        await back.send({"type": "hello", "name": "Totally Not Bob", "marker": MARKER})
        refused = await back.wait_for("error")
        assert refused["code"] == "forbidden" and "kicked" in refused["message"]
        assert await back.wait_closed() == 4001
        await sister.send({"type": "chat", "text": "still here"})
        await ada.wait_for("chat", lambda m: m["text"] == "still here")
        brother = await join(stack, server, code, "Bro", marker="b" * 24)
        assert brother.id is not None
        with trio.fail_after(5):
            players = await ada.wait_for(
                "players", lambda m: any(p["name"] == "Bro" for p in m["players"]))
        assert {p["name"] for p in players["players"]} == {"Ada", "Sis", "Bro"}
