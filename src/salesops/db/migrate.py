"""Create or upgrade a database to the current schema (``salesops init``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect, text

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    """An Alembic config pointing at the packaged migrations."""
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
    the derived tables that the migrations just added to a database holding data."""
    from salesops.db import derived

    before = current_revision(engine)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    after = current_revision(engine)
    if before is None or after is None:
        return  # a new database: its first write fills everything
    with engine.begin() as conn:
        for added, fills in _FILLED_AFTER.items():
            if before < added <= after:
                for fill in fills:
                    getattr(derived, fill)(conn)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        found = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return str(found) if found is not None else None
