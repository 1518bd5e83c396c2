"""The weekly roster: who works when (and who is on call), in the service's time zone, and
the one home of shift-time arithmetic (which occurrence of a weekly slot covers a moment, when
the roster next changes, when the next shift begins). Managed from the CLI and by
supervisors; routing, reminders and digests ask it where a person stands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from flows.dates import local_at
from flows.models import Person, Shift
from flows.store import Clock, Database
from flows.vocabulary import Presence, Role

DAYS = {
    "mon": 0, "lun": 0, "monday": 0, "lundi": 0,
    "tue": 1, "mar": 1, "tuesday": 1, "mardi": 1,
    "wed": 2, "mer": 2, "wednesday": 2, "mercredi": 2,
    "thu": 3, "jeu": 3, "thursday": 3, "jeudi": 3,
    "fri": 4, "ven": 4, "friday": 4, "vendredi": 4,
    "sat": 5, "sam": 5, "saturday": 5, "samedi": 5,
    "sun": 6, "dim": 6, "sunday": 6, "dimanche": 6,
}  # fmt: skip
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ON_CALL_WORDS = ("oncall", "garde", "on-call")


DAY_MINUTES = 24 * 60
END_OF_DAY = "24:00"  # an end only: midnight at the end of the shift's day
PROBLEMS = (
    "bad_day", "bad_span", "same_time", "day_end_start", "no_person", "not_worker", "bad_on_call"
)  # fmt: skip
CHAT_ONLY_PROBLEMS = ("bad_on_call",)  # the command line has its --on-call flag instead


class RosterError(ValueError):
    """A roster entry a person typed wrong: a problem code (one of PROBLEMS) and the values
    its sentence names (what was typed). flows/ holds no sentence: the chat says it from the
    catalogs' `roster.invalid.<code>`, the command line from `cli.shifts.invalid.<code>`."""

    def __init__(self, code: str, **params: str | int) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params

    def __str__(self) -> str:
        return f"{self.code} {self.params}"


@dataclass(frozen=True)
class ShiftView:
    id: int
    person_id: int
    person_name: str
    weekday: int
    starts: str
    ends: str
    on_call: bool
    revoked: bool = False  # its person's access was revoked: routing no longer counts it

    @property
    def day(self) -> str:
        return DAY_NAMES[self.weekday]


def parse_days(text: str) -> list[int]:
    """'mon', 'lun-ven', 'mon,wed,fri', 'all' / 'tous' to weekday numbers."""
    cleaned = text.strip().lower()
    if cleaned in ("all", "tous", "daily", "7/7"):
        return list(range(7))
    days: list[int] = []
    for part in cleaned.split(","):
        if "-" in part:
            first, last = (_day(p) for p in part.split("-", 1))
            span = (last - first) % 7
            days += [(first + i) % 7 for i in range(span + 1)]
        else:
            days.append(_day(part))
    return sorted(set(days))


def _day(text: str) -> int:
    try:
        return DAYS[text.strip().lower().rstrip(".")]
    except KeyError:
        raise RosterError("bad_day", text=text.strip()) from None


def parse_span(text: str) -> tuple[str, str]:
    """'08:00-16:00' to ('08:00', '16:00'); an end not after the start runs past midnight.
    An end of 24:00 is midnight at the end of the start's day, kept as '24:00' (the same
    moment as an end of 00:00); a start cannot be 24:00."""
    try:
        first, last = text.split("-", 1)
        start, end = clock_minutes(first), clock_minutes(last)
    except ValueError:
        raise RosterError("bad_span", text=text.strip()) from None
    if start == DAY_MINUTES:
        raise RosterError("day_end_start", text=first.strip())
    if start == end:
        raise RosterError("same_time")
    return _hhmm(start), _hhmm(end)


def _hhmm(minutes: int) -> str:
    """Minutes from 00:00 as 'HH:MM' (1440 as '24:00')."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# --- shift-time arithmetic -----------------------------------------------------------------


def parse_clock(text: str) -> time:
    """'8:00', '08:00' or '8h30' to a time; ValueError with a readable message otherwise."""
    parts = _clock_parts(text)
    if parts is None or not (0 <= parts[0] < 24 and 0 <= parts[1] < 60):
        raise ValueError(f"{text!r} is not a time of day such as 08:00")
    return time(*parts)


def clock_minutes(text: str) -> int:
    """Minutes from 00:00 to a time of day as parse_clock reads it, or to 24:00 (the day's
    end): 0 to 1440; ValueError otherwise."""
    if _clock_parts(text) == (24, 0):
        return DAY_MINUTES
    value = parse_clock(text)
    return value.hour * 60 + value.minute


def _clock_parts(text: str) -> tuple[int, int] | None:
    """'8h30' or '08:30' to (8, 30), not yet checked; None when it is not hours:minutes."""
    cleaned = text.strip().lower().replace("h", ":")
    if cleaned.endswith(":"):
        cleaned += "00"
    try:
        hours, minutes = cleaned.split(":")
        return int(hours), int(minutes)
    except ValueError:
        return None


def _span(shift: Shift, day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The local start and end of the slot's occurrence starting on `day` (a weekday of the
    slot's); an end not after the start (or 24:00) is on the next day."""
    begin = datetime.combine(day, parse_clock(shift.starts), zone)
    days, minute = divmod(_day_span(shift)[1], DAY_MINUTES)
    finish = datetime.combine(day + timedelta(days=days), time(*divmod(minute, 60)), zone)
    return begin, finish


def _day_span(shift: Shift) -> tuple[int, int]:
    """Minutes from the start day's 00:00 to the slot's start and end: an end not after the
    start is the next day's (past 1440), 24:00 is 1440."""
    start, end = clock_minutes(shift.starts), clock_minutes(shift.ends)
    return start, end if end > start else end + DAY_MINUTES


def shift_start(shift: Shift, now_local: datetime, zone: ZoneInfo) -> datetime | None:
    """The local start of this weekly slot's occurrence covering now, if any (one that
    started yesterday evening covers the early hours of today)."""
    for back in (0, 1):
        day = now_local.date() - timedelta(days=back)
        if day.weekday() != shift.weekday:
            continue
        begin, finish = _span(shift, day, zone)
        if begin <= now_local < finish:
            return begin
    return None


def covers(shift: Shift, local: datetime, zone: ZoneInfo) -> bool:
    """Whether the slot is under way at this local time (a time in the zone)."""
    return shift_start(shift, local, zone) is not None


@dataclass(frozen=True)
class Standing:
    """What the roster and the override say about one person right now."""

    on_shift: bool
    on_call: bool
    presence: Presence | None  # an override still in force
    available: bool


def standing(person: Person, shifts: list[Shift], now: datetime, zone: ZoneInfo) -> Standing:
    local = now.astimezone(zone)
    mine = [s for s in shifts if s.person_id == person.id]
    on_shift = any(covers(s, local, zone) for s in mine if not s.on_call)
    on_call = any(covers(s, local, zone) for s in mine if s.on_call)
    presence = person.presence
    if presence is not None and person.presence_until is not None and person.presence_until <= now:
        presence = None
    if person.revoked_at is not None or person.role != Role.WORKER:
        available = False
    elif presence is not None:
        available = presence == Presence.ON
    else:
        available = on_shift
    return Standing(on_shift, on_call and presence != Presence.OFF, presence, available)


def next_transition(shifts: list[Shift], now: datetime, zone: ZoneInfo) -> datetime | None:
    """When this person's roster next changes (a shift starts or ends): an /on or /off lasts
    until then. None when they have no shift at all (the override lasts until changed)."""
    if not shifts:
        return None
    local = now.astimezone(zone)
    candidates = []
    for offset in range(0, 9):
        day = (local + timedelta(days=offset)).date()
        for s in shifts:
            if s.weekday != day.weekday():
                continue
            begin, finish = _span(s, day, zone)
            candidates += [t for t in (begin, finish) if t > local]
    return min(candidates) if candidates else None


def next_start(shifts: list[Shift], now: datetime, zone: ZoneInfo) -> datetime | None:
    """The next moment (UTC) one of these shifts begins, within the coming week."""
    local = now.astimezone(zone)
    starts = []
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        for s in shifts:
            if s.weekday == day.weekday():
                begin = local_at(day, parse_clock(s.starts), zone)
                if begin > now:
                    starts.append(begin)
    return min(starts) if starts else None


# --- managing the roster -------------------------------------------------------------------


def add_shifts(
    db: Database, person_id: int, days: str, span: str, on_call: bool, clock: Clock
) -> list[ShiftView]:
    now = clock()
    with db.unit_of_work() as session:
        return add_in(session, person_id, days, span, on_call, now)


def add_in(
    session: Session, person_id: int, days: str, span: str, on_call: bool, now: datetime
) -> list[ShiftView]:
    """Weekly slots for a worker; RosterError (before anything is added) when the days, the
    hours or the person are wrong."""
    weekdays, (starts, ends) = parse_days(days), parse_span(span)
    person = _worker(session, person_id)
    added = [_slot(person_id, day, starts, ends, on_call, now) for day in weekdays]
    session.add_all(added)
    session.flush()
    return [_view(s, person) for s in added]


@dataclass(frozen=True)
class RosterChange:
    """What `relais shifts add` did: a slot the person already has is not added twice, and
    one that overlaps another of theirs is added but named, so a typo is seen."""

    added: list[ShiftView]
    already: list[ShiftView]  # the person's existing slots that were asked for again
    overlaps: list[tuple[ShiftView, ShiftView]]  # (slot added, existing slot it overlaps)


def add_checked(
    db: Database, person_id: int, days: str, span: str, on_call: bool, clock: Clock
) -> RosterChange:
    now = clock()
    with db.unit_of_work() as session:
        return add_checked_in(session, person_id, days, span, on_call, now)


def add_checked_in(
    session: Session, person_id: int, days: str, span: str, on_call: bool, now: datetime
) -> RosterChange:
    """As add_in, comparing each slot with the person's roster first: exact repeats are
    skipped (a second row would change nothing but the listing), overlaps reported."""
    weekdays, (starts, ends) = parse_days(days), parse_span(span)
    person = _worker(session, person_id)
    existing = list(session.scalars(select(Shift).where(Shift.person_id == person_id)))
    added: list[Shift] = []
    already: list[ShiftView] = []
    clashes: list[tuple[Shift, Shift]] = []
    for day in weekdays:
        slot = _slot(person_id, day, starts, ends, on_call, now)
        same = next((s for s in existing if _same(s, slot)), None)
        if same is not None:
            already.append(_view(same, person))
            continue
        clashes += [(slot, s) for s in existing if overlap(s, slot)]
        added.append(slot)
    session.add_all(added)
    session.flush()
    return RosterChange(
        [_view(s, person) for s in added],
        already,
        [(_view(new, person), _view(old, person)) for new, old in clashes],
    )


WEEK_MINUTES = 7 * 24 * 60


def _week_span(shift: Shift) -> tuple[int, int]:
    """Minutes from Monday 00:00 to the slot's start and end (an end past midnight, even past
    Sunday's, lies after the start)."""
    start, end = _day_span(shift)
    monday = shift.weekday * DAY_MINUTES
    return monday + start, monday + end


def overlap(a: Shift, b: Shift) -> bool:
    """Whether two weekly slots share a moment (a Sunday night slot meets Monday morning's);
    one ending when the other starts does not."""
    a_begin, a_end = _week_span(a)
    b_begin, b_end = _week_span(b)
    return any(
        a_begin < b_end + shift and b_begin + shift < a_end
        for shift in (-WEEK_MINUTES, 0, WEEK_MINUTES)
    )


def _same(a: Shift, b: Shift) -> bool:
    """The same slot, an end of 24:00 being the same moment as one of 00:00."""
    return _key(a) == _key(b)


def _key(s: Shift) -> tuple[int, int, int, bool]:
    ends = clock_minutes(s.ends) % DAY_MINUTES
    return s.weekday, clock_minutes(s.starts), ends, s.on_call


def _worker(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None or person.revoked_at is not None:
        raise RosterError("no_person", id=person_id)
    if person.role != Role.WORKER:
        raise RosterError("not_worker", name=person.display_name)
    return person


def _slot(person_id: int, day: int, starts: str, ends: str, on_call: bool, now: datetime) -> Shift:
    return Shift(
        person_id=person_id, weekday=day, starts=starts, ends=ends, on_call=on_call, created_at=now
    )


def parse_on_call(word: str | None) -> bool:
    """The optional last word of `/shifts add`: one of ON_CALL_WORDS marks on-call slots;
    another word is refused, named (bad_on_call)."""
    if word is None:
        return False
    if word.lower() in ON_CALL_WORDS:
        return True
    raise RosterError("bad_on_call", word=word)


def list_shifts(db: Database) -> list[ShiftView]:
    with db.unit_of_work() as session:
        rows = session.execute(
            select(Shift, Person)
            .join(Person, Person.id == Shift.person_id)
            .order_by(Shift.weekday, Shift.starts, Person.display_name)
        )
        return [_view(shift, person) for shift, person in rows]


def remove_shift(db: Database, shift_id: int) -> bool:
    with db.unit_of_work() as session:
        return remove_in(session, shift_id)


def remove_in(session: Session, shift_id: int) -> bool:
    result = session.execute(delete(Shift).where(Shift.id == shift_id))
    return bool(getattr(result, "rowcount", 0))


def _view(shift: Shift, person: Person) -> ShiftView:
    return ShiftView(
        shift.id,
        person.id,
        person.display_name,
        shift.weekday,
        shift.starts,
        shift.ends,
        shift.on_call,
        person.revoked_at is not None,
    )
