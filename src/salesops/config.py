"""One settings object for the whole application.

Every setting can be given as an environment variable prefixed ``SALESOPS_``
(``SALESOPS_DATABASE_URL``, ``SALESOPS_TIMEZONE`` ...).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
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
    #: a streaming read replica of the PostgreSQL database: the board's and the API's reads go
    #: there, writes (and a caller's reads right after their own write) to ``database_url``
    read_database_url: str | None = None
    #: each server process's PostgreSQL connection pool (``serve --workers`` sets them so
    #: that all processes together stay inside the server's ``max_connections``)
    db_pool_size: int = Field(default=5, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    #: PostgreSQL session settings of the board's connections (``salesops.db.engine``): JIT
    #: compilation off, and the memory one sort or hash of a statement may use before it
    #: spills to disk ("" leaves the server's own setting)
    db_jit: bool = False
    db_work_mem: str = Field(default="64MB", pattern=r"^(|[0-9]+ ?(kB|MB|GB))$")
    timezone: str = "Asia/Shanghai"
    fiscal_year_start_month: int = Field(default=1, ge=1, le=12)
    locale: str = "zh_CN"
    # Customer lifecycle thresholds in days (SPEC §4).
    lifecycle_new_days: int = 90
    lifecycle_active_days: int = 180
    lifecycle_dormant_days: int = 365
    # Sign-in (SPEC §7): sessions end after this idle time, and in any case after the
    # absolute lifetime; failed sign-ins slow down after ``login_slow_after`` and lock the
    # account (or the client address) for ``login_lock_minutes`` after ``login_lock_after``.
    session_idle_minutes: int = Field(default=120, ge=1)
    session_absolute_hours: int = Field(default=12, ge=1)
    login_window_minutes: int = Field(default=15, ge=1)
    login_slow_after: int = Field(default=3, ge=1)
    login_lock_after: int = Field(default=5, ge=1)
    login_lock_after_per_client: int = Field(default=20, ge=1)
    login_lock_minutes: int = Field(default=15, ge=1)
    password_min_length: int = Field(default=10, ge=8)
    #: where ``POST /api/v1/backups`` writes archives (the running board takes them itself:
    #: an embedded DuckDB file cannot be opened by a second process while it serves)
    backup_dir: Path = Path("backups")
    #: a rep's leaderboard shows other reps' names (else only their own rank and the average)
    leaderboard_names_for_reps: bool = False
    #: files uploaded on the data page wait here until they are imported (default: a folder
    #: under the system's temporary directory); an upload larger than ``upload_max_mb`` stops
    upload_dir: Path | None = None
    upload_max_mb: int = Field(default=200, ge=1)
    # Alerts (issue #19): the board's address as receivers open it (links in messages), the
    # outbox's retries and timeout, and whether ``salesops serve`` runs the scheduler.
    public_url: str = "http://127.0.0.1:8000"
    alert_max_attempts: int = Field(default=5, ge=1, le=50)
    alert_retry_seconds: float = Field(default=30.0, gt=0)
    alert_timeout_seconds: float = Field(default=10.0, gt=0)
    #: how long a message being sent stays claimed; after it (the sender died) it is resent
    alert_lease_seconds: float = Field(default=120.0, gt=0)
    scheduler: bool = True
    # issue #27: people and performance
    #: a won deal at least this large is good news (喜报) on the wall's ticker and the overview
    recognition_deal_threshold: Decimal = Field(default=Decimal(300000), ge=0)
    #: how many days back good news stays on the ticker
    recognition_days: int = Field(default=14, ge=1, le=366)
    #: feedback loop SLA (issue #25): days from receiving an item to resolving it, by priority
    #: (``SALESOPS_FEEDBACK_SLA_DAYS='{"high": 2, "medium": 5, "low": 10}'``); an item whose
    #: priority is not listed gets ``feedback_sla_default_days``
    feedback_sla_days: dict[str, int] = Field(
        default_factory=lambda: {"urgent": 1, "high": 2, "medium": 5, "low": 10}
    )
    feedback_sla_default_days: int = Field(default=7, ge=0)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (cached; call ``get_settings.cache_clear()`` in tests)."""
    return Settings()


def local_today() -> dt.date:
    """Today in the configured time zone (every default "today" and as-of date)."""
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(get_settings().timezone)).date()
