"""Passwords: Argon2id hashes (argon2-cffi, RFC 9106 parameters), a minimum policy and a
check against common and guessable passwords (zxcvbn's dictionaries).

Passwords are never logged, echoed or stored in audit details; the functions here take them
and return a hash or a verdict, nothing else."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from salesops.config import get_settings

_hasher = PasswordHasher()  # Argon2id with argon2-cffi's RFC 9106 low-memory profile


class PasswordPolicyError(ValueError):
    """A password that the policy refuses; the message says why (never the password)."""


def check_policy(password: str, *, hints: tuple[str, ...] = ()) -> None:
    """Refuse a password that is too short or easy to guess (common, a dictionary word, the
    login or the name); ``hints`` are the user's own words."""
    minimum = get_settings().password_min_length
    if len(password) < minimum:
        raise PasswordPolicyError(f"the password must have at least {minimum} characters")
    if len(password) > 1024:
        raise PasswordPolicyError("the password must have at most 1024 characters")
    from zxcvbn import zxcvbn  # ~70 ms to load its dictionaries: only when a password is set

    verdict = zxcvbn(password[:100], user_inputs=[h for h in hints if h])
    common = any(m.get("dictionary_name") == "passwords" for m in verdict["sequence"])
    if common and len(verdict["sequence"]) == 1:
        raise PasswordPolicyError("the password is on the list of common passwords")
    if verdict["score"] < 3:
        raise PasswordPolicyError(
            "the password is too easy to guess; use a longer phrase of unrelated words"
        )


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored`` (False for a user without a password)."""
    if not stored:
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(stored)


#: A hash verified when the login does not exist, so both cases take the same time.
DUMMY_HASH = _hasher.hash("not a password of anyone")
