"""Chromium's own WebSocket against the transport, with and without permessage-deflate.

The page is the server's lobby (same origin, its CSP allows the socket); the
test's script opens two sockets to a room, joins, and has one send chat lines
long enough for Chromium to compress them. The other must read them intact,
and the negotiated extension must be what the server offered.
"""

from __future__ import annotations

import functools
from typing import Any

import httpx
from conftest import Launch

from tests.browser import Browser, in_browser

SCRIPT = """async ([path, lines]) => {
  const open = () => new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${location.host}${path}`);
    const inbox = [];
    ws.onmessage = (e) => {
      const d = JSON.parse(e.data);
      inbox.push(...(Array.isArray(d) ? d : [d]));
    };
    ws.onopen = () => resolve({ ws, inbox });
    ws.onerror = () => reject(new Error("the socket failed"));
  });
  const wait = async (inbox, pred) => {
    for (let i = 0; i < 200; i++) {
      const found = inbox.find(pred);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error("timed out; got " + inbox.map((m) => m.type).join(","));
  };
  const ada = await open(), bob = await open();
  ada.ws.send(JSON.stringify({ type: "hello", name: "Ada" }));
  await wait(ada.inbox, (m) => m.type === "welcome");
  bob.ws.send(JSON.stringify({ type: "hello", name: "Bob" }));
  const welcome = await wait(bob.inbox, (m) => m.type === "welcome");
  for (const text of lines) ada.ws.send(JSON.stringify({ type: "chat", text }));
  for (const text of lines) await wait(bob.inbox, (m) => m.type === "chat" && m.text === text);
  const result = { extensions: bob.ws.extensions, players: welcome.room.players.length };
  ada.ws.close(1000); bob.ws.close(1000);
  return result;
}"""


def play(path: str, lines: list[str], results: list[Any], browser: Browser) -> None:
    page = browser.player("chromium").page
    page.goto("/")
    results.append(page.evaluate(SCRIPT, [path, lines]))


async def test_chromium_plays_with_and_without_deflate(launch: Launch) -> None:
    lines = ["é" * 60 + " and more" * 12, "x" * 199, "short"]
    for deflate in (True, False):
        server = await launch(deflate=deflate, deflate_min_bytes=64, chat_rate=100.0,
                              chat_burst=100)
        async with httpx.AsyncClient(base_url=server.url) as http:
            code = (await http.post("/api/rooms", json={"private": True})).json()["code"]
        results: list[Any] = []
        await in_browser(server.url, functools.partial(play, f"/ws/{code}", lines, results))
        (result,) = results
        assert result["players"] == 2
        if deflate:
            assert "permessage-deflate" in result["extensions"]
            assert "server_no_context_takeover" in result["extensions"]
        else:
            assert result["extensions"] == ""
