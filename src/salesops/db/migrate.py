"""Create or upgrade a database to the current schema (``salesops init``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    """An Alembic config pointing at the packaged migrations."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


#: Revisions that add a derived table the migration cannot fill itself (its SQL lives in the
#: metrics code), with the function that fills it once the schema is there.
_FILLED_AFTER = {
    "0004": ("refresh_month_ends", "refresh_stage_stays", "refresh_visit_conversions"),
    "0006": ("refresh_payment_month_ends",),
    "0007": ("refresh_open_payments",),
    "0008": ("refresh_month_ends",),
    "0010_exact_money": ("refresh_customer_order_dates",),
}


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database behind ``engine`` to ``revision`` (default: the latest), then fill
    the derived tables that the migrations just added to a database holding data.

    A database already at the latest revision is left as it is without loading Alembic
    (every command that writes calls this: Alembic's check cost ≈ 0.25 s each time, issue #23).
    """
    before = current_revision(engine)
    if revision == "head" and before is not None and before == head_from_files():
        return
    with engine.begin() as conn:
        migrate_connection(conn, revision)
    after = current_revision(engine)
    if before is None or after is None:
        return  # a new database: its first write fills everything
    with engine.begin() as conn:
        fill_added(conn, before, after)


def migrate_connection(conn: Connection, revision: str = "head") -> None:
    """Run the migrations up to ``revision`` on ``conn``, inside its transaction (no fills)."""
    from alembic import command

    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, revision)


def fill_added(conn: Connection, before: str, after: str) -> None:
    """Fill the derived tables that the migrations after ``before`` up to ``after`` added."""
    from salesops.db import derived

    for added, fills in _FILLED_AFTER.items():
        if before < added <= after:
            for fill in fills:
                getattr(derived, fill)(conn)


_REVISION = re.compile(r"""^revision(?:\s*:[^=]*)?\s*=\s*["']([^"']+)["']""", re.M)
_DOWN_REVISION = re.compile(r"^down_revision(?:\s*:[^=]*)?\s*=\s*(.+)$", re.M)


def head_from_files() -> str | None:
    """The latest revision, read from the migration files without loading Alembic: the one
    revision that no other names as its ``down_revision``. None when the files do not say so
    plainly (no such line, several heads): then Alembic decides.
    ``tests/db/test_migrate.py`` checks that this is Alembic's own head."""
    revisions: set[str] = set()
    downs: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION.search(source), _DOWN_REVISION.search(source)
        if revision is None or down is None:
            return None
        revisions.add(revision.group(1))
        downs.update(re.findall(r"""["']([^"']+)["']""", down.group(1)))
    heads = revisions - downs
    return heads.pop() if len(heads) == 1 else None


def head_revision() -> str:
    """The latest revision this version of SalesOps knows."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def is_known_revision(revision: str) -> bool:
    """True when ``revision`` is one of this version's migrations."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        found = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return str(found) if found is not None else None
