"""Live figures for /api/health: message rates, connections, loop lag, memory."""

from __future__ import annotations

import os
import resource
import time
from collections import Counter, deque

import trio

RATE_WINDOW_S = 10


class RateCounter:
    """Events per second over the last :data:`RATE_WINDOW_S` whole seconds."""

    def __init__(self) -> None:
        self._buckets: deque[list[int]] = deque(maxlen=RATE_WINDOW_S + 1)
        self.total = 0

    def add(self, n: int = 1, now: float | None = None) -> None:
        second = int(time.monotonic() if now is None else now)
        if self._buckets and self._buckets[-1][0] == second:
            self._buckets[-1][1] += n
        else:
            self._buckets.append([second, n])
        self.total += n

    def rate(self, now: float | None = None) -> float:
        current = int(time.monotonic() if now is None else now)
        oldest = current - RATE_WINDOW_S
        counted = sum(n for second, n in self._buckets if oldest <= second < current)
        return counted / RATE_WINDOW_S


DRAW_BUCKETS_S = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                  0.25, 0.5, 1.0, 2.5)
"""Upper bounds of the draw-handling histogram (seconds)."""


class Buckets:
    """A fixed-bucket histogram: counts per upper bound (the last counts everything), the sum."""

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.sum = 0.0

    def observe(self, value: float) -> None:
        for i, bound in enumerate(self.bounds):
            if value <= bound:
                self.counts[i] += 1
                break
        else:
            self.counts[-1] += 1
        self.sum += value

    def cumulative(self) -> list[tuple[str, int]]:
        """(upper bound as Prometheus writes it, how many were at most it), `+Inf` last."""
        out, total = [], 0
        for bound, n in zip((*map(str, self.bounds), "+Inf"), self.counts, strict=True):
            total += n
            out.append((bound, total))
        return out


class Stats:
    """Counters shared by the web layer and the rooms; read by health and metrics."""

    def __init__(self) -> None:
        self.started_monotonic = time.monotonic()
        self.messages_in = RateCounter()
        self.messages_out = RateCounter()
        self.ws_connections = 0
        self.connections_by_ip: Counter[str] = Counter()
        self.loop_lag_ms = 0.0
        self.frames_in: Counter[str] = Counter()
        """Valid client frames received, by type."""
        self.errors: Counter[str] = Counter()
        """Refused client frames, by error code."""
        self.frames_out: Counter[str] = Counter()
        """Messages sent to clients, by type (a batched frame counts each of its messages)."""
        self.ws_closes: Counter[int] = Counter()
        """WebSocket connections ended, by close code (ours, the client's, or 1006)."""
        self.http_connections = 0
        """Open HTTP connections (WebSockets not past their handshake included)."""
        self.http_refused: Counter[str] = Counter()
        """Connections answered at once and closed: ``busy`` (the HTTP budget is
        taken) or ``per_address`` (their address holds its share)."""
        self.draw_handled = Buckets(DRAW_BUCKETS_S)
        """Seconds from a `draw` frame's arrival until its room handled it: relayed to the
        others (classic) and its record queued for the store."""

    @property
    def uptime_s(self) -> float:
        return time.monotonic() - self.started_monotonic

    def delivered(self, kind: str, n: int) -> None:
        """``n`` connections were sent one message of type ``kind``."""
        if n:
            self.messages_out.add(n)
            self.frames_out[kind] += n

    def connection_opened(self, ip: str) -> None:
        self.ws_connections += 1
        self.connections_by_ip[ip] += 1

    def connection_closed(self, ip: str) -> None:
        self.ws_connections -= 1
        self.connections_by_ip[ip] -= 1
        if self.connections_by_ip[ip] <= 0:
            del self.connections_by_ip[ip]


def memory_rss_mb() -> float:
    """Resident memory of this process in MiB (current, from /proc when present)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def watch_loop_lag(stats: Stats, interval_s: float = 0.5, samples: int = 10) -> None:
    """Measure how late trio wakes us up; keep the worst of the last few samples.

    A sleep that should take ``interval_s`` and takes longer measures the time
    the event loop was busy elsewhere: the delay every message saw too.
    """
    recent: deque[float] = deque(maxlen=samples)
    while True:
        started = trio.current_time()
        await trio.sleep(interval_s)
        lag = max(0.0, trio.current_time() - started - interval_s) * 1000
        recent.append(lag)
        stats.loop_lag_ms = max(recent)
