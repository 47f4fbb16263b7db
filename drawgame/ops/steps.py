"""Printing what an operation does, one timed line per step, and failing with a reason."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class OperationFailed(RuntimeError):
    """An operation stopped; the message says which step and why."""


class Steps:
    """``with steps.step("build wheel"): ...`` prints the step, its time and how it ended."""

    def __init__(self, out: Callable[[str], None] | None = None) -> None:
        self.out = out or (lambda line: print(line, flush=True))
        self.started = time.monotonic()

    def say(self, text: str) -> None:
        self.out(f"[{time.monotonic() - self.started:7.2f}s] {text}")

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        began = time.monotonic()
        self.say(f"{name} ...")
        try:
            yield
        except OperationFailed:
            raise
        except Exception as exc:
            raise OperationFailed(f"{name}: {exc}") from exc
        self.say(f"{name}: done in {time.monotonic() - began:.2f} s")

    def banner(self, text: str) -> None:
        """Something nobody may miss (the emergency path without tests)."""
        line = "!" * 72
        print(f"{line}\n!!! {text}\n{line}", file=sys.stderr, flush=True)
