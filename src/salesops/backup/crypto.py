"""Passphrase encryption of a whole archive file: scrypt for the key, AES-256-GCM for the data.

Layout of an encrypted archive::

    MAGIC (8 bytes) | header length (4 bytes, big-endian) | header (JSON, UTF-8)
    | ciphertext (as long as the plain archive) | GCM tag (16 bytes)

The header holds the KDF parameters, the random salt and nonce, the plain size, a key check
(so a wrong passphrase is told apart from an altered file without decrypting everything) and a
small public summary (creation time, versions, row total) so ``backup --list`` can describe an
archive without its passphrase. Everything before the ciphertext is authenticated as GCM
associated data: changing the summary makes decryption fail like changing the data does.

The file is encrypted and decrypted in chunks (GCM's streaming interface), so an archive of
any size needs little memory; decrypted bytes go to a temporary file that is only used once
the tag has been verified.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import struct
from pathlib import Path
from typing import Any, BinaryIO

from salesops.backup.errors import ArchiveError

MAGIC = b"SOBKENC1"
#: scrypt cost: 2^15 x 8 x 128 bytes = 32 MiB of memory, about 0.1 s here
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
TAG_BYTES = 16
CHUNK = 1 << 20


def _key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def _key_check(key: bytes) -> str:
    digest = hmac.new(key, b"salesops-backup key check", hashlib.sha256).digest()
    return base64.b64encode(digest[:16]).decode()


def is_encrypted(path: Path) -> bool:
    """True when ``path`` starts like an encrypted archive."""
    with path.open("rb") as fh:
        return fh.read(len(MAGIC)) == MAGIC


def read_header(path: Path) -> tuple[dict[str, Any], int]:
    """The header of an encrypted archive and the offset where the ciphertext starts."""
    with path.open("rb") as fh:
        head = fh.read(len(MAGIC) + 4)
        if len(head) < len(MAGIC) + 4 or not head.startswith(MAGIC):
            raise ArchiveError(f"{path}: the encrypted archive is truncated (no header)")
        (length,) = struct.unpack(">I", head[len(MAGIC) :])
        raw = fh.read(length)
    if len(raw) < length:
        raise ArchiveError(f"{path}: the encrypted archive is truncated (header cut short)")
    try:
        header = json.loads(raw.decode("utf-8"))
    except ValueError:
        raise ArchiveError(f"{path}: the encrypted archive's header is damaged") from None
    return header, len(MAGIC) + 4 + length


def encrypt_file(plain: Path, out: BinaryIO, passphrase: str, public: dict[str, Any]) -> None:
    """Write ``plain`` to ``out`` encrypted with ``passphrase``; ``public`` goes in the
    (authenticated, readable) header."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    salt, nonce = os.urandom(16), os.urandom(12)
    key = _key(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    header = {
        "cipher": "AES-256-GCM",
        "kdf": {"name": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P},
        "salt": base64.b64encode(salt).decode(),
        "nonce": base64.b64encode(nonce).decode(),
        "size": plain.stat().st_size,
        "key_check": _key_check(key),
        "summary": public,
    }
    raw = json.dumps(header, sort_keys=True).encode("utf-8")
    prefix = MAGIC + struct.pack(">I", len(raw)) + raw
    encryptor = Cipher(algorithms.AES(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(prefix)
    out.write(prefix)
    with plain.open("rb") as src:
        while chunk := src.read(CHUNK):
            out.write(encryptor.update(chunk))
    out.write(encryptor.finalize())
    out.write(encryptor.tag)


def decrypt_file(path: Path, out: Path, passphrase: str) -> None:
    """Decrypt ``path`` into ``out``; raises :class:`ArchiveError` for a truncated file, a
    wrong passphrase or altered content (``out`` must then be thrown away)."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    header, start = read_header(path)
    try:
        kdf = header["kdf"]
        salt = base64.b64decode(header["salt"])
        nonce = base64.b64decode(header["nonce"])
        size = int(header["size"])
        check = str(header["key_check"])
        n, r, p = int(kdf["n"]), int(kdf["r"]), int(kdf["p"])
    except (KeyError, TypeError, ValueError):
        raise ArchiveError(f"{path}: the encrypted archive's header is damaged") from None
    total = path.stat().st_size
    if total < start + size + TAG_BYTES:
        raise ArchiveError(
            f"{path}: the encrypted archive is truncated "
            f"({total:,} bytes, {start + size + TAG_BYTES:,} expected)"
        )
    if total > start + size + TAG_BYTES:
        raise ArchiveError(f"{path}: the encrypted archive has bytes after its end (altered)")
    key = _key(passphrase, salt, n, r, p)
    if not hmac.compare_digest(_key_check(key), check):
        raise ArchiveError(f"{path}: wrong passphrase")
    with path.open("rb") as fh:
        prefix = fh.read(start)
        fh.seek(start + size)
        tag = fh.read(TAG_BYTES)
        fh.seek(start)
        decryptor = Cipher(algorithms.AES(key), modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(prefix)
        left = size
        with out.open("wb") as dst:
            while left > 0:
                chunk = fh.read(min(CHUNK, left))
                left -= len(chunk)
                dst.write(decryptor.update(chunk))
            try:
                dst.write(decryptor.finalize())
            except InvalidTag:
                raise ArchiveError(
                    f"{path}: the encrypted archive was altered (authentication failed)"
                ) from None
