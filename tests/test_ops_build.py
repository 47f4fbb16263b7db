"""What runs: drawgame/build.py, the ``build`` of /api/health, ``drawgame_build_info`` and
the ``process_*`` metrics, and the runbook's table of every metric family."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import trio
from conftest import RunningServer
from prometheus_client.parser import text_string_to_metric_families

import drawgame
from drawgame import build
from smoke.run import smoke

ROOT = Path(__file__).resolve().parent.parent


def checkout_sha() -> str:
    return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short=10", "HEAD"],
                          capture_output=True, text=True, check=True).stdout.strip()


def test_a_checkout_has_no_release_and_its_own_commit() -> None:
    here = build.current()
    assert here.version == drawgame.__version__
    assert here.release is None and here.emergency is False
    assert here.commit is not None and here.commit.removesuffix("-dirty") == checkout_sha()


def test_a_release_venv_reads_the_record_beside_it(tmp_path: Path) -> None:
    venv = tmp_path / "20260101T000000Z-abc" / "venv"
    venv.mkdir(parents=True)
    assert build.read_release_record(venv) is None
    (venv.parent / "release.json").write_text(json.dumps({
        "id": "20260101T000000Z-abc", "sha": "abc", "emergency": True, "tests": "skipped",
        "created_at": "2026-01-01T00:00:00+00:00"}))
    found = build.from_record(build.read_release_record(venv) or {})
    assert found.as_dict() == {
        "version": drawgame.__version__, "release": "20260101T000000Z-abc", "commit": "abc",
        "emergency": True, "tests": "skipped", "deployed_at": "2026-01-01T00:00:00+00:00"}
    assert found.labels()["emergency"] == "true"


def test_a_release_python_reports_its_release(tmp_path: Path) -> None:
    """The real lookup in a process whose sys.prefix is a release's venv."""
    release = tmp_path / "20260101T000000Z-1a2b3c" / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages",
                    str(release)], check=True)
    (release.parent / "release.json").write_text(json.dumps(
        {"id": release.parent.name, "sha": "1a2b3c", "emergency": False, "tests": "passed"}))
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); from drawgame import build; "
            "print(json.dumps(build.current().as_dict()))")
    done = subprocess.run([str(release / "bin" / "python"), "-c", code, str(ROOT)],
                          capture_output=True, text=True, check=True, cwd=tmp_path)
    found = json.loads(done.stdout)
    assert (found["release"], found["commit"], found["tests"]) == (
        release.parent.name, "1a2b3c", "passed")


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return str(answer.read().decode())


async def test_health_and_metrics_say_what_runs(server: RunningServer) -> None:
    health = json.loads(await trio.to_thread.run_sync(get, server.url + "/api/health"))
    here = build.current()
    assert health["build"] == here.as_dict()
    assert set(health["build"]) >= {"version", "release", "commit"}
    text = await trio.to_thread.run_sync(get, server.url + "/metrics")
    families = {f.name: f for f in text_string_to_metric_families(text)}
    info = families["drawgame_build_info"].samples
    assert [(s.labels, s.value) for s in info] == [(here.labels(), 1.0)]
    for name in ("process_cpu_seconds", "process_resident_memory_bytes", "process_open_fds",
                 "process_max_fds", "process_start_time_seconds"):
        assert families[name].samples[0].value > 0, name


def documented_metrics() -> set[str]:
    text = (ROOT / "docs" / "RUNBOOK.md").read_text(encoding="utf-8")
    table = text.split("<!-- table: metrics -->", 1)[1].split("\n\n", 1)[0]
    return {re.sub(r"\{.*\}", "", name) for name in re.findall(r"`([a-z_]+(?:\{[^`]*\})?)`",
                                                              table)}


async def test_every_metric_family_and_series_is_in_the_runbook(server: RunningServer) -> None:
    with trio.fail_after(30):
        assert await smoke(server.url, lambda line: None) is None  # fills the labelled families
    text = await trio.to_thread.run_sync(get, server.url + "/metrics")
    seen: dict[str, Any] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            seen[sample.name] = family.name
    documented = documented_metrics()
    assert len(seen) >= 30
    missing = sorted(name for name in seen if name not in documented)
    assert missing == [], "add these to the metrics table of docs/RUNBOOK.md"
    for name in ("drawgame_http_requests_created", "drawgame_ws_frames_in_total",
                 "drawgame_ws_frames_out_total"):  # counted as they happen: the game filled them
        assert name in seen
