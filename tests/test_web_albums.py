"""Albums people keep, against a real server on both databases: the album page, the
room's gallery, a player hiding their drawings and the host deleting the album, each
enforced by the server whatever a page shows."""

from __future__ import annotations

import re
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
import trio

from drawgame.config import Config
from drawgame.game.modes import classic
from drawgame.store import albums
from drawgame.store.db import connect_to
from drawgame.web import albums as web_albums
from tests import telephone
from tests.conftest import Launch, RunningServer
from tests.gameplay import SMALL_ROOM, create_room
from tests.telephone import play_telephone
from tests.wsclient import WsClient, connect


@pytest.fixture(autouse=True)
def short_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(classic, "REVEAL_S", 0.2)
    monkeypatch.setattr(classic, "RESULTS_S", 60.0)


def line(stroke: int, *points: int) -> dict[str, Any]:
    return {"op": "line", "id": stroke, "c": "#204080", "w": 8, "p": list(points)}


async def play_game(server: RunningServer, stack: AsyncExitStack) -> tuple[
        str, str, dict[str, WsClient]]:
    """Ada (the host) and Bob play one round, each drawing one line; (code, game id, seats)."""
    code = await create_room(server.url, SMALL_ROOM)
    url = f"{server.ws_url}/ws/{code}"
    ada = await stack.enter_async_context(connect(url, "Ada"))
    bob = await stack.enter_async_context(connect(url, "Bob"))
    await ada.hello()
    await bob.hello()
    await ada.send({"type": "start"})
    for turn in range(2):
        phase = await ada.wait_for("phase", lambda m: m["phase"] == "choosing")
        drawer, guesser = (ada, bob) if phase["drawer_id"] == ada.id else (bob, ada)
        word = (await drawer.wait_for("choices"))["words"][0]
        await drawer.send({"type": "choose", "index": 0})
        await drawer.send({"type": "draw", "ops": [line(1, 100 + turn, 100, 300, 300, 500, 100)]})
        await guesser.send({"type": "chat", "text": word})
        await guesser.wait_for("turn_end", lambda m, w=word: m["word"] == w)
    over = await ada.wait_for("game_over")
    game = str(over["game_id"])
    async with httpx.AsyncClient(base_url=server.url) as http:  # it flushes the recorder
        assert (await http.get(f"/api/games/{game}")).status_code == 200
    return code, game, {"Ada": ada, "Bob": bob}


async def test_hiding_and_deleting_are_enforced_by_the_server(
    db_server: RunningServer,
) -> None:
    server = db_server
    with trio.fail_after(30):
        async with AsyncExitStack() as stack, httpx.AsyncClient(base_url=server.url) as http:
            code, game, seats = await play_game(server, stack)
            ada, bob = seats["Ada"], seats["Bob"]
            album = (await http.get(f"/api/games/{game}")).json()
            assert [t["hidden"] for t in album["turns"]] == [False, False]
            bobs = next(i for i, t in enumerate(album["turns"]) if t["drawer"]["id"] == bob.id)
            assert album["turns"][bobs]["ops"]

            answer = await http.get(f"/api/games/{game}", headers={"Accept-Encoding": "gzip"})
            assert answer.headers["content-encoding"] == "gzip" and answer.json() == album
            thumbs = (await http.get(f"/api/games/{game}?view=thumbs")).json()
            assert thumbs["view"] == "thumbs"
            for small, whole in zip(thumbs["turns"], album["turns"], strict=True):
                assert small["word"] == whole["word"] and len(small["ops"]) == 1
                assert small["ops"][0]["p"][:2] == whole["ops"][0]["p"][:2]

            gallery = (await http.get(f"/api/rooms/{code}/albums")).json()["albums"]
            assert [a["game_id"] for a in gallery] == [game]
            assert sorted(gallery[0]["players"]) == ["Ada", "Bob"]
            assert gallery[0]["drawers"] == sorted([ada.id, bob.id])
            assert gallery[0]["hidden"] == []
            assert gallery[0]["drawings"] == 2
            assert gallery[0]["cover"]["ops"] == album["turns"][0]["ops"]
            assert "token" not in str(gallery) and "token" not in str(album)

            # A token that holds no seat of the room changes nothing.
            refused = await http.post(f"/api/games/{game}/hide", json={"token": "nobody"})
            assert refused.status_code == 403
            assert refused.json()["error"]["code"] == "forbidden"
            bad = await http.post(f"/api/games/{game}/hide", json={"token": 5})
            assert bad.status_code == 422 and bad.json()["error"]["field"] == "token"

            hid = await http.post(f"/api/games/{game}/hide", json={"token": bob.token})
            assert hid.status_code == 200, hid.text
            assert hid.json() == {"player_id": bob.id, "hidden": True}
            album = (await http.get(f"/api/games/{game}")).json()
            turn = album["turns"][bobs]
            assert turn["hidden"] is True and turn["ops"] == []
            assert turn["word"] and turn["drawer"]["id"] == bob.id
            other = album["turns"][1 - bobs]
            assert other["hidden"] is False and other["ops"]
            gallery = (await http.get(f"/api/rooms/{code}/albums")).json()["albums"]
            assert gallery[0]["cover"]["ops"] == other["ops"]
            assert gallery[0]["hidden"] == [bob.id]
            thumbs = (await http.get(f"/api/games/{game}?view=thumbs")).json()
            assert thumbs["turns"][bobs]["ops"] == [] and thumbs["turns"][bobs]["hidden"]

            shown = await http.post(f"/api/games/{game}/hide",
                                    json={"token": bob.token, "hidden": False})
            assert shown.json()["hidden"] is False
            assert (await http.get(f"/api/games/{game}")).json()["turns"][bobs]["ops"]

            # Only the room's host deletes, and then the album is gone for everyone.
            not_host = await http.request("DELETE", f"/api/games/{game}",
                                          json={"token": bob.token})
            assert not_host.status_code == 403
            assert not_host.json()["error"]["code"] == "not_host"
            assert (await http.get(f"/api/games/{game}")).status_code == 200
            gone = await http.request("DELETE", f"/api/games/{game}", json={"token": ada.token})
            assert gone.status_code == 204, gone.text
            answer = await http.get(f"/api/games/{game}")
            assert answer.status_code == 404
            assert answer.json()["error"]["code"] == "game_not_found"
            assert (await http.get(f"/a/{game}")).status_code == 404
            assert (await http.get(f"/api/rooms/{code}/albums")).json() == {"albums": []}
            again = await http.request("DELETE", f"/api/games/{game}", json={"token": ada.token})
            assert again.status_code == 404


async def test_the_album_page_names_the_album_for_link_previews(server: RunningServer) -> None:
    with trio.fail_after(30):
        async with AsyncExitStack() as stack, httpx.AsyncClient(base_url=server.url) as http:
            code, game, seats = await play_game(server, stack)
            page = await http.get(f"/a/{game}")
            assert page.status_code == 200 and page.headers["content-type"].startswith(
                "text/html")
            text = page.text
            assert '<meta property="og:title" content="drawgame album: 2 drawings">' in text
            assert "Drawn by Ada and Bob on 20" in text or "Drawn by Bob and Ada on 20" in text
            assert f'data-href="../api/games/{game}?view=thumbs"' in text
            # The heading is in the HTML: when the game ended, and who played.
            meta = text.split('data-testid="album-meta">')[1].split("</p>")[0]
            assert re.fullmatch(
                r"20\d\d-\d\d-\d\d \d\d:\d\d UTC · Players: (Ada, Bob|Bob, Ada)", meta)
            for secret in (code, seats["Ada"].token, seats["Bob"].token):
                assert secret not in text
            missing = await http.get("/a/g_nothing")
            assert missing.status_code == 404 and "{{" not in missing.text
            odd = await http.get("/a/%22%3E%3Cscript%3E")
            assert odd.status_code == 404 and '"><script>' not in odd.text
            assert (await http.get("/api/rooms/NOSUCHROOM/albums")).status_code == 404


async def test_album_reads_are_rate_limited_per_address(launch: Launch) -> None:
    server = await launch(album_reads_per_minute_per_ip=3)
    async with httpx.AsyncClient(base_url=server.url) as http:
        answers = [(await http.get("/api/games/g_none")).status_code for _ in range(3)]
        assert answers == [404, 404, 404]
        limited = await http.get("/a/g_none")
        assert limited.status_code == 429 and limited.headers["retry-after"] == "60"
        assert limited.json()["error"]["code"] == "rate_limited"
        assert (await http.get("/api/rooms/X/albums")).status_code == 429
        assert (await http.get("/api/rooms")).status_code == 200


def test_pieces_of_a_stroke_merge_into_one_op() -> None:
    pieces = [{"op": "line", "id": 3, "c": "#000000", "w": 4, "p": [0, 0, 10, 10]},
              {"op": "line", "id": 3, "c": "#000000", "w": 4, "p": [10, 10, 20, 20]},
              {"op": "line", "id": 3, "c": "#ff0000", "w": 4, "p": [20, 20, 30, 30]},
              {"op": "fill", "x": 1, "y": 1, "c": "#00ff00"}]
    merged = albums.merge_pieces(pieces)
    assert [op["p"] for op in merged[:2]] == [[0, 0, 10, 10, 20, 20], [20, 20, 30, 30]]
    assert merged[2] == pieces[3] and pieces[0]["p"] == [0, 0, 10, 10]


def test_a_cover_is_thinned_to_its_bound_and_keeps_its_ends() -> None:
    points = [v for i in range(2000) for v in (i % 1000, (i * 7) % 750)]
    ops = [{"op": "line", "id": 1, "c": "#000000", "w": 4, "p": points[k:k + 512]}
           for k in range(0, len(points), 512)]
    ops.append({"op": "fill", "x": 5, "y": 5, "c": "#ff0000"})
    thin = albums.thin(ops, 300)
    assert sum(len(op.get("p", ())) // 2 for op in thin) <= 300
    for before, after in zip(ops, thin, strict=True):
        if "p" in before:
            assert after["p"][:2] == before["p"][:2] and after["p"][-2:] == before["p"][-2:]
        else:
            assert after == before
    assert albums.shows_something(ops)
    assert not albums.shows_something([*ops, {"op": "clear"}])


async def test_a_telephone_album_hidden_from_and_deleted(
    db_server: RunningServer, db_config: Config,
) -> None:
    """A telephone game played over real sockets: its books in the album, its drawing pages
    hidden (only those: sentences stay), its gallery item and cover, its link preview, and
    its deletion taking every page and page op with it, on SQLite and PostgreSQL."""
    server = db_server
    with trio.fail_after(40):
        async with AsyncExitStack() as stack, httpx.AsyncClient(base_url=server.url) as http:
            played = await play_telephone(server.url, server.ws_url, stack)
            code, game = played.code, played.game_id
            ada, bob, cy, dee = (played.seats[n] for n in telephone.NAMES)
            album = (await http.get(f"/api/games/{game}")).json()
            assert album["mode"] == "telephone" and album["room_code"] == code
            books = album["books"]
            ids = [ada.id, bob.id, cy.id, dee.id]
            assert [b["owner"]["id"] for b in books] == ids
            authors = [[p["author"]["id"] for p in b["pages"]] for b in books]
            assert authors == [[ids[(j + k) % 4] for k in range(4)] for j in range(4)]
            assert [[p["kind"] for p in b["pages"]] for b in books] == [
                ["text", "drawing", "text", "drawing"]] * 4
            assert not any(p["hidden"] for b in books for p in b["pages"])
            assert books[0]["pages"][0]["text"] == telephone.sentence("Ada", 1)
            assert books[0]["pages"][1]["ops"] == telephone.stroke("Bob", 2)
            assert books[2]["pages"][1]["ops"] == []  # Dee submitted an empty drawing
            assert books[1]["pages"][2]["text"] == ""  # Dee left before writing it
            assert books[0]["pages"][3]["ops"] == []  # nor drew this one

            thumbs = (await http.get(f"/api/games/{game}?view=thumbs")).json()
            assert thumbs["view"] == "thumbs"
            assert thumbs["books"][0]["pages"][1]["ops"] == telephone.stroke("Bob", 2)
            assert thumbs["books"][0]["pages"][0]["text"] == telephone.sentence("Ada", 1)

            item = (await http.get(f"/api/rooms/{code}/albums")).json()["albums"][0]
            assert item["game_id"] == game and item["mode"] == "telephone"
            assert item["players"] == list(telephone.NAMES)
            assert (item["books"], item["drawings"]) == (4, 8)
            assert item["drawers"] == sorted(ids) and item["hidden"] == []
            assert item["cover"]["ops"] == telephone.stroke("Bob", 2)  # book 1, page 2

            page = (await http.get(f"/a/{game}")).text
            assert '<meta property="og:title" content="drawgame album: 4 books">' in page
            assert "Books by Ada, Bob, Cy and Dee on 20" in page
            assert " UTC · Players: Ada, Bob, Cy, Dee</p>" in page
            assert "“Ada&#x27;s page 1: a cat rides a bike”" in page
            assert "“Bob&#x27;s page 1: a cat rides a bike”, “Cy&#x27;s" in page
            for secret in (code, *(c.token for c in played.seats.values())):
                assert str(secret) not in page

            # Bob hides his drawings: his drawing pages are blank for everyone, his
            # sentences stay, and the gallery takes its cover from someone else's.
            hid = await http.post(f"/api/games/{game}/hide", json={"token": bob.token})
            assert hid.json() == {"player_id": bob.id, "hidden": True}
            for view in ("", "?view=thumbs"):
                shown = (await http.get(f"/api/games/{game}{view}")).json()["books"]
                for whole, now in zip(books, shown, strict=True):
                    for before, after in zip(whole["pages"], now["pages"], strict=True):
                        bobs_drawing = (before["author"]["id"] == bob.id
                                        and before["kind"] == "drawing")
                        assert after["hidden"] is bobs_drawing
                        assert after["author"] == before["author"]
                        if bobs_drawing:
                            assert after["ops"] == [] and before["ops"]
                        elif before["kind"] == "text":
                            assert after["text"] == before["text"]
                        elif not view:
                            assert after["ops"] == before["ops"]
            assert shown[1]["pages"][0]["text"] == telephone.sentence("Bob", 1)
            bobs_sentence = next(p for b in shown for p in b["pages"]
                                 if p["author"]["id"] == bob.id and p["kind"] == "text")
            assert bobs_sentence["text"] and not bobs_sentence["hidden"]
            item = (await http.get(f"/api/rooms/{code}/albums")).json()["albums"][0]
            assert item["hidden"] == [bob.id]
            # book 1's page 4 is empty: the cover is book 2's page 2
            assert item["cover"]["ops"] == telephone.stroke("Cy", 2)
            # Dee left the room, and still proves their seat with its token.
            left = await http.post(f"/api/games/{game}/hide", json={"token": dee.token})
            assert left.json() == {"player_id": dee.id, "hidden": True}

            # Only the host deletes, and the pages and their drawings go with the game.
            where = db_config.database_url or db_config.db_path
            rows = await trio.to_thread.run_sync(telephone_rows, where, game)
            assert rows == {"games": 1, "pages": 16, "page_ops": 6, "album_hidden": 2}
            refused = await http.request("DELETE", f"/api/games/{game}",
                                         json={"token": bob.token})
            assert refused.json()["error"]["code"] == "not_host"
            gone = await http.request("DELETE", f"/api/games/{game}", json={"token": ada.token})
            assert gone.status_code == 204, gone.text
            assert (await http.get(f"/api/games/{game}")).status_code == 404
            assert (await http.get(f"/api/games/{game}?view=thumbs")).status_code == 404
            assert (await http.get(f"/a/{game}")).status_code == 404
            assert (await http.get(f"/api/rooms/{code}/albums")).json() == {"albums": []}
            rows = await trio.to_thread.run_sync(telephone_rows, where, game)
            assert rows == {"games": 0, "pages": 0, "page_ops": 0, "album_hidden": 0}
            # The room plays on: its album turns a page, and a reaction to it (a page no
            # longer stored) is taken.
            await ada.send({"type": "album_next"})
            shown = await bob.wait_for("album_page", lambda m: m["page"] == 1)
            await cy.send({"type": "react", "value": "like"})
            liked = await ada.wait_for("reaction")
            assert (liked["book"], liked["page"], liked["likes"]) == (0, 1, 1)
            assert shown["entry"]["author"]["id"] == bob.id


def telephone_rows(where: str, game: str) -> dict[str, int]:
    """Rows of the game and of what hangs off it (a game's rows are found by its public
    id before deletion: afterwards, by the page ids it had)."""
    conn = connect_to(where, read_only=True)
    try:
        counts = {"games": conn.execute(
            "SELECT count(*) FROM games WHERE public_id = ?", (game,)).fetchone()[0]}
        counts["pages"] = conn.execute(
            "SELECT count(*) FROM pages WHERE game_id NOT IN (SELECT id FROM games)"
            " OR game_id IN (SELECT id FROM games WHERE public_id = ?)", (game,)).fetchone()[0]
        counts["page_ops"] = conn.execute(
            "SELECT count(*) FROM page_ops WHERE page_id NOT IN (SELECT id FROM pages)"
            " OR page_id IN (SELECT p.id FROM pages p JOIN games g ON g.id = p.game_id"
            " WHERE g.public_id = ?)", (game,)).fetchone()[0]
        counts["album_hidden"] = conn.execute(
            "SELECT count(*) FROM album_hidden WHERE game_id NOT IN (SELECT id FROM games)"
            " OR game_id IN (SELECT id FROM games WHERE public_id = ?)", (game,)).fetchone()[0]
        return {k: int(v) for k, v in counts.items()}
    finally:
        conn.close()


def test_a_quoted_sentence_is_cut_between_characters_people_see() -> None:
    family = "👩\u200d👩\u200d👧"  # one emoji of five code points
    long = "é" * 58 + family * 3
    cut = web_albums._cut(long, web_albums.OG_SENTENCE_CHARS)
    assert cut == "é" * 58 + family + "…"
    assert web_albums._cut("short", 60) == "short"
