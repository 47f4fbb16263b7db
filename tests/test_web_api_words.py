"""The word endpoints: GET /api/languages with packs, POST /api/words/parse, settings on create."""

from __future__ import annotations

from typing import Any

from drawgame.game.words import LANGUAGE_NAMES, MAX_IMPORT_BYTES, STANDARD_PACKS
from tests.players import WORDS


async def parse(client: Any, body: bytes | str, content_type: str = "text/plain") -> Any:
    data = body.encode() if isinstance(body, str) else body
    return await client.post("/api/words/parse", data=data,
                             headers={"Content-Type": content_type})


async def test_languages_list_every_shipped_language_with_its_packs(client: Any) -> None:
    response = await client.get("/api/languages")
    assert response.status_code == 200
    languages = (await response.get_json())["languages"]
    assert [lang["code"] for lang in languages] == list(LANGUAGE_NAMES)
    for lang in languages:
        assert set(lang) == {"code", "name", "words", "packs"}
        assert lang["name"] == LANGUAGE_NAMES[lang["code"]]
        assert [p["id"] for p in lang["packs"]] == list(STANDARD_PACKS)
        assert sum(sum(p["words"].values()) for p in lang["packs"]) == lang["words"]
        assert lang["words"] == len(WORDS.words(lang["code"]))
    de = next(lang for lang in languages if lang["code"] == "de")
    assert de["packs"][0]["name"] == "Tiere"
    assert set(de["packs"][0]["words"]) == {"easy", "medium", "hard"}


async def test_parse_takes_a_file_and_reports_the_refused_lines(client: Any) -> None:
    text = "Apfel\nBirne, Kirsche\n\nApfel\n" + "Z" * 33 + "\nEis am Stiel\n"
    response = await parse(client, text, "text/plain; charset=utf-8")
    assert response.status_code == 200
    assert await response.get_json() == {
        "words": ["Apfel", "Birne", "Kirsche", "Eis am Stiel"],
        "refused": [
            {"line": 4, "text": "Apfel", "code": "duplicate",
             "message": "the same word as line 1"},
            {"line": 5, "text": "Z" * 33, "code": "too_long",
             "message": "longer than 32 characters"},
        ],
        "refused_total": 2,
        "max_words": 1000,
    }


async def test_parse_accepts_the_words_a_settings_frame_takes(client: Any) -> None:
    words = [f"Wort {i}" for i in range(1200)]
    report = await (await parse(client, "\n".join(words))).get_json()
    assert report["words"] == words[:1000]
    assert report["refused_total"] == 200
    created = await client.post("/api/rooms", json={
        "settings": {"language": "de", "custom_words": report["words"], "custom_only": True}})
    assert created.status_code == 201


async def test_parse_refuses_what_is_not_a_utf8_text_file(client: Any) -> None:
    latin1 = await parse(client, "Äpfel\n".encode("latin-1"))
    assert latin1.status_code == 400
    assert (await latin1.get_json())["error"] == {
        "code": "bad_request", "message": "the word file is not UTF-8 text"}
    json_body = await parse(client, '["a"]', "application/json")
    assert json_body.status_code == 415
    assert (await json_body.get_json())["error"]["code"] == "unsupported_media_type"
    big = await parse(client, "a\n" * (MAX_IMPORT_BYTES // 2 + 1))
    assert big.status_code == 413
    assert (await big.get_json())["error"] == {
        "code": "too_large", "message": "a word file may be at most 256 KiB"}
    wrong_method = await client.get("/api/words/parse")
    assert wrong_method.status_code == 405


async def test_an_empty_file_is_an_empty_report(client: Any) -> None:
    response = await parse(client, "")
    assert response.status_code == 200
    assert (await response.get_json())["words"] == []


async def test_rooms_are_created_with_difficulty_and_packs(client: Any) -> None:
    created = await client.post("/api/rooms", json={
        "settings": {"language": "tr", "difficulty": "hard", "packs": ["food", "places"]}})
    assert created.status_code == 201
    code = (await created.get_json())["code"]
    assert code
    bad = await client.post("/api/rooms", json={"settings": {"packs": ["unicorns"]}})
    assert bad.status_code == 422
    error = (await bad.get_json())["error"]
    assert error["code"] == "invalid_settings" and error["field"] == "packs"
    level = await client.post("/api/rooms", json={"settings": {"difficulty": "nightmare"}})
    assert (await level.get_json())["error"]["field"] == "difficulty"
