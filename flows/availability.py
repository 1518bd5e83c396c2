"""A worker's own word on availability: /on and /off override the roster until the next
roster change; going on is offered whatever waits, going off with consultations in hand is
asked to transfer or close each one. /status reads where a person stands."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows import routing
from flows.consultations import offer_waiting_to
from flows.models import Consultation, Person
from flows.people import PersonView, override, view_of
from flows.routing import RoutingPolicy
from flows.store import Clock, Database
from flows.unit import Unit
from flows.views import ConsultationView, view_in
from flows.vocabulary import ConsultationState, NoticeKind, Presence, Role


def go_on(unit: Unit, person_id: int, policy: RoutingPolicy) -> PersonView:
    """/on: available now, said so, and offered at once every consultation still waiting."""
    person = _set(unit, person_id, Presence.ON, policy)
    offer_waiting_to(unit, person_id, policy)
    return person


def go_off(unit: Unit, person_id: int, policy: RoutingPolicy) -> PersonView:
    """/off: no new offers; each consultation still in hand must be transferred or closed."""
    person = _set(unit, person_id, Presence.OFF, policy)
    held = held_in(unit.session, person_id)
    if held:
        unit.outbox.notify(person, NoticeKind.STILL_ACTIVE, consultations=held)
    return person


def _set(unit: Unit, person_id: int, presence: Presence, policy: RoutingPolicy) -> PersonView:
    person = view_of(override(unit.session, person_id, presence, unit.now, policy))
    unit.outbox.notify(
        person,
        NoticeKind.PRESENCE_SET,
        presence=presence,
        until=person.presence_until,
        zone=policy.zone.key,
    )
    return person


def held_in(session: Session, person_id: int) -> list[ConsultationView]:
    """The active consultations this person holds, oldest first."""
    rows = session.scalars(
        select(Consultation)
        .where(
            Consultation.worker_id == person_id,
            Consultation.state == ConsultationState.ACTIVE,
        )
        .order_by(Consultation.id)
    )
    return [view_in(session, c) for c in rows]


@dataclass(frozen=True)
class Status:
    """What /status shows: the consultations in hand, the person's capacity (None for a
    supervisor, never refused for capacity) and, for a worker, whether available now."""

    active: list[ConsultationView]
    capacity: int | None
    available: bool | None


def status_of(db: Database, person_id: int, clock: Clock, policy: RoutingPolicy) -> Status:
    with db.unit_of_work() as session:
        person = session.get_one(Person, person_id)
        active = held_in(session, person_id)
        if person.role == Role.SUPERVISOR:
            return Status(active, None, None)
        available = routing.is_available(session, person, clock(), policy)
        return Status(active, routing.capacity_of(person, policy), available)
