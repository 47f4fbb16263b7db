"""The HTTP API's answers to malformed requests: the usual error shape, never a 500."""

from __future__ import annotations

import json
from typing import Any

from drawgame.ops import admin_token
from drawgame.services import Services


async def answer(response: Any) -> tuple[int, Any]:
    return response.status_code, await response.get_json()


def assert_error(status: int, body: Any, want_status: int, code: str) -> str:
    assert status == want_status, body
    assert set(body) == {"error"} and body["error"]["code"] == code
    message: str = body["error"]["message"]
    assert message
    return message


async def test_a_body_that_is_not_utf8_is_bad_json(client: Any) -> None:
    for raw in (b'{"name": "caf\xe9"}', b"\xff\xfe{}", b'{"name": "\xed\xa0\x80"}'):
        status, body = await answer(await client.post("/api/rooms", data=raw))
        assert "UTF-8" in assert_error(status, body, 400, "bad_json")


async def test_json_nested_too_deep_is_bad_json_everywhere(
    client: Any, services: Services
) -> None:
    token = await services.store.transaction(admin_token.rotate)
    auth = {"Authorization": f"Bearer {token}"}
    deep = "[" * 100_000
    for path in ("/api/rooms", "/api/admin/maintenance", "/api/admin/cleanup"):
        response = await client.post(path, data=deep, headers=auth)
        if path.endswith("cleanup"):  # takes no body: it must still answer normally
            assert response.status_code == 200
            continue
        status, body = await answer(response)
        assert "deep" in assert_error(status, body, 400, "bad_json")
    status, body = await answer(await client.post(
        "/api/admin/maintenance", data=b'{"on": \xff}', headers=auth))
    assert_error(status, body, 400, "bad_json")


async def test_a_maintenance_message_with_a_lone_surrogate_is_refused(
    client: Any, services: Services
) -> None:
    token = await services.store.transaction(admin_token.rotate)
    auth = {"Authorization": f"Bearer {token}"}
    for text in ("back \\ud800 soon", "x\\udfff", "two\\u0007bells"):
        raw = '{"on": true, "message": "' + text + '"}'
        status, body = await answer(await client.post("/api/admin/maintenance", data=raw,
                                                      headers=auth))
        message = assert_error(status, body, 422, "bad_request")
        assert body["error"]["field"] == "message" and "U+" in message
    assert services.maintenance.on is False


async def test_room_names_need_something_visible(client: Any) -> None:
    for name in ("\u3164", "\u200d\u2800", "\u115f\u0301"):
        status, body = await answer(await client.post("/api/rooms", data=json.dumps(
            {"name": name})))
        assert_error(status, body, 422, "invalid_settings")
        assert body["error"]["field"] == "name"
    status, body = await answer(await client.post("/api/rooms", data=json.dumps(
        {"name": "  "})))
    assert status == 201 and body["room"]["name"].startswith("Room ")
