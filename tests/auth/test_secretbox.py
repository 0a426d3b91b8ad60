"""Secrets sealed with a key kept outside the database."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from salesops.auth.secretbox import SecretError, current_key, seal, unseal


def test_seal_and_unseal_with_a_key_file_made_on_first_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SALESOPS_SECRET_KEY", raising=False)
    key_file = tmp_path / "keys" / "secret.key"
    monkeypatch.setenv("SALESOPS_SECRET_KEY_FILE", str(key_file))
    sealed = seal("webhook-signing-key-甲")
    assert key_file.is_file() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "webhook" not in sealed and sealed.startswith("sealed:v1:")
    assert seal("same") != seal("same")  # a fresh nonce each time
    assert unseal(sealed) == "webhook-signing-key-甲"
    assert current_key() == current_key()  # the file is read, not made again


def test_another_key_an_altered_value_or_plain_text_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    monkeypatch.setenv("SALESOPS_SECRET_KEY", key)
    sealed = seal("sql-source-password")
    with pytest.raises(SecretError, match="another key"):
        unseal(sealed, key=os.urandom(32))
    altered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(SecretError):
        unseal(altered)
    with pytest.raises(SecretError, match="not a sealed value"):
        unseal("sql-source-password")
    monkeypatch.setenv("SALESOPS_SECRET_KEY", "too-short")
    with pytest.raises(SecretError, match=r"32 bytes|base64"):
        seal("x")
