"""A telephone game in a room task, under autojump_clock: every phase transition by time
and by players, through the same Session a WebSocket uses."""

from __future__ import annotations

import trio
import trio.testing

from drawgame.game.modes.telephone import ALBUM_IDLE_S
from drawgame.game.state import AWAY_S
from tests.players import FakePlayer, join_all, running_room, settle, stroke

SETTINGS = {"mode": "telephone", "write_time_s": 20, "draw_time_s": 30}


def phases(player: FakePlayer) -> list[str]:
    return [m["phase"] for m in player.of("phase")]


async def test_every_phase_ends_by_its_time(autojump_clock: trio.testing.MockClock) -> None:
    async with running_room(**SETTINGS) as h:
        ada, _, _ = await join_all(h, "Ada", "Bob", "Cy")
        watcher = h.player("Watcher")
        await watcher.hello(spectate=True)
        await ada.send({"type": "start"})
        start = trio.current_time()
        assert phases(watcher) == ["writing"]
        await trio.sleep(20 - 0.01)
        assert phases(watcher) == ["writing"]
        await trio.sleep(0.02)
        assert phases(watcher) == ["writing", "drawing"]
        await trio.sleep(30)
        assert phases(watcher) == ["writing", "drawing", "describing"]
        await trio.sleep(20)
        assert phases(watcher)[-1] == "album"
        assert trio.current_time() - start < 20 + 30 + 20 + 0.1
        assert watcher.last("game_over")["ranking"] == []
        # nobody wrote or drew anything: every page is empty, and the album still shows them
        page = watcher.last("album_page")
        assert page["entry"] == {"author": {"id": ada.id, "name": "Ada"}, "kind": "text",
                                 "text": ""}
        await trio.sleep(ALBUM_IDLE_S + 0.1)
        assert phases(watcher)[-1] == "lobby"
        kinds = h.kinds()
        assert kinds.count("step_started") == 3 and kinds.count("step_ended") == 3
        assert kinds.count("game_over") == 1


async def test_steps_end_as_soon_as_everyone_is_done(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with running_room(**SETTINGS) as h:
        players = await join_all(h, "Ada", "Bob", "Cy")
        ada = players[0]
        await ada.send({"type": "start"})
        start = trio.current_time()
        for p in players:
            await p.send({"type": "submit", "text": f"{p.name}'s idea"})
        assert phases(ada)[-1] == "drawing"
        for p in players:
            task = p.last("task")
            assert task["kind"] == "draw" and task["prompt"]["kind"] == "text"
            await p.send({"type": "draw", "ops": [stroke(1, 10, 10, 90, 90)]})
            await p.send({"type": "submit"})
        assert phases(ada)[-1] == "describing"
        for p in players:
            assert p.last("task")["prompt"] == {"kind": "drawing",
                                                "ops": [stroke(1, 10, 10, 90, 90)]}
            await p.send({"type": "submit", "text": "a diagonal line"})
        assert phases(ada)[-1] == "album"
        assert trio.current_time() == start  # no time passed: nobody waited for a timer
        assert not any(p.errors() for p in players)


async def test_a_dropped_player_holds_the_step_for_away_s_only(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with running_room(**{**SETTINGS, "write_time_s": 120}) as h:
        ada, bob, cy = await join_all(h, "Ada", "Bob", "Cy")
        await ada.send({"type": "start"})
        await cy.send({"type": "draft", "text": "half a th"})
        await cy.drop()
        await ada.send({"type": "submit", "text": "one"})
        await bob.send({"type": "submit", "text": "two"})
        assert phases(ada)[-1] == "writing"
        assert ada.last("progress")["waiting"] == [cy.id]
        await trio.sleep(AWAY_S + 0.01)
        assert phases(ada)[-1] == "drawing"  # once Cy is away, nobody waits for her
        # Cy comes back with her token: her draft became her page, she has a drawing task
        back = h.player("Cy")
        welcome = await back.hello(token=cy.token)
        assert welcome["room"]["task"]["kind"] == "draw"
        assert back.last("task")["book_id"] == welcome["room"]["task"]["book_id"]
        # page 1 of book j is made by player j+1: Ada (player 0) draws book 2, Cy's
        assert ada.last("task")["prompt"] == {"kind": "text", "text": "half a th"}


async def test_the_game_ends_early_when_too_few_remain(
    autojump_clock: trio.testing.MockClock,
) -> None:
    async with running_room(**SETTINGS) as h:
        ada, bob, cy = await join_all(h, "Ada", "Bob", "Cy")
        await ada.send({"type": "start"})
        await ada.send({"type": "submit", "text": "kept"})
        await bob.send({"type": "leave"})
        assert phases(ada)[-1] == "writing"
        await cy.drop()
        await trio.sleep(AWAY_S + 0.01)
        assert phases(ada)[-1] == "album"
        game_over = [r for _, r in h.records if r.kind == "game_over"]
        assert game_over[0].data["complete"] is False
        assert ada.last("album_page")["entry"]["text"] == "kept"
        assert ada.last("album_page")["pages"] == 1
        await settle()
