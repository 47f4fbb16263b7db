"""How fast an album page loads on a phone: Lighthouse's mobile preset on /a/<game_id>.

    .venv/bin/python bench/album_page.py [--turns 20] [--strokes 150] [--runs 3]

Seeds a SQLite database with one finished game of ``--turns`` turns whose
drawings fill the canvas (``--strokes`` strokes each, sent in pieces as a
browser sends them, plus fills), starts the server on it pinned to core 0
(``taskset -c 0``), and runs Lighthouse (bench/lighthouse, installed with
``npm install --prefix bench/lighthouse``; Debian's Chromium) pinned to core 1,
with its default mobile preset: a Moto G Power-sized screen, simulated slow 4G
and a 4x slower CPU. The baseline, measured in the same run, is the lobby page
(/). Prints the median of ``--runs`` runs for each page: performance score,
first and largest contentful paint, speed index, total blocking time, the bytes
transferred, and the page's own marks (observed, unthrottled): ``album-shown``
(every tile, ranking and button on screen) and ``album-thumbs-drawn`` (every
thumbnail drawn). Not a timed test: nothing fails when a machine is slow.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from drawgame.store import apply_migrations  # noqa: E402
from drawgame.store.db import connect  # noqa: E402

LIGHTHOUSE = ROOT / "bench" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
SERVER_CORE, CLIENT_CORE = "0", "1"
PALETTE = ["#f44336", "#ff9800", "#ffeb3b", "#8bc34a", "#4caf50", "#26c6da", "#2196f3",
           "#7e57c2", "#ec407a", "#1b1b1f", "#5f5f68", "#8d6e63"]
WIDTHS = [3, 6, 12, 24, 44]
PIECE_POINTS = 12
"""Points per `line` op: what a browser sends every 30 ms while a stroke is drawn."""
GAME_ID = "g_0123456789abcdef"


def drawing(rng: random.Random, strokes: int) -> list[dict[str, Any]]:
    """A busy drawing that covers the canvas: random-walk strokes in pieces, and fills."""
    ops: list[dict[str, Any]] = []
    for stroke in range(strokes):
        x, y = rng.randrange(1000), rng.randrange(750)
        colour, width = rng.choice(PALETTE), rng.choice(WIDTHS)
        points = [x, y]
        for _ in range(rng.randrange(30, 90)):
            x = min(1000, max(0, x + rng.randrange(-25, 26)))
            y = min(750, max(0, y + rng.randrange(-25, 26)))
            points += [x, y]
        step = PIECE_POINTS * 2
        for i in range(0, len(points), step):
            piece = points[max(0, i - 2):i + step]  # each piece starts where the last ended
            ops.append({"op": "line", "id": stroke, "c": colour, "w": width, "p": piece})
        if stroke % 20 == 19:
            ops.append({"op": "fill", "x": rng.randrange(1000), "y": rng.randrange(750),
                        "c": rng.choice(PALETTE)})
    return ops


def seed(db: Path, turns: int, strokes: int) -> int:
    """One room with one finished game of ``turns`` full drawings; the album's JSON size."""
    conn = connect(db)
    apply_migrations(conn)
    now = "2026-11-27T20:00:00.000+00:00"
    conn.execute("BEGIN")
    room = conn.execute(
        "INSERT INTO rooms (code, name, settings, is_active, created_at, last_active_at)"
        " VALUES ('BENCHRM1', 'bench', '{}', 1, ?, ?) RETURNING id", (now, now)).fetchone()[0]
    names = ["Ada", "Bob", "Cy", "Dee"]
    ranking = [{"id": f"p_{n.lower()}", "name": n, "score": 900 - 100 * i, "rank": i + 1}
               for i, n in enumerate(names)]
    game = conn.execute(
        "INSERT INTO games (public_id, room_id, started_at, finished_at, ranking)"
        " VALUES (?, ?, ?, ?, ?) RETURNING id",
        (GAME_ID, room, now, now, json.dumps(ranking))).fetchone()[0]
    size = 0
    rng = random.Random(7)
    for number in range(1, turns + 1):
        drawer = names[(number - 1) % len(names)]
        turn = conn.execute(
            "INSERT INTO turns (game_id, number, round, drawer_public_id, drawer_name, word,"
            " started_at, ended_at, duration_ms, end_reason, points)"
            " VALUES (?, ?, 1, ?, ?, ?, ?, ?, 80000, 'time_up', '{}') RETURNING id",
            (game, number, f"p_{drawer.lower()}", drawer, f"word{number}", now, now),
        ).fetchone()[0]
        ops = drawing(rng, strokes)
        size += len(json.dumps(ops, separators=(",", ":")))
        for seq, i in enumerate(range(0, len(ops), 64)):
            conn.execute("INSERT INTO turn_ops (turn_id, seq, ops) VALUES (?, ?, ?)",
                         (turn, seq, json.dumps(ops[i:i + 64], separators=(",", ":"))))
    conn.execute("COMMIT")
    conn.close()
    return size


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pinned(core: str, argv: list[str]) -> list[str]:
    return ["taskset", "-c", core, *argv] if shutil.which("taskset") else argv


@contextmanager
def server(db: Path, tmp: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "DRAWGAME_PORT": str(port), "DRAWGAME_DB_PATH": str(db),
           "DRAWGAME_LOG_LEVEL": "warning", "DRAWGAME_ENV_FILE": str(tmp / "none.env"),
           "DRAWGAME_ENVIRONMENT": "production", "DRAWGAME_ALBUM_READS_PER_MINUTE_PER_IP": "10000",
           "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(pinned(SERVER_CORE, [sys.executable, "-m", "drawgame", "serve"]),
                            cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    for stream in (proc.stdout, proc.stderr):
        threading.Thread(target=stream.read, daemon=True).start()  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/api/health", timeout=1):
                    break
            except Exception:
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def lighthouse(url: str, tmp: Path) -> dict[str, Any]:
    flags = ("--headless=new --no-sandbox --disable-gpu --disable-background-networking"
             " --disable-component-update --disable-sync --no-first-run --disable-quic")
    out = tmp / "report.json"
    argv = [str(LIGHTHOUSE), url, "--quiet", "--only-categories=performance",
            "--output=json", f"--output-path={out}", f"--chrome-flags={flags}"]
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    subprocess.run(pinned(CLIENT_CORE, argv), env=env, check=True, timeout=300,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    report = json.loads(out.read_text())
    audits = report["audits"]
    marks = {m["name"]: m["startTime"] for m in
             audits.get("user-timings", {}).get("details", {}).get("items", [])
             if m.get("timingType") == "Mark"}
    return {
        "score": report["categories"]["performance"]["score"] * 100,
        "fcp_ms": audits["first-contentful-paint"]["numericValue"],
        "lcp_ms": audits["largest-contentful-paint"]["numericValue"],
        "si_ms": audits["speed-index"]["numericValue"],
        "tbt_ms": audits["total-blocking-time"]["numericValue"],
        "kb": audits["total-byte-weight"]["numericValue"] / 1024,
        "shown_ms": marks.get("album-shown"),
        "thumbs_ms": marks.get("album-thumbs-drawn"),
    }


def median(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in runs if r[key] is not None]
    return statistics.median(values) if values else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--strokes", type=int, default=150)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        raise SystemExit("Lighthouse is missing: npm install --prefix bench/lighthouse")
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        size = seed(tmp / "bench.sqlite3", args.turns, args.strokes)
        print(f"album: {args.turns} turns, {args.strokes} strokes each, "
              f"{size / 1024:.0f} KiB of ops JSON")
        with server(tmp / "bench.sqlite3", tmp) as url:
            pages = {"lobby (baseline)": url + "/", "album": f"{url}/a/{GAME_ID}"}
            results = {name: [lighthouse(page, tmp) for _ in range(args.runs)]
                       for name, page in pages.items()}
    keys = ("score", "fcp_ms", "lcp_ms", "si_ms", "tbt_ms", "kb", "shown_ms", "thumbs_ms")
    print(f"median of {args.runs} Lighthouse runs, mobile preset (simulated slow 4G, 4x CPU)")
    print("page".ljust(18) + "".join(k.rjust(11) for k in keys))
    for name, runs in results.items():
        cells = [median(runs, k) for k in keys]
        print(name.ljust(18) + "".join(("-" if c is None else f"{c:.0f}").rjust(11) for c in cells))
    base, album = results["lobby (baseline)"], results["album"]
    print(f"album / lobby: LCP {median(album, 'lcp_ms') / median(base, 'lcp_ms'):.2f}x, "  # type: ignore[operator]
          f"bytes {median(album, 'kb') / median(base, 'kb'):.1f}x")  # type: ignore[operator]


if __name__ == "__main__":
    main()
