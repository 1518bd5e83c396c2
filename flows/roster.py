"""The weekly roster: who works when (and who is on call), in the service's time zone.
Managed from the CLI and by supervisors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from flows import routing
from flows.models import Person, Shift
from flows.routing import RoutingPolicy, Standing, parse_clock
from flows.store import Clock, Database
from flows.vocabulary import Role

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


class RosterError(ValueError):
    """A roster entry a person typed wrong, as a sentence saying what to fix."""


@dataclass(frozen=True)
class ShiftView:
    id: int
    person_id: int
    person_name: str
    weekday: int
    starts: str
    ends: str
    on_call: bool

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
        raise RosterError(f"{text!r} is not a day (mon…sun, lun…dim)") from None


def parse_span(text: str) -> tuple[str, str]:
    """'08:00-16:00' to ('08:00', '16:00'); an end not after the start runs past midnight."""
    try:
        first, last = text.split("-", 1)
        start, end = parse_clock(first), parse_clock(last)
    except ValueError:
        raise RosterError(f"{text!r} is not a span of hours such as 08:00-16:00") from None
    if start == end:
        raise RosterError("a shift cannot start and end at the same time")
    return start.strftime("%H:%M"), end.strftime("%H:%M")


def add_shifts(
    db: Database, person_id: int, days: str, span: str, on_call: bool, clock: Clock
) -> list[ShiftView]:
    weekdays, (starts, ends) = parse_days(days), parse_span(span)
    with db.unit_of_work() as session:
        person = session.get(Person, person_id)
        if person is None or person.revoked_at is not None:
            raise RosterError(f"no enrolled person with id {person_id}")
        if person.role != Role.WORKER:
            raise RosterError(f"{person.display_name} is not a social worker")
        added = [
            Shift(
                person_id=person_id,
                weekday=day,
                starts=starts,
                ends=ends,
                on_call=on_call,
                created_at=clock(),
            )
            for day in weekdays
        ]
        session.add_all(added)
        session.flush()
        return [_view(s, person) for s in added]


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
        result = session.execute(delete(Shift).where(Shift.id == shift_id))
        return bool(getattr(result, "rowcount", 0))


@dataclass(frozen=True)
class Availability:
    """Where one person stands for routing right now, as routing itself decides it, with
    what explains it: whether they have any regular shift, and their load."""

    standing: Standing
    has_shifts: bool
    active: int
    capacity: int | None


def availability_of_everyone(
    db: Database, now: datetime, policy: RoutingPolicy
) -> dict[int, Availability]:
    """Person id -> their availability now (for `relais users list`)."""
    with db.unit_of_work() as session:
        everyone = session.scalars(select(Person)).all()
        shifts = list(session.scalars(select(Shift)))
        load = routing.active_load(session, [p.id for p in everyone])
        return {
            p.id: Availability(
                routing.standing(p, shifts, now, policy.zone),
                any(s.person_id == p.id and not s.on_call for s in shifts),
                load.get(p.id, 0),
                routing.capacity_of(p, policy),
            )
            for p in everyone
        }


def _view(shift: Shift, person: Person) -> ShiftView:
    return ShiftView(
        shift.id,
        person.id,
        person.display_name,
        shift.weekday,
        shift.starts,
        shift.ends,
        shift.on_call,
    )
