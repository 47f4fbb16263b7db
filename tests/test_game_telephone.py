"""The telephone mode's rules, driven through the room core with plain numbers for time."""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_game_rules import WORDS, Game, msgs, records, sends

from drawgame.game import rules
from drawgame.game.effects import Effect, Send
from drawgame.game.filter import FilterBank, parse_filter_file
from drawgame.game.modes import telephone
from drawgame.game.modes.telephone import ALBUM_IDLE_S, TelephoneGame
from drawgame.game.persist import dump_state, load_state
from drawgame.game.rules import AWAY_S, snapshot
from drawgame.game.words import WordList

NAMES = ("Ada", "Bob", "Cy", "Dee", "Eve", "Fay", "Gus", "Hal", "Ivy", "Jo", "Kit", "Lu",
         "Max", "Ned", "Oz", "Pip")


def tel(names: tuple[str, ...] = NAMES[:3], **settings: Any) -> Game:
    base = {"mode": "telephone", "write_time_s": 40, "draw_time_s": 80, **settings}
    return Game(names=names, **base)


def tg(g: Game) -> TelephoneGame:
    assert isinstance(g.room.game, TelephoneGame)
    return g.room.game


def ids(g: Game) -> list[str]:
    return [p.id for p in g.room.seated()]


def line(stroke: int, x: int = 10) -> dict[str, Any]:
    return {"op": "line", "id": stroke, "c": "#112233", "w": 4, "p": [x, 10, x + 5, 20]}


def tasks(effects: list[Effect]) -> dict[str, dict[str, Any]]:
    """Each player's `task` among the effects."""
    out: dict[str, dict[str, Any]] = {}
    for e in sends(effects, "task"):
        assert e.to is not None and len(e.to) == 1
        out[e.to[0]] = e.msg
    return out


def do_step(g: Game, *, skip: tuple[str, ...] = ()) -> list[Effect]:
    """Every holder but `skip` makes a page and submits it; returns the effects."""
    effects: list[Effect] = []
    for pid in list(tg(g).order):
        if pid in skip or pid not in g.room.players or not g.room.players[pid].connected:
            continue
        if g.phase not in telephone.STEP_PHASES:
            break
        task = g.room.game and telephone._task_msg(g.room, g.now, pid)
        assert task is not None
        if task["kind"] == "draw":
            g.cmd(pid, type="draw", ops=[line(1, x=len(pid))])
            effects += g.cmd(pid, type="submit")
        else:
            text = (task["choices"] or [f"{pid} writes {task['step']}"])[0]
            effects += g.cmd(pid, type="submit", text=text)
    return effects


# ---------------------------------------------------------------- starting


def test_start_needs_three_players_and_steps_no_more_than_players() -> None:
    g = tel(NAMES[:2])
    g.refused("p_ada", "not_enough_players", type="start")
    g = tel(NAMES[:3], steps=4)
    err = g.refused("p_ada", "invalid_settings", type="start")
    assert err.field == "steps"
    g.cmd("p_ada", type="settings", steps=3)
    g.start()
    assert g.phase == "writing" and tg(g).steps == 3


def test_start_sends_every_player_a_write_task_and_the_progress() -> None:
    g = tel(NAMES[:4])
    effects = g.start()
    phase = msgs(effects, "phase")[0]
    assert phase == {"type": "phase", "phase": "writing", "mode": "telephone", "step": 1,
                     "steps": 4, "round": 1, "rounds": 4, "drawer_id": None, "hint": None,
                     "ends_in_ms": 40_000}
    got = tasks(effects)
    assert set(got) == set(ids(g))
    assert {t["book_id"] for t in got.values()} == {"b1", "b2", "b3", "b4"}
    for t in got.values():
        assert t["kind"] == "write" and t["prompt"] is None and t["choices"] is None
        assert t["step"] == 1 and t["ends_in_ms"] == 40_000 and t["submitted"] is False
    assert msgs(effects, "progress") == [
        {"type": "progress", "step": 1, "done": [], "waiting": ids(g)}]
    assert records(effects, "game_started")[0]["mode"] == "telephone"
    assert len(records(effects, "step_started")[0]["pages"]) == 4


# ---------------------------------------------------------------- rotation


@pytest.mark.parametrize("n", range(3, 17))
def test_rotation_page_k_of_book_j_is_made_by_player_j_plus_k(n: int) -> None:
    g = tel(NAMES[:n], max_players=16)
    g.start()
    order = ids(g)
    phases = []
    while g.phase in telephone.STEP_PHASES:
        phases.append(g.phase)
        k = tg(g).page_index
        for j, book in enumerate(tg(g).books):
            assert book.owner == order[j]
            assert book.pages[k].author == order[(j + k) % n]
        do_step(g)
    assert phases == ["writing"] + [("drawing", "describing")[i % 2] for i in range(n - 1)]
    assert g.phase == "album"
    for j, book in enumerate(tg(g).books):
        assert [p.kind for p in book.pages] == [("text", "drawing")[k % 2] for k in range(n)]
        assert all(not p.empty for p in book.pages)
        # each page answers the one before it
        assert book.pages[0].text == f"{order[j]} writes 1"


def test_each_task_shows_only_the_page_before_it() -> None:
    g = tel(NAMES[:3])
    g.start()
    g.cmd("p_ada", type="submit", text="a cat on a skateboard")
    g.cmd("p_bob", type="submit", text="two dogs dancing")
    effects = g.cmd("p_cy", type="submit", text="a tiny volcano")
    got = tasks(effects)
    # page 1 of book 0 (Ada's) is made by player 1 (Bob)
    assert got["p_bob"]["prompt"] == {"kind": "text", "text": "a cat on a skateboard"}
    assert got["p_bob"]["kind"] == "draw" and got["p_bob"]["book_id"] == "b1"
    assert got["p_cy"]["prompt"] == {"kind": "text", "text": "two dogs dancing"}
    assert got["p_ada"]["prompt"] == {"kind": "text", "text": "a tiny volcano"}
    g.cmd("p_bob", type="draw", ops=[line(1), line(2, 50), {"op": "undo"}])
    g.cmd("p_bob", type="submit")
    g.cmd("p_cy", type="submit")
    effects = g.cmd("p_ada", type="submit")
    got = tasks(effects)
    assert g.phase == "describing"
    assert got["p_cy"]["prompt"] == {"kind": "drawing", "ops": [line(1)]}  # undo applied
    assert got["p_cy"]["kind"] == "describe"


# ---------------------------------------------------------------- steps and pages


def test_time_up_keeps_drafts_and_drawings_and_the_chain_skips_empty_pages() -> None:
    g = tel(NAMES[:3])
    g.start()
    g.cmd("p_ada", type="draft", text="a half-written idea")
    # Bob and Cy write nothing
    g.at(40)
    assert g.phase == "drawing"
    books = tg(g).books
    assert books[0].pages[0].text == "a half-written idea"
    assert books[1].pages[0].empty and books[2].pages[0].empty
    started = records(g.log, "step_ended")[0]["pages"]
    assert [p["text"] for p in started] == ["a half-written idea", "", ""]
    task_bob = telephone._task_msg(g.room, g.now, "p_bob")
    task_cy = telephone._task_msg(g.room, g.now, "p_cy")
    assert task_bob["prompt"] == {"kind": "text", "text": "a half-written idea"}
    assert task_cy["prompt"] is None  # nothing to go on
    g.cmd("p_cy", type="draw", ops=[line(1)])
    g.at(40 + 80)
    assert g.phase == "describing"
    # book 2 (Cy's): page 0 empty, page 1 drawn by Ada? no: by player (2+1)%3 = Ada, empty
    ada = telephone._task_msg(g.room, g.now, "p_ada")  # Ada now describes book 1
    assert ada["book_id"] == "b2" and ada["prompt"] == {"kind": "drawing", "ops": [line(1)]}
    bob = telephone._task_msg(g.room, g.now, "p_bob")  # book 2: both pages empty
    assert bob["book_id"] == "b3" and bob["prompt"] is None


def test_submit_unsubmit_and_what_a_done_page_refuses() -> None:
    g = tel(NAMES[:3])
    g.start()
    effects = g.cmd("p_ada", type="submit", text="first try")
    assert msgs(effects, "progress")[0]["done"] == ["p_ada"]
    player = next(p for p in msgs(effects, "players")[0]["players"] if p["id"] == "p_ada")
    assert player["done"] is True
    g.refused("p_ada", "page_submitted", type="draft", text="changing my mind")
    effects = g.cmd("p_ada", type="submit", text="second try")  # replaces the text
    assert tg(g).books[0].pages[0].text == "second try"
    effects = g.cmd("p_ada", type="unsubmit")
    assert msgs(effects, "progress")[0]["waiting"] == ["p_ada", "p_bob", "p_cy"]
    task = telephone._task_msg(g.room, g.now, "p_ada")
    assert task["submitted"] is False and task["draft_text"] == "second try"
    effects = g.cmd("p_ada", type="unsubmit")  # not done: only the sender hears
    assert [e.to for e in sends(effects, "progress")] == [("p_ada",)]
    g.refused("p_ada", "bad_message", type="submit")  # a sentence page needs text
    g.cmd("p_ada", type="submit", text="x")
    g.cmd("p_bob", type="submit", text="y")
    g.cmd("p_cy", type="submit", text="z")
    assert g.phase == "drawing"
    g.refused("p_ada", "bad_message", type="submit", text="words on a drawing")
    g.refused("p_ada", "wrong_phase", type="draft", text="no")
    g.cmd("p_ada", type="submit")
    g.refused("p_ada", "page_submitted", type="draw", ops=[line(1)])
    g.cmd("p_ada", type="unsubmit")
    g.cmd("p_ada", type="draw", ops=[line(1)])
    g.refused("p_ada", "wrong_phase", type="choose", index=0)
    g.refused("p_ada", "wrong_phase", type="album_next")


def test_the_text_limits_are_checked_at_the_door() -> None:
    g = tel()
    g.start()
    g.refused("p_ada", "bad_message", type="submit", text="x" * 101)
    g.refused("p_ada", "bad_message", type="submit", text="   ")
    g.refused("p_ada", "bad_message", type="draft", text="x" * 101)
    g.refused("p_ada", "bad_message", type="submit", text="ok", extra=1)
    g.cmd("p_ada", type="draft", text="")  # an empty draft is allowed
    g.cmd("p_ada", type="submit", text="x" * 100)


def test_spectators_tvs_and_late_joiners_have_no_page() -> None:
    g = tel(NAMES[:3])
    g.join("Watcher", spectate=True)
    g.start()
    late = g.join("Late")
    assert telephone.MODE.snapshot_fields(g.room, g.now, late)["task"] is None
    assert late not in tg(g).order
    g.refused(late, "not_your_turn", type="submit", text="me too")
    g.refused("p_watcher", "not_your_turn", type="draft", text="hello")
    progress = snapshot(g.room, g.now, "p_watcher")["progress"]
    assert progress == {"step": 1, "done": [], "waiting": ["p_ada", "p_bob", "p_cy"]}
    do_step(g)  # the late joiner holds nothing up
    assert g.phase == "drawing"


def test_first_page_word_offers_words_and_refuses_others() -> None:
    g = tel(NAMES[:3], first_page="word", word_choices=3)
    effects = g.start()
    got = tasks(effects)
    offered = [w for t in got.values() for w in t["choices"]]
    assert all(len(t["choices"]) == 3 for t in got.values())
    assert len(set(offered)) == 9 and set(offered) <= set(WORDS)
    assert all(t["kind"] == "write" for t in got.values())
    other = next(w for w in WORDS if w not in got["p_ada"]["choices"])
    g.refused("p_ada", "bad_message", type="submit", text=other)
    g.refused("p_ada", "bad_message", type="draft", text="my own idea")
    g.cmd("p_ada", type="submit", text=got["p_ada"]["choices"][1])
    assert tg(g).books[0].pages[0].text == got["p_ada"]["choices"][1]


def test_the_chat_filter_masks_and_blocks_sentences() -> None:
    filters = FilterBank(directory=None, lists={"en": parse_filter_file(["bad"])})
    g = tel(NAMES[:3], chat_filter="block")
    g.room.filters = filters
    g.start()
    g.refused("p_ada", "filtered", type="submit", text="a bad idea")
    g.cmd("p_ada", type="draft", text="a bad idea")  # a draft is its author's own
    g.cmd("p_bob", type="submit", text="fine")
    g.cmd("p_cy", type="submit", text="also fine")
    g.at(40)
    assert tg(g).books[0].pages[0].text == ""  # blocked when it became the page
    g = tel(NAMES[:3], chat_filter="mask")
    g.room.filters = filters
    g.start()
    g.cmd("p_ada", type="submit", text="a bad idea")
    assert tg(g).books[0].pages[0].text == "a *** idea"


# ---------------------------------------------------------------- presence


def test_a_player_away_no_longer_holds_the_step_and_resumes_with_their_drafts() -> None:
    g = tel(NAMES[:4])
    g.start()
    g.cmd("p_dee", type="draft", text="my unfinished line")
    g.disconnect("p_dee")
    g.cmd("p_ada", type="submit", text="a")
    g.cmd("p_bob", type="submit", text="b")
    g.cmd("p_cy", type="submit", text="c")
    assert g.phase == "writing"  # Dee counts as present for AWAY_S
    g.at(AWAY_S)
    assert g.phase == "drawing"  # once away, nobody waits for her
    assert tg(g).books[3].pages[0].text == "my unfinished line"
    g.cmd("p_ada", type="draw", ops=[line(1)])
    g.disconnect("p_ada")
    effects = g.resume("p_ada")
    task = tasks(effects)["p_ada"]
    assert task["kind"] == "draw" and task["draft_ops"] == [line(1)]
    snap = snapshot(g.room, g.now, "p_ada")
    assert snap["task"]["draft_ops"] == [line(1)] and snap["task"]["book_id"] == task["book_id"]


def test_fewer_than_two_present_end_the_game_with_the_album_of_what_exists() -> None:
    g = tel(NAMES[:3])
    g.start()
    do_step(g)
    g.cmd("p_ada", type="draw", ops=[line(1)])
    g.leave("p_bob")
    assert g.phase == "drawing"
    effects = g.leave("p_cy")
    assert g.phase == "album"
    assert records(effects, "game_over") == [
        {"game_id": "game1", "ranking": [], "complete": False}]
    assert msgs(effects, "game_over") == [{"type": "game_over", "game_id": "game1",
                                           "ranking": []}]
    assert [len(b.pages) for b in tg(g).books] == [2, 2, 2]
    assert tg(g).books[2].pages[1].oplog.ops == [line(1)]  # Ada drew in book 2 (Cy's)


def test_kicked_players_pages_stay_in_the_album() -> None:
    g = tel(NAMES[:4])
    g.start()
    g.cmd("p_bob", type="submit", text="bob's sentence")
    g.cmd("p_ada", type="kick", player_id="p_bob")
    do_step(g)
    assert g.phase == "drawing"
    assert tg(g).books[1].pages[0].text == "bob's sentence"
    assert tg(g).books[1].pages[0].author_name == "Bob"


# ---------------------------------------------------------------- the album


def test_the_album_goes_book_by_book_and_back_to_the_lobby() -> None:
    g = tel(NAMES[:3], steps=2)
    g.start()
    do_step(g)
    effects = do_step(g)
    assert g.phase == "album"
    first = msgs(effects, "album_page")[0]
    assert first["book"] == 0 and first["page"] == 0 and first["books"] == 3
    assert first["pages"] == 2 and first["owner"] == {"id": "p_ada", "name": "Ada"}
    assert first["entry"] == {"author": {"id": "p_ada", "name": "Ada"}, "kind": "text",
                              "text": "p_ada writes 1"}
    g.refused("p_bob", "not_host", type="album_next")
    assert msgs(g.cmd("p_ada", type="album_prev"), "album_page")[0]["page"] == 0
    seen = [(0, 0)]
    for _ in range(5):
        page = msgs(g.cmd("p_ada", type="album_next"), "album_page")[0]
        seen.append((page["book"], page["page"]))
    assert seen == [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1)]
    drawing = msgs(g.cmd("p_ada", type="album_prev"), "album_page")[0]
    assert (drawing["book"], drawing["page"]) == (2, 0)
    g.cmd("p_ada", type="album_next")
    effects = g.cmd("p_ada", type="album_next")  # past the last page
    assert g.phase == "lobby" and g.room.game is None
    assert msgs(effects, "phase")[0]["phase"] == "lobby"


def test_the_album_returns_to_the_lobby_when_left_alone() -> None:
    g = tel(NAMES[:3], steps=2)
    g.start()
    do_step(g)
    do_step(g)
    t = g.now
    g.at(t + 100)
    g.cmd("p_ada", type="album_next")  # a host action restarts the wait
    g.at(t + 100 + ALBUM_IDLE_S - 1)
    assert g.phase == "album"
    g.at(t + 100 + ALBUM_IDLE_S)
    assert g.phase == "lobby"


def test_reactions_per_album_page() -> None:
    g = tel(NAMES[:3], steps=2)
    g.start()
    do_step(g)
    do_step(g)
    g.refused("p_ada", "forbidden", type="react", value="like")  # her own page
    effects = g.cmd("p_bob", type="react", value="like")
    assert msgs(effects, "reaction") == [{"type": "reaction", "likes": 1, "dislikes": 0,
                                          "book": 0, "page": 0}]
    assert records(effects, "page_reaction")[0]["likes"] == 1
    g.refused("p_bob", "already_reacted", type="react", value="dislike")
    g.cmd("p_ada", type="album_next")
    page = msgs(g.cmd("p_ada", type="album_prev"), "album_page")[0]
    assert (page["likes"], page["dislikes"]) == (1, 0)


# ---------------------------------------------------------------- modes in one room


def test_a_classic_game_then_a_telephone_game_in_the_same_room() -> None:
    g = Game(names=NAMES[:3])
    g.start()
    g.run_until_phase("results")
    g.run_until_phase("lobby")
    g.cmd("p_ada", type="settings", mode="telephone")
    effects = g.start()
    assert g.phase == "writing" and msgs(effects, "phase")[0]["mode"] == "telephone"
    assert all(g.score(pid) == 0 for pid in ids(g))
    g.refused("p_ada", "wrong_phase", type="settings", mode="classic")


# ---------------------------------------------------------------- persistence


def reload(g: Game, new_now: float) -> None:
    data = json.loads(json.dumps(dump_state(g.room, g.now)))
    g.room = load_state(data, new_now, words_for=lambda code: WordList.of(WORDS),
                        new_id=lambda: "g_new")
    g.now = new_now


def test_a_step_in_progress_survives_a_reload() -> None:
    g = tel(NAMES[:3])
    g.start()
    do_step(g)
    g.cmd("p_ada", type="draw", ops=[line(1), line(2, 40)])
    g.cmd("p_bob", type="draw", ops=[line(3)])
    g.cmd("p_bob", type="submit")
    g.at(g.now + 30)
    before = {pid: snapshot(g.room, g.now, pid) for pid in ids(g)}
    reload(g, 1000.0)
    for pid in ids(g):
        g.resume(pid)
    after = {pid: snapshot(g.room, g.now, pid) for pid in ids(g)}
    for pid in ids(g):
        assert after[pid]["task"] == before[pid]["task"]
        assert after[pid]["progress"] == before[pid]["progress"]
    assert after["p_ada"]["task"]["draft_ops"] == [line(1), line(2, 40)]
    assert after["p_bob"]["task"]["submitted"] is True
    assert after["p_ada"]["ends_in_ms"] == 50_000
    g.at(1000 + 50)
    assert g.phase == "describing"


def test_the_album_position_survives_a_reload() -> None:
    g = tel(NAMES[:3], steps=2)
    g.start()
    do_step(g)
    do_step(g)
    g.cmd("p_ada", type="album_next")
    g.cmd("p_ada", type="album_next")
    reload(g, 500.0)
    snap = snapshot(g.room, g.now, None)
    assert snap["phase"] == "album"
    assert (snap["album_page"]["book"], snap["album_page"]["page"]) == (1, 0)


def test_a_snapshot_without_drawings_is_restored_from_the_store_content() -> None:
    g = tel(NAMES[:3])
    g.start()
    do_step(g)
    g.cmd("p_ada", type="draw", ops=[line(1)])
    data = json.loads(json.dumps(dump_state(g.room, g.now, drawings=False)))
    room = load_state(data, 0.0, words_for=lambda code: WordList.of(WORDS),
                      new_id=lambda: "g_new")
    assert isinstance(room.game, TelephoneGame)
    query = telephone.MODE.content_query(room)
    assert query is not None and query.pages and query.game_id == "game1"
    book = room.game.book_of("p_ada")
    assert book is not None
    from drawgame.game.modes.base import Content, StoredPage
    telephone.MODE.restore(room, Content(pages=(
        StoredPage(book, 1, "", ([line(1)], [line(2), {"op": "undo"}])),
        StoredPage(0, 0, "newer draft", ()),
    )))
    assert room.game.books[book].pages[1].oplog.ops == [line(1)]
    assert room.game.books[0].pages[0].text == "newer draft"


def test_every_send_of_a_step_goes_to_seats_that_exist() -> None:
    g = tel(NAMES[:5])
    g.join("TV0", spectate=True)
    effects = g.start()
    for e in effects:
        if isinstance(e, Send) and e.to is not None:
            assert set(e.to) <= set(g.room.players)
    assert rules.next_deadline(g.room) == 40
