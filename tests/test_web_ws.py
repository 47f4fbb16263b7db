"""The real server on port 0, played with real WebSocket clients (tests/wsclient.py).

Covers WS /ws/<code> end to end (a whole game, chat visibility, origins,
frame size, closes, resume, connection limits) and the rooms API around it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
import trio
from conftest import Launch, RunningServer
from trio_websocket import ConnectionRejected

from drawgame.game.modes import classic
from tests.wsclient import Message, WsClient, connect

WORDS = [
    "elephant", "giraffe", "pancake", "lighthouse", "umbrella", "volcano",
    "pyramid", "snowman", "rainbow", "airplane", "backpack", "cactus",
]
"""Custom-only words for the whole game: all 4+ letters, so a close guess always exists."""
GENEROUS = {
    "chat_rate": 100.0, "chat_burst": 200, "msg_rate": 100.0, "msg_burst": 200,
    "abuse_limit": 1000,
}
"""Rates for tests whose clients send many frames (barriers count as refused frames)."""
CODE_RE = re.compile(r"[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{8}")
SUMMARY_FIELDS = {"code", "name", "private", "phase", "players", "max_players", "round",
                  "worker", "ws_path",
                  "rounds", "language", "mode", "step", "steps"}


# ---------------------------------------------------------------- helpers


async def api(
    server: RunningServer, method: str, path: str, body: Any = None, *, raw: str | None = None
) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as client:
        if raw is not None:
            return await client.request(method, path, content=raw,
                                        headers={"Content-Type": "application/json"})
        return await client.request(method, path, json=body)


async def create_room(
    server: RunningServer, *, private: bool = False, **settings: Any
) -> str:
    answer = await api(server, "POST", "/api/rooms", {"private": private, "settings": settings})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["code"])


async def health(server: RunningServer) -> dict[str, Any]:
    answer = await api(server, "GET", "/api/health")
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def health_until(
    server: RunningServer, ready: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """Poll /api/health (for up to 4 s) until ``ready``: its figures follow the server's clocks."""
    for _ in range(80):
        report = await health(server)
        if ready(report):
            return report
        await trio.sleep(0.05)
    raise AssertionError(f"/api/health never got there: {report['performance']}")


def room_url(server: RunningServer, code: str) -> str:
    return f"{server.ws_url}/ws/{code}"


def player(msg: Message, pid: str | None) -> Message:
    """The Player entry of ``pid`` in a `players` message or Snapshot ({} when absent)."""
    return next((p for p in msg["players"] if p["id"] == pid), {})


def chats(client: WsClient, since: int = 0) -> list[str]:
    return [m["text"] for m in client.of("chat", since)]


def wrong_by_one(word: str) -> str:
    return word[:-1] + ("x" if word[-1] != "x" else "y")


# ---------------------------------------------------------------- a whole game


async def play_turn(
    players: list[WsClient], turn: int, totals: dict[str | None, int]
) -> tuple[str, str]:
    """One turn with every rule of chat visibility checked; returns (drawer id, word)."""
    phases = [await p.wait_for("phase", lambda m: m["phase"] == "choosing") for p in players]
    assert all(ph == phases[0] for ph in phases)
    assert (phases[0]["round"], phases[0]["rounds"]) == ((turn - 1) // 3 + 1, 2)
    drawer = next(p for p in players if p.id == phases[0]["drawer_id"])
    g1, g2 = [p for p in players if p is not drawer]
    # What each saw before this turn is not this turn's business.
    mark = {p.name: p.after(ph) for p, ph in zip(players, phases, strict=True)}

    choices = await drawer.wait_for("choices")
    assert len(choices["words"]) == 3 and set(choices["words"]) <= set(WORDS)
    await drawer.send({"type": "choose", "index": 1})
    word = (await drawer.wait_for("word"))["word"]
    assert word == choices["words"][1]
    for p in players:
        drawing = await p.wait_for("phase", lambda m: m["phase"] == "drawing")
        assert drawing["hint"] == "_" * len(word)

    # draw: relayed to the others, never echoed to the sender
    ops = [
        {"op": "line", "id": 1, "c": "#112233", "w": 6, "p": [10, 10, 200, 220]},
        {"op": "line", "id": 1, "c": "#112233", "w": 6, "p": [200, 220, 1400, -5]},
        {"op": "fill", "x": 500, "y": 400, "c": "#ABCDEF"},
    ]
    clamped = [ops[0], {**ops[1], "p": [200, 220, 1000, 0]}, {**ops[2], "c": "#abcdef"}]
    await drawer.send({"type": "draw", "ops": ops})
    for p in (g1, g2):
        relayed = await p.wait_for("draw")
        assert relayed == {"type": "draw", "from": drawer.id, "ops": clamped}
    await drawer.barrier()
    assert not drawer.of("draw", since=mark[drawer.name])

    # a close guess: `close` to the sender only, shown to nobody
    near = wrong_by_one(word)
    await g1.send({"type": "chat", "text": near})
    assert (await g1.wait_for("close"))["text"] == near
    await g1.barrier()
    for p in (drawer, g2):
        await p.barrier()
        assert not p.of("close", since=mark[p.name]) and near not in chats(p)
    assert near not in chats(g1)

    # the right guess: `correct` to all, the word to the guesser, never a chat line
    await g1.send({"type": "chat", "text": word.upper()})
    first = [await p.wait_for("correct", lambda m: m["player_id"] == g1.id) for p in players]
    assert all(c == first[0] for c in first)
    assert (await g1.wait_for("word"))["word"] == word

    # channel `guessed`: the drawer and those who guessed, nobody else
    await g1.send({"type": "chat", "text": "nice one"})
    await drawer.send({"type": "chat", "text": "thanks"})
    for p in (drawer, g1):
        for text, sender in (("nice one", g1), ("thanks", drawer)):
            line = await p.wait_for("chat", lambda m, t=text: m["text"] == t)
            assert (line["from"], line["channel"]) == (sender.id, "guessed")
    await g2.send({"type": "chat", "text": "no idea"})
    for p in players:
        line = await p.wait_for("chat", lambda m: m["text"] == "no idea")
        assert (line["from"], line["channel"]) == (g2.id, "all")
    await g2.barrier()
    assert not {"nice one", "thanks"} & set(chats(g2, since=mark[g2.name]))

    await g2.send({"type": "chat", "text": f"  {word.title()}  "})
    second = [await p.wait_for("correct", lambda m: m["player_id"] == g2.id) for p in players]
    assert (await g2.wait_for("word"))["word"] == word
    ends = [await p.wait_for("turn_end") for p in players]
    assert all(e == ends[0] for e in ends) and all(c == second[0] for c in second)
    end = ends[0]
    p1, p2 = first[0]["points"], second[0]["points"]
    assert (end["word"], end["reason"]) == (word, "all_guessed")
    assert 50 < p2 < p1 <= 550
    assert end["points"] == {g1.id: p1, g2.id: p2, drawer.id: (p1 + p2) // 2}
    for pid, points in end["points"].items():
        totals[pid] += points
    return str(drawer.id), word


async def test_three_players_play_a_whole_two_round_game(
    launch: Launch, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The reveal and results pauses are read from rules at call time: shorten them
    # so six turns take well under a second of real time each.
    monkeypatch.setattr(classic, "REVEAL_S", 0.1)
    monkeypatch.setattr(classic, "RESULTS_S", 0.3)
    server = await launch(**GENEROUS)
    with trio.fail_after(30):
        code = await create_room(server, rounds=2, draw_time_s=30, word_choices=3,
                                 custom_words=WORDS, custom_only=True)
        url = room_url(server, code)
        async with connect(url, "Ada") as ada, connect(url, "Bob") as bob, \
                connect(url, "Cy") as cy:
            players = [ada, bob, cy]
            for p in players:  # one after the other: this is the join (and drawing) order
                await p.hello()
            await ada.send({"type": "start"})
            totals: dict[str | None, int] = {p.id: 0 for p in players}
            drawers: list[str] = []
            words: list[str] = []
            for turn in range(1, 7):
                drawer_id, word = await play_turn(players, turn, totals)
                drawers.append(drawer_id)
                words.append(word)

            assert drawers == [ada.id, bob.id, cy.id] * 2
            assert len(set(words)) == 6
            overs = [await p.wait_for("game_over") for p in players]
            assert all(o == overs[0] for o in overs)
            ranking = overs[0]["ranking"]
            assert {r["id"]: r["score"] for r in ranking} == totals
            assert [r["score"] for r in ranking] == sorted(totals.values(), reverse=True)
            for i, r in enumerate(ranking):
                tied = i > 0 and ranking[i - 1]["score"] == r["score"]
                assert r["rank"] == (ranking[i - 1]["rank"] if tied else i + 1)
                assert r["name"] == next(p.name for p in players if p.id == r["id"])
            for p in players:
                lobby = await p.wait_for("phase", lambda m: m["phase"] == "lobby")
                last = await p.wait_for("players", since=p.after(lobby))
                assert {q["id"]: q["score"] for q in last["players"]} == totals
                said = [t.casefold().strip() for t in chats(p)]
                assert not set(said) & {w.casefold() for w in words}


# ---------------------------------------------------------------- origins and frames


async def test_a_foreign_origin_is_refused_before_accept(launch: Launch) -> None:
    server = await launch(allowed_origins=("https://play.example.com",))
    with trio.fail_after(10):
        code = await create_room(server)
        url = room_url(server, code)
        port = server.port
        for origin in ("https://evil.example.com", f"http://evil.example.com:{port}",
                       f"http://127.0.0.1:{port + 1}", "null"):
            with pytest.raises(ConnectionRejected) as refused:
                async with connect(url, origin=origin):
                    pass
            assert refused.value.status_code == 403, origin


async def test_same_host_and_configured_origins_are_allowed(launch: Launch) -> None:
    server = await launch(allowed_origins=("https://play.example.com",))
    with trio.fail_after(10):
        code = await create_room(server)
        url = room_url(server, code)
        allowed = [("Ada", server.url), ("Bob", "https://play.example.com"),
                   ("Cy", "https://play.example.com/"), ("Dee", None)]
        for name, origin in allowed:
            async with connect(url, name, origin=origin) as client:
                welcome = await client.hello()
                assert welcome["room"]["code"] == code


async def test_a_100_kib_frame_is_closed_with_1009_and_the_server_goes_on(
    launch: Launch,
) -> None:
    server = await launch()
    with trio.fail_after(10):
        code = await create_room(server)
        url = room_url(server, code)
        async with connect(url, "Ada") as ada:
            await ada.hello()
            await ada.send(json.dumps({"type": "chat", "text": "x" * (100 * 1024)}))
            assert await ada.wait_closed() == 1009
        report = await health_until(server, lambda h: h["performance"]["ws_connections"] == 0)
        assert report["status"] == "ok"
        async with connect(url, "Bob") as bob:
            welcome = await bob.hello()
            assert not player(welcome["room"], ada.id)["connected"]
            await bob.send({"type": "ping", "t": 7})
            assert (await bob.wait_for("pong"))["t"] == 7


async def test_a_frame_just_under_the_limit_is_refused_politely(launch: Launch) -> None:
    server = await launch()
    with trio.fail_after(10):
        code = await create_room(server)
        async with connect(room_url(server, code), "Ada") as ada:
            await ada.hello()
            await ada.send(json.dumps({"type": "chat", "text": "x" * 60_000}))
            error = await ada.wait_for("error")
            assert (error["code"], error["ref"]) == ("bad_message", "chat")
            await ada.send({"type": "ping", "t": 1})
            await ada.wait_for("pong")


async def test_refused_frames_get_an_error_and_the_connection_stays(launch: Launch) -> None:
    server = await launch()
    with trio.fail_after(10):
        code = await create_room(server)
        async with connect(room_url(server, code), "Ada") as ada:
            await ada.hello()
            refused = [
                (b"\x00binary", "bad_message"), ("{not json", "bad_json"),
                ("[" * 10_000 + "]" * 10_000, "bad_json"),
                ('{"type": "ping", "t": NaN}', "bad_json"),
                ("[1, 2]", "bad_message"), ({"type": "dance"}, "unknown_type"),
                ({"type": "choose", "index": 0}, "wrong_phase"),
            ]
            for frame, expected in refused:
                mark = len(ada.received)
                await ada.send(frame)
                error = await ada.wait_for("error", since=mark)
                assert error["code"] == expected and error["message"], frame
            await ada.send({"type": "ping", "t": 3})
            assert (await ada.wait_for("pong"))["t"] == 3


async def test_sustained_abuse_closes_with_1008(launch: Launch) -> None:
    server = await launch(abuse_limit=3)
    with trio.fail_after(10):
        code = await create_room(server)
        async with connect(room_url(server, code), "Ada") as ada:
            await ada.hello()
            for _ in range(4):
                await ada.send({"type": "dance"})
            assert await ada.wait_closed() == 1008
            # The close drops what was still queued, so not every error may have arrived.
            assert {m["code"] for m in ada.of("error")} <= {"unknown_type"}
            assert ada.close_reason == "too many refused messages"


# ---------------------------------------------------------------- closes


async def test_unknown_room_closes_with_4004(launch: Launch) -> None:
    server = await launch()
    with trio.fail_after(10):
        async with connect(room_url(server, "ZZZZ2222"), "Ada") as ada:
            assert await ada.wait_closed() == 4004
            assert ada.received == []


async def test_a_room_code_in_lower_case_finds_the_room(launch: Launch) -> None:
    server = await launch()
    with trio.fail_after(10):
        code = await create_room(server)
        async with connect(room_url(server, code.lower()), "Ada") as ada:
            assert (await ada.hello())["room"]["code"] == code


async def test_no_hello_in_time_closes_with_4401(launch: Launch) -> None:
    server = await launch(hello_timeout_s=0.5)
    with trio.fail_after(10):
        code = await create_room(server)
        async with connect(room_url(server, code), "Ada") as ada:
            began = trio.current_time()
            assert await ada.wait_closed(within=5) == 4401
            assert trio.current_time() - began >= 0.4
        async with connect(room_url(server, code), "Bob") as bob:
            await bob.send({"type": "chat", "text": "early"})  # not a hello: no seat
            assert (await bob.wait_for("error"))["code"] == "not_joined"
            assert await bob.wait_closed(within=5) == 4401


async def test_resume_keeps_id_and_score_and_a_second_connection_replaces_the_first(
    launch: Launch,
) -> None:
    server = await launch(**GENEROUS)
    with trio.fail_after(20):
        code = await create_room(server, rounds=1, draw_time_s=30, custom_words=WORDS,
                                 custom_only=True)
        url = room_url(server, code)
        async with connect(url, "Ada") as ada:
            await ada.hello()
            async with connect(url, "Bob") as bob:
                await bob.hello()
                await ada.send({"type": "start"})
                await ada.wait_for("choices")
                await ada.send({"type": "choose", "index": 0})
                word = (await ada.wait_for("word"))["word"]
                await bob.wait_for("phase", lambda m: m["phase"] == "drawing")
                await bob.send({"type": "chat", "text": word})
                points = (await bob.wait_for("correct"))["points"]
                scored = await ada.wait_for(
                    "players", lambda m: player(m, bob.id).get("score", 0) > 0)
                assert player(scored, bob.id)["score"] == points
            bob_id, token = bob.id, bob.token
            assert token is not None and len(token) >= 22  # 128 bits at least, url-safe
            gone = await ada.wait_for(
                "players", lambda m: player(m, bob_id).get("connected") is False)

            async with connect(url, "Bob again") as back:
                welcome = await back.hello("Bob", token=token)
                assert welcome["you"] == {"id": bob_id, "token": token}
                me = player(welcome["room"], bob_id)
                assert (me["score"], me["connected"]) == (points, True)
                await ada.wait_for("players", lambda m: player(m, bob_id)["connected"],
                                   since=ada.after(gone))
                async with connect(url, "Bob twin") as twin:
                    again = await twin.hello("Bob", token=token)
                    assert again["you"]["id"] == bob_id
                    assert player(again["room"], bob_id)["score"] == points
                    assert await back.wait_closed() == 4409
                    await twin.send({"type": "chat", "text": "still me"})
                    line = await ada.wait_for("chat", lambda m: m["text"] == "still me")
                    assert line["from"] == bob_id


# ---------------------------------------------------------------- the rooms API


async def test_create_room_validates_its_body(launch: Launch) -> None:
    server = await launch(rooms_per_minute_per_ip=100)
    with trio.fail_after(10):
        for raw in ("{nope", "[1, 2]", '"room"'):
            answer = await api(server, "POST", "/api/rooms", raw=raw)
            assert answer.status_code == 400, raw
            assert answer.json()["error"]["code"] == "bad_json"
            assert answer.json()["error"]["message"]
        invalid = [
            ({"settings": {"rounds": 11}}, "rounds"),
            ({"settings": {"max_players": 1}}, "max_players"),
            ({"settings": {"draw_time_s": 29}}, "draw_time_s"),
            ({"settings": {"hints": True}}, "hints"),
            ({"settings": {"language": "xx"}}, "language"),
            ({"settings": {"custom_only": True, "custom_words": ["a", "b"]}}, "custom_words"),
            ({"settings": {"colour": "red"}}, "colour"),
            ({"private": "yes"}, "private"),
            ({"name": "x" * 41}, "name"),
            ({"owner": "me"}, "owner"),
        ]
        for body, field in invalid:
            answer = await api(server, "POST", "/api/rooms", body)
            assert answer.status_code == 422, body
            error = answer.json()["error"]
            assert (error["code"], error["field"]) == ("invalid_settings", field), body
            assert error["message"]
        assert (await api(server, "GET", "/api/rooms")).json() == {"rooms": []}


async def test_create_room_refuses_settings_that_are_not_an_object(launch: Launch) -> None:
    # PROTOCOL.md: `settings` is a Settings object; a falsy non-object is no exception.
    server = await launch(rooms_per_minute_per_ip=100)
    with trio.fail_after(10):
        for settings in ([], 0, False, ""):
            answer = await api(server, "POST", "/api/rooms", {"settings": settings})
            assert answer.status_code == 422, settings
            error = answer.json()["error"]
            assert (error["code"], error["field"]) == ("invalid_settings", "settings")


async def test_create_room_refuses_a_name_that_is_not_storable_text(launch: Launch) -> None:
    # "\ud800" is valid JSON but a lone surrogate: no UTF-8 text, so neither SQLite
    # nor a WebSocket text frame can carry it. It must be refused, not a 500.
    server = await launch(rooms_per_minute_per_ip=100)
    with trio.fail_after(10):
        answer = await api(server, "POST", "/api/rooms", raw='{"name": "Room \\ud800"}')
        assert answer.status_code == 422, answer.text
        error = answer.json()["error"]
        assert (error["code"], error["field"]) == ("invalid_settings", "name")
        assert (await health(server))["status"] == "ok"


async def test_create_room_answers_code_url_and_summary(launch: Launch) -> None:
    server = await launch(rooms_per_minute_per_ip=100)
    with trio.fail_after(10):
        answer = await api(server, "POST", "/api/rooms",
                           {"name": "  Friday fun  ", "settings": {"rounds": 2, "language": "de"}})
        assert answer.status_code == 201
        body = answer.json()
        assert set(body) == {"code", "url", "room"}
        assert CODE_RE.fullmatch(body["code"])
        assert body["url"] == f"/r/{body['code']}"
        assert body["room"] == {
            "code": body["code"], "name": "Friday fun", "private": False, "phase": "lobby",
            "players": 0, "max_players": 8, "round": 0, "rounds": 2, "language": "de",
            "mode": "classic", "step": None, "steps": None,
            "worker": "w1", "ws_path": f"/ws/{body['code']}",
        }
        codes = {body["code"]}
        for _ in range(12):
            codes.add(await create_room(server))
        assert len(codes) == 13 and all(CODE_RE.fullmatch(c) for c in codes)
        empty = await api(server, "POST", "/api/rooms", raw="")
        assert empty.status_code == 201 and empty.json()["room"]["rounds"] == 3


async def test_room_listing_shows_open_public_rooms_fullest_first(launch: Launch) -> None:
    server = await launch(rooms_per_minute_per_ip=100)
    with trio.fail_after(15):
        one = await create_room(server)
        two = await create_room(server, max_players=3)
        full = await create_room(server, max_players=2)
        secret = await create_room(server, private=True)
        empty = await create_room(server)
        async with AsyncExitStack() as stack:
            for code, names in ((one, ["A"]), (two, ["B", "C"]), (full, ["D", "E"]),
                                (secret, ["F", "G", "H"])):
                for name in names:
                    client = await stack.enter_async_context(
                        connect(room_url(server, code), name))
                    await client.hello()
            rooms = (await api(server, "GET", "/api/rooms")).json()["rooms"]
            assert [(r["code"], r["players"]) for r in rooms] == [(two, 2), (one, 1), (empty, 0)]
            assert all(set(r) == SUMMARY_FIELDS and not r["private"] for r in rooms)

            hidden = await api(server, "GET", f"/api/rooms/{secret}")
            assert hidden.status_code == 200
            assert (hidden.json()["private"], hidden.json()["players"]) == (True, 3)
            shown = await api(server, "GET", f"/api/rooms/{full}")
            assert shown.json()["players"] == shown.json()["max_players"] == 2
        missing = await api(server, "GET", "/api/rooms/ZZZZ2222")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "room_not_found"


async def test_languages_lists_the_shipped_word_lists(launch: Launch) -> None:
    server = await launch()
    with trio.fail_after(10):
        answer = await api(server, "GET", "/api/languages")
        assert answer.status_code == 200
        languages = {lang["code"]: lang for lang in answer.json()["languages"]}
        assert {"en", "de", "fr", "es"} <= set(languages)
        assert languages["en"]["words"] >= 600
        for code in ("de", "fr", "es"):
            assert languages[code]["words"] >= 300
        assert all(lang["name"] for lang in languages.values())


async def test_room_creation_is_rate_limited_per_address(launch: Launch) -> None:
    server = await launch(rooms_per_minute_per_ip=3)
    with trio.fail_after(10):
        for _ in range(3):
            await create_room(server)
        answer = await api(server, "POST", "/api/rooms", {})
        assert answer.status_code == 429
        assert answer.json()["error"]["code"] == "rate_limited"
        assert answer.headers["Retry-After"] == "60"


# ---------------------------------------------------------------- live figures and limits


async def test_health_figures_are_live(launch: Launch) -> None:
    server = await launch(**GENEROUS)
    with trio.fail_after(15):
        before = (await health(server))["performance"]
        assert (before["ws_connections"], before["active_rooms"], before["active_players"]) == (
            0, 0, 0)
        code = await create_room(server)
        url = room_url(server, code)
        async with connect(url, "Ada") as ada, connect(url, "Bob") as bob:
            await ada.hello()
            await bob.hello()
            for i in range(5):
                await ada.send({"type": "chat", "text": f"hi {i}"})
                await bob.send({"type": "ping", "t": i})
            await bob.wait_for("pong", lambda m: m["t"] == 4)
            # Rates count whole seconds that are over: wait for the next one.
            report = await health_until(
                server, lambda h: h["performance"]["messages_in_per_s"] > 0)
            perf = report["performance"]
            assert (perf["ws_connections"], perf["active_rooms"], perf["active_players"]) == (
                2, 1, 2)
            assert perf["messages_out_per_s"] > 0
            assert report["checks"]["websocket"]["connections"] == 2
        after = await health_until(
            server, lambda h: h["performance"]["ws_connections"] == 0)
        assert after["performance"]["active_players"] == 0
        assert after["performance"]["active_rooms"] == 1


async def test_connections_past_the_limits_are_closed_with_1013(launch: Launch) -> None:
    server = await launch(trust_proxy_headers=True, max_connections_per_ip=2,
                          max_connections=3)
    with trio.fail_after(15):
        code = await create_room(server)
        url = room_url(server, code)

        def via(ip: str) -> list[tuple[str, str]]:
            return [("X-Forwarded-For", ip)]

        async with AsyncExitStack() as stack:
            first = await stack.enter_async_context(connect(url, "A1", headers=via("10.0.0.1")))
            await first.hello()
            second = await stack.enter_async_context(connect(url, "A2", headers=via("10.0.0.1")))
            await second.hello()
            async with connect(url, "A3", headers=via("10.0.0.1")) as third:
                assert await third.wait_closed() == 1013
                assert third.close_reason == "too many connections from your address"
            other = await stack.enter_async_context(connect(url, "B1", headers=via("10.0.0.2")))
            await other.hello()
            async with connect(url, "C1", headers=via("10.0.0.3")) as fourth:
                assert await fourth.wait_closed() == 1013
                assert fourth.close_reason == "the server is full; try again later"
            await first.send({"type": "leave"})
            assert await first.wait_closed() == 1000
            await health_until(server, lambda h: h["performance"]["ws_connections"] == 2)
            async with connect(url, "C2", headers=via("10.0.0.3")) as later:
                await later.hello()
