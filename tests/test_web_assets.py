"""The client's files as a real server sends them: hashed URLs cached for a year, plain
ones revalidated, brotli and gzip made once, pages naming the current files, an import
map and a preload for every module a page needs, and a file edited on disk in the next
page (no build step)."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import posixpath
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import brotli
import httpx
import pytest
import trio
from conftest import RunningServer, serving

from drawgame.config import Config
from drawgame.web import assets, pages

STATIC = Path(assets.__file__).resolve().parent / "static"
HASHED = re.compile(r"^/static/(.+)\.([0-9a-f]{12})(\.[a-z]+)$")
IMMUTABLE = "public, max-age=31536000, immutable"


async def raw_get(client: httpx.AsyncClient, path: str, **headers: str
                  ) -> tuple[httpx.Response, bytes]:
    """The response and its body as it came over the wire (not decoded)."""
    named = {name.replace("_", "-"): value for name, value in headers.items()}
    async with client.stream("GET", path, headers=named) as answer:
        return answer, b"".join([chunk async for chunk in answer.aiter_raw()])


def attribute_urls(page: str, tag: str, attribute: str, extra: str = "") -> list[str]:
    return re.findall(rf'<{tag}{extra}[^>]*\s{attribute}="([^"]+)"', page)


def import_map(page: str) -> dict[str, str]:
    found = re.search(r'<script type="importmap">(.*?)</script>', page, re.S)
    assert found, "the page has no import map"
    mapping: dict[str, str] = json.loads(found.group(1))["imports"]
    return mapping


def static_imports(source: str) -> set[str]:
    """The relative specifiers a module imports statically (checked separately from the
    server's own reading)."""
    return set(re.findall(r'^(?:import|export)\b[^;]*?from\s+"(\.[^"]+)"', source, re.M | re.S)
               + re.findall(r'^import\s+"(\.[^"]+)"', source, re.M))


@pytest.fixture
async def client(server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        yield http


def module_graph(*entries: str) -> set[str]:
    """The plain URLs of the modules ``entries`` import statically, however deep (read
    here apart from the server's own reading)."""
    needed: set[str] = set()
    todo = [f"/static/js/{entry}" for entry in entries]
    while todo:
        plain = todo.pop()
        if plain in needed:
            continue
        needed.add(plain)
        source = (STATIC / plain.removeprefix("/static/")).read_text()
        base = plain.rsplit("/", 1)[0]
        todo += [posixpath.normpath(f"{base}/{spec}") for spec in static_imports(source)]
    return needed


def later_modules(page: str) -> dict[str, tuple[list[str], list[str]]]:
    """The page's later modules by when they run: (entries, what boot.js preloads)."""
    found = re.findall(r'<meta name="drawgame-later" data-when="(\w+)" content="([^"]*)"'
                       r' data-preload="([^"]*)">', page)
    return {when: (entries.split(), preload.split()) for when, entries, preload in found}


async def test_a_page_names_hashed_files_and_preloads_every_module_it_needs(
    client: httpx.AsyncClient,
) -> None:
    # (page, modules it runs at once, after its first paint, when the player acts)
    pages = (("/", [], ["lobby.js", "install.js"], []),
             ("/r/ABCD", [], ["room.js", "install.js"], ["room-view.js"]),
             ("/r/ABCD/tv", ["tv.js", "install.js"], [], []))
    for path, early, paint, interaction in pages:
        answer = await client.get(path)
        assert answer.status_code == 200
        assert answer.headers["cache-control"] == "no-cache" and answer.headers["etag"]
        page = answer.text
        mapping = import_map(page)
        # every module of the folder is mapped to the URL of its current content
        modules = sorted(p.relative_to(STATIC).as_posix() for p in STATIC.rglob("*.js"))
        assert sorted(k.removeprefix("/static/") for k in mapping) == modules
        for plain, hashed in mapping.items():
            body = (STATIC / plain.removeprefix("/static/")).read_bytes()
            match = HASHED.match(hashed)
            assert match and hashlib.sha256(body).hexdigest()[:12] == match.group(2), hashed
        # the policy allows exactly the page's inline scripts (its import map, boot.js)
        inline = re.findall(r'<script(?: type="importmap")?>(.*?)</script>', page, re.S)
        policy = answer.headers["content-security-policy"]
        allowed = re.search(r"script-src 'self'((?: 'sha256-[^']+')*);", policy)
        assert allowed is not None
        digests = {base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() for s in inline}
        assert set(re.findall(r"'sha256-([^']+)'", allowed.group(1))) == digests, path
        assert len(inline) == (2 if paint or interaction else 1), path  # boot.js where later
        # what runs at once is preloaded, however deep; what runs later is named for
        # boot.js with every module it needs that is not preloaded already
        preloads = set(attribute_urls(page, "link", "href", ' rel="modulepreload"'))
        assert preloads == {mapping[p] for p in module_graph(*early)}, path
        later = later_modules(page)
        named_before = set(preloads)
        for when, entries in (("paint", paint), ("interaction", interaction)):
            if not entries:
                assert when not in later, path
                continue
            named, preload = later[when]
            assert named == [mapping[f"/static/js/{e}"] for e in entries], path
            # (a module of an earlier group is not named again)
            assert set(preload) == {mapping[p] for p in module_graph(*entries)} - named_before, path
            named_before |= set(preload)
        assert not re.search(r'<script type="module"[^>]*data-later', page)
        assert mapping["/static/js/locales/de.js"] not in preloads  # loaded when picked
        # stylesheet, icons and images by their hashed names; no plain /static/ URL left
        for url in attribute_urls(page, "link", "href") + attribute_urls(page, "img", "src"):
            if url.startswith("/static/"):
                assert HASHED.match(url), url
        assert not re.search(r'(?:href|src)="/static/(?![^"]+\.[0-9a-f]{12}\.)', page)
    # the room page asks for its room while the modules load
    room = await client.get("/r/abcd%20")
    assert room.headers["link"] == \
        "</api/rooms/abcd>; rel=preload; as=fetch; crossorigin=anonymous"


async def test_files_come_compressed_once_and_cached_for_a_year(
    nursery: trio.Nursery, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[int] = []
    compress = assets.compress

    def counted(body: bytes) -> dict[str, bytes]:
        made.append(len(body))
        return compress(body)

    monkeypatch.setattr(assets, "ENCODED", assets.EncodedCache())
    monkeypatch.setattr(assets, "compress", counted)
    source = (STATIC / "js/room.js").read_bytes()
    hashed = f"/static/js/room.{hashlib.sha256(source).hexdigest()[:12]}.js"
    async for server in serving(nursery, config):
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            for _ in range(3):
                answer, body = await raw_get(client, hashed, accept_encoding="gzip, br")
                assert answer.headers["content-encoding"] == "br"
                assert brotli.decompress(body) == source and len(body) < len(source) // 3
                assert answer.headers["cache-control"] == IMMUTABLE
                assert answer.headers["vary"] == "Accept-Encoding"
                assert answer.headers["content-type"] == "text/javascript; charset=utf-8"
            answer, body = await raw_get(client, hashed, accept_encoding="gzip")
            assert answer.headers["content-encoding"] == "gzip"
            assert gzip.decompress(body) == source
            answer, body = await raw_get(client, hashed, accept_encoding="identity")
            assert "content-encoding" not in answer.headers and body == source
            # brotli preferred only when it is as welcome as gzip
            answer, _ = await raw_get(client, hashed, accept_encoding="br;q=0.5, gzip")
            assert answer.headers["content-encoding"] == "gzip"
            # a client holding this very body is told so
            tag = answer.headers["etag"]
            again = await client.get(hashed, headers={"accept-encoding": "gzip",
                                                      "if-none-match": tag})
            assert (again.status_code, again.content) == (304, b"")
            # the plain URL keeps answering, revalidated on every use
            plain, body = await raw_get(client, "/static/js/room.js", accept_encoding="br")
            assert plain.headers["cache-control"] == "no-cache"
            assert brotli.decompress(body) == source
            # a PNG is sent as it is (compressing it would gain nothing)
            png, body = await raw_get(client, "/static/img/icon-192.png", accept_encoding="br")
            assert "content-encoding" not in png.headers
            assert body == (STATIC / "img/icon-192.png").read_bytes()
            # an unknown version, an unknown file, a way out of the folder: 404, JSON
            for missing in ("/static/js/room.0123456789ab.js", "/static/js/nope.js",
                            "/static/../pages.py", "/static/%2e%2e/pages.py",
                            "/static/README.md"):
                answer = await client.get(missing)
                assert answer.status_code == 404, missing
                assert answer.json()["error"]["code"] == "not_found"
    assert made == [len(source)]  # one compression for all those requests


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the client's folder that the server serves (and a test edits)."""
    copy = tmp_path / "static"
    shutil.copytree(STATIC, copy)
    monkeypatch.setattr(pages, "STATIC_DIR", copy)
    monkeypatch.setattr(pages, "RESCAN_S", 0.0)
    return copy


async def test_a_file_edited_on_disk_is_in_the_next_page(
    nursery: trio.Nursery, config: Config, folder: Path
) -> None:
    async for server in serving(nursery, config):
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            first = import_map((await client.get("/r/ABCD")).text)
            old = first["/static/js/chat.js"]
            tag = (await client.get("/r/ABCD")).headers["etag"]
            chat = folder / "js/chat.js"
            chat.write_text(chat.read_text() + "\n// edited\n")
            answer = await client.get("/r/ABCD", headers={"if-none-match": tag})
            assert answer.status_code == 200  # not 304: the page changed with the file
            second = import_map(answer.text)
            assert second["/static/js/chat.js"] != old
            assert {k: v for k, v in second.items() if k != "/static/js/chat.js"} == \
                {k: v for k, v in first.items() if k != "/static/js/chat.js"}
            assert (await client.get(second["/static/js/chat.js"])).text.endswith("// edited\n")
            # a page loaded before the edit still gets the file it names
            before = await client.get(old)
            assert before.status_code == 200 and "// edited" not in before.text
            # a new module is in the next page's import map at once
            (folder / "js/new-mode.js").write_text('import { h } from "./dom.js";\n')
            third = import_map((await client.get("/")).text)
            assert HASHED.match(third["/static/js/new-mode.js"])
            # versions beyond the kept ones answer 404
            for i in range(assets.OLD_VERSIONS):
                chat.write_text(chat.read_text() + f"// edit {i}\n")
                await client.get("/")
            assert (await client.get(old)).status_code == 404
            assert (await client.get(second["/static/js/chat.js"])).status_code == 200


def test_a_module_imports_read_from_its_source() -> None:
    source = b'''import { a } from "./a.js";
import {
  b,
  c,
} from "../x/b.js";
import "./side.js";
export { d } from './d.js';
import * as e from "./a.js";
// import { nope } from "./commented.js";
const f = "import x from './not.js'";
const g = await import(`./locales/${code}.js`);
import { bare } from "bare-package";
'''
    assert assets.module_imports("js/sub/m.js", source) == (
        "js/sub/a.js", "js/x/b.js", "js/sub/side.js", "js/sub/d.js")
