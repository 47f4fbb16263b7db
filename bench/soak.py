"""The soak benchmark: rooms of bots playing whole games against a real server for minutes.

The server is started pinned to core 0 (``taskset -c 0``) on a new SQLite
file; this script, the load generator, pins itself to core 1. ROOMS rooms
each get PLAYERS bot players who play complete games as people do: the host
starts a game, the drawer picks a word and draws (about 15 frames a second,
a few points each, an undo now and then), the others chat and guess (most
of them right, after a while). Around them, churn: a player's connection
drops and it resumes with its token (about every 4 minutes per player), a
player leaves and a new one joins (about every 10 minutes per player), and
a spectator comes to watch for a while (about every 2 minutes per room).

Every SAMPLE_S seconds the server's resident memory and open descriptors
(from /proc) and its health (status, event-loop lag, records waiting) are
sampled. At the end every bot leaves; once the rooms have closed (the server
runs with ``DRAWGAME_ROOM_IDLE_CLOSE_S=30``) memory is sampled again. Then
every finished game's album is read back (``GET /api/games/<id>``) and
compared with what the bots saw: the ranking of ``game_over``, and for each
turn the canvas every bot that watched the whole turn ended with (its
welcome snapshot and the relayed ``draw`` messages, replayed) against the
album's ops.

Printed: games, turns, draw frames sent and relayed, chat lines, reconnects
(resumes), leaves, joins, spectator visits, errors (``error`` messages by
code, unexpected closes, bot failures), albums checked and turns compared
(and any mismatch), health statuses seen, and RSS at start, after the
warm-up, at the end and once every bot has left; the samples go to
``--samples FILE`` as JSON lines.

Run: ``.venv/bin/python bench/soak.py [--rooms 30] [--minutes 15] [--players 4]
[--seed 1] [--samples soak.jsonl]``. Talks only to 127.0.0.1 and stops what it
starts. A benchmark, not a test: it asserts nothing; read its figures.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import trio
from trio_websocket import ConnectionClosed, HandshakeError, open_websocket_url

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))
from fanout import SERVER_CORE, free_port, pin_to_load_core, pinned, wait_http  # noqa: E402

from drawgame.game.ops import OpLog  # noqa: E402

IDLE_CLOSE_S = 30
"""The server's DRAWGAME_ROOM_IDLE_CLOSE_S here: rooms the bots left close soon."""
EXPECTED_CLOSES = {1000, 1012, 4004}
"""Close codes that need no explanation: after leave, a restart, a room closed."""
RACES = {"wrong_phase", "not_your_turn"}
"""Error codes a bot can get from a race with the clock (a stroke sent as the turn ends)."""
SETTINGS = {"rounds": 1, "draw_time_s": 30, "choose_time_s": 5, "word_choices": 2,
            "hints": 1, "max_players": 8}


# ---------------------------------------------------------------- what is counted


@dataclass
class Totals:
    frames_sent: int = 0
    frames_relayed: int = 0
    chats: int = 0
    resumes: int = 0
    leaves: int = 0
    joins: int = 0
    spectators: int = 0
    turn_ends: int = 0
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    closes: collections.Counter[int] = field(default_factory=collections.Counter)
    failures: list[str] = field(default_factory=list)
    games: dict[str, dict[str, Any]] = field(default_factory=dict)
    """game_id -> {room, ranking} as a bot saw game_over."""
    views: dict[tuple[str, str, str], list[list[dict[str, Any]]]] = field(
        default_factory=lambda: collections.defaultdict(list))
    """(room, drawer id, word) -> every canvas a bot saw whole, at the turn's end."""
    samples: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class RoomShared:
    """What the bots of one room share: the word (so guessers can find it)."""

    code: str
    word: str | None = None
    names: collections.Counter[str] = field(default_factory=collections.Counter)


# ---------------------------------------------------------------- one bot


class Bot:
    """A player (or spectator) of one room, following the protocol as a client does."""

    def __init__(self, url: str, room: RoomShared, totals: Totals, rng: random.Random,
                 name: str, deadline: float, spectator: bool = False,
                 stay_s: float | None = None) -> None:
        self.url, self.room, self.totals, self.rng = url, room, totals, rng
        self.name, self.deadline, self.spectator = name, deadline, spectator
        self.stay_until = None if stay_s is None else trio.current_time() + stay_s
        self.token: str | None = None
        self.id: str | None = None
        self.ws: Any = None
        self.phase = "lobby"
        self.drawer_id: str | None = None
        self.host = False
        self.connected_players = 0
        self.view: OpLog | None = None
        self.stroke = 0
        self.phase_changed = trio.Event()
        self.closed = trio.Event()

    async def live(self) -> str:
        """Play until told to go: ``left`` (it sent leave), ``gone`` (the room closed)."""
        while True:
            try:
                outcome = await self.session()
            except (ConnectionClosed, HandshakeError, OSError, trio.TooSlowError) as exc:
                outcome = "dropped"
                if isinstance(exc, ConnectionClosed):
                    self.totals.closes[exc.reason.code] += 1
                    if exc.reason.code == 4004:
                        outcome = "gone"
                    elif exc.reason.code not in EXPECTED_CLOSES:
                        self.totals.failures.append(f"{self.name}: closed with "
                                                    f"{exc.reason.code} at connect")
                elif not isinstance(exc, trio.TooSlowError):
                    self.totals.failures.append(f"{self.name}: {type(exc).__name__}: {exc}")
                else:
                    self.totals.failures.append(f"{self.name}: no welcome within 10 s")
            self.view = None
            if outcome in ("left", "gone"):
                return outcome
            if trio.current_time() >= self.deadline:
                return "left"
            await trio.sleep(0.5 + self.rng.random())

    async def session(self) -> str:
        ws_url = "ws" + self.url.removeprefix("http") + f"/ws/{self.room.code}"
        async with open_websocket_url(ws_url, message_queue_size=10_000,
                                      disconnect_timeout=5) as ws:
            self.ws, self.closed_with, self.closed = ws, None, trio.Event()
            resuming = self.token is not None
            with trio.fail_after(10):
                await self._hello()
                self._welcomed = False
                while not self._welcomed:
                    await self._read_one()
                    if self._again:
                        resuming = False
                        await self._hello()
            if resuming:
                self.totals.resumes += 1
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._reader)
                nursery.start_soon(self._actor)
                nursery.start_soon(self._pinger)
                outcome = await self._churn()
                nursery.cancel_scope.cancel()
            return outcome

    _welcomed = False
    _again = False
    closed_with: int | None = None
    guessed = False

    async def _hello(self) -> None:
        self._again = False
        hello: dict[str, Any] = {"type": "hello", "name": self.name}
        if self.token:
            hello["token"] = self.token
        if self.spectator:
            hello["spectate"] = True
        await self.ws.send_message(json.dumps(hello))

    async def _read_one(self) -> None:
        data = json.loads(await self.ws.get_message())
        for msg in data if isinstance(data, list) else [data]:
            self._on(msg)

    async def _reader(self) -> None:
        try:
            while True:
                await self._read_one()
        except ConnectionClosed as exc:
            self.totals.closes[exc.reason.code] += 1
            self.closed_with = exc.reason.code
            self.closed.set()

    def _on(self, msg: dict[str, Any]) -> None:
        kind = msg.get("type")
        if kind == "welcome":
            self._welcomed = True
            self.id, self.token = msg["you"]["id"], msg["you"]["token"]
            room = msg["room"]
            self.phase, self.drawer_id = room["phase"], room["drawer_id"]
            self._players(room["players"])
            self.view = OpLog(room["ops"]) if self.phase == "drawing" and \
                self.drawer_id != self.id else None
            if self.phase == "drawing" and self.drawer_id == self.id and room.get("word"):
                self.room.word = room["word"]
                self._wake()
        elif kind == "phase":
            self.phase, self.drawer_id = msg["phase"], msg["drawer_id"]
            if self.phase == "drawing":
                self.guessed = False
            if self.phase == "drawing" and self.drawer_id != self.id:
                self.view = OpLog()
            elif self.phase != "drawing":
                self.view = None
            self._wake()
        elif kind == "players":
            self._players(msg["players"])
        elif kind == "word" and self.phase in ("choosing", "drawing") \
                and self.drawer_id == self.id:
            self.room.word = msg["word"]
        elif kind == "draw":
            self.totals.frames_relayed += 1
            if self.view is not None:
                try:
                    self.view.apply(msg["ops"])
                except Exception as exc:  # a canvas past its caps: this view is not whole
                    self.totals.failures.append(f"{self.name}: view: {exc}")
                    self.view = None
        elif kind == "turn_end":
            self.totals.turn_ends += 1
            if self.view is not None and self.drawer_id is not None:
                key = (self.room.code, self.drawer_id, msg["word"])
                self.totals.views[key].append(list(self.view.ops))
            self.view = None
        elif kind == "game_over":
            self.totals.games.setdefault(msg["game_id"], {"room": self.room.code,
                                                          "ranking": msg["ranking"]})
        elif kind == "correct" and msg.get("player_id") == self.id:
            self.guessed = True
        elif kind == "error":
            self.totals.errors[msg["code"]] += 1
            if msg["code"] in ("bad_token", "name_taken") and not self._welcomed:
                # The seat expired (or the name is someone else's now): join anew.
                self.token, self.id = None, None
                if msg["code"] == "name_taken":
                    self.name += "x"
                self._again = True
        elif kind == "choices":
            self._wake()

    def _players(self, players: list[dict[str, Any]]) -> None:
        me = next((p for p in players if p["id"] == self.id), None)
        self.host = bool(me and me["host"])
        self.connected_players = sum(1 for p in players
                                     if p["connected"] and not p["spectator"])

    def _wake(self) -> None:
        self.phase_changed.set()
        self.phase_changed = trio.Event()

    async def _send(self, msg: dict[str, Any]) -> None:
        try:
            await self.ws.send_message(json.dumps(msg))
        except ConnectionClosed:
            pass  # the reader notes the close

    async def _pinger(self) -> None:
        while True:
            await trio.sleep(5)
            await self._send({"type": "ping", "t": time.time()})

    async def _actor(self) -> None:
        """Act on the phase: the host starts games, the drawer chooses and draws, the
        others guess."""
        while True:
            changed = self.phase_changed
            if self.spectator:
                pass
            elif self.phase == "lobby" and self.host:
                await trio.sleep(2 + self.rng.random())
                if self.phase == "lobby" and self.host and self.connected_players >= 2:
                    await self._send({"type": "start"})
            elif self.phase == "choosing" and self.drawer_id == self.id:
                self.room.word = None
                await trio.sleep(0.5 + self.rng.random())
                await self._send({"type": "choose", "index": self.rng.randrange(2)})
            elif self.phase == "drawing" and self.drawer_id == self.id:
                await self._draw()
            elif self.phase == "drawing":
                await self._guess()
            with trio.move_on_after(5):  # look again now and then (a start refused...)
                await changed.wait()

    async def _draw(self) -> None:
        while self.phase == "drawing" and self.drawer_id == self.id:
            self.stroke += 1
            x, y = self.rng.randrange(1000), self.rng.randrange(750)
            points: list[int] = []
            for _ in range(self.rng.randrange(3, 9)):
                x = max(0, min(1000, x + self.rng.randrange(-30, 31)))
                y = max(0, min(750, y + self.rng.randrange(-30, 31)))
                points += [x, y]
            ops: list[dict[str, Any]] = [{"op": "line", "id": self.stroke, "c": "#203040",
                                          "w": self.rng.randrange(2, 20), "p": points}]
            if self.rng.random() < 0.03:
                ops.append({"op": "undo"})
            await self._send({"type": "draw", "ops": ops})
            self.totals.frames_sent += 1
            await trio.sleep(1 / 15)

    async def _guess(self) -> None:
        changed = self.phase_changed
        with trio.move_on_after(self.rng.uniform(3, 22)):
            await changed.wait()
            return
        if self.phase != "drawing" or self.guessed:
            return
        if self.rng.random() < 0.3:
            await self._send({"type": "chat", "text": self.rng.choice(
                ["is it a house?", "a cat", "no idea", "nice!", "hmm"])})
            self.totals.chats += 1
        if self.rng.random() < 0.85 and self.room.word:
            await self._send({"type": "chat", "text": self.room.word})
            self.totals.chats += 1

    async def _churn(self) -> str:
        """Wait for the end, a drop, a leave; or the server closing the connection."""
        while True:
            await trio.sleep(1)
            if self.closed_with is not None:
                code, self.closed_with = self.closed_with, None
                if code == 4004:
                    return "gone"
                if code not in EXPECTED_CLOSES:
                    self.totals.failures.append(f"{self.name}: closed with {code}")
                return "dropped"
            now = trio.current_time()
            if now >= self.deadline or (self.stay_until is not None and now >= self.stay_until):
                await self._leave()
                return "left"
            if self.spectator:
                continue
            roll = self.rng.random()
            if roll < 1 / 240:  # the connection drops: resume with the token
                await self.ws.aclose()
                return "dropped"
            if roll < 1 / 240 + 1 / 600:
                await self._leave()
                self.totals.leaves += 1
                return "left"

    async def _leave(self) -> None:
        await self._send({"type": "leave"})
        with trio.move_on_after(2):
            await self.closed.wait()


# ---------------------------------------------------------------- rooms and the run


async def run_room(url: str, totals: Totals, seed: int, players: int, deadline: float) -> None:
    rng = random.Random(seed)
    async with httpx.AsyncClient(timeout=10) as http:
        answer = await http.post(url + "/api/rooms", json={
            "private": False, "settings": {**SETTINGS, "rounds": rng.choice([1, 1, 2])}})
    answer.raise_for_status()
    room = RoomShared(answer.json()["code"])

    def name(kind: str) -> str:
        room.names[kind] += 1
        return f"{kind}{room.names[kind]}"

    async def player(first: bool) -> None:
        while trio.current_time() < deadline:
            bot = Bot(url, room, totals, random.Random(rng.random()), name("P"), deadline)
            if not first:
                totals.joins += 1
            first = False
            if await bot.live() == "gone":
                return
            await trio.sleep(rng.uniform(1, 5))  # someone else takes the seat

    async def spectators() -> None:
        while True:
            await trio.sleep_until(min(deadline, trio.current_time() + rng.expovariate(1 / 120)))
            if trio.current_time() >= deadline:
                return
            totals.spectators += 1
            bot = Bot(url, room, totals, random.Random(rng.random()), name("S"), deadline,
                      spectator=True, stay_s=rng.uniform(20, 60))
            await bot.live()

    async with trio.open_nursery() as nursery:
        for i in range(players):
            nursery.start_soon(player, True)
            await trio.sleep(0.2 * (i + 1))
        nursery.start_soon(spectators)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def descriptors(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


async def sample(url: str, pid: int, totals: Totals, label: str, started: float,
                 log: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"t_s": round(trio.current_time() - started, 1), "label": label,
                             "rss_mb": round(rss_mb(pid), 1), "fds": descriptors(pid)}
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            body = (await http.get(url + "/api/health")).json()
        perf = body["performance"]
        entry.update(status=body["status"], lag_ms=perf["event_loop_lag_ms"],
                     rooms=perf["active_rooms"], players=perf["active_players"],
                     ws=perf["ws_connections"],
                     pending=body["checks"]["database"].get("pending_records"))
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        entry.update(status=f"no answer: {exc}")
    entry.update(frames_sent=totals.frames_sent, games=len(totals.games))
    totals.samples.append(entry)
    if log is not None:
        log.write(json.dumps(entry) + "\n")
        log.flush()
    return entry


async def check_albums(url: str, totals: Totals) -> dict[str, Any]:
    """Every finished game's album against what the bots saw."""
    checked = turns = compared = missing = 0
    mismatches: list[str] = []
    async with httpx.AsyncClient(timeout=30) as http:
        for game_id, seen in totals.games.items():
            answer = await http.get(url + f"/api/games/{game_id}")
            while answer.status_code == 429:  # the per-address album limit: wait as told
                await trio.sleep(float(answer.headers.get("Retry-After", "5")))
                answer = await http.get(url + f"/api/games/{game_id}")
            if answer.status_code != 200:
                mismatches.append(f"{game_id}: album answered {answer.status_code}")
                continue
            album = answer.json()
            checked += 1
            if album["ranking"] != seen["ranking"]:
                mismatches.append(f"{game_id}: ranking {album['ranking']} != {seen['ranking']}")
            for turn in album["turns"]:
                turns += 1
                views = totals.views.get((seen["room"], turn["drawer"]["id"], turn["word"]), [])
                if not views:
                    missing += 1
                for view in views:
                    compared += 1
                    if view != turn["ops"]:
                        mismatches.append(f"{game_id}: turn of {turn['drawer']['name']}"
                                          f" ({turn['word']}): {len(view)} ops seen,"
                                          f" {len(turn['ops'])} in the album")
    return {"albums_checked": checked, "album_turns": turns, "canvases_compared": compared,
            "turns_no_bot_saw_whole": missing, "mismatches": mismatches[:20],
            "mismatch_count": len(mismatches)}


async def soak(url: str, pid: int, args: argparse.Namespace, log: Any) -> dict[str, Any]:
    totals = Totals()
    started = trio.current_time()
    deadline = started + args.minutes * 60
    marks: dict[str, dict[str, Any]] = {}
    marks["start"] = await sample(url, pid, totals, "start", started, log)
    async with trio.open_nursery() as nursery:
        for i in range(args.rooms):
            nursery.start_soon(run_room, url, totals, args.seed * 1000 + i, args.players,
                               deadline)

        async def sampler() -> None:
            warm = started + args.warmup_s
            while trio.current_time() < deadline:
                await trio.sleep(args.sample_s)
                label = "warm" if "warm" not in marks and trio.current_time() >= warm else "run"
                entry = await sample(url, pid, totals, label, started, log)
                if label == "warm":
                    marks["warm"] = entry
            marks["end"] = await sample(url, pid, totals, "end", started, log)

        nursery.start_soon(sampler)
    # Every bot has left: the rooms close after IDLE_CLOSE_S.
    with trio.move_on_after(IDLE_CLOSE_S + 60):
        while True:
            await trio.sleep(2)
            entry = await sample(url, pid, totals, "after", started, log)
            if entry.get("rooms") == 0 and entry.get("ws") == 0:
                break
    await trio.sleep(5)
    marks["left"] = await sample(url, pid, totals, "left", started, log)
    albums = await check_albums(url, totals)
    async with httpx.AsyncClient(timeout=10) as http:
        metrics = (await http.get(url + "/metrics")).text
    refused = {line.split('"')[1]: float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
               if line.startswith("drawgame_http_connections_refused_total{")}
    statuses = collections.Counter(str(s.get("status")) for s in totals.samples)
    return {
        "rooms": args.rooms, "players_per_room": args.players, "minutes": args.minutes,
        "games": len(totals.games), "turn_ends_seen": totals.turn_ends,
        "turns_in_albums": albums["album_turns"],
        "frames_sent": totals.frames_sent, "frames_relayed": totals.frames_relayed,
        "chat_lines": totals.chats, "resumes": totals.resumes, "leaves": totals.leaves,
        "joins": totals.joins, "spectator_visits": totals.spectators,
        "error_messages": dict(totals.errors),
        "unexpected_errors": {k: v for k, v in totals.errors.items() if k not in RACES},
        "close_codes": dict(totals.closes),
        "bot_failures": len(totals.failures), "bot_failure_examples": totals.failures[:10],
        **albums,
        "health_statuses": dict(statuses),
        "http_connections_refused": refused,
        "max_lag_ms": max((s.get("lag_ms") or 0 for s in totals.samples), default=0),
        "max_fds": max(s["fds"] for s in totals.samples),
        "rss_mb": {k: marks[k]["rss_mb"] for k in ("start", "warm", "end", "left") if k in marks},
        "fds": {k: marks[k]["fds"] for k in ("start", "warm", "end", "left") if k in marks},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rooms", type=int, default=30)
    parser.add_argument("--minutes", type=float, default=15)
    parser.add_argument("--players", type=int, default=4)
    parser.add_argument("--warmup-s", type=float, default=120)
    parser.add_argument("--sample-s", type=float, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--samples", type=Path, help="write every sample here (JSON lines)")
    args = parser.parse_args()
    pin_to_load_core()
    with tempfile.TemporaryDirectory(prefix="drawgame-soak-") as folder:
        tmp = Path(folder)
        port = free_port()
        env = {**os.environ, "DRAWGAME_PORT": str(port),
               "DRAWGAME_DB_PATH": str(tmp / "soak.sqlite3"),
               "DRAWGAME_LOG_LEVEL": "warning", "DRAWGAME_LOG_FORMAT": "json",
               "DRAWGAME_ENV_FILE": str(tmp / "none.env"), "DRAWGAME_ENVIRONMENT": "production",
               "DRAWGAME_MAX_CONNECTIONS_PER_IP": "10000",
               "DRAWGAME_MAX_HTTP_CONNECTIONS_PER_IP": "1000",
               "DRAWGAME_ROOMS_PER_MINUTE_PER_IP": "10000",
               "DRAWGAME_ALBUM_READS_PER_MINUTE_PER_IP": "100000",
               "DRAWGAME_ROOM_IDLE_CLOSE_S": str(IDLE_CLOSE_S),
               "PYTHONPATH": str(ROOT)}
        log_path = tmp / "server.log"
        with open(log_path, "wb") as server_log:
            proc = subprocess.Popen(
                pinned(SERVER_CORE, [sys.executable, "-m", "drawgame", "serve"]), cwd=tmp,
                env=env, stdout=subprocess.DEVNULL, stderr=server_log)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_http(url + "/api/health")
            samples = open(args.samples, "w") if args.samples else None  # noqa: SIM115
            try:
                result = trio.run(soak, url, proc.pid, args, samples)
            finally:
                if samples is not None:
                    samples.close()
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        levels = collections.Counter(
            json.loads(line).get("level") for line in log_path.read_text().splitlines()
            if line.startswith("{"))
        result["server_log_levels"] = dict(levels)
        result["server_exit"] = proc.returncode
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
