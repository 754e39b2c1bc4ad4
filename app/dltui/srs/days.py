"""Study days: when "today" starts and ends in the learner's local time.

A study day runs from ``day_starts_at_hour`` local time to the same hour the next day, so a
review at 1 a.m. still counts for the evening before. Times are stored in UTC; the day
boundaries are worked out in the learner's time zone (daylight-saving aware) and handed back
in UTC. "Now" is injectable so tests can walk across day boundaries.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dltui.store import utcnow

if TYPE_CHECKING:
    from dltui.settings import Settings


def local_zone() -> tzinfo:
    """The learner's time zone: $TZ, else /etc/localtime, else the current fixed UTC offset."""
    for name in (os.environ.get("TZ", "").lstrip(":"), _zone_name_of_localtime()):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    # A fixed offset is wrong across a daylight-saving change, but better than assuming UTC.
    return datetime.now().astimezone().tzinfo or timezone.utc


def _zone_name_of_localtime() -> str:
    try:
        target = str(Path("/etc/localtime").resolve())
    except OSError:
        return ""
    marker = "/zoneinfo/"
    return target.split(marker, 1)[1] if marker in target else ""


@dataclass(frozen=True)
class StudyDay:
    date: date  # the local calendar date the day is named after
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive


@dataclass(frozen=True)
class StudyClock:
    """Where "now" comes from and where study days begin."""

    day_starts_at_hour: int = 4
    zone: tzinfo = field(default_factory=local_zone)
    now_source: Callable[[], datetime] = utcnow

    @classmethod
    def for_settings(cls, settings: Settings, now: Callable[[], datetime] | None = None, zone: tzinfo | None = None) -> "StudyClock":
        return cls(
            day_starts_at_hour=settings.day_starts_at_hour,
            zone=zone or local_zone(),
            now_source=now or utcnow,
        )

    def now(self) -> datetime:
        """Now in UTC, with exactly ``timezone.utc`` as tzinfo (fsrs accepts nothing else)."""
        return as_utc(self.now_source())

    def date_of(self, moment: datetime) -> date:
        """The study date a moment belongs to."""
        local = as_utc(moment).astimezone(self.zone)
        # Wall-clock arithmetic on purpose: "before 4 a.m. local" is what the learner means.
        return (local.replace(tzinfo=None) - timedelta(hours=self.day_starts_at_hour)).date()

    def day(self, moment: datetime | None = None) -> StudyDay:
        """The study day containing ``moment`` (default: now)."""
        day_date = self.date_of(moment or self.now())
        return StudyDay(day_date, self.start_of(day_date), self.start_of(day_date + timedelta(days=1)))

    def start_of(self, day_date: date) -> datetime:
        """When the study day named ``day_date`` begins, in UTC."""
        local = datetime.combine(day_date, time(self.day_starts_at_hour), tzinfo=self.zone)
        return local.astimezone(timezone.utc)


def as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware one, e.g. datetime.now(timezone.utc)")
    return moment.astimezone(timezone.utc)
