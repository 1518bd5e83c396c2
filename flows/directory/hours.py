"""Opening hours of a service in its own time zone: 24/7, weekly spans (a span whose end is
not after its start runs past midnight), and closures by date range. `is_open` takes the
moment as a parameter, so tests and the bot decide what "now" is."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SHORTHANDS = {"daily": DAYS, "weekdays": DAYS[:5], "weekend": DAYS[5:]}
WEEK = 7 * 1440
ALWAYS = "24/7"
_SPAN = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


MESSAGES = {  # code -> English text; also in model.MESSAGES, the catalogs' directory.problem.*
    "not_a_span": "{value} is not a span like 09:00-17:00",
    "not_a_time": "{value} is not a time of day (24:00 may only end a span)",
    "not_a_day": "{value} is not a day (mon..sun, daily, weekdays, weekend)",
}


class HoursError(ValueError):
    """A span or a day name the schema does not accept: its code (MESSAGES) and the value;
    the message says which."""

    def __init__(self, code: str, value: str) -> None:
        super().__init__(MESSAGES[code].format(value=value))
        self.code = code
        self.value = value


def parse_span(text: str) -> tuple[int, int]:
    """'22:00-06:00' -> minutes (1320, 360); an end not after the start runs past midnight."""
    match = _SPAN.match(text.replace(" ", ""))
    if match is None:
        raise HoursError("not_a_span", repr(text))
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if start >= 1440 or end > 1440:
        raise HoursError("not_a_time", repr(text))
    return start, end


@dataclass(frozen=True)
class Closure:
    start: date
    end: date  # inclusive
    note: str = ""


@dataclass(frozen=True)
class Hours:
    """Week minutes (0 = Monday 00:00 local) when the service is open, plus closures."""

    zone: ZoneInfo
    always: bool = False
    intervals: tuple[tuple[int, int], ...] = ()
    closures: tuple[Closure, ...] = ()
    spans: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False)
    pattern: int = field(default=-1, compare=False)  # same id = same zone, hours, closures

    @classmethod
    def from_days(
        cls, zone: ZoneInfo, days: dict[str, list[str]], closures: tuple[Closure, ...] = ()
    ) -> Hours:
        """Build from {'mon': ['09:00-17:00'], 'fri': ['22:00-06:00']} (shorthands allowed)."""
        intervals: list[tuple[int, int]] = []
        spans: dict[str, list[str]] = {}
        for key, texts in days.items():
            names = SHORTHANDS.get(key, (key,))
            for name in names:
                if name not in DAYS:
                    raise HoursError("not_a_day", repr(key))
                for text in texts:
                    if text.strip().lower() == "closed":
                        continue
                    start, end = parse_span(text)
                    base = DAYS.index(name) * 1440
                    finish = base + (end if end > start else end + 1440)
                    begin = base + start
                    spans.setdefault(name, []).append(text.replace(" ", ""))
                    if finish <= WEEK:
                        intervals.append((begin, finish))
                    else:  # Sunday night into Monday morning
                        intervals.append((begin, WEEK))
                        intervals.append((0, finish - WEEK))
        return cls(
            zone=zone,
            intervals=tuple(sorted(intervals)),
            closures=closures,
            spans={d: tuple(s) for d, s in spans.items()},
        )

    def is_open(self, now: datetime) -> bool:
        """Open at this aware moment, in the service's own zone, closures honoured."""
        local = now.astimezone(self.zone)
        if self.closures:
            today = local.date()
            for closure in self.closures:
                if closure.start <= today <= closure.end:
                    return False
        if self.always:
            return True
        minute = local.weekday() * 1440 + local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.intervals)

    def summary(self) -> str:
        """A compact, language-neutral line: '24/7' or 'mon 09:00-17:00; fri 22:00-06:00'."""
        if self.always:
            return ALWAYS
        return "; ".join(f"{d} {', '.join(self.spans[d])}" for d in DAYS if d in self.spans)
