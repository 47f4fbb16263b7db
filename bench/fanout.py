"""The fan-out and idle-memory benchmarks: drawgame against a bare `websockets` relay.

Each run starts the server under test pinned to one core (``taskset -c 0``)
and the load generator (bench/loadgen.mjs, Node and the `ws` package) pinned to
the other (``taskset -c 1``), then prints what the players received and what
it cost the server. The baseline, bench/relay_websockets.py (asyncio and
`websockets` with ``broadcast()``), runs in the same invocation, alternating
with drawgame, so that both see the same machine; figures are medians over
``--repeat`` runs, and drawgame's CPU per delivery is printed as a ratio to
the relay's.

    fanout   ROOMS rooms x PLAYERS players; each drawer sends RATE draw frames/s
             (one 8-point line op each); every other player receives them.
             Prints deliveries/s, lost %, latency p50/p99 (drawer's send to a
             player's receipt), frames/s, server CPU per delivered message, and
             bytes on the wire per delivery.
    telephone
             the same rooms playing the telephone mode: every player draws their
             own page at once, RATE frames/s each, nothing fanned out. Prints
             frames received/s, server CPU per received frame, the time from a
             frame's arrival to its record being queued (the server's histogram:
             p99 as the bucket bound holding 99 %, and the mean), refusals, and
             the ops found in the database afterwards against the ops sent.
             The classic load's figures of the same run are printed beside it.
    idle     PLAYERS-player rooms filled with seated idle players (hello sent);
             prints the server's RSS growth per player. ``--avatars`` adds a
             run of the drawgame under test whose players' hello carries a
             drawn avatar of the largest size (512 bytes, ``drawgame+avatars``);
             the other servers get none (``--before`` may not take them).

Run: ``make bench`` or ``.venv/bin/python bench/fanout.py [--rooms 100] [--repeat 3]
[--deflate both|on|off] [--idle-players 2000] [--only drawgame|relay]
[--before CHECKOUT] [--skip-telephone]``. ``--before`` adds a third server: drawgame as checked
out in another folder (with its own .venv), e.g. an earlier commit, measured
in the same run (``git worktree add ../drawgame-before <commit>``).
Talks only to 127.0.0.1 and stops what it starts.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sqlite3
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

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SERVER_CORE, LOAD_CORE = "0", "1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pinned(core: str, argv: list[str]) -> list[str]:
    return ["taskset", "-c", core, *argv] if shutil.which("taskset") else argv


def pin_to_load_core() -> None:
    """Run this process (a load generator written in Python) on the load's core."""
    try:
        os.sched_setaffinity(0, {int(LOAD_CORE)})
    except (AttributeError, OSError):
        pass


def wait_http(url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except Exception:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer")


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port}")


def drain(stream: Any) -> None:
    threading.Thread(target=stream.read, daemon=True).start()


BEFORE: list[Path] = []
"""The checkout of ``--before``, when given."""


@contextmanager
def server(kind: str, deflate: bool, tmp: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """Start the server under test pinned to its core; yield it and its base URL."""
    port = free_port()
    root = BEFORE[0] if kind == "before" else ROOT
    cluster = int(kind.removeprefix("cluster")) if kind.startswith("cluster") else 0
    if kind == "relay":
        argv = [sys.executable, str(BENCH / "relay_websockets.py"), "--port", str(port)]
        argv += [] if deflate else ["--no-deflate"]
        env = dict(os.environ)
    else:
        python = root / ".venv" / "bin" / "python" if kind == "before" else Path(sys.executable)
        argv = [str(python), "-m", "drawgame", "serve"]
        env = {
            **os.environ,
            "DRAWGAME_PORT": str(port),
            "DRAWGAME_DB_PATH": str(tmp / f"bench-{port}.sqlite3"),
            "DRAWGAME_LOG_FORMAT": "json",
            "DRAWGAME_LOG_LEVEL": "warning",
            "DRAWGAME_ENV_FILE": str(tmp / "none.env"),
            "DRAWGAME_ENVIRONMENT": "production",
            "DRAWGAME_MAX_CONNECTIONS_PER_IP": "10000",
            "DRAWGAME_MAX_CONNECTIONS": "10000",
            "DRAWGAME_MAX_ROOMS": "10000",
            "DRAWGAME_ROOMS_PER_MINUTE_PER_IP": "10000",
            "DRAWGAME_DEFLATE": "true" if deflate else "false",
            "PYTHONPATH": str(root),
        }
        if cluster:
            env["DRAWGAME_WORKERS"] = str(cluster)
    command = argv if cluster else pinned(SERVER_CORE, argv)
    proc = subprocess.Popen(command, cwd=tmp, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    drain(proc.stdout)
    drain(proc.stderr)
    url = f"http://127.0.0.1:{port}"
    try:
        if kind == "relay":
            wait_port(port)
        else:
            wait_http(url + "/api/health")
        if cluster:
            wait_cluster(url, cluster)
        yield proc, url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_cluster(url: str, workers: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/api/health", timeout=1) as answer:
                found = json.loads(answer.read())["cluster"]["workers"]
            if sum(1 for w in found if w["status"] == "up") == workers:
                return
        except Exception:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the cluster of {workers} did not come up")


def tree(pid: int) -> list[int]:
    """``pid`` and every process below it (a cluster: its workers and the proxy)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def loadgen(url: str, pid: int, kind: str, **opts: Any) -> subprocess.Popen[str]:
    protocol = "relay" if kind == "relay" else "drawgame"
    pids = ",".join(str(p) for p in tree(pid))
    argv = ["node", str(BENCH / "loadgen.mjs"), f"--url={url}", f"--pid={pids}",
            f"--server={protocol}", *(f"--{k}={v}" for k, v in opts.items())]
    command = argv if kind.startswith("cluster") else pinned(LOAD_CORE, argv)
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_fanout(kind: str, deflate: bool, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    with server(kind, deflate, tmp) as (proc, url):
        gen = loadgen(url, proc.pid, kind, mode="fanout", rooms=args.rooms,
                      players=args.players, rate=args.rate, seconds=args.seconds,
                      deflate="on" if deflate else "off")
        out, err = gen.communicate(timeout=args.seconds + 300)
    if gen.returncode != 0:
        raise SystemExit(f"load generator failed:\n{err[-2000:]}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def run_telephone(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """The telephone load on drawgame; afterwards, every op sent is looked for in the store."""
    with server("drawgame", False, tmp) as (proc, url):
        gen = loadgen(url, proc.pid, "drawgame", mode="fanout", game="telephone",
                      rooms=args.rooms, players=args.players, rate=args.rate,
                      seconds=args.seconds, deflate="off")
        out, err = gen.communicate(timeout=args.seconds + 300)
        if gen.returncode != 0:
            raise SystemExit(f"load generator failed:\n{err[-2000:]}")
        result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        port = url.rsplit(":", 1)[1]
        result["stored_ops"] = stored_page_ops(tmp / f"bench-{port}.sqlite3")
    result["lost_ops"] = result["sent_total"] - result["stored_ops"]
    return result


def stored_page_ops(db: Path, settle_s: float = 2.0, within_s: float = 60.0) -> int:
    """Ops in the telephone pages' stored batches, once the recorder has written its
    backlog: read again every ``settle_s`` until two readings agree (or ``within_s``)."""
    def count() -> int:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
        try:
            return sum(len(json.loads(row[0])) for row in conn.execute("SELECT ops FROM page_ops"))
        finally:
            conn.close()

    deadline = time.monotonic() + within_s
    time.sleep(settle_s)
    found = count()
    while time.monotonic() < deadline:
        time.sleep(settle_s)
        again = count()
        if again == found:
            break
        found = again
    return found


def telephone_table(rows: list[dict[str, Any]], classic: list[dict[str, Any]]) -> None:
    print(f"\ntelephone: {rows[0]['rooms']} rooms x {rows[0]['players']} players, every player "
          f"drawing {rows[0]['rate']} frames/s (server on core {SERVER_CORE})")
    print(f"{'load':<11}{'frames in/s':>13}{'CPU us/frame in':>17}{'handled p99 <= ms':>19}"
          f"{'handled mean ms':>17}{'refused':>9}{'lost ops':>10}")
    for name, group in (("telephone", rows), ("classic", classic)):
        if not group:
            continue
        received = [r.get("received_per_s") for r in group]
        cpu = [r["server_cpu_s"] * 1e6 / max(1, r["sent"]) for r in group]
        lost = "-" if name == "classic" else f"{int(median(group, 'lost_ops')):>10}"
        print(f"{name:<11}{statistics.median(received):>13.0f}{statistics.median(cpu):>17.1f}"
              f"{median(group, 'handled_p99_ms_at_most'):>19.2f}"
              f"{median(group, 'handled_mean_ms'):>17.3f}{median(group, 'refused'):>9.0f}"
              f"{lost:>10}")
    for r in rows:
        print(f"  telephone run: sent {r['sent_total']} ops, stored {r['stored_ops']}, "
              f"refused {r['refused']}, errors {r['errors']}, closes {r['closes']}")


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def run_idle(kind: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    rooms = args.idle_players // args.idle_room
    avatar = "max" if kind.endswith("+avatars") else "none"
    with server(kind, True, tmp) as (proc, url):
        # Warm up the code paths (and their caches) once before the baseline reading.
        warm = loadgen(url, proc.pid, kind, mode="idle", rooms=1, players=args.idle_room, hold=0,
                       avatar=avatar)
        warm.communicate(timeout=60)
        time.sleep(1.0)
        base = rss_kb(proc.pid)
        gen = loadgen(url, proc.pid, kind, mode="idle", rooms=rooms, players=args.idle_room,
                      hold=600, avatar=avatar)
        assert gen.stdout is not None
        line = gen.stdout.readline()
        time.sleep(3.0)
        seated_rss = rss_kb(proc.pid)
        gen.kill()
        gen.wait()
    info = json.loads(line) if line.strip() else {"seated": 0}
    seated = info.get("seated", 0)
    return {"server": kind, "avatar": avatar, "seated": seated, "rss_base_kb": base,
            "rss_seated_kb": seated_rss,
            "kb_per_player": (seated_rss - base) / max(1, seated), "closes": info.get("closes")}


def median(rows: list[dict[str, Any]], key: str) -> float:
    values = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(values) if values else float("nan")


def fanout_table(results: dict[tuple[str, bool], list[dict[str, Any]]]) -> None:
    cols = {"deliveries_per_s": "deliv/s", "wanted_per_s": "wanted/s", "lost_pct": "lost %",
            "p50_ms": "p50 ms", "p99_ms": "p99 ms", "frames_per_s": "frames/s",
            "cpu_us_per_delivery": "CPU us/deliv", "wire_bytes_per_delivery": "wire B/deliv"}
    print(f"\n{'server':<10}{'deflate':<9}" + "".join(f"{c:>14}" for c in cols.values())
          + f"{'ratio':>8}")
    for (kind, deflate), rows in sorted(results.items()):
        base = results.get(("relay", deflate))
        ratio = (median(rows, "cpu_us_per_delivery") / median(base, "cpu_us_per_delivery")
                 if base else float("nan"))
        print(f"{kind:<10}{'on' if deflate else 'off':<9}"
              + "".join(f"{median(rows, c):>14.1f}" for c in cols) + f"{ratio:>8.2f}")
    print("\nmedians over the runs; ratio = CPU per delivery / the relay's with the same deflate;"
          " every run:")
    for (kind, deflate), rows in sorted(results.items()):
        for r in rows:
            print(f"  {kind} deflate={'on' if deflate else 'off'}: "
                  f"{r['cpu_us_per_delivery']:.1f} us/delivery, lost {r['lost_pct']:.2f} %, "
                  f"p99 {r['p99_ms']:.1f} ms, errors {r['errors']}, closes {r['closes']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rooms", type=int, default=100)
    parser.add_argument("--players", type=int, default=8)
    parser.add_argument("--rate", type=int, default=30)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--deflate", choices=("both", "on", "off"), default="both")
    parser.add_argument("--only", choices=("drawgame", "relay"))
    parser.add_argument("--workers", type=int, nargs="*", default=[],
                        help="also run drawgame with DRAWGAME_WORKERS=N behind HAProxy (for "
                             "each N; the cluster is not pinned: it has every core)")
    parser.add_argument("--before", type=Path,
                        help="also run drawgame from this checkout (its own .venv)")
    parser.add_argument("--idle-players", type=int, default=2000)
    parser.add_argument("--idle-room", type=int, default=16)
    parser.add_argument("--skip-fanout", action="store_true")
    parser.add_argument("--skip-idle", action="store_true")
    parser.add_argument("--skip-telephone", action="store_true")
    parser.add_argument("--avatars", action="store_true",
                        help="also measure idle players of the drawgame under test who send "
                             "largest avatars")
    args = parser.parse_args()
    kinds: tuple[str, ...] = (args.only,) if args.only else ("drawgame", "relay")
    if args.before:
        BEFORE.append(args.before.resolve())
        kinds = ("before", *kinds)
    kinds = (*kinds, *(f"cluster{n}" for n in args.workers))
    modes = {"both": (False, True), "on": (True,), "off": (False,)}[args.deflate]
    print(f"fan-out: {args.rooms} rooms x {args.players} players, {args.rate} draw frames/s per "
          f"drawer, {args.seconds} s; server on core {SERVER_CORE}, load on core {LOAD_CORE}")
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        if not args.skip_fanout:
            results: dict[tuple[str, bool], list[dict[str, Any]]] = {}
            for i in range(args.repeat):
                for deflate in modes:
                    for kind in kinds:
                        r = run_fanout(kind, deflate, args, tmp)
                        results.setdefault((kind, deflate), []).append(r)
                        print(f"run {i + 1}: {kind} deflate={'on' if deflate else 'off'}: "
                              f"{r['cpu_us_per_delivery']:.1f} us/delivery, "
                              f"lost {r['lost_pct']:.2f} %, p99 {r['p99_ms']:.1f} ms", flush=True)
            fanout_table(results)
        if not args.skip_telephone:
            phone = []
            for i in range(args.repeat):
                r = run_telephone(args, tmp)
                phone.append(r)
                print(f"run {i + 1}: telephone: {r['cpu_us_per_received']:.1f} us/frame in, "
                      f"p99 <= {r['handled_p99_ms_at_most']} ms, lost ops {r['lost_ops']}",
                      flush=True)
            classic = [] if args.skip_fanout else results.get(("drawgame", False), [])
            telephone_table(phone, classic)
        if not args.skip_idle:
            print(f"\nidle: {args.idle_players} seated players in rooms of {args.idle_room}")
            idle_kinds = [k for k in kinds if not k.startswith("cluster")]
            if args.avatars and "drawgame" in idle_kinds:
                idle_kinds.insert(idle_kinds.index("drawgame") + 1, "drawgame+avatars")
            idle: dict[str, list[dict[str, Any]]] = {kind: [] for kind in idle_kinds}
            for _ in range(args.repeat):  # alternating, so that all see the same machine
                for kind in idle_kinds:
                    idle[kind].append(run_idle(kind, args, tmp))
            for kind, rows in idle.items():
                print(f"  {kind:<17} {median(rows, 'kb_per_player'):6.1f} KB per player "
                      f"(median of {len(rows)}; seated {[r['seated'] for r in rows]}, "
                      f"runs {[round(r['kb_per_player'], 1) for r in rows]})")


if __name__ == "__main__":
    main()
