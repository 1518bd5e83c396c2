"""Report periods: whole local dates of the service's time zone, turned into the UTC instants
the event log is filtered on (local midnight to local midnight, daylight-saving changes
included: a period holding the autumn change is one hour longer)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# The dates a report may cover: past them the UTC instants overflow (year 1 or 9999 in a zone
# west or east of UTC) and a whole-history report takes minutes; Relais records nothing
# before 1970, and two centuries ahead is beyond any evaluation.
EARLIEST = date(1970, 1, 1)
LATEST = date(2199, 12, 31)


@dataclass(frozen=True)
class Period:
    start: date  # first local date, included
    end: date  # last local date, included
    zone: ZoneInfo

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("the period ends before it starts")
        if self.start < EARLIEST or self.end > LATEST:
            raise ValueError(f"a report covers dates from {EARLIEST} to {LATEST}")

    @property
    def start_utc(self) -> datetime:
        return local_midnight(self.start, self.zone)

    @property
    def end_utc(self) -> datetime:
        """The first instant after the period (midnight after its last date)."""
        return local_midnight(self.end + timedelta(days=1), self.zone)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def key(self) -> str:
        """Names the period in pseudonyms and marks: the same dates give the same key."""
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local date's first moment (a midnight that does not exist in a
    zone is resolved the way zoneinfo does: fold 0)."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def last_days(now: datetime, zone: ZoneInfo, days: int) -> Period:
    """The `days` local dates ending today (today included, so far)."""
    today = now.astimezone(zone).date()
    return Period(today - timedelta(days=days - 1), today, zone)


def previous_week(now: datetime, zone: ZoneInfo) -> Period:
    """Monday to Sunday of the week before the current local week."""
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    return Period(monday - timedelta(days=7), monday - timedelta(days=1), zone)


def previous_month(now: datetime, zone: ZoneInfo) -> Period:
    """The whole local month before the current one."""
    first = now.astimezone(zone).date().replace(day=1)
    last = first - timedelta(days=1)
    return Period(last.replace(day=1), last, zone)
