"""The errors of backup and restore: each says what is wrong, and nothing has been written."""

from __future__ import annotations


class BackupError(Exception):
    """Backup or restore cannot go on; the message says why (CLI exit 1)."""


class ArchiveError(BackupError):
    """The archive is not one, is truncated, altered, or needs another passphrase."""


class PassphraseNeeded(BackupError):
    """The archive is encrypted and no passphrase was given."""
