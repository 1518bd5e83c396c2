"""Dates and times as people type them ('demain 9h', 'friday 14:00', 'dans 3h30'), read
in the service's time zone, and the one conversion of a local wall-clock time to UTC. Its own
module so that follow-ups, digests and the roster share one reading of local time.

dateparser reads the dates; what it reads wrongly is put in its words first: counted
durations ('dans 3h30' would be 03:30, 'in 2h15' 02:15) are read here, French clock times
('9h', '9 heures', which it takes for nine hours from now) become '9:00', and an hour given
after a day ('demain à 10', 'tomorrow at 10', where it keeps only the day) too."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateparser.date import DateDataParser

MAX_AHEAD = timedelta(days=366)


class WhenError(ValueError):
    """A typed date the bot cannot use; `key` is the catalog sentence saying why."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


# --- counted durations: 'dans 3 heures', 'in 2h30', 'dans une semaine' ---------------------

_UNITS = {
    "seconds": ("s", "sec", "secs", "seconde", "secondes", "second", "seconds"),
    "minutes": ("m", "mn", "min", "mins", "minute", "minutes"),
    "hours": ("h", "hr", "hrs", "heure", "heures", "hour", "hours"),
    "days": ("j", "jr", "jrs", "jour", "jours", "d", "day", "days"),
    "weeks": ("sem", "semaine", "semaines", "w", "wk", "wks", "week", "weeks"),
    "months": ("mois", "month", "months"),
}
_UNIT_OF = {word: unit for unit, words in _UNITS.items() for word in words}
_ONE = ("une", "un", "an", "a", "one")
_AMOUNT = r"\d+|(?:" + "|".join(_ONE) + r")\b"
_PART = re.compile(rf"\s*(?:(?:,|et|and)\s+)?({_AMOUNT})\s*([a-z]+)\b\.?")
_HALF = re.compile(r"\s*(?:et|and)\s+(?:demie?|a\s+half)")
_DURATION = re.compile(r"^(?:dans|in)\s+(.+)$")
_COUNTED_LOOK = re.compile(r"^(?:dans|in)\s+\d")  # a number after 'in': a duration or nothing
_HOURS_MINUTES = re.compile(r"\b(\d{1,2})\s*h\s*(\d{1,2})\b(?!\s*h)")


@dataclass(frozen=True)
class _Counted:
    """A duration as typed: hours and smaller are real time; days, weeks and months are
    calendar steps, landing on that day (at the morning hour, as a day without a time)."""

    real: timedelta
    days: int
    months: int
    at: time | None = None  # 'dans 2 jours à 14h': that day at that time


def _counted(cleaned: str) -> _Counted | None:
    """'dans 3 heures', 'in 2h30', 'dans 1 h 30', 'in an hour and a half', 'dans 2 jours',
    'in 1 week'; None for anything else (dateparser's to read)."""
    found = _DURATION.match(cleaned)
    if found is None:
        return None
    rest, at = _clock_at_end(found.group(1))
    rest = _HOURS_MINUTES.sub(lambda m: f"{m.group(1)} h {m.group(2)} min", rest)
    real, days, months, position, last = timedelta(), 0, 0, 0, None
    while position < len(rest):
        half = _HALF.match(rest, position)
        if half is not None and last in ("hours", "minutes"):
            real += timedelta(**{last: 0.5})
            position, last = half.end(), None
            continue
        part = _PART.match(rest, position)
        if part is None or part.group(2) not in _UNIT_OF:
            return None
        amount = 1 if part.group(1) in _ONE else int(part.group(1))
        last = _UNIT_OF[part.group(2)]
        if last == "months":
            months += amount
        elif last in ("days", "weeks"):
            days += amount * (7 if last == "weeks" else 1)
        else:
            real += timedelta(**{last: amount})
        position = part.end()
        if rest[position:].strip() == "":
            break
    if last is None and not real:
        return None
    if at is not None and (real or not (days or months)):  # 'in 3 hours at 10': no
        return None
    return _Counted(real, days, months, at)


_CLOCK_AT_END = re.compile(
    r"\s+(?:à|a|at|vers|around)\s+(\d{1,2})(?:\s*(?:h|:)\s*(\d{2})?|\s*heures?)?\s*$"
    r"|\s+(\d{1,2})\s*h\s*(\d{2})?\s*$"
    r"|\s+(?:at\s+)?(\d{1,2})(?::(\d{2}))?\s*(am|pm)\s*$"
)


def _clock_at_end(text: str) -> tuple[str, time | None]:
    """'2 jours à 14h' -> ('2 jours', 14:00); a bare hour from 1 to 6 ('at 3') is refused."""
    found = _CLOCK_AT_END.search(text)
    if found is None:
        return text, None
    if found.group(5) is not None:  # '3pm', 'at 10:30 am'
        twelve = int(found.group(5)) % 12 + (12 if found.group(7) == "pm" else 0)
        if int(found.group(5)) > 12:
            raise WhenError("followup.when_invalid")
        return text[: found.start()], time(twelve, int(found.group(6) or 0))
    hour, minute = found.group(1) or found.group(3), found.group(2) or found.group(4)
    after = text[found.end(1) : found.end()] if found.group(1) is not None else "h"
    bare = "h" not in after and ":" not in after  # 'à 3', not 'à 3h', 'à 3:30', 'à 3 heures'
    if bare and int(hour) in _NIGHT_HOURS:
        raise WhenError("followup.when_ambiguous_hour")
    if int(hour) > 23 or int(minute or 0) > 59:
        raise WhenError("followup.when_invalid")
    return text[: found.start()], time(int(hour), int(minute or 0))


def _after(counted: _Counted, now: datetime, zone: ZoneInfo, morning_hour: int) -> datetime:
    if not counted.days and not counted.months:
        return now + counted.real  # real time, exact across a daylight-saving change
    if counted.real:  # 'dans 1 jour et 3 heures': all of it real time
        return now + counted.real + timedelta(days=counted.days + 31 * counted.months)
    day = _add_months(now.astimezone(zone).date(), counted.months) + timedelta(counted.days)
    return local_at(day, counted.at or time(morning_hour), zone)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


# --- clock times and day words, in dateparser's words ---------------------------------------

_CLOCK = re.compile(r"\b(\d{1,2})\s*(?:h|heures?)(?:\s*(\d{2}))?\b")
_AT = r"(?:\s|^)(?:à|a|at|vers|around)\s+"
_AT_CLOCK = re.compile(rf"{_AT}(?=\d{{1,2}}:\d{{2}})")
_AT_HOUR = re.compile(rf"{_AT}(\d{{1,2}})\b(?!\s*(?::|\d|am\b|pm\b|a\.m|p\.m))")
_NIGHT_HOURS = range(1, 7)  # 'at 3' alone: 03:00 or 15:00? asked, not guessed
_HAS_CLOCK = re.compile(r"\b\d{1,2}:\d{2}\b|\b\d{1,2}\s*(?:am|pm|a\.m|p\.m)|\bmidi\b|\bnoon\b")
_WEEKDAYS = "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
_NEXT_WEEKDAY = re.compile(rf"\b({_WEEKDAYS}) prochain\b")  # 'lundi prochain': the coming one
_THIS_MORNING = re.compile(r"\b(?:ce matin|this morning)\b")
_EVENING = re.compile(r"\b(?:ce soir|tonight)\b")
_MORNING = re.compile(r"\b(?:au\s+|le\s+|in\s+the\s+)?(?:matin|morning)\b")


def _normalise(text: str, morning_hour: int = 9) -> str:
    """French clock notation ('9h', '14h30', '9 heures') as dateparser reads it best ('9:00',
    '14:30'), an hour after a day ('demain à 10') as a clock time, 'matin' as the morning
    hour unless an hour is given, 'lundi prochain' as 'lundi'. An hour from 1 to 6 after 'à'
    or 'at' ('tomorrow at 3') and 'tonight' without an hour are refused (WhenError), not
    guessed: a reminder at 03:00 would go to the night shift."""
    cleaned = " ".join(text.strip().lower().split())
    if _DURATION.match(cleaned):
        return cleaned
    cleaned = _CLOCK.sub(lambda m: f"{int(m.group(1))}:{m.group(2) or '00'}", cleaned)
    if any(int(m.group(1)) in _NIGHT_HOURS for m in _AT_HOUR.finditer(cleaned)):
        raise WhenError("followup.when_ambiguous_hour")
    cleaned = _AT_HOUR.sub(lambda m: f" {int(m.group(1))}:00", cleaned)
    cleaned = _AT_CLOCK.sub(" ", cleaned)  # 'à 10:00' alone is read as today, even if past
    cleaned = _NEXT_WEEKDAY.sub(r"\1", cleaned)
    timed = _HAS_CLOCK.search(cleaned) is not None
    if _EVENING.search(cleaned):
        if not timed:
            raise WhenError("followup.when_evening")
        cleaned = _EVENING.sub("aujourd'hui" if "ce soir" in cleaned else "today", cleaned)
    cleaned = _THIS_MORNING.sub("aujourd'hui" if "ce matin" in cleaned else "today", cleaned)
    cleaned = _MORNING.sub("" if timed else f" {morning_hour}:00", cleaned)
    return " ".join(cleaned.split())


# A day of the month alone ('le 5', 'the 5th', 'le 5 10:00'): dateparser takes this month's,
# even when it is past; the next one is meant.
_DAY_OF_MONTH = re.compile(
    r"^(?:le\s+|the\s+)?(\d{1,2})(?:er|e|st|nd|rd|th)?(?:\s+(\d{1,2}):(\d{2}))?$"
)


def _on_day_of_month(
    found: re.Match[str], local_now: datetime, zone: ZoneInfo, morning_hour: int
) -> datetime:
    """'le 5 10:00' (dateparser read 'the 5th' as May): this month's 5th, or the next
    month's that has it once it is past."""
    day = int(found.group(1))
    hour = int(found.group(2)) if found.group(2) is not None else morning_hour
    minute = int(found.group(3)) if found.group(3) is not None else 0
    if not 1 <= day <= 31 or hour > 23 or minute > 59:
        raise WhenError("followup.when_invalid")
    at = time(hour, minute)
    for months in (0, 1, 2):  # the 30th typed on January 31st: March's
        first = _add_months(local_now.date().replace(day=1), months)
        try:
            when = datetime.combine(first.replace(day=day), at)
        except ValueError:
            continue  # a month without that day
        if when > local_now:
            return local_at(when.date(), at, zone)
    raise WhenError("followup.when_invalid")


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
    'dans 3 heures') in the service's zone, as an aware UTC datetime after `now` (when it
    was typed). A day without a time means that day's morning hour. Raises WhenError."""
    cleaned = _normalise(text, morning_hour)
    if not cleaned:
        raise WhenError("followup.when_invalid")
    counted = _counted(cleaned)
    if counted is not None:
        return _checked(_after(counted, now, zone, morning_hour), now)
    if _COUNTED_LOOK.match(cleaned):  # 'dans 10', 'in 3': dateparser would guess a month
        raise WhenError("followup.when_invalid")
    local_now = now.astimezone(zone).replace(tzinfo=None)
    day_of_month = _DAY_OF_MONTH.match(cleaned)
    if day_of_month is not None:
        return _checked(_on_day_of_month(day_of_month, local_now, zone, morning_hour), now)
    utc_now = now.astimezone(UTC).replace(tzinfo=None)
    found = _parser(lang, local_now).get_date_data(cleaned)
    if found.date_obj is None:
        raise WhenError("followup.when_invalid")
    naive = found.date_obj.replace(tzinfo=None)
    if found.period in ("day", "week", "month", "year"):  # 'demain', 'friday', '2026-12-03'
        return _checked(local_at(naive.date(), time(morning_hour), zone), now)
    # A duration dateparser read ('in ten minutes') is the same offset from either base; it
    # is absolute time, counted in UTC, so it stays exact across a daylight-saving change.
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
