"""Who can take a consultation now: the weekly roster, the /on and /off override, capacity,
and the widening pools of escalation (available workers, then on-call backups and workers at
capacity, then supervisors)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flows.models import Consultation, Person, Shift
from flows.vocabulary import ConsultationState, Presence, Role, Tier, Urgency

URGENCY_RANK = {Urgency.IMMEDIATE: 0, Urgency.URGENT: 1, Urgency.ADVICE: 2}


def queue_order(urgency: Urgency | None, waiting_since: datetime) -> tuple[int, datetime]:
    """The one queue order: immediate, urgent, advice, then oldest first. Offers, re-offers
    and /queue all follow it."""
    return URGENCY_RANK[urgency or Urgency.ADVICE], waiting_since


@dataclass(frozen=True)
class RoutingPolicy:
    """The service's routing settings; defaults are those of issue 4."""

    capacity: int = 3
    windows: dict[Urgency, timedelta] = field(
        default_factory=lambda: {
            Urgency.IMMEDIATE: timedelta(seconds=60),
            Urgency.URGENT: timedelta(minutes=3),
            Urgency.ADVICE: timedelta(minutes=15),
        }
    )
    requeue_every: timedelta = timedelta(minutes=5)
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("America/Montreal"))

    def window(self, urgency: Urgency | None) -> timedelta:
        return self.windows[urgency or Urgency.ADVICE]


# --- the roster ----------------------------------------------------------------------------


def parse_clock(text: str) -> time:
    """'8:00', '08:00' or '8h30' to a time; ValueError with a readable message otherwise."""
    cleaned = text.strip().lower().replace("h", ":")
    if cleaned.endswith(":"):
        cleaned += "00"
    try:
        hours, minutes = cleaned.split(":")
        value = time(int(hours), int(minutes))
    except (ValueError, TypeError):
        raise ValueError(f"{text!r} is not a time of day such as 08:00") from None
    return value


def _covers(shift: Shift, local: datetime) -> bool:
    start, end = parse_clock(shift.starts), parse_clock(shift.ends)
    now_t, day = local.time(), local.weekday()
    if start < end:
        return shift.weekday == day and start <= now_t < end
    # past midnight: the evening of its day, or the early hours of the next
    return (shift.weekday == day and now_t >= start) or (
        (shift.weekday + 1) % 7 == day and now_t < end
    )


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
    on_shift = any(_covers(s, local) for s in mine if not s.on_call)
    on_call = any(_covers(s, local) for s in mine if s.on_call)
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
            start, end = parse_clock(s.starts), parse_clock(s.ends)
            begin = datetime.combine(day, start, zone)
            finish = datetime.combine(day + timedelta(days=1 if end <= start else 0), end, zone)
            candidates += [t for t in (begin, finish) if t > local]
    return min(candidates) if candidates else None


# --- pools ---------------------------------------------------------------------------------


def active_load(session: Session, person_ids: list[int]) -> dict[int, int]:
    rows = session.execute(
        select(Consultation.worker_id, func.count())
        .where(
            Consultation.worker_id.in_(person_ids),
            Consultation.state == ConsultationState.ACTIVE,
        )
        .group_by(Consultation.worker_id)
    )
    return {int(worker): int(count) for worker, count in rows}


def capacity_of(person: Person, policy: RoutingPolicy) -> int | None:
    """None for supervisors: escalation's last tier is never refused for capacity."""
    if person.role == Role.SUPERVISOR:
        return None
    return person.capacity if person.capacity is not None else policy.capacity


def pool(session: Session, tier: int, now: datetime, policy: RoutingPolicy) -> list[Person]:
    """Everyone a consultation at this tier is offered to, in a stable order."""
    people = session.scalars(
        select(Person)
        .where(Person.revoked_at.is_(None), Person.role.in_((Role.WORKER, Role.SUPERVISOR)))
        .order_by(Person.id)
    ).all()
    shifts = list(session.scalars(select(Shift)))
    load = active_load(session, [p.id for p in people])
    chosen = []
    for person in people:
        if person.role == Role.SUPERVISOR:
            if tier >= Tier.SUPERVISORS:
                chosen.append(person)
            continue
        state = standing(person, shifts, now, policy.zone)
        cap = capacity_of(person, policy)
        free = cap is None or load.get(person.id, 0) < cap
        in_first_pool = state.available and free
        in_wider_pool = tier >= Tier.WIDER and (state.on_call or state.available)
        if in_first_pool or in_wider_pool:
            chosen.append(person)
    return chosen


def is_available(session: Session, person: Person, now: datetime, policy: RoutingPolicy) -> bool:
    shifts = list(session.scalars(select(Shift).where(Shift.person_id == person.id)))
    return standing(person, shifts, now, policy.zone).available


def has_capacity(session: Session, person: Person, policy: RoutingPolicy) -> bool:
    cap = capacity_of(person, policy)
    return cap is None or active_load(session, [person.id]).get(person.id, 0) < cap
