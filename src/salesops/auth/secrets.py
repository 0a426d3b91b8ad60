"""Random tokens and their hashes: a session id, an API token or a wall key is shown (or set
as a cookie) once, and only its SHA-256 is stored, so a copy of the database opens nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets


def new_token(prefix: str = "") -> str:
    """A fresh random token (256 bits), optionally with a readable prefix."""
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The stored form of a token (hex SHA-256; tokens are random, so no salt is needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two secrets."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def utcnow() -> dt.datetime:
    """Now in UTC, naive (the schema's timestamps are UTC without a zone)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
