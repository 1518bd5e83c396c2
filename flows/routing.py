"""Who can take a consultation now: capacity, and the widening pools of escalation (available
workers, then on-call backups and workers at capacity, then supervisors), from where the
roster and the /on and /off override put each person (flows/roster.py); how long each tier
waits (the urgency's window), and the per-person lock capacity decisions take."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flows.models import Consultation, Person, Shift
from flows.roster import Standing, standing
from flows.store import Database
from flows.subject_policy import SubjectPolicy
from flows.vocabulary import (
    ConsultationState,
    Role,
    Tier,
    Urgency,
)

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
    subjects: SubjectPolicy = field(default_factory=SubjectPolicy)  # people seen before

    def window(self, urgency: Urgency | None) -> timedelta:
        return self.windows[urgency or Urgency.ADVICE]


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
        .where(Person.unreachable_since.is_(None))  # blocked the bot: an offer cannot reach them
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
        load = active_load(session, [p.id for p in everyone])
        return {
            p.id: Availability(
                standing(p, shifts, now, policy.zone),
                any(s.person_id == p.id and not s.on_call for s in shifts),
                load.get(p.id, 0),
                capacity_of(p, policy),
            )
            for p in everyone
        }


def next_wait(c: Consultation, policy: RoutingPolicy) -> timedelta:
    """How long this tier has to answer: the urgency's window, or the re-offer period once
    the officer has had the fallback."""
    return policy.requeue_every if c.tier >= Tier.FALLBACK else policy.window(c.urgency)


def lock_person(session: Session, person_id: int) -> Person:
    """Serialise capacity decisions per person on PostgreSQL (SQLite transactions are
    already serial: they begin IMMEDIATE)."""
    return session.scalars(select(Person).where(Person.id == person_id).with_for_update()).one()
