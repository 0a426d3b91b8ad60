"""Every schedule reads a cron line as cron does: weekday 1 is Monday, 0 and 7 are Sunday.

APScheduler's own ``from_crontab`` counts from 0 = Monday, so the default alert rules'
``0 8 * * 1`` ("Mondays 08:00") fired on Tuesdays and an import source's ``0 2 * * 1`` ran a
day late."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from salesops.alerts.preview import scheduled_days
from salesops.integrate.sources import check_schedule, next_run
from salesops.schedule.cron import trigger, weekdays

ZONE = ZoneInfo("Asia/Shanghai")
SUNDAY = dt.datetime(2026, 12, 6, 12, 0, tzinfo=ZONE)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("0 8 * * 1", "Mon 2026-12-07 08:00"),
        ("0 8 * * 0", "Sun 2026-12-13 08:00"),  # this Sunday's 08:00 has passed at noon
        ("0 8 * * 7", "Sun 2026-12-13 08:00"),
        ("30 8 * * 2-4", "Tue 2026-12-08 08:30"),
        ("0 8 * * mon", "Mon 2026-12-07 08:00"),
        ("0 8 * * 6,0", "Sat 2026-12-12 08:00"),
        ("0 13 * * *", "Sun 2026-12-06 13:00"),
    ],
)
def test_weekday_numbers_are_crons(line: str, expected: str) -> None:
    fire = trigger(line, ZONE).get_next_fire_time(None, SUNDAY)
    assert f"{fire:%a %Y-%m-%d %H:%M}" == expected


def test_weekday_fields() -> None:
    assert weekdays("1-5") == "mon,tue,wed,thu,fri"
    assert weekdays("*/2") == "sun,tue,thu,sat"
    assert weekdays("0,7") == "sun"
    assert weekdays("fri") == "fri"
    for bad in ("8", "x1", "1-9", "*/0", "5-1"):
        with pytest.raises(ValueError):
            weekdays(bad)


def test_alert_rules_and_import_sources_fire_on_monday() -> None:
    # the default weekly rules' schedule, over the week of Monday 2026-12-07
    days = scheduled_days("0 8 * * 1", dt.date(2026, 12, 6), dt.date(2026, 12, 13), ZONE)
    assert days == [dt.date(2026, 12, 7)]
    assert check_schedule("0 2 * * 1") == "0 2 * * 1"
    # Saturday 2026-12-05 18:00 UTC → Monday 02:00 Shanghai = Sunday 18:00 UTC
    assert next_run("0 2 * * 1", dt.datetime(2026, 12, 5, 18, 0)) == dt.datetime(2026, 12, 6, 18)
