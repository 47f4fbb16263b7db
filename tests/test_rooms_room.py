"""Whole games in a real Room task with fake players, under trio's autojump clock."""

from __future__ import annotations

from typing import Any

import pytest
import trio
from trio.testing import MockClock

from drawgame.config import Config
from drawgame.game import rules
from drawgame.game.modes import classic
from drawgame.game.protocol import Command, Start
from drawgame.game.state import RoomState
from drawgame.rooms.room import NoticeEvent, StopEvent
from tests.players import (
    FakePlayer,
    choose,
    drawer_of,
    join_all,
    running_room,
    settle,
    stroke,
)


async def play_turn(players: list[FakePlayer], guessers: list[FakePlayer], wait_s: float) -> str:
    """Drawer chooses and draws; each of ``guessers`` guesses right after ``wait_s``."""
    drawer, word = await choose(players)
    await drawer.send({"type": "draw", "ops": [stroke(1, 10, 10, 200, 200)]})
    for guesser in guessers:
        await trio.sleep(wait_s)
        await guesser.send({"type": "chat", "text": word.upper()})
    return word


async def test_whole_two_round_game_with_three_players(autojump_clock: MockClock) -> None:
    async with running_room(rounds=2, draw_time_s=60) as h:
        ada, bob, cy = await join_all(h, "Ada", "Bob", "Cy")
        await ada.send({"type": "start"})
        drawers: list[str] = []
        totals = {p.id: 0 for p in (ada, bob, cy)}
        for _ in range(6):
            drawer = drawer_of([ada, bob, cy])
            drawers.append(drawer.name)
            guessers = [p for p in (ada, bob, cy) if p is not drawer]
            await play_turn([ada, bob, cy], guessers, wait_s=6)
            turn_end = ada.last("turn_end")
            assert turn_end["reason"] == "all_guessed"
            for pid, points in turn_end["points"].items():
                totals[pid] += points
            await trio.sleep(classic.REVEAL_S + 0.1)
        assert drawers == ["Ada", "Bob", "Cy", "Ada", "Bob", "Cy"]
        over = ada.last("game_over")
        assert over["game_id"].startswith("g")
        assert [r["score"] for r in over["ranking"]] == sorted(totals.values(), reverse=True)
        assert {r["id"]: r["score"] for r in over["ranking"]} == totals
        assert all(p.last("game_over") == over for p in (bob, cy))
        assert ada.last("phase")["phase"] == "results"
        await trio.sleep(classic.RESULTS_S + 0.1)
        assert ada.last("phase")["phase"] == "lobby"
        assert h.kinds().count("turn_ended") == 6 and "game_over" in h.kinds()


async def test_first_guesser_bonus_and_drawer_mean(autojump_clock: MockClock) -> None:
    async with running_room(rounds=1, draw_time_s=80) as h:
        ada, bob, cy = await join_all(h, "Ada", "Bob", "Cy")
        await ada.send({"type": "start"})
        drawer, word = await choose([ada, bob, cy])
        bob_or_cy = [p for p in (ada, bob, cy) if p is not drawer]
        await trio.sleep(20)  # 60 s of 80 left: 375 points, +50 for the first
        await bob_or_cy[0].send({"type": "chat", "text": word})
        correct = drawer.last("correct")
        assert correct == {"type": "correct", "player_id": bob_or_cy[0].id, "points": 425}
        await trio.sleep(60.5)  # time up for the other guesser
        end = drawer.last("turn_end")
        assert end["reason"] == "time_up"
        assert end["points"] == {bob_or_cy[0].id: 425, bob_or_cy[1].id: 0, drawer.id: 212}


async def test_drawer_who_leaves_ends_the_turn(autojump_clock: MockClock) -> None:
    async with running_room(rounds=1) as h:
        ada, bob, cy = await join_all(h, "Ada", "Bob", "Cy")
        await ada.send({"type": "start"})
        drawer, _ = await choose([ada, bob, cy])
        await drawer.send({"type": "leave"})
        others = [p for p in (ada, bob, cy) if p is not drawer]
        assert others[0].last("turn_end")["reason"] == "drawer_left"
        assert drawer.closed == (1000, "left")
        assert drawer.id not in {p["id"] for p in others[0].last("players")["players"]}


async def test_drawer_disconnected_past_10_s_ends_the_turn(autojump_clock: MockClock) -> None:
    async with running_room(rounds=1) as h:
        ada, bob, cy = await join_all(h, "Ada", "Bob", "Cy")
        await ada.send({"type": "start"})
        drawer, _ = await choose([ada, bob, cy])
        watcher = next(p for p in (ada, bob, cy) if p is not drawer)
        await drawer.drop()
        await trio.sleep(9)
        assert not watcher.of("turn_end")
        await trio.sleep(1.5)
        assert watcher.last("turn_end")["reason"] == "drawer_left"


async def test_kicked_player_is_closed_and_cannot_return(autojump_clock: MockClock) -> None:
    async with running_room() as h:
        ada, bob, cy = await join_all(h, "Ada", "Bob", "Cy")
        await ada.send({"type": "kick", "player_id": cy.id})
        assert cy.closed is not None and cy.closed[0] == 4001
        assert cy.id not in {p["id"] for p in ada.last("players")["players"]}
        again = h.player("Cy again")
        await again.send({"type": "hello", "name": "Cy", "token": cy.token})
        assert again.errors() == ["forbidden"]
        assert again.closed is not None and again.closed[0] == 4001
        await bob.send({"type": "kick", "player_id": ada.id})
        assert bob.errors() == ["not_host"]


async def test_kicking_the_drawer_ends_the_turn(autojump_clock: MockClock) -> None:
    async with running_room(rounds=1) as h:
        ada, bob, cy = await join_all(h, "Ada", "Bob", "Cy")
        await ada.send({"type": "start"})
        await ada.send({"type": "choose", "index": 0})
        await ada.send({"type": "transfer_host", "player_id": bob.id})
        await bob.send({"type": "kick", "player_id": ada.id})
        assert cy.last("turn_end")["reason"] == "drawer_kicked"


async def test_vote_kick_needs_a_majority_of_at_least_two(autojump_clock: MockClock) -> None:
    async with running_room() as h:
        ada, bob, cy, dee = await join_all(h, "Ada", "Bob", "Cy", "Dee")
        await bob.send({"type": "vote_kick", "player_id": dee.id})
        vote = ada.last("kick_vote")
        assert vote == {"type": "kick_vote", "target_id": dee.id, "votes": 1, "needed": 2}
        assert dee.closed is None
        await cy.send({"type": "vote_kick", "player_id": dee.id})
        assert dee.closed is not None and dee.closed[0] == 4001


async def test_resumed_player_keeps_score_and_drawing_slot(autojump_clock: MockClock) -> None:
    async with running_room(rounds=1, draw_time_s=60) as h:
        ada, bob, cy = await join_all(h, "Ada", "Bob", "Cy")
        await ada.send({"type": "start"})
        _, word = await choose([ada, bob, cy])  # Ada draws first
        await trio.sleep(3)
        await bob.send({"type": "chat", "text": word})
        bob_score = next(p["score"] for p in ada.last("players")["players"] if p["id"] == bob.id)
        assert bob_score > 0
        await bob.drop()
        await trio.sleep(5)
        back = h.player("Bob")
        welcome = await back.hello(token=bob.token)
        assert welcome["you"] == {"id": bob.id, "token": bob.token}
        me = next(p for p in welcome["room"]["players"] if p["id"] == bob.id)
        assert me["score"] == bob_score and me["connected"] and me["guessed"]
        assert welcome["room"]["word"] == word  # he already guessed it
        await trio.sleep(60)  # time up; reveal; Bob's turn comes next
        await trio.sleep(classic.REVEAL_S + 0.1)
        assert ada.last("phase")["drawer_id"] == bob.id
        assert back.last("choices")["words"]


async def test_second_connection_with_token_replaces_the_first(autojump_clock: MockClock) -> None:
    async with running_room() as h:
        ada, bob = await join_all(h, "Ada", "Bob")
        twin = h.player("Bob")
        await twin.hello(token=bob.token)
        assert bob.closed == (4409, "replaced by a newer connection")
        await twin.send({"type": "chat", "text": "still here"})
        assert ada.last("chat")["from"] == bob.id


async def test_late_joiner_receives_the_current_drawing(autojump_clock: MockClock) -> None:
    async with running_room(rounds=1) as h:
        ada, bob = await join_all(h, "Ada", "Bob")
        await ada.send({"type": "start"})
        drawer, word = await choose([ada, bob])
        ops = [stroke(1, 1, 1, 50, 50), stroke(2, 5, 5, 9, 9), {"op": "undo"},
               {"op": "fill", "x": 20, "y": 30, "c": "#ff0000"}]
        await drawer.send({"type": "draw", "ops": ops})
        late = h.player("Late")
        welcome = await late.hello()
        snapshot = welcome["room"]
        assert snapshot["phase"] == "drawing"
        assert snapshot["ops"] == [ops[0], ops[3]]
        assert snapshot["word"] is None
        assert snapshot["hint"] == "".join(ch if ch in " -" else "_" for ch in word)
        assert snapshot["drawer_id"] == drawer.id
        assert 0 < snapshot["ends_in_ms"] <= 80_000
        other = bob if drawer is ada else ada
        assert other.last("draw") == {"type": "draw", "from": drawer.id, "ops": ops}


async def test_chat_visibility_during_a_turn(autojump_clock: MockClock) -> None:
    async with running_room(rounds=1) as h:
        ada, bob, cy = await join_all(h, "Ada", "Bob", "Cy")
        await ada.send({"type": "start"})
        drawer, word = await choose([ada, bob, cy])
        g1, g2 = [p for p in (ada, bob, cy) if p is not drawer]
        for p in (ada, bob, cy):
            p.clear()
        await drawer.send({"type": "chat", "text": f"it is a {word}"})
        assert drawer.errors() == ["word_in_chat"]
        await g1.send({"type": "chat", "text": "hello all"})
        assert g2.last("chat")["channel"] == "all"
        await g1.send({"type": "chat", "text": word})
        assert not [m for m in g2.of("chat") if m["text"] == word]
        assert g2.last("correct")["player_id"] == g1.id
        await g1.send({"type": "chat", "text": "easy one"})
        assert drawer.last("chat") == {"type": "chat", "from": g1.id, "name": g1.name,
                                       "text": "easy one", "channel": "guessed"}
        assert "easy one" not in [m["text"] for m in g2.of("chat")]
        if len(word.replace(" ", "").replace("-", "")) >= 4:
            near = word[:-1] + ("x" if word[-1] != "x" else "y")
            await g2.send({"type": "chat", "text": near})
            assert g2.last("close")["text"] == near
            assert near not in [m.get("text") for m in g1.received + drawer.received]


async def test_slow_consumer_is_disconnected_and_can_resume(autojump_clock: MockClock) -> None:
    async with running_room(Config(environment="test"), rounds=1) as h:
        ada, bob = await join_all(h, "Ada", "Bob")
        slow = h.player("Slow", outbox_bytes=800)
        await slow.hello()
        await ada.send({"type": "start"})
        drawer, _ = await choose([ada, bob, slow])
        if drawer is slow:
            pytest.skip("seeded order never makes the slow player draw first")
        for i in range(12):
            await drawer.send({"type": "draw", "ops": [stroke(i, i, i, i + 1, i + 1)]})
            for p in (ada, bob):
                if p is not drawer:
                    p.drain()
        assert slow.conn.close_code == (1013, "too slow to keep up: reconnect to resume")
        other = ada if drawer is bob else bob
        assert len(other.of("draw")) == 12  # the room went on for everyone else
        await slow.drop()
        back = h.player("Slow")
        welcome = await back.hello(token=slow.token)
        assert len(welcome["room"]["ops"]) == 12


async def test_a_bug_in_the_rules_costs_one_event_not_the_room(
    monkeypatch: pytest.MonkeyPatch, autojump_clock: MockClock
) -> None:
    real = rules.handle

    def flaky(room: RoomState, now: float, pid: str, cmd: Command) -> list[Any]:
        if isinstance(cmd, Start):
            raise ZeroDivisionError("boom")
        return real(room, now, pid, cmd)

    monkeypatch.setattr(rules, "handle", flaky)
    async with running_room() as h:
        ada, bob = await join_all(h, "Ada", "Bob")
        await ada.send({"type": "start"})
        assert ada.errors() == ["server_error"]
        await bob.send({"type": "chat", "text": "still alive?"})
        assert ada.last("chat")["text"] == "still alive?"


async def test_refused_commands_get_stable_codes(autojump_clock: MockClock) -> None:
    async with running_room() as h:
        ada, bob = await join_all(h, "Ada", "Bob")
        await bob.send({"type": "start"})
        await ada.send({"type": "choose", "index": 0})
        await ada.send({"type": "draw", "ops": [stroke(1, 1, 1)]})
        await ada.send({"type": "settings", "rounds": 99})
        await ada.send("{not json")
        await ada.send({"type": "dance"})
        await ada.send(b"\x00binary")
        assert bob.errors() == ["not_host"]
        assert ada.errors() == [
            "wrong_phase", "wrong_phase", "invalid_settings", "bad_json", "unknown_type",
            "bad_message",
        ]
        assert ada.last("error")["message"]


async def test_commands_before_hello_are_not_joined(autojump_clock: MockClock) -> None:
    async with running_room() as h:
        stranger = h.player("Nobody")
        await stranger.send({"type": "chat", "text": "hi"})
        assert stranger.errors() == ["not_joined"]
        await stranger.send({"type": "hello", "name": "  "})
        assert stranger.errors()[-1] == "bad_name"
        await stranger.hello()  # the connection stays usable for another hello
        assert stranger.id is not None


async def test_room_full_closes_with_4009(autojump_clock: MockClock) -> None:
    async with running_room(max_players=2) as h:
        await join_all(h, "Ada", "Bob")
        third = h.player("Cy")
        await third.send({"type": "hello", "name": "Cy"})
        assert third.errors() == ["room_full"]
        assert third.closed is not None and third.closed[0] == 4009
        spectator = h.player("Eve")
        welcome = await spectator.hello(spectate=True)
        assert next(p for p in welcome["room"]["players"] if p["id"] == spectator.id)["spectator"]


async def test_maintenance_refuses_new_players_but_not_returning_ones(
    autojump_clock: MockClock,
) -> None:
    async with running_room() as h:
        _, bob = await join_all(h, "Ada", "Bob")
        h.maintenance[:] = [True, "back soon"]
        newcomer = h.player("New")
        await newcomer.send({"type": "hello", "name": "New"})
        assert newcomer.errors() == ["maintenance"]
        assert newcomer.closed == (1013, "back soon")
        await bob.drop()
        back = h.player("Bob")
        await back.hello(token=bob.token)
        assert back.id == bob.id


async def test_rate_limit_then_abuse_close(autojump_clock: MockClock) -> None:
    config = Config(environment="test", chat_rate=1, chat_burst=3, abuse_limit=5)
    async with running_room(config) as h:
        ada, bob = await join_all(h, "Ada", "Bob")
        for i in range(4):
            await ada.send({"type": "chat", "text": f"line {i}"})
        assert ada.errors() == ["rate_limited"]
        assert [m["text"] for m in bob.of("chat") if m["from"] == ada.id] == [
            "line 0", "line 1", "line 2"]
        await trio.sleep(1.1)
        await ada.send({"type": "chat", "text": "after a pause"})
        assert bob.last("chat")["text"] == "after a pause"
        for _ in range(8):
            await ada.send({"type": "nonsense"})
        # every refused frame up to the one past the limit (5 + 1, the first one
        # rate_limited) is explained before the close; later frames are ignored
        assert ada.errors() == ["rate_limited"] + ["unknown_type"] * 5
        assert ada.closed == (1008, "too many refused messages")


async def test_ping_is_answered_with_pong(autojump_clock: MockClock) -> None:
    async with running_room() as h:
        (ada,) = await join_all(h, "Ada")
        await ada.send({"type": "ping", "t": 1234.5})
        pong = ada.last("pong")
        assert pong["t"] == 1234.5 and isinstance(pong["server_ms"], int)


async def test_idle_room_closes_after_everyone_left(autojump_clock: MockClock) -> None:
    config = Config(environment="test", room_idle_close_s=30)
    async with running_room(config) as h:
        ada, bob = await join_all(h, "Ada", "Bob")
        await ada.send({"type": "leave"})
        await trio.sleep(29)
        assert not h.room.ended.is_set()
        await bob.drop()
        await trio.sleep(29)
        assert not h.room.ended.is_set()
        await trio.sleep(2)
        assert h.room.ended.is_set()
        assert h.stops == [None]


async def test_a_tv_screen_alone_does_not_keep_a_room_open(autojump_clock: MockClock) -> None:
    config = Config(environment="test", room_idle_close_s=30)
    async with running_room(config) as h:
        (ada,) = await join_all(h, "Ada")
        tv = h.player("TV")
        await tv.send({"type": "hello", "tv": True})
        assert tv.last("welcome")["room"]["tvs"] == 1
        await ada.drop()
        await trio.sleep(29)
        assert not h.room.ended.is_set()
        await trio.sleep(2)
        assert h.room.ended.is_set()
        tv.drain()
        assert tv.closed is not None and tv.closed[0] == 4004


async def test_restart_stop_tells_everyone_then_closes_with_1012(autojump_clock: MockClock) -> None:
    async with running_room() as h:
        ada, bob = await join_all(h, "Ada", "Bob")
        await h.room.stop(reconnect_in_ms=1500)
        for p in (ada, bob):
            assert p.last("shutdown") == {"type": "shutdown", "reconnect_in_ms": 1500}
            assert p.closed == (1012, "server restarting")
        assert h.room.ended.is_set()
        assert isinstance(h.stops[0], StopEvent) and h.stops[0].reconnect_in_ms == 1500


async def test_records_are_reported_for_persistence(autojump_clock: MockClock) -> None:
    async with running_room(rounds=1) as h:
        ada, bob = await join_all(h, "Ada", "Bob")
        await ada.send({"type": "start"})
        drawer, word = await choose([ada, bob])
        await drawer.send({"type": "draw", "ops": [stroke(1, 1, 1, 2, 2)]})
        guesser = bob if drawer is ada else ada
        await guesser.send({"type": "chat", "text": word})
        await settle()
        kinds = h.kinds()
        for kind in ("player_joined", "game_started", "turn_started", "ops", "turn_ended"):
            assert kind in kinds
        ops_record = next(r for _, r in h.records if r.kind == "ops")
        assert ops_record.data["ops"] == [stroke(1, 1, 1, 2, 2)]



async def test_joiner_gets_the_join_once_others_get_it_announced(
    autojump_clock: MockClock,
) -> None:
    async with running_room() as h:
        (ada,) = await join_all(h, "Ada")
        bob = h.player("Bob")
        welcome = await bob.hello()
        assert [m["text"] for m in welcome["room"]["chat"]][-1] == "Bob joined"
        assert [m["type"] for m in bob.received] == ["welcome"]
        assert ada.last("chat")["text"] == "Bob joined"
        assert [p["name"] for p in ada.last("players")["players"]] == ["Ada", "Bob"]


async def test_snapshot_names_the_game_during_and_after_it(autojump_clock: MockClock) -> None:
    async with running_room(rounds=1) as h:
        ada, _ = await join_all(h, "Ada", "Bob")
        assert ada.of("welcome")[0]["room"]["game_id"] is None
        await ada.send({"type": "start"})
        late = h.player("Late")
        game = (await late.hello())["room"]["game_id"]
        assert game is not None and game.startswith("g")


async def test_departures_and_notices_are_not_lost_when_the_inbox_is_full(
    autojump_clock: MockClock,
) -> None:
    async with running_room(Config(environment="test", inbox_size=8)) as h:
        ada, bob = await join_all(h, "Ada", "Bob")
        queued = 0
        while h.room.submit_nowait(NoticeEvent("busy")) and queued < 100:
            queued += 1
        assert queued in (8, 9)  # the buffer, plus one handed straight to the waiting room
        h.room.depart(bob.conn)  # never waits, even now
        h.room.post(NoticeEvent("maintenance starts"))
        await settle()
        players = {p["id"]: p for p in ada.last("players")["players"]}
        assert players[bob.id]["connected"] is False
        assert "maintenance starts" in [m["text"] for m in ada.of("notice")]


# ---------------------------------------------------------------- the lease and the queue


async def test_a_room_whose_lease_lapsed_tells_its_players_and_takes_nothing(
    autojump_clock: MockClock,
) -> None:
    async with running_room(rounds=1, draw_time_s=60) as h:
        ada, bob = await join_all(h, "Ada", "Bob")
        await ada.send({"type": "start"})
        drawer, _ = await choose([ada, bob])
        guesser = bob if drawer is ada else ada
        await drawer.send({"type": "draw", "ops": [stroke(1, 1, 1, 50, 50)]})
        assert [m["ops"][0]["id"] for m in guesser.of("draw")] == [1]
        lease = [False]
        h.room.hooks.lease_ok = lambda: lease[0]
        kept = len(h.records)
        # The stroke is neither relayed nor kept: both players are told to look again.
        await drawer.send({"type": "draw", "ops": [stroke(2, 5, 5, 60, 60)]})
        assert drawer.closed is not None and drawer.closed[0] == 4300
        assert guesser.closed is not None and guesser.closed[0] == 4300
        assert [m["ops"][0]["id"] for m in guesser.of("draw")] == [1]
        # Nothing changes meanwhile: no join, no timer, no record.
        newcomer = h.player("Cy")
        await newcomer.send({"type": "hello", "name": "Cy"})
        assert newcomer.closed is not None and newcomer.closed[0] == 4300
        await drawer.drop()
        await guesser.drop()
        await trio.sleep(120)  # past the turn's end
        assert len(h.records) == kept
        # Renewed: the room serves again, the turn's time caught up, the seats held.
        lease[0] = True
        h.room.wake()
        await settle()
        back = [h.player(p.name) for p in (drawer, guesser)]
        for player, old in zip(back, (drawer, guesser), strict=True):
            welcome = await player.hello(token=old.token)
            assert welcome["you"]["id"] == old.id
        assert "turn_ended" in h.kinds()[kept:]


async def test_draws_are_refused_while_the_write_queue_is_full(
    autojump_clock: MockClock,
) -> None:
    async with running_room(rounds=1, draw_time_s=60) as h:
        ada, bob = await join_all(h, "Ada", "Bob")
        await ada.send({"type": "start"})
        drawer, _ = await choose([ada, bob])
        guesser = bob if drawer is ada else ada
        full, refused = [True], []
        h.room.hooks.store_full = lambda: full[0]
        h.room.hooks.refused_draw = lambda: refused.append(1)
        await drawer.send({"type": "draw", "ops": [stroke(1, 1, 1, 50, 50)]})
        assert drawer.errors() == ["storage_full"] and drawer.last("error")["ref"] == "draw"
        assert guesser.of("draw") == [] and "ops" not in h.kinds() and refused == [1]
        await guesser.send({"type": "chat", "text": "anything yet?"})
        assert drawer.last("chat")["text"] == "anything yet?"  # the game goes on
        full[0] = False
        await drawer.send({"type": "draw", "ops": [stroke(2, 1, 1, 50, 50)]})
        assert [m["ops"][0]["id"] for m in guesser.of("draw")] == [2] and "ops" in h.kinds()
        assert drawer.closed is None
