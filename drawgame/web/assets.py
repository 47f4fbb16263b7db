"""The browser client's files as the server sends them: hashed URLs, compressed once.

Every file under ``web/static/`` is read into an :class:`AssetTable` with the
first 12 hex digits of its SHA-256. Pages name each file by a URL that holds
that digest (``/static/js/room.3f9a0c1d2e4b.js``), which browsers may keep for
a year without asking again; the plain URL (``/static/js/room.js``) keeps
answering, revalidated on every use, for links from outside.

The table needs no build step: it is read when the app starts and looked at
again (a ``stat`` per file, a read only of what changed) whenever a page is
served, so a file edited on disk is in the next page. A file's previous
versions stay reachable by their hashed URLs (``OLD_VERSIONS`` of them) for
pages loaded before the change.

A text file is compressed (gzip and brotli, both at their best levels) the
first time a client asks for it, in a worker thread, and kept: one
compression per file content per process, however many requests follow
(``EncodedCache``, shared by the tables of a process).
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import brotli

STATIC_DIR = Path(__file__).resolve().parent / "static"
DIGEST_LEN = 12
"""Hex digits of a file's SHA-256 in its hashed URL: 48 bits, no collision among versions."""
OLD_VERSIONS = 8
"""Previous versions of each file still served by their hashed URLs (for pages loaded
before a change); older ones answer 404."""
ENCODED_ENTRIES = 1024
"""Compressed bodies a process keeps (one per file content and page); the oldest go first."""
MIN_COMPRESS_BYTES = 256
"""Smaller bodies go out as they are: compression would save less than the headers cost."""
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
SKIPPED_SUFFIXES = frozenset({".md"})
"""Files of the folder that are not served (its README)."""
COMPRESSIBLE = frozenset({".js", ".mjs", ".css", ".svg", ".html", ".json", ".webmanifest",
                          ".txt", ".xml"})
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".txt": "text/plain; charset=utf-8",
}
ENCODINGS = ("br", "gzip")
"""Content codings offered, best first."""

# Static imports of an ES module: `import x from "./a.js"`, `import "./a.js"`,
# `export {x} from "./a.js"` (spread over lines or not). Dynamic import() is left
# to the import map: what it loads depends on values known only in the browser.
_IMPORT = re.compile(
    r"""^[ \t]*(?:import|export)\b[^;'"`]*?\bfrom[ \t]*["']([^"'\n]+)["']"""
    r"""|^[ \t]*import[ \t]*["']([^"'\n]+)["']""",
    re.MULTILINE,
)
_HASHED = re.compile(rf"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{{{DIGEST_LEN}}})(?P<suffix>\.[^./]+)$")


def content_type(name: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def digest_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class EncodedCache:
    """Compressed bodies by the SHA-256 of their content, bounded, safe across threads."""

    def __init__(self, entries: int = ENCODED_ENTRIES) -> None:
        self.entries = entries
        self._done: OrderedDict[str, dict[str, bytes]] = OrderedDict()
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, sha256: str) -> dict[str, bytes] | None:
        with self._guard:
            return self._done.get(sha256)

    def encode(self, sha256: str, body: bytes) -> dict[str, bytes]:
        """The body's encodings, compressed now unless done before (blocking: call it in a
        worker thread). Two threads asking for the same body compress it once."""
        with self._guard:
            done = self._done.get(sha256)
            if done is not None:
                return done
            lock = self._locks.setdefault(sha256, threading.Lock())
        with lock:
            with self._guard:
                done = self._done.get(sha256)
            if done is None:
                done = compress(body)
                with self._guard:
                    self._done[sha256] = done
                    while len(self._done) > self.entries:
                        self._done.popitem(last=False)
            with self._guard:
                self._locks.pop(sha256, None)
            return done


def compress(body: bytes, *, fast: bool = False) -> dict[str, bytes]:
    """``body`` in each coding that makes it smaller (brotli quality 11, gzip level 9;
    ``fast``: 5 and 6, for a body made for one request)."""
    out: dict[str, bytes] = {}
    if len(body) < MIN_COMPRESS_BYTES:
        return out
    br, gz = (5, 6) if fast else (11, 9)
    for coding, packed in (("br", brotli.compress(body, quality=br)),
                           ("gzip", gzip.compress(body, compresslevel=gz, mtime=0))):
        if len(packed) < len(body):
            out[coding] = packed
    return out


ENCODED = EncodedCache()
"""The process's compressed bodies, shared by every table and page."""


@dataclass(eq=False)
class Blob:
    """A body the server sends: a file or a page made from one (``shared``: sent again and
    again, so compressed once and kept; else made for one request and compressed fast)."""

    body: bytes
    content_type: str
    sha256: str = ""
    shared: bool = True

    def __post_init__(self) -> None:
        if not self.sha256:
            self.sha256 = digest_of(self.body)

    @property
    def digest(self) -> str:
        return self.sha256[:DIGEST_LEN]

    @property
    def compressible(self) -> bool:
        kind = self.content_type.split(";")[0]
        return (kind.startswith("text/") or kind in (
            "application/json", "application/manifest+json", "image/svg+xml",
            "application/javascript")) and len(self.body) >= MIN_COMPRESS_BYTES

    def encoded(self) -> dict[str, bytes] | None:
        """The compressed bodies when they are ready (None: :meth:`encode` first)."""
        if not self.compressible:
            return {}
        if not self.shared:  # a few KB at low levels: cheaper than a thread hop
            return compress(self.body, fast=True)
        return ENCODED.get(self.sha256)

    def encode(self) -> dict[str, bytes]:
        """Compress now (blocking) unless already done."""
        if not self.compressible:
            return {}
        return ENCODED.encode(self.sha256, self.body) if self.shared else compress(
            self.body, fast=True)


@dataclass(eq=False)
class Asset(Blob):
    """One file of the client: its path under ``static/`` and, for a module, what it imports."""

    path: str = ""
    imports: tuple[str, ...] = ()

    @property
    def hashed_path(self) -> str:
        """``js/room.<digest>.js``: the name of this very content."""
        pure = PurePosixPath(self.path)
        return str(pure.with_name(f"{pure.stem}.{self.digest}{pure.suffix}"))


def module_imports(path: str, source: bytes) -> tuple[str, ...]:
    """The files under ``static/`` that the module at ``path`` imports statically."""
    found: list[str] = []
    base = PurePosixPath(path).parent
    for match in _IMPORT.finditer(source.decode("utf-8", "replace")):
        spec = match.group(1) or match.group(2)
        if not spec.startswith(("./", "../")):
            continue
        parts: list[str] = []
        for part in (base / spec).parts:
            if part == "..":
                if parts:
                    parts.pop()
            elif part != ".":
                parts.append(part)
        resolved = "/".join(parts)
        if resolved not in found:
            found.append(resolved)
    return tuple(found)


@dataclass
class _Seen:
    stamp: tuple[int, int]
    asset: Asset


@dataclass
class AssetTable:
    """Every file of the client folder by path, current and recent versions.

    :meth:`refresh` re-reads what changed on disk; :attr:`version` changes with
    any file, so pages made from the table know when to be made again.
    """

    folder: Path = STATIC_DIR
    old_versions: int = OLD_VERSIONS
    version: str = ""
    _files: dict[str, _Seen] = field(default_factory=dict)
    _old: dict[str, deque[Asset]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.refresh()

    def refresh(self) -> bool:
        """Look at the folder again; True when a file was added, changed or removed."""
        with self._lock:
            seen: dict[str, _Seen] = {}
            changed = False
            for file in sorted(self.folder.rglob("*")):
                if not file.is_file() or file.suffix in SKIPPED_SUFFIXES:
                    continue
                path = file.relative_to(self.folder).as_posix()
                if any(part.startswith(".") for part in path.split("/")):
                    continue
                info = file.stat()
                stamp = (info.st_mtime_ns, info.st_size)
                before = self._files.get(path)
                if before is not None and before.stamp == stamp:
                    seen[path] = before
                    continue
                asset = self._read(file, path)
                if before is not None and before.asset.sha256 != asset.sha256:
                    self._old.setdefault(path, deque(maxlen=self.old_versions)).append(
                        before.asset)
                changed = changed or before is None or before.asset.sha256 != asset.sha256
                seen[path] = _Seen(stamp, asset)
            for path in self._files.keys() - seen.keys():
                self._old.setdefault(path, deque(maxlen=self.old_versions)).append(
                    self._files[path].asset)
                changed = True
            self._files = seen
            if changed or not self.version:
                listing = "\n".join(f"{p} {s.asset.sha256}" for p, s in sorted(seen.items()))
                self.version = digest_of(listing.encode())[:DIGEST_LEN]
            return changed

    @staticmethod
    def _read(file: Path, path: str) -> Asset:
        body = file.read_bytes()
        imports = module_imports(path, body) if file.suffix in (".js", ".mjs") else ()
        return Asset(body, content_type(path), path=path, imports=imports)

    def paths(self) -> list[str]:
        return sorted(self._files)

    def get(self, path: str) -> Asset | None:
        """The current version of the file at ``path`` (under ``static/``)."""
        seen = self._files.get(path)
        return seen.asset if seen is not None else None

    def lookup(self, path: str) -> tuple[Asset, bool] | None:
        """The file a ``/static/<path>`` request names, and whether by its hashed name
        (immutable) or its plain one (revalidated)."""
        current = self.get(path)
        if current is not None:
            return current, False
        match = _HASHED.match(path)
        if match is None:
            return None
        plain = match["stem"] + match["suffix"]
        current = self.get(plain)
        if current is not None and current.digest == match["digest"]:
            return current, True
        for old in self._old.get(plain, ()):
            if old.digest == match["digest"]:
                return old, True
        return None

    def hashed(self, path: str) -> str:
        """``path`` (under ``static/``) as its hashed name; unknown paths stay as they are."""
        asset = self.get(path)
        return asset.hashed_path if asset is not None else path

    def modules(self) -> list[Asset]:
        return [s.asset for p, s in sorted(self._files.items()) if p.endswith((".js", ".mjs"))]

    def graph(self, entries: list[str]) -> list[str]:
        """The modules ``entries`` need, imports first, each once (what a page preloads)."""
        order: list[str] = []
        visiting: set[str] = set()

        def visit(path: str) -> None:
            if path in visiting or path in order:
                return
            visiting.add(path)
            asset = self.get(path)
            for imported in asset.imports if asset is not None else ():
                visit(imported)
            if asset is not None:
                order.append(path)

        for entry in entries:
            visit(entry)
        return order
