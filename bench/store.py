"""The recorder's batches on each database: how long one flush's transaction takes.

    .venv/bin/python bench/store.py [--rooms 200] [--frames 10] [--batches 10]
    [--database-url postgresql://...]

Each batch is what a busy flush holds: for every drawing room, ``--frames``
draw records (merged into one op row) and a snapshot of about 2 KB. The
batch is written the way the server writes it (``write_batch`` in one
transaction, one thread hop), first on a SQLite file, then on PostgreSQL: a
server of its own started like the tests' (tests/pgserver.py), or the one
``--database-url`` names (use an empty database: the benchmark adds tables).
Prints the median and best time per batch; not a timed test, so nothing
fails when a machine is slow.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

import trio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from drawgame.game.effects import Record  # noqa: E402
from drawgame.rooms.recorder import Pending, utc_now, write_batch  # noqa: E402
from drawgame.store import Connection, Store, apply_migrations  # noqa: E402


def seed(conn: Connection, rooms: int) -> None:
    now = utc_now()
    for i in range(rooms):
        room = conn.execute(
            "INSERT INTO rooms (code, name, settings, created_at, last_active_at)"
            " VALUES (?, 'bench', '{}', ?, ?) RETURNING id", (f"B{i:07d}", now, now)
        ).fetchone()[0]
        game = conn.execute("INSERT INTO games (public_id, room_id, started_at) VALUES (?, ?, ?)"
                            " RETURNING id", (f"g_bench{i}", room, now)).fetchone()[0]
        conn.execute("INSERT INTO turns (game_id, number, round, drawer_public_id, drawer_name,"
                     " started_at) VALUES (?, 1, 1, 'p', 'n', ?)", (game, now))


def batch(rooms: int, frames: int) -> list[Pending]:
    at = time.time()
    state: dict[str, Any] = {"phase": "drawing", "padding": "x" * 2000}
    out: list[Pending] = []
    for i in range(rooms):
        code = f"B{i:07d}"
        for frame in range(frames):
            ops = [{"op": "line", "id": frame, "c": "#204080", "w": 4, "p": [1, 2, 3, 4, 5, 6]}]
            out.append((code, Record("ops", {"game_id": f"g_bench{i}", "turn": 1, "ops": ops}),
                        at))
        out.append((code, Record("snapshot", {"state": state}), at))
    return out


async def measure(where: str, rooms: int, frames: int, batches: int) -> list[float]:
    store = await Store.open(where)
    try:
        await store.run(apply_migrations)
        await store.transaction(lambda conn: seed(conn, rooms))
        times = []
        for _ in range(batches):
            pending = batch(rooms, frames)
            started = time.perf_counter()
            errors = await store.transaction(partial(write_batch, batch=pending))
            times.append(time.perf_counter() - started)
            assert not errors, errors[:3]
        return times
    finally:
        await store.close()


def report(label: str, times: list[float], records: int) -> None:
    print(f"{label:<11} {records} records a batch: median {statistics.median(times) * 1000:7.1f}"
          f" ms, best {min(times) * 1000:7.1f} ms")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=200)
    parser.add_argument("--frames", type=int, default=10)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    records = args.rooms * (args.frames + 1)
    with tempfile.TemporaryDirectory() as folder:
        report("sqlite", await measure(f"{folder}/bench.sqlite3", args.rooms, args.frames,
                                       args.batches), records)
    if args.database_url:
        report("postgresql", await measure(args.database_url, args.rooms, args.frames,
                                           args.batches), records)
        return
    from tests import pgserver

    server = pgserver.start()
    try:
        url = server.fresh_database()
        report("postgresql", await measure(url, args.rooms, args.frames, args.batches), records)
    finally:
        server.stop()


if __name__ == "__main__":
    trio.run(main)
