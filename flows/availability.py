"""Availability as people say it: a worker's /on and /off override the roster until its next
change (going on is offered whatever waits, going off with consultations in hand is asked to
transfer or close each one), /status reads where a person stands, and a supervisor's /shifts
changes the roster. The use cases live here, not in flows/roster.py, because the outbox
needs flows/people.py, which needs the roster's arithmetic."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from flows import roster, routing
from flows.escalation import hurry_offers_to
from flows.models import Person
from flows.offers import offer_waiting_to
from flows.people import PersonView, override, view_of
from flows.roster import RosterError, ShiftView
from flows.routing import RoutingPolicy
from flows.store import Clock, Database
from flows.unit import Unit
from flows.views import ConsultationView, held_in
from flows.vocabulary import NoticeKind, Presence, Role


def go_on(unit: Unit, person_id: int, policy: RoutingPolicy) -> PersonView:
    """/on: available now, said so, and offered at once every consultation still waiting."""
    person = _set(unit, person_id, Presence.ON, policy)
    offer_waiting_to(unit, person_id, policy)
    return person


@dataclass(frozen=True)
class GoneOff:
    person: PersonView
    escalate_now: bool  # a request offered to them alone moves on now


def go_off(unit: Unit, person_id: int, policy: RoutingPolicy) -> GoneOff:
    """/off: no new offers; a request offered to them alone escalates now (they will not
    answer it); each consultation still in hand must be transferred or closed."""
    person = _set(unit, person_id, Presence.OFF, policy)
    escalate_now = hurry_offers_to(unit.session, person_id, unit.now)
    held = held_in(unit.session, person_id)
    if held:
        unit.outbox.notify(person, NoticeKind.STILL_ACTIVE, consultations=held)
    return GoneOff(person, escalate_now)


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


# --- the roster, changed by a supervisor ---------------------------------------------------


def add_shifts(
    unit: Unit,
    supervisor_id: int,
    person_id: int,
    days: str,
    span: str,
    on_call_word: str | None = None,
) -> list[ShiftView]:
    """/shifts add: the slots added and listed back (one the person already has is not added
    twice; one overlapping another of theirs is added, and the other named), or what to fix
    (nothing added)."""
    supervisor = _person(unit, supervisor_id)
    try:
        on_call = roster.parse_on_call(on_call_word)
        change = roster.add_checked_in(unit.session, person_id, days, span, on_call, unit.now)
    except RosterError as exc:
        unit.outbox.say(supervisor, f"roster.invalid.{exc.code}", **exc.params)
        return []
    overlapped = {old.id: old for _new, old in change.overlaps}
    unit.outbox.notify(
        supervisor,
        NoticeKind.ROSTER,
        shifts=[asdict(s) for s in change.added],
        already=[asdict(s) for s in change.already],
        overlaps=[asdict(s) for s in overlapped.values()],
    )
    return change.added


def remove_shift(unit: Unit, supervisor_id: int, shift_id: int) -> bool:
    """/shifts remove: the slot gone, or the word that there is no such slot."""
    removed = roster.remove_in(unit.session, shift_id)
    key = "roster.removed" if removed else "roster.no_such_shift"
    unit.outbox.say(_person(unit, supervisor_id), key, id=shift_id)
    return removed


def _person(unit: Unit, person_id: int) -> PersonView:
    return view_of(unit.session.get_one(Person, person_id))
