"""Credentials of the systems the board connects to, and keeping them out of every message.

A credential is given as a reference — ``env:VAR`` (an environment variable), ``file:PATH``
(a file's content, e.g. a Docker or systemd secret) — or as a value sealed with
:func:`salesops.auth.secretbox.seal` (``sealed:v1:...``). Nothing else is accepted, so a
password is never kept in plain text in the database. :func:`redact` takes a password (and a
URL's password) out of any text before it is shown or logged.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from salesops.auth.secretbox import PREFIX, SecretError, seal, unseal

MASK = "***"


class CredentialError(ValueError):
    """A credential that cannot be read; the message names the reference, never the value."""


def is_reference(value: str) -> bool:
    """Whether ``value`` is ``env:``, ``file:`` or a sealed value."""
    return value.startswith(("env:", "file:", PREFIX))


def to_stored(value: str) -> str:
    """What a source keeps: a reference as given, any other value sealed."""
    return value if is_reference(value) else seal(value)


def resolve(reference: str) -> str:
    """The secret a reference points at."""
    if reference.startswith("env:"):
        name = reference[4:]
        value = os.environ.get(name)
        if value is None:
            raise CredentialError(f"the environment variable {name} is not set")
        return value
    if reference.startswith("file:"):
        path = Path(reference[5:]).expanduser()
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise CredentialError(f"cannot read the secret file {path}: {exc.strerror}") from None
    if reference.startswith(PREFIX):
        try:
            return unseal(reference)
        except SecretError as exc:
            raise CredentialError(f"a sealed secret cannot be opened: {exc}") from None
    raise CredentialError(
        "a credential is env:VARIABLE, file:PATH or a sealed value (salesops sources add "
        "seals one); a password is never given in plain text"
    )


_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<pw>[^@\s]*)(?=@)", re.I)


def redact(text: str, *secrets: str | None) -> str:
    """``text`` with every given secret and every URL's password replaced by ``***``."""
    for secret in secrets:
        if secret and len(secret) >= 1:
            text = text.replace(secret, MASK)
    return _URL_PASSWORD.sub(lambda m: m.group("head") + MASK, text)
