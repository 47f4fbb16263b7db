"""The admin token: made at first start, shown once, kept only as a SHA-256 digest.

The digest lives in the ``kv`` table under :data:`KEY`. Whoever holds the
token may call ``/api/admin/*``; ``python -m drawgame token rotate`` (``make
rotate-token``) makes a new one, which invalidates the old at once because
the server reads the digest on every admin request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from drawgame.store import kv
from drawgame.store.connection import Connection

KEY = "admin_token_hash"
TOKEN_BYTES = 32


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _store_new(conn: Connection) -> str:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    kv.set_json(conn, KEY, digest(token))
    return token


def ensure(conn: Connection) -> str | None:
    """Create the token if the database has none; return it then (only then), else None."""
    if kv.get_json(conn, KEY) is not None:
        return None
    return _store_new(conn)


def rotate(conn: Connection) -> str:
    """Replace the token; the old one stops working at once. Returns the new token."""
    return _store_new(conn)


def matches(conn: Connection, presented: str) -> bool:
    """Whether ``presented`` is the current token, compared in constant time."""
    stored = kv.get_json(conn, KEY)
    if not isinstance(stored, str):
        return False
    return hmac.compare_digest(digest(presented), stored)
