"""Smoke tests against a running drawgame: ``python -m smoke URL`` or ``python smoke/run.py URL``.

What a player would do, end to end, through the public API only: check
/api/health, create a private one-round room, join it with two real
WebSocket clients, play one turn to its end (the drawer chooses and draws,
the other guesses right), check ``correct``, ``turn_end`` and the scores,
then leave. Each step is printed with its time; the first failure stops the
run, is named, and the exit code is 1. The room is private and both players
leave, so nothing stays listed in the lobby.

Needs only the standard library, trio and trio-websocket.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import trio
from trio_websocket import ConnectionClosed, WebSocketConnection, open_websocket_url

STEP_TIMEOUT_S = 10.0
HEALTH_FIELDS = ("status", "timestamp", "version", "environment", "uptime_s", "maintenance",
                 "checks", "performance")
PERFORMANCE_FIELDS = ("active_rooms", "active_players", "ws_connections", "messages_in_per_s",
                      "messages_out_per_s", "event_loop_lag_ms", "memory_rss_mb")
ROOM_SETTINGS = {"rounds": 1, "max_players": 2, "word_choices": 1, "hints": 0}
LINE = {"op": "line", "id": 1, "c": "#000000", "w": 4, "p": [100, 100, 900, 650]}


class StepFailed(Exception):
    """A smoke step did not see what it expected."""


# ---------------------------------------------------------------- HTTP


def _http(method: str, url: str, body: Any = None, timeout: float = STEP_TIMEOUT_S,
          ) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw or b"null")
        except ValueError:
            return exc.code, raw.decode(errors="replace")[:200]
    except (OSError, ValueError) as exc:
        raise StepFailed(f"{method} {url}: {exc}") from None


async def http(method: str, url: str, body: Any = None) -> tuple[int, Any]:
    """One JSON request in a worker thread (urllib), so trio keeps running."""
    return await trio.to_thread.run_sync(_http, method, url, body, abandon_on_cancel=True)


def _error_text(body: Any) -> str:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return f"{body['error'].get('code')}: {body['error'].get('message')}"
    return str(body)[:200]


# ---------------------------------------------------------------- WebSocket player


class Player:
    """One WebSocket client: sends messages, and waits for the ones it expects.

    Server frames may be one message or a JSON array of messages; both are
    flattened into one ordered queue.
    """

    def __init__(self, ws: WebSocketConnection, name: str) -> None:
        self.ws = ws
        self.name = name
        self.id: str | None = None
        self.token: str | None = None
        self.pending: deque[dict[str, Any]] = deque()
        self.seen: list[str] = []

    async def send(self, msg: dict[str, Any]) -> None:
        try:
            await self.ws.send_message(json.dumps(msg))
        except ConnectionClosed as exc:
            raise StepFailed(f"{self.name}'s connection closed ({exc.reason}) before it could "
                             f"send {msg.get('type')!r}") from None

    async def next(self) -> dict[str, Any]:
        while not self.pending:
            frame = json.loads(await self.ws.get_message())
            self.pending.extend(frame if isinstance(frame, list) else [frame])
        msg = self.pending.popleft()
        self.seen.append(str(msg.get("type")))
        return msg

    async def expect(
        self, kind: str, where: Callable[[dict[str, Any]], bool] = lambda m: True
    ) -> dict[str, Any]:
        """The next ``kind`` message matching ``where``; others are skipped (an ``error`` fails)."""
        with trio.move_on_after(STEP_TIMEOUT_S):
            try:
                while True:
                    msg = await self.next()
                    if msg.get("type") == kind and where(msg):
                        return msg
                    if msg.get("type") == "error":
                        raise StepFailed(f"{self.name} got error {msg.get('code')}: "
                                         f"{msg.get('message')}")
            except ConnectionClosed as exc:
                raise StepFailed(f"{self.name}'s connection closed ({exc.reason}) while waiting "
                                 f"for {kind!r}") from None
        recent = ", ".join(self.seen[-8:]) or "nothing"
        raise StepFailed(
            f"{self.name} saw no {kind!r} within {STEP_TIMEOUT_S:g} s (last seen: {recent})"
        )

    async def expect_close(self) -> int | None:
        """Read until the server closes the connection; return the close code."""
        with trio.move_on_after(STEP_TIMEOUT_S):
            try:
                while True:
                    await self.next()
            except ConnectionClosed as exc:
                return int(exc.reason.code) if exc.reason is not None else None
        raise StepFailed(f"{self.name}'s connection was not closed within {STEP_TIMEOUT_S:g} s")


# ---------------------------------------------------------------- the run


class Smoke:
    """The steps, in order, sharing what they learn (room code, players, the word)."""

    def __init__(self, base_url: str, out: Callable[[str], None] = print) -> None:
        self.base = base_url.rstrip("/")
        self.ws_base = "ws" + self.base.removeprefix("http")
        self.out = out
        self.started = time.monotonic()
        self.code = ""
        self.players: dict[str, Player] = {}
        self.drawer: Player | None = None
        self.guesser: Player | None = None
        self.word = ""
        self.points: dict[str, int] = {}

    async def run(self) -> str | None:
        """Run every step; return None when all passed, else the failed step's name."""
        async with AsyncExitStack() as stack:
            steps: list[tuple[str, Callable[[], Awaitable[str]]]] = [
                ("health", self.health),
                ("create room", self.create_room),
                ("join", lambda: self.join(stack)),
                ("start", self.start),
                ("choose", self.choose),
                ("draw", self.draw),
                ("guess", self.guess),
                ("turn end", self.turn_end),
                ("leave", self.leave),
                ("not listed", self.not_listed),
            ]
            for name, step in steps:
                began = time.monotonic()
                try:
                    detail = await step()
                except (StepFailed, ConnectionClosed, OSError, ValueError, KeyError,
                        TypeError) as exc:
                    why = exc if isinstance(exc, StepFailed) else f"{type(exc).__name__}: {exc}"
                    self._line("FAIL", name, began, str(why))
                    return name
                self._line("ok", name, began, detail)
        return None

    def _line(self, status: str, step: str, began: float, detail: str) -> None:
        at = time.monotonic() - self.started
        took = (time.monotonic() - began) * 1000
        self.out(f"{status:<4} {at:7.3f}s  {step:<12} {took:7.1f} ms  {detail}")

    async def health(self) -> str:
        status, body = await http("GET", self.base + "/api/health")
        if not isinstance(body, dict):
            raise StepFailed(f"HTTP {status}, not a JSON object: {body!r}"[:200])
        missing = [f for f in HEALTH_FIELDS if f not in body]
        if missing:
            raise StepFailed(f"HTTP {status}, fields missing: {', '.join(missing)}")
        if status != 200 or body["status"] not in ("ok", "degraded"):
            raise StepFailed(f"HTTP {status}, status {body['status']!r}: {body.get('checks')}")
        database = body["checks"].get("database", {})
        if database.get("status") != "ok":
            raise StepFailed(f"database check: {database}")
        perf_missing = [f for f in PERFORMANCE_FIELDS if f not in body["performance"]]
        if perf_missing:
            raise StepFailed(f"performance fields missing: {', '.join(perf_missing)}")
        if not isinstance(body["maintenance"], bool) or type(body["uptime_s"]) not in (int, float):
            raise StepFailed("maintenance must be a boolean and uptime_s a number")
        return (f"status {body['status']}, version {body['version']}, {body['environment']}, "
                f"database {database.get('latency_ms')} ms, maintenance {body['maintenance']}")

    async def create_room(self) -> str:
        body = {"name": "smoke test", "private": True, "settings": ROOM_SETTINGS}
        status, answer = await http("POST", self.base + "/api/rooms", body)
        if status != 201 or not isinstance(answer, dict) or "code" not in answer:
            raise StepFailed(f"HTTP {status}: {_error_text(answer)}")
        if answer.get("room", {}).get("private") is not True:
            raise StepFailed(f"the room is not private: {answer.get('room')}")
        self.code = str(answer["code"])
        return f"private room {self.code}"

    async def join(self, stack: AsyncExitStack) -> str:
        for name in ("smoke-a", "smoke-b"):
            url = f"{self.ws_base}/ws/{self.code}"
            ws = await stack.enter_async_context(
                open_websocket_url(url, connect_timeout=STEP_TIMEOUT_S, disconnect_timeout=2)
            )
            player = Player(ws, name)
            await player.send({"type": "hello", "name": name})
            welcome = await player.expect("welcome")
            player.id, player.token = welcome["you"]["id"], welcome["you"]["token"]
            self.players[name] = player
        host = self.players["smoke-a"]
        room = welcome["room"]
        if room.get("host_id") != host.id:
            raise StepFailed(f"the first player is not the host: {room.get('host_id')}")
        return f"{len(self.players)} players joined, host {host.id}"

    async def start(self) -> str:
        host = self.players["smoke-a"]
        await host.send({"type": "start"})
        phases = [await p.expect("phase", lambda m: m.get("phase") == "choosing")
                  for p in self.players.values()]
        drawer_id = phases[0]["drawer_id"]
        self.drawer = next((p for p in self.players.values() if p.id == drawer_id), None)
        self.guesser = next((p for p in self.players.values() if p.id != drawer_id), None)
        if self.drawer is None or self.guesser is None:
            raise StepFailed(f"drawer {drawer_id!r} is not one of the smoke players")
        return f"game started, {self.drawer.name} draws"

    async def choose(self) -> str:
        assert self.drawer is not None and self.guesser is not None
        choices = await self.drawer.expect("choices")
        if not choices.get("words"):
            raise StepFailed(f"no words offered: {choices}")
        await self.drawer.send({"type": "choose", "index": 0})
        self.word = (await self.drawer.expect("word"))["word"]
        await self.guesser.expect("phase", lambda m: m.get("phase") == "drawing")
        return f"drawing {len(self.word)} letters"

    async def draw(self) -> str:
        assert self.drawer is not None and self.guesser is not None
        await self.drawer.send({"type": "draw", "ops": [LINE]})
        relayed = await self.guesser.expect("draw")
        ops = relayed.get("ops") or []
        if relayed.get("from") != self.drawer.id or not ops or ops[0].get("op") != "line":
            raise StepFailed(f"the guesser got a different drawing: {relayed}")
        return "one line relayed to the guesser"

    async def guess(self) -> str:
        assert self.drawer is not None and self.guesser is not None
        guesser_id = self.guesser.id
        await self.guesser.send({"type": "chat", "text": self.word})
        seen = [await p.expect("correct", lambda m: m.get("player_id") == guesser_id)
                for p in (self.guesser, self.drawer)]
        points = seen[0].get("points")
        if not isinstance(points, int) or points <= 0 or seen[1].get("points") != points:
            raise StepFailed(f"correct carries bad points: {seen}")
        self.points[str(guesser_id)] = points
        return f"guessed right for {points} points"

    async def turn_end(self) -> str:
        assert self.drawer is not None and self.guesser is not None
        ends = [await p.expect("turn_end") for p in (self.guesser, self.drawer)]
        end = ends[0]
        points = end.get("points") or {}
        if end.get("reason") != "all_guessed" or end.get("word") != self.word:
            raise StepFailed(f"turn_end: {end}")
        if points.get(self.guesser.id) != self.points[str(self.guesser.id)]:
            raise StepFailed(f"turn_end points {points} differ from correct")
        drawer_points = points.get(self.drawer.id)
        if not isinstance(drawer_points, int) or drawer_points <= 0:
            raise StepFailed(f"the drawer scored {drawer_points!r}")
        expected = {self.guesser.id: points[self.guesser.id], self.drawer.id: drawer_points}
        scores = await self.guesser.expect(
            "players", lambda m: {p["id"]: p["score"] for p in m["players"]} == expected
        )
        return f"reason all_guessed, scores {[(p['name'], p['score']) for p in scores['players']]}"

    async def leave(self) -> str:
        for player in self.players.values():
            await player.send({"type": "leave"})
            code = await player.expect_close()
            if code != 1000:
                raise StepFailed(f"{player.name} was closed with {code}, not 1000 after leave")
        return "both left, closed with 1000"

    async def not_listed(self) -> str:
        status, body = await http("GET", self.base + "/api/rooms")
        if status != 200 or not isinstance(body, dict):
            raise StepFailed(f"GET /api/rooms: HTTP {status}")
        listed = [room.get("code") for room in body.get("rooms", [])]
        if self.code in listed:
            raise StepFailed(f"room {self.code} is listed in the lobby")
        return f"room {self.code} not listed ({len(listed)} public rooms)"


async def smoke(base_url: str, out: Callable[[str], None] = print) -> str | None:
    """Run the smoke tests; None when all passed, else the name of the failed step."""
    return await Smoke(base_url, out).run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="smoke", description=__doc__.splitlines()[0])
    parser.add_argument("url", help="base URL of the server, e.g. http://127.0.0.1:8000")
    args = parser.parse_args(argv)
    if not args.url.startswith(("http://", "https://")):
        parser.error("the URL must start with http:// or https://")

    def out(line: str) -> None:
        print(line, flush=True)

    out(f"smoke tests against {args.url}")
    started = time.monotonic()
    failed = trio.run(smoke, args.url, out)
    took = time.monotonic() - started
    if failed is not None:
        out(f"smoke: FAILED at step '{failed}' after {took:.2f} s")
        return 1
    out(f"smoke: all steps passed in {took:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
