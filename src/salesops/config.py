"""One settings object for the whole application.

Every setting can be given as an environment variable prefixed ``SALESOPS_``
(``SALESOPS_DATABASE_URL``, ``SALESOPS_TIMEZONE`` ...).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_FILE = "salesops.duckdb"


class Settings(BaseSettings):
    """Application settings, read from the environment."""

    model_config = SettingsConfigDict(env_prefix="SALESOPS_", extra="ignore")

    database_url: str = Field(
        default_factory=lambda: f"duckdb:///{Path.cwd() / DEFAULT_DATABASE_FILE}",
        description="SQLAlchemy URL; default: a DuckDB file in the working directory.",
    )
    timezone: str = "Asia/Shanghai"
    fiscal_year_start_month: int = Field(default=1, ge=1, le=12)
    locale: str = "zh_CN"
    # Customer lifecycle thresholds in days (SPEC §4).
    lifecycle_new_days: int = 90
    lifecycle_active_days: int = 180
    lifecycle_dormant_days: int = 365


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (cached; call ``get_settings.cache_clear()`` in tests)."""
    return Settings()


def local_today() -> dt.date:
    """Today in the configured time zone (every default "today" and as-of date)."""
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(get_settings().timezone)).date()
