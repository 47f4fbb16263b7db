"""Per-connection rate limits (token buckets) and the abuse counter.

A bucket holds up to ``burst`` tokens and refills at ``rate`` per second;
each message takes one. Time is passed in, so tests need no clock.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from drawgame.config import Config
from drawgame.game.protocol import Chat, Command, Draw

ABUSE_WINDOW_S = 60.0


@dataclass
class TokenBucket:
    rate: float
    burst: int
    tokens: float = -1.0
    updated: float = 0.0

    def take(self, now: float) -> bool:
        """Take one token if there is one; False means over the limit."""
        if self.tokens < 0:
            self.tokens, self.updated = float(self.burst), now
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


@dataclass
class AbuseCounter:
    """Refused frames in the last minute; past ``limit`` the connection is closed (1008)."""

    limit: int
    times: deque[float] = field(default_factory=deque)

    def strike(self, now: float) -> bool:
        """Count one refused frame; True when the limit is exceeded."""
        self.times.append(now)
        while self.times and self.times[0] < now - ABUSE_WINDOW_S:
            self.times.popleft()
        return len(self.times) > self.limit


class ConnectionLimits:
    """The three buckets of one connection: chat, draw frames, everything else."""

    def __init__(self, config: Config) -> None:
        self.chat = TokenBucket(config.chat_rate, config.chat_burst)
        self.draw = TokenBucket(config.draw_rate, config.draw_burst)
        self.other = TokenBucket(config.msg_rate, config.msg_burst)
        self.abuse = AbuseCounter(config.abuse_limit)

    def allow(self, cmd: Command, now: float) -> bool:
        if isinstance(cmd, Chat):
            return self.chat.take(now)
        if isinstance(cmd, Draw):
            return self.draw.take(now)
        return self.other.take(now)


class KeyedLimiter:
    """A token bucket per key (a client address), with a bounded number of keys."""

    def __init__(self, rate: float, burst: int, max_keys: int = 10_000) -> None:
        self.rate, self.burst, self.max_keys = rate, burst, max_keys
        self.buckets: dict[str, TokenBucket] = {}

    def take(self, key: str, now: float) -> bool:
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) >= self.max_keys:
                self._prune(now)
            bucket = self.buckets[key] = TokenBucket(self.rate, self.burst)
        return bucket.take(now)

    def _prune(self, now: float) -> None:
        # A bucket that refilled completely carries no information: drop it.
        full_after = self.burst / self.rate
        for key in [k for k, b in self.buckets.items() if now - b.updated >= full_after]:
            del self.buckets[key]
        while len(self.buckets) >= self.max_keys:
            del self.buckets[next(iter(self.buckets))]
