"""The wheel on its own: installed into a fresh virtual environment outside the checkout,
its ``drawgame`` command serves from an empty folder (the database in ./data, the
migrations and the browser client from the wheel) and a game is played through it."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urljoin

import httpx
import trio

from tests import gameplay
from tests.serverproc import stop

ROOT = Path(__file__).resolve().parent.parent
INSTALL_TIMEOUT_S = 600
START_TIMEOUT_S = 30.0


def outside_env(**extra: str) -> dict[str, str]:
    """The environment without drawgame's settings or a path into the checkout."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DRAWGAME_", "PYTHON", "VIRTUAL_ENV", "PIP_"))}
    return {**env, "PIP_CONFIG_FILE": os.devnull, **extra}


def install(venv: Path, wheelhouse: Path) -> None:
    """A fresh venv with the wheel installed, its dependencies from ``wheelhouse`` only."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    wheel = next(wheelhouse.glob("drawgame-*.whl"))
    done = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check",
         "--no-index", "--find-links", str(wheelhouse), str(wheel)],
        env=outside_env(), cwd=venv, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
    assert done.returncode == 0, done.stderr[-3000:]


def serving_url(proc: subprocess.Popen[str], log: Path) -> str:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline and proc.poll() is None:
        for text in log.read_text().splitlines():
            if text.startswith("{") and json.loads(text).get("event") == "serving":
                return str(json.loads(text)["binds"][0])
        time.sleep(0.05)
    raise AssertionError(f"drawgame serve did not serve (exit {proc.poll()}):\n"
                         f"{log.read_text()[-3000:]}")


def tracked(folder: str) -> set[str]:
    """The files git keeps under ``folder`` of the checkout, relative to it."""
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", folder], capture_output=True,
                            text=True, check=True).stdout.split()
    return {str(Path(name).relative_to(folder)) for name in listed}


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def install_and_start(wheelhouse: Path, tmp_path: Path) -> tuple[subprocess.Popen[str], str]:
    """The wheel in a fresh venv, checked, then ``drawgame serve`` started in an empty
    folder with the default settings but the port (0: a free one, as tests need)."""
    venv, folder = tmp_path / "venv", tmp_path / "empty"
    folder.mkdir()
    install(venv, wheelhouse)
    package = Path(subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import drawgame; print(drawgame.__file__)"],
        cwd=folder, env=outside_env(), capture_output=True, text=True, check=True,
    ).stdout.strip()).parent
    assert package.is_relative_to(venv), package  # not the checkout's
    # The migrations and the whole browser client are in the wheel.
    assert files_under(package / "migrations") == tracked("migrations")
    assert tracked("drawgame/web/static") <= files_under(package / "web" / "static")
    log = tmp_path / "serve.log"
    with open(log, "w") as err:
        proc = subprocess.Popen([str(venv / "bin" / "drawgame"), "serve"], cwd=folder,
                                env=outside_env(DRAWGAME_PORT="0"), stderr=err, text=True)
    return proc, serving_url(proc, log)


async def test_the_wheel_serves_a_game_from_an_empty_folder(
    wheelhouse: Path, tmp_path: Path
) -> None:
    proc, url = await trio.to_thread.run_sync(install_and_start, wheelhouse, tmp_path)
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            page = await http.get("/")
            assert page.status_code == 200 and "text/html" in page.headers["content-type"]
            # (what boot.js loads after the first paint is named in a drawgame-later meta)
            named = re.findall(r'(?:src|href)="([^"]+)"', page.text) + [
                url for later in re.findall(r'<meta name="drawgame-later"[^>]*>', page.text)
                for url in re.findall(r'(/static/[^" ]+)', later)]
            links = {urljoin("/", link) for link in named
                     if not link.startswith(("#", "//")) and ":" not in link}
            assert any(link.endswith(".js") for link in links), page.text[:500]
            for link in sorted(links):  # the scripts, styles and images the page loads
                assert (await http.get(link)).status_code == 200, link
        over = await gameplay.play_a_game(url)
        assert len(over["ranking"]) == 2
    finally:
        code = await trio.to_thread.run_sync(stop, proc)
    log = tmp_path / "serve.log"
    assert code == 0, log.read_text()[-3000:]
    await trio.to_thread.run_sync(check_the_data_folder, tmp_path / "empty")


def check_the_data_folder(folder: Path) -> None:
    """The data went to ./data of the working directory, migrated by ``serve`` itself,
    and the game played is in it."""
    assert sorted(p.name for p in folder.iterdir()) == ["data"]
    with sqlite3.connect(folder / "data" / "drawgame.sqlite3") as db:
        applied = {row[0] for row in db.execute("SELECT version FROM schema_migrations")}
        games = db.execute("SELECT count(*) FROM games WHERE finished_at IS NOT NULL")
        assert games.fetchone()[0] == 1
    shipped = {int(name.split("_", 1)[0]) for name in tracked("migrations")
               if "/" not in name and name.endswith(".sql")}
    assert applied == shipped
