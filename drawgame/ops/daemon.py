"""``serve --daemon``: go into the background, with a pidfile and a log file.

The built-in supervisor (drawgame/ops/supervise.py) runs in the process this
leaves in the background. The command returns once the server listens (exit
0, its pid printed) or has failed to start (exit 1, the error line and the
end of the log printed), so whoever started it knows at once. The pidfile is
removed when the background process exits.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import select
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

READY = "ready"
FAILED = "failed"


def read_pid(pidfile: Path) -> int | None:
    """The pid in ``pidfile`` when it names a live drawgame server, else None."""
    try:
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if is_drawgame(pid) else None


def is_drawgame(pid: int) -> bool:
    """Whether ``pid`` is alive and runs drawgame (so a recycled pid is never signalled)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True  # no /proc here: trust the pidfile
    module = any(pair == (b"-m", b"drawgame") for pair in itertools.pairwise(argv))
    return module or any(Path(os.fsdecode(arg)).name == "drawgame" for arg in argv[:2])


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def daemonize(pidfile: Path, log_file: Path, ready_timeout_s: float) -> Callable[[str], None]:
    """Fork into the background; the calling process exits here, the daemon returns.

    The daemon gets a new session, standard input from /dev/null, standard
    output and error appended to ``log_file``, and its pid in ``pidfile``. It
    must call the returned function once, with ``ready ...`` when it serves or
    ``failed <why>`` when it could not start; the original process waits for
    that (at most ``ready_timeout_s``) and exits 0, or exits 1 with the reason.
    """
    running = read_pid(pidfile)
    if running is not None:
        print(f"drawgame: already running (pid {running}, {pidfile})", file=sys.stderr)
        sys.exit(1)
    pidfile.parent.mkdir(parents=True, exist_ok=True)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    read_end, write_end = os.pipe()
    first = os.fork()
    if first:
        os.close(write_end)
        os.waitpid(first, 0)
        sys.exit(_await_ready(read_end, pidfile, log_file, ready_timeout_s))
    os.close(read_end)
    os.setsid()
    if os.fork():
        os._exit(0)
    _detach(log_file)
    _write_pidfile(pidfile)

    def report(outcome: str) -> None:
        with contextlib.suppress(OSError):
            os.write(write_end, outcome.encode("utf-8", errors="replace") + b"\n")
            os.close(write_end)

    return report


def _await_ready(read_end: int, pidfile: Path, log_file: Path, timeout_s: float) -> int:
    deadline = time.monotonic() + timeout_s
    got = b""
    with os.fdopen(read_end, "rb", buffering=0) as pipe:
        while b"\n" not in got:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([pipe], [], [], left)[0]:
                break
            chunk = pipe.read(4096)
            if not chunk:
                break
            got += chunk
    outcome = got.decode("utf-8", errors="replace").strip()
    pid = read_pid(pidfile)
    if outcome.startswith(READY):
        print(f"drawgame: serving in the background (pid {pid}, log {log_file})")
        return 0
    if pid is not None:  # alive but not serving in time: do not leave it half-started
        os.kill(pid, signal.SIGTERM)
    from drawgame.ops.supervise import error_line

    excerpt = tail(log_file)
    why = outcome.removeprefix(FAILED).strip() or error_line(excerpt.splitlines())
    print(f"drawgame: the server did not start: {why}\n(the end of {log_file}:)\n{excerpt}",
          file=sys.stderr)
    return 1


def _detach(log_file: Path) -> None:
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    log = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)


def _write_pidfile(pidfile: Path) -> None:
    pid = os.getpid()
    partial = pidfile.with_name(pidfile.name + ".partial")
    partial.write_text(f"{pid}\n")
    partial.replace(pidfile)

    def remove() -> None:
        with contextlib.suppress(OSError, ValueError):
            if int(pidfile.read_text().strip()) == pid:
                pidfile.unlink()

    atexit.register(remove)
