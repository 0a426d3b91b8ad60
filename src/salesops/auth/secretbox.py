"""Secrets kept in the database (a webhook's signing key, an SQL source's password) are
sealed with a key kept outside it: AES-256-GCM (``cryptography``), the key from
``SALESOPS_SECRET_KEY`` (32 bytes, URL-safe base64) or from a key file
(``SALESOPS_SECRET_KEY_FILE``, default ``~/.config/salesops/secret.key``, made with mode 0600 on
first use). A copy of the database or of a backup alone opens none of them.

The notification channels and data sources that keep such secrets call :func:`seal` when they
store one and :func:`unseal` when they use it."""

from __future__ import annotations

import base64
import os
from pathlib import Path

PREFIX = "sealed:v1:"
_NONCE = 12


class SecretError(ValueError):
    """A sealed value that cannot be opened: another key, altered, or not sealed at all."""


def _key_file() -> Path:
    configured = os.environ.get("SALESOPS_SECRET_KEY_FILE")
    return Path(configured) if configured else Path.home() / ".config" / "salesops" / "secret.key"


def _decode(text: str, where: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise SecretError(f"{where} is not URL-safe base64") from exc
    if len(key) != 32:
        raise SecretError(f"{where} must hold 32 bytes, not {len(key)}")
    return key


def current_key() -> bytes:
    """The sealing key: the environment's, else the key file's (made on first use)."""
    configured = os.environ.get("SALESOPS_SECRET_KEY")
    if configured:
        return _decode(configured, "SALESOPS_SECRET_KEY")
    path = _key_file()
    if path.is_file():
        return _decode(path.read_text(encoding="ascii"), str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    key = os.urandom(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(base64.urlsafe_b64encode(key).decode("ascii"))
    return key


def seal(secret: str, *, key: bytes | None = None) -> str:
    """``secret`` sealed for storing: ``sealed:v1:`` + base64(nonce + ciphertext + tag)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(_NONCE)
    box = AESGCM(key or current_key()).encrypt(nonce, secret.encode("utf-8"), PREFIX.encode())
    return PREFIX + base64.urlsafe_b64encode(nonce + box).decode("ascii")


def unseal(sealed: str, *, key: bytes | None = None) -> str:
    """The secret inside ``sealed``; SecretError when it cannot be opened with the key."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not sealed.startswith(PREFIX):
        raise SecretError("not a sealed value")
    try:
        raw = base64.urlsafe_b64decode(sealed[len(PREFIX) :].encode("ascii"))
        opened = AESGCM(key or current_key()).decrypt(raw[:_NONCE], raw[_NONCE:], PREFIX.encode())
    except (InvalidTag, ValueError) as exc:
        raise SecretError("the sealed value was altered or sealed with another key") from exc
    return opened.decode("utf-8")
