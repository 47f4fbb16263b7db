"""Fan-out load generator: drawers stream strokes, everyone else receives them.

Starts a server in a subprocess (or uses --url), fills ``--rooms`` rooms with
``--players`` real WebSocket clients each, starts a game in every room, and
has each drawer send a ``draw`` frame every ``--interval-ms`` for
``--seconds``. Prints what the players received and what it cost the server:

    deliveries/s      draw messages received by players, per second
    frames/s          WebSocket frames those arrived in (adaptive batching)
    latency p50/p95   from the drawer's send to a player's receipt
    server CPU        user+system seconds of the server process, and per delivery

Run: ``.venv/bin/python bench/fanout.py --rooms 20 --players 8 --seconds 10``.
It talks only to 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import trio
from trio_websocket import ConnectionClosed, WebSocketConnection, open_websocket_url

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Tally:
    sent: dict[int, float] = field(default_factory=dict)
    deliveries: int = 0
    frames: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0


def start_server(tmp: Path) -> tuple[subprocess.Popen[str], str]:
    env = {
        **os.environ,
        "DRAWGAME_PORT": "0",
        "DRAWGAME_DB_PATH": str(tmp / "bench.sqlite3"),
        "DRAWGAME_LOG_FORMAT": "json",
        "DRAWGAME_ENV_FILE": str(tmp / "none.env"),
        "DRAWGAME_MAX_CONNECTIONS_PER_IP": "10000",
        "DRAWGAME_ROOMS_PER_MINUTE_PER_IP": "10000",
        "DRAWGAME_DRAW_RATE": "1000",
        "DRAWGAME_DRAW_BURST": "1000",
        "PYTHONPATH": str(ROOT),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "drawgame", "serve"], cwd=tmp, env=env,
        stderr=subprocess.PIPE, text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith("{") and json.loads(line).get("event") == "serving":
            # Keep draining the log so the server never blocks on a full pipe.
            threading.Thread(target=proc.stderr.read, daemon=True).start()
            return proc, json.loads(line)["binds"][0]
    raise SystemExit(f"the server did not start (exit code {proc.wait()})")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def receive(ws: WebSocketConnection, tally: Tally, inbox: list[dict[str, Any]]) -> None:
    try:
        while True:
            data = json.loads(await ws.get_message())
            now = time.perf_counter()
            tally.frames += 1
            for msg in data if isinstance(data, list) else [data]:
                if msg["type"] == "draw":
                    tally.deliveries += 1
                    sent = tally.sent.get(msg["ops"][0]["id"])
                    if sent is not None and len(tally.latencies) < 200_000:
                        tally.latencies.append(now - sent)
                elif msg["type"] == "error":
                    tally.errors += 1
                else:
                    inbox.append(msg)
    except ConnectionClosed:
        pass


async def wait_for(inbox: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    with trio.fail_after(10):
        while True:
            for msg in inbox:
                if msg["type"] == kind:
                    return msg
            await trio.sleep(0.01)


async def find_drawer(inboxes: list[list[dict[str, Any]]]) -> int:
    with trio.fail_after(10):
        while True:
            for i, inbox in enumerate(inboxes):
                if any(m["type"] == "choices" for m in inbox):
                    return i
            await trio.sleep(0.01)


async def run_room(
    url: str, players: int, args: argparse.Namespace, tally: Tally, ids: Any, go: trio.Event,
    ready: trio.Semaphore,
) -> None:
    async with httpx.AsyncClient() as http:
        answer = await http.post(url + "/api/rooms", json={
            "private": True, "settings": {"max_players": max(2, players), "draw_time_s": 240}})
        code = answer.json()["code"]
    ws_url = "ws" + url.removeprefix("http") + f"/ws/{code}"
    async with trio.open_nursery() as nursery:
        sockets: list[WebSocketConnection] = []
        inboxes: list[list[dict[str, Any]]] = []
        for i in range(players):
            ws = await nursery.start(_connect, ws_url)
            inbox: list[dict[str, Any]] = []
            sockets.append(ws)
            inboxes.append(inbox)
            nursery.start_soon(receive, ws, tally, inbox)
            await ws.send_message(json.dumps({"type": "hello", "name": f"P{i}"}))
            await wait_for(inbox, "welcome")
        await sockets[0].send_message(json.dumps({"type": "start"}))
        drawer = await find_drawer(inboxes)
        await sockets[drawer].send_message(json.dumps({"type": "choose", "index": 0}))
        await wait_for(inboxes[drawer], "word")
        ready.release()
        await go.wait()
        deadline = trio.current_time() + args.seconds
        while trio.current_time() < deadline:
            stroke = next(ids)
            ops = [{"op": "line", "id": stroke, "c": "#336699", "w": 4,
                    "p": [10, 10, 20, 20, 30, 30, 40, 40]}]
            tally.sent[stroke] = time.perf_counter()
            await sockets[drawer].send_message(json.dumps({"type": "draw", "ops": ops}))
            await trio.sleep(args.interval_ms / 1000)
        await trio.sleep(0.5)  # let the last deliveries arrive
        nursery.cancel_scope.cancel()


async def _connect(url: str, task_status: Any) -> None:
    async with open_websocket_url(url, message_queue_size=100_000) as ws:
        task_status.started(ws)
        await trio.sleep_forever()


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = (None, args.url) if args.url else start_server(Path(tmp))
        try:
            await bench(args, url, proc)
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=15)


async def bench(args: argparse.Namespace, url: str, proc: subprocess.Popen[str] | None) -> None:
    tally = Tally()
    ids = iter(range(1, 10**9))
    go = trio.Event()
    ready = trio.Semaphore(0, max_value=args.rooms)
    # Drawers wait for the signal so every room streams over the same window.
    with trio.fail_after(args.seconds + 120):
        async with trio.open_nursery() as nursery:
            for _ in range(args.rooms):
                nursery.start_soon(run_room, url, args.players, args, tally, ids, go, ready)
            for _ in range(args.rooms):
                await ready.acquire()
            cpu_before = cpu_seconds(proc.pid) if proc else 0.0
            started = time.perf_counter()
            go.set()
        elapsed = time.perf_counter() - started
        cpu = (cpu_seconds(proc.pid) - cpu_before) if proc else float("nan")
    report(args, tally, elapsed, cpu)


def report(args: argparse.Namespace, tally: Tally, elapsed: float, cpu: float) -> None:
    lat = sorted(tally.latencies) or [float("nan")]
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000  # noqa: E731
    connections = args.rooms * args.players
    print(f"rooms {args.rooms}, players per room {args.players} ({connections} connections), "
          f"one draw frame per drawer every {args.interval_ms} ms for {args.seconds} s")
    print(f"draw frames sent      {len(tally.sent)}")
    print(f"deliveries            {tally.deliveries}  ({tally.deliveries / elapsed:.0f}/s)")
    print(f"frames received       {tally.frames}  ({tally.frames / elapsed:.0f}/s, "
          f"{tally.deliveries / max(1, tally.frames):.2f} messages per frame)")
    print(f"latency ms            p50 {p(0.5):.1f}  p95 {p(0.95):.1f}  p99 {p(0.99):.1f}  "
          f"mean {statistics.fmean(lat) * 1000:.1f}")
    print(f"errors                {tally.errors}")
    if cpu == cpu:
        per = cpu / max(1, tally.deliveries) * 1e6
        print(f"server CPU            {cpu:.2f} s over {elapsed:.1f} s "
              f"({cpu / elapsed * 100:.0f}% of a core), {per:.1f} us per delivery")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="an already running server (default: start one)")
    parser.add_argument("--rooms", type=int, default=10)
    parser.add_argument("--players", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--interval-ms", type=float, default=30.0)
    trio.run(main, parser.parse_args())
