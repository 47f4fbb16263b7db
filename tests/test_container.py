"""The container image and compose.yaml, for real: the Containerfile built with podman,
brought up with podman-compose, a game played through the published port from outside,
the container restarted in the middle of a turn and the game resumed; a backup taken
inside, restored from a one-off container on the volume, and the container recreated
on that volume (an upgrade) with the game still there. tests/containers.py says how the
image is built here with no registry, and what it keeps between runs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trio

from tests import containers, gameplay

pytestmark = pytest.mark.container

IMAGE_MB_AT_MOST = 170
"""Today's image is 160 MB: a bound that catches a build tool or a cache left inside."""
DRAWGAME_UID = 10001


@pytest.fixture(scope="module")
def podman(tmp_path_factory: pytest.TempPathFactory) -> containers.Podman:
    return containers.Podman.ready(tmp_path_factory.mktemp("podman"))


@pytest.fixture(scope="module")
def image(podman: containers.Podman, wheelhouse: Path) -> Iterator[str]:
    """The image built from this checkout under a name of this run's (untagged after;
    the test cache keeps its layers for the next run)."""
    tag = f"localhost/drawgame:{containers.unique_name('test-')}"
    started = time.monotonic()
    base = podman.ensure_base_image()
    podman.build(tag, wheelhouse)
    print(f"base image {base}; built {tag} in {time.monotonic() - started:.0f} s")
    yield tag
    podman.run("rmi", tag, check=False)


def server_uids(podman: containers.Podman, container: str) -> list[int]:
    """The real, effective, saved and file-system user ids of the container's process."""
    pid = podman.inspect("container", container)["State"]["Pid"]
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    return [int(uid) for uid in next(s for s in status if s.startswith("Uid:")).split()[1:]]


def test_the_image_runs_the_server_unprivileged_with_its_data_in_a_volume(
    podman: containers.Podman, image: str
) -> None:
    found = podman.inspect("image", image)
    config = found["Config"]
    assert config["User"] == "drawgame"
    assert list(config["Volumes"]) == ["/data"]
    assert list(config["ExposedPorts"]) == ["8080/tcp"]
    assert config["Cmd"] == ["drawgame", "serve"]
    assert config["StopSignal"] in ("SIGTERM", "15")
    assert found["Healthcheck"]["Test"] == ["CMD", "python3", "-m", "drawgame.healthcheck"]
    env = dict(item.split("=", 1) for item in config["Env"])
    assert env["DRAWGAME_DB_PATH"].startswith("/data/")
    assert env["DRAWGAME_BACKUP_DIR"].startswith("/data/")
    assert (env["DRAWGAME_PORT"], env["DRAWGAME_LOG_FILE"]) == ("8080", "-")
    size_mb = found["Size"] / 1e6
    print(f"image size: {size_mb:.0f} MB")
    assert size_mb <= IMAGE_MB_AT_MOST


async def test_a_game_resumes_after_compose_restart_and_survives_a_recreate(
    podman: containers.Podman, image: str
) -> None:
    with containers.project(podman, image) as project:
        await gameplay.wait_healthy(project.url)
        # The server is PID 1 of the container and runs as drawgame, as the host sees it.
        uids = await trio.to_thread.run_sync(server_uids, podman, project.container)
        assert uids == [DRAWGAME_UID] * 4
        # The HEALTHCHECK runs in the container and finds the server healthy.
        podman.run("healthcheck", "run", project.container)

        async def restart() -> None:
            await trio.to_thread.run_sync(lambda: project.compose("restart"))

        over = await gameplay.play_a_game(project.url, restart=restart)

        out, err = project.logs()
        events = [e["event"] for e in containers.json_events(out)]
        assert events.count("serving") == 2 and "shutdown_complete" in events
        assert not containers.json_events(err), err[-2000:]  # the log is standard output

        # A backup goes into the volume. A room made after it is gone once the backup is
        # restored (with the server stopped, from a one-off container on the volume);
        # the finished game, before it, is still there after the recreate (an upgrade:
        # down, then up, a new container on the same volume).
        project.compose("exec", "-T", "drawgame", "drawgame", "backup")
        later = await gameplay.create_room(project.url)
        async with httpx.AsyncClient(base_url=project.url, timeout=10) as http:
            assert (await http.get(f"/api/rooms/{later}")).status_code == 200
        project.compose("down")
        on_volume = ["run", "--rm", "-v", f"{project.volume}:/data", image]
        backups = podman.run(*on_volume, "ls", "/data/backups").stdout.split()
        assert len(backups) == 1 and backups[0].endswith(".sqlite3")
        podman.run(*on_volume, "drawgame", "restore", f"/data/backups/{backups[0]}")
        project.compose("up", "-d")
        await gameplay.wait_healthy(project.url)
        async with httpx.AsyncClient(base_url=project.url, timeout=10) as http:
            album = await http.get(f"/api/games/{over['game_id']}")
            gone = await http.get(f"/api/rooms/{later}")
        assert album.status_code == 200 and album.json()["ranking"] == over["ranking"]
        assert gone.status_code == 404


def test_compose_caddy_file_puts_caddy_in_front(podman: containers.Podman) -> None:
    """compose.caddy.yaml over compose.yaml, as podman-compose would run it (a dry run:
    Caddy's image comes from a registry): Caddy with deploy/Caddyfile on 80 and 443,
    forwarding to the game's service, which trusts its forwarded address."""
    project = containers.Project(podman, containers.unique_name("dgdry"), "localhost/dry:x",
                                 18080, (containers.ROOT / "compose.yaml",
                                         containers.ROOT / "compose.caddy.yaml"))
    try:
        done = project.compose("--dry-run", "up", "-d", "--no-build",
                               DRAWGAME_SITE="game.example.org")
    finally:  # a dry run of podman-compose still makes the volumes and the network
        project.remove()
    runs = [line for line in done.stdout.splitlines() if line.startswith("podman run")]
    game = next(line for line in runs if f"--name={project.name}_drawgame_1" in line)
    caddy = next(line for line in runs if f"--name={project.name}_caddy_1" in line)
    assert "-e DRAWGAME_TRUST_PROXY_HEADERS=true" in game
    assert "-e DRAWGAME_PUBLIC_URL=https://game.example.org" in game
    assert "-p 127.0.0.1:18080:8080" in game
    assert f"-v {containers.ROOT}/deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in caddy
    assert "-e DRAWGAME_UPSTREAM=drawgame:8080" in caddy
    assert "-e DRAWGAME_SITE=game.example.org" in caddy
    assert "-p 80:80" in caddy and "-p 443:443" in caddy
