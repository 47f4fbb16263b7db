"""Maintenance mode, end to end: new rooms and joins refused, games in progress finish."""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import trio
from conftest import RunningServer
from trio_websocket import open_websocket_url

from drawgame.config import Config
from drawgame.ops import admin_token
from drawgame.services import Services, open_services
from drawgame.store import kv
from drawgame.store.db import connect, in_transaction
from drawgame.web.api import MAINTENANCE_RETRY_AFTER_S
from smoke.run import Player

SETTINGS = {"rounds": 1, "max_players": 4, "word_choices": 1, "hints": 0}


def _request(url: str, method: str = "GET", body: Any = None,
             token: str | None = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=5) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


async def request(url: str, method: str = "GET", body: Any = None,
                  token: str | None = None) -> tuple[int, Any]:
    return await trio.to_thread.run_sync(_request, url, method, body, token)


def new_token(config: Config) -> str:
    conn = connect(config.db_path)
    try:
        return in_transaction(conn, admin_token.rotate)
    finally:
        conn.close()


@asynccontextmanager
async def player(server: RunningServer, code: str, name: str) -> AsyncIterator[Player]:
    async with open_websocket_url(f"{server.ws_url}/ws/{code}", disconnect_timeout=1) as ws:
        p = Player(ws, name)
        await p.send({"type": "hello", "name": name})
        welcome = await p.expect("welcome")
        p.id, p.token = welcome["you"]["id"], welcome["you"]["token"]
        yield p


async def create_room(server: RunningServer) -> str:
    status, body = await request(server.url + "/api/rooms", "POST",
                                 {"private": True, "settings": SETTINGS})
    assert status == 201, body
    return str(body["code"])


async def await_choosing(players: list[Player]) -> str:
    """Everyone sees the choosing phase and the drawer its choices; returns the drawer's id."""
    drawer_id = ""
    for p in players:
        drawer_id = (await p.expect("phase", lambda m: m["phase"] == "choosing"))["drawer_id"]
    await next(p for p in players if p.id == drawer_id).expect("choices")
    return drawer_id


async def play_turn(players: list[Player], drawer_id: str) -> Player:
    """The drawer chooses and draws, the other guesses; returns the drawer."""
    drawer = next(p for p in players if p.id == drawer_id)
    guesser = next(p for p in players if p.id != drawer_id)
    await drawer.send({"type": "choose", "index": 0})
    word = (await drawer.expect("word"))["word"]
    await drawer.send({"type": "draw", "ops": [
        {"op": "line", "id": 1, "c": "#000000", "w": 4, "p": [0, 0, 500, 500]}]})
    await guesser.expect("draw")
    await guesser.send({"type": "chat", "text": word})
    for p in players:
        end = await p.expect("turn_end")
        assert end["reason"] == "all_guessed"
    return drawer


async def test_maintenance_refuses_rooms_and_joins_and_lets_the_game_finish(
    server: RunningServer, config: Config
) -> None:
    token = new_token(config)
    code = await create_room(server)
    with trio.fail_after(40):
        async with player(server, code, "Ada") as ada, player(server, code, "Bob") as bob:
            await ada.send({"type": "start"})
            first_drawer = await await_choosing([ada, bob])
            status, body = await request(server.url + "/api/admin/maintenance", "POST",
                                         {"on": True, "message": "new version at 5"}, token)
            assert status == 200, body
            for p in (ada, bob):
                notice = await p.expect("notice")
                assert "new version at 5" in notice["text"]

            status, body = await request(server.url + "/api/rooms", "POST", {})
            assert (status, body["error"]["code"]) == (503, "maintenance")
            status, health = await request(server.url + "/api/health")
            assert (health["status"], health["maintenance"]) == ("degraded", True)
            async with open_websocket_url(f"{server.ws_url}/ws/{code}") as ws:
                newcomer = Player(ws, "Cy")
                await newcomer.send({"type": "hello", "name": "Cy"})
                error = await newcomer.next()
                assert (error["type"], error["code"]) == ("error", "maintenance")
                assert await newcomer.expect_close() == 1013

            # The game in progress goes on to its end: both turns, then game_over.
            first = await play_turn([ada, bob], first_drawer)
            second = await play_turn([ada, bob], await await_choosing([ada, bob]))
            assert {first.id, second.id} == {ada.id, bob.id}
            overs = [await p.expect("game_over") for p in (ada, bob)]
            assert overs[0] == overs[1]
            assert {r["id"] for r in overs[0]["ranking"]} == {ada.id, bob.id}
            assert all(r["score"] > 0 for r in overs[0]["ranking"])

            status, _ = await request(server.url + "/api/admin/maintenance", "POST",
                                      {"on": False}, token)
            assert status == 200
            assert "over" in (await ada.expect("notice"))["text"]
    assert (await request(server.url + "/api/rooms", "POST", {}))[0] == 201


async def test_a_returning_player_may_resume_during_maintenance(
    server: RunningServer, config: Config
) -> None:
    token = new_token(config)
    code = await create_room(server)
    with trio.fail_after(20):
        async with player(server, code, "Ada") as ada:
            async with player(server, code, "Bob") as bob:
                bob_token, bob_id = bob.token, bob.id
            await request(server.url + "/api/admin/maintenance", "POST", {"on": True}, token)
            async with open_websocket_url(f"{server.ws_url}/ws/{code}") as ws:
                back = Player(ws, "Bob")
                await back.send({"type": "hello", "name": "Bob", "token": bob_token})
                welcome = await back.expect("welcome")
                assert welcome["you"]["id"] == bob_id
            assert ada.id is not None


async def test_maintenance_survives_a_restart(config: Config) -> None:
    async with open_services(config) as svc:
        await svc.set_maintenance(True, "moving house")
    async with open_services(config) as svc:
        assert (svc.maintenance.on, svc.maintenance.message) == (True, "moving house")


def cli_env(config: Config, server: RunningServer | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRAWGAME_")}
    env.update(DRAWGAME_DB_PATH=config.db_path, DRAWGAME_ENV_FILE=os.devnull)
    if server is not None:
        env.update(DRAWGAME_HOST="127.0.0.1", DRAWGAME_PORT=str(server.port))
    return env


async def cli(env: dict[str, str], *args: str) -> tuple[int, str]:
    done = await trio.run_process(
        [sys.executable, "-m", "drawgame", "maintenance", *args, "--instance", "local"],
        env=env, capture_stdout=True, capture_stderr=True, check=False,
    )
    return done.returncode, (done.stdout + done.stderr).decode()


async def test_command_line_without_token_reaches_a_running_server_through_the_database(
    server: RunningServer, config: Config
) -> None:
    code = await create_room(server)
    env = cli_env(config, server)
    with trio.fail_after(30):
        async with player(server, code, "Ada") as ada:
            rc, out = await cli(env, "on", "--message", "disk swap")
            assert rc == 0, out
            assert "applied it" in out
            assert "disk swap" in (await ada.expect("notice"))["text"]
            status, body = await request(server.url + "/api/rooms", "POST", {})
            assert (status, body["error"]["message"]) == (503, "disk swap")
            rc, out = await cli(env, "off")
            assert rc == 0, out
            assert "over" in (await ada.expect("notice"))["text"]
    assert (await request(server.url + "/api/rooms", "POST", {}))[0] == 201


async def test_command_line_with_a_token_uses_the_admin_api(
    server: RunningServer, config: Config
) -> None:
    env = cli_env(config, server)
    env["DRAWGAME_ADMIN_TOKEN"] = new_token(config)
    with trio.fail_after(20):
        rc, out = await cli(env, "on", "--message", "api path")
        assert rc == 0 and "admin API" in out, out
        _, health = await request(server.url + "/api/health")
        assert health["maintenance"] is True  # at once: no database polling involved
        env["DRAWGAME_ADMIN_TOKEN"] = "wrong"
        rc, out = await cli(env, "off")
        assert rc == 1 and "403" in out


async def test_command_line_without_a_server_sets_the_flag_for_the_next_start(
    config: Config,
) -> None:
    async with open_services(config):
        pass  # creates and migrates the database
    rc, out = await cli(cli_env(config), "on", "--message", "offline")
    assert rc == 0 and "when the server starts" in out, out
    async with open_services(config) as svc:
        assert (svc.maintenance.on, svc.maintenance.message) == (True, "offline")


async def test_command_line_refuses_a_message_that_is_not_valid_text(config: Config) -> None:
    async with open_services(config):
        pass
    # bytes that are not UTF-8 reach Python as lone surrogates (surrogateescape)
    done = await trio.run_process(
        [sys.executable.encode(), b"-m", b"drawgame", b"maintenance", b"on", b"--message",
         b"back \xed\xa0\x80 soon", b"--instance", b"local"],
        env=cli_env(config), capture_stdout=True, capture_stderr=True, check=False,
    )
    out = (done.stdout + done.stderr).decode()
    assert done.returncode == 1, out
    assert "--message" in out and "lone surrogate" in out and "Traceback" not in out
    async with open_services(config) as svc:
        assert svc.maintenance.on is False  # nothing was saved


async def test_a_bad_message_saved_in_the_database_never_reaches_players_broken(
    config: Config,
) -> None:
    async with open_services(config):
        pass
    conn = connect(config.db_path)
    try:
        in_transaction(conn, lambda c: kv.set_json(
            c, "maintenance", {"on": True, "message": "a\ud800b"}))
    finally:
        conn.close()
    async with open_services(config) as svc:
        assert svc.maintenance.on is True
        svc.maintenance.message.encode("utf-8")  # what players get is valid text
        assert svc.maintenance.message == "a\ufffdb"


async def test_the_maintenance_refusal_says_when_to_try_again(
    client: Any, services: Services
) -> None:
    await services.set_maintenance(True, "back soon")
    answer = await client.post("/api/rooms", json={})
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == str(MAINTENANCE_RETRY_AFTER_S)
    assert (await answer.get_json())["error"]["code"] == "maintenance"
