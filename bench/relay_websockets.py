"""The baseline of the fan-out benchmark: a bare relay on asyncio and `websockets`.

It speaks just enough of drawgame's protocol for bench/loadgen.mjs: `/ws/<code>`
joins room <code>, `hello` gets a `welcome` with an id, and each `draw` frame is
parsed, rebuilt as `{"type":"draw","from":id,"ops":[...]}` and sent to everyone
else in the room with `websockets.broadcast()` (serialized once). No game, no
validation beyond JSON: the cheapest a Python server can relay a stroke.

Run: ``python bench/relay_websockets.py --port 9001 [--no-deflate]``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import signal
from collections import defaultdict

from websockets.asyncio.server import ServerConnection, broadcast, serve

rooms: defaultdict[str, set[ServerConnection]] = defaultdict(set)
ids = itertools.count(1)


async def handler(ws: ServerConnection) -> None:
    code = (ws.request.path if ws.request else "/").rsplit("/", 1)[-1]
    pid = f"p{next(ids)}"
    members = rooms[code]
    try:
        async for frame in ws:
            msg = json.loads(frame)
            kind = msg.get("type")
            if kind == "draw":
                out = json.dumps({"type": "draw", "from": pid, "ops": msg["ops"]},
                                 separators=(",", ":"))
                broadcast([m for m in members if m is not ws], out)
            elif kind == "hello":
                members.add(ws)
                await ws.send(json.dumps({"type": "welcome", "you": {"id": pid}}))
    finally:
        members.discard(ws)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9001)
    parser.add_argument("--no-deflate", action="store_true")
    args = parser.parse_args()
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    compression = None if args.no_deflate else "deflate"
    async with serve(handler, args.host, args.port, compression=compression,
                     max_size=65536, ping_interval=None):
        print(f"relay listening on {args.host}:{args.port}", flush=True)
        await stop


if __name__ == "__main__":
    asyncio.run(main())
