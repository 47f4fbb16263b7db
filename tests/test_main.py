"""The command line, as an operator runs it: a real process, real signals."""

import json
import signal
import time
import urllib.request
from pathlib import Path

import pytest

from tests.serverproc import start, wait_for_event


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_then_signal_exits_0_quickly(tmp_path: Path, sig: signal.Signals) -> None:
    proc = start(tmp_path)
    try:
        serving = wait_for_event(proc, "serving")
        url = serving["binds"][0]
        with urllib.request.urlopen(url + "/api/health", timeout=5) as answer:
            assert json.load(answer)["status"] == "ok"
        sent = time.monotonic()
        proc.send_signal(sig)
        assert proc.wait(timeout=5) == 0
        assert time.monotonic() - sent < 5
        assert (tmp_path / "db.sqlite3").exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_invalid_setting_stops_start_up_with_exit_2(tmp_path: Path) -> None:
    proc = start(tmp_path, DRAWGAME_MAX_CONNECTIONS="lots")
    assert proc.wait(timeout=20) == 2
    assert proc.stderr is not None
    err = proc.stderr.read().strip()
    assert err == (
        "drawgame: invalid DRAWGAME_MAX_CONNECTIONS='lots': expected an integer 1..100000"
    )
