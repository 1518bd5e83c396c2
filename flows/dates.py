"""Dates and times as people type them ('demain 9h', 'friday 14:00', 'dans 3 heures'), read
in the service's time zone, and the one conversion of a local wall-clock time to UTC. Its own
module so that follow-ups, digests and the roster share one reading of local time."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateparser.date import DateDataParser

MAX_AHEAD = timedelta(days=366)


class WhenError(ValueError):
    """A typed date the bot cannot use; `key` is the catalog sentence saying why."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


_HOUR = re.compile(r"\b(\d{1,2})\s*h\s*(\d{2})?\b")
_DURATION = re.compile(r"^\s*(dans|in)\s+\d", re.IGNORECASE)


def _normalise(text: str) -> str:
    """French clock notation ('9h', '14h30') as dateparser reads it best ('9:00', '14:30');
    'dans 1h' stays a duration."""
    cleaned = " ".join(text.strip().lower().split())
    if _DURATION.match(cleaned):
        return cleaned
    return _HOUR.sub(lambda m: f"{m.group(1)}:{m.group(2) or '00'}", cleaned)


def _parser(lang: str, base: datetime) -> DateDataParser:
    languages = ["fr", "en"] if lang == "fr" else ["en", "fr"]
    return DateDataParser(
        languages=languages,
        settings={
            "RELATIVE_BASE": base,
            "PREFER_DATES_FROM": "future",
            "RETURN_TIME_AS_PERIOD": True,
            "DATE_ORDER": "DMY" if lang == "fr" else "MDY",
        },
    )


def local_at(day: date, at: time, zone: ZoneInfo) -> datetime:
    """A wall-clock time on a day in the zone, as UTC. A time that does not exist (the hour
    skipped in spring) lands just after the gap; an ambiguous one (autumn) takes the first."""
    return datetime.combine(day, at).replace(tzinfo=zone).astimezone(UTC)


def parse_when(
    text: str, now: datetime, zone: ZoneInfo, lang: str = "fr", morning_hour: int = 9
) -> datetime:
    """A date and time typed by a person ('demain 9h', 'friday 14:00', '2026-12-03 10:00',
    'dans 3 heures') in the service's zone, as an aware UTC datetime in the future.
    A day without a time means that day's morning hour. Raises WhenError."""
    cleaned = _normalise(text)
    if not cleaned:
        raise WhenError("followup.when_invalid")
    local_now = now.astimezone(zone).replace(tzinfo=None)
    utc_now = now.astimezone(UTC).replace(tzinfo=None)
    found = _parser(lang, local_now).get_date_data(cleaned)
    if found.date_obj is None:
        raise WhenError("followup.when_invalid")
    naive = found.date_obj.replace(tzinfo=None)
    # A pure duration ('in 3 hours') is the same offset from either base; it is absolute
    # time, counted in UTC, so it stays exact across a daylight-saving change.
    if found.period == "day":  # 'demain', 'friday', '2026-12-03', 'in 2 days'
        return _checked(local_at(naive.date(), time(morning_hour), zone), now)
    again = _parser(lang, utc_now).get_date_data(cleaned).date_obj
    if again is not None and again.replace(tzinfo=None) - utc_now == naive - local_now:
        due = now + (naive - local_now)
    else:
        due = local_at(naive.date(), naive.time().replace(microsecond=0), zone)
    return _checked(due, now)


def _checked(due: datetime, now: datetime) -> datetime:
    if due <= now:
        raise WhenError("followup.when_past")
    if due - now > MAX_AHEAD:
        raise WhenError("followup.when_too_far")
    return due
