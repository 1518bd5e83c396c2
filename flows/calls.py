"""Call me / I'm calling you: once a worker has a consultation, either side can send the
other its own phone number to be called back, or say it is calling now (and get the other's
number to dial). Typing beside a person in crisis is slow; a worker often coaches best by
voice. Each request and each answer is an event of the consultation."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select

from flows.events import record_event
from flows.models import Consultation, Event, Person
from flows.people import PersonView, view_of
from flows.phones import number_of, shown
from flows.unit import Unit
from flows.views import ConsultationView, held_in, view_in
from flows.vocabulary import ConsultationState, EventKind, NoticeKind, Priority, Role


class CallStatus(StrEnum):
    REQUESTED = "requested"  # the other side got the number
    CALLING = "calling"  # the other side was told a call is coming
    NO_NUMBER = "no_number"  # the number needed is not in Relais: how to add one was said
    NOT_ACTIVE = "not_active"  # no consultation with someone on the other side
    CLOSED = "closed"  # the consultation named (a button, a reply, a reference) is over
    WHICH = "which"  # a holder with several: reply to one of its messages


@dataclass(frozen=True)
class CallResult:
    status: CallStatus
    consultation: ConsultationView | None = None


def call_me(unit: Unit, person_id: int, consultation_id: int | None) -> CallResult:
    """Send my number to the other side of the consultation, asking to be called."""
    me = unit.session.get_one(Person, person_id)
    found = _consultation(unit, me, consultation_id)
    if isinstance(found, CallResult):
        return found
    c, other = found
    number = number_of(unit.session, me.id)
    if number is None:
        unit.outbox.say(me, "call.no_number_mine", ref=c.reference)
        return CallResult(CallStatus.NO_NUMBER, c)
    record_event(unit.session, c.id, EventKind.CALL_REQUESTED, me.id, unit.now)
    unit.outbox.notify(
        other, NoticeKind.CALL_REQUEST, priority=Priority.URGENT, consultation_id=c.id,
        consultation=c, requester=view_of(me), number=shown(number),
    )  # fmt: skip
    unit.outbox.say(
        me, "call.requested", priority=Priority.URGENT, ref=c.reference,
        other=other.display_name, number=shown(number),
    )  # fmt: skip
    return CallResult(CallStatus.REQUESTED, c)


def calling_now(unit: Unit, person_id: int, consultation_id: int | None) -> CallResult:
    """I am calling the other side now: they are told, and I get their number to dial. An
    answer to their "Call me" when they asked in this consultation."""
    me = unit.session.get_one(Person, person_id)
    found = _consultation(unit, me, consultation_id)
    if isinstance(found, CallResult):
        return found
    c, other = found
    number = number_of(unit.session, other.id)
    if number is None:
        unit.outbox.say(me, "call.no_number_theirs", ref=c.reference, other=other.display_name)
        return CallResult(CallStatus.NO_NUMBER, c)
    asked = _asked_by(unit, c.id, other.id)
    record_event(unit.session, c.id, EventKind.CALLING, me.id, unit.now, answering=asked)
    unit.outbox.say(
        other, "call.incoming", priority=Priority.URGENT, consultation_id=c.id,
        ref=c.reference, caller=me.display_name,
    )  # fmt: skip
    unit.outbox.say(
        me, "call.dial", priority=Priority.URGENT, ref=c.reference, other=other.display_name,
        number=shown(number),
    )  # fmt: skip
    return CallResult(CallStatus.CALLING, c)


def _consultation(
    unit: Unit, me: Person, consultation_id: int | None
) -> tuple[ConsultationView, PersonView] | CallResult:
    """The active consultation this call is about and the person on its other side; or why
    there is none (said to the person)."""
    c = _chosen(unit, me, consultation_id)
    if isinstance(c, CallResult):
        return c
    if c is not None and c.state == ConsultationState.CLOSED and _took_part(me, c):
        unit.outbox.say(me, "call.closed", ref=c.reference)  # not "once a worker has it"
        return CallResult(CallStatus.CLOSED, c)
    if c is None or c.state != ConsultationState.ACTIVE or c.worker is None:
        unit.outbox.say(me, "call.not_active")
        return CallResult(CallStatus.NOT_ACTIVE)
    if me.id == c.officer.id:
        return c, c.worker
    if me.id == c.worker.id:
        return c, c.officer
    unit.outbox.say(me, "call.not_active")
    return CallResult(CallStatus.NOT_ACTIVE)


def _took_part(me: Person, c: ConsultationView) -> bool:
    """Its officer or its last holder: only they are told the case's reference and state."""
    return me.id == c.officer.id or (c.worker is not None and me.id == c.worker.id)


def _chosen(
    unit: Unit, me: Person, consultation_id: int | None
) -> ConsultationView | CallResult | None:
    if consultation_id is not None:
        row = unit.session.get(Consultation, consultation_id)
        return view_in(unit.session, row) if row is not None else None
    if me.role == Role.OFFICER:
        row = unit.session.scalar(
            select(Consultation)
            .where(
                Consultation.officer_id == me.id,
                Consultation.state == ConsultationState.ACTIVE,
            )
            .order_by(Consultation.id.desc())
        )
        return view_in(unit.session, row) if row is not None else None
    held = held_in(unit.session, me.id)
    if len(held) > 1:
        unit.outbox.say(me, "call.which", refs=", ".join(c.reference for c in held))
        return CallResult(CallStatus.WHICH)
    return held[0] if held else None


def _asked_by(unit: Unit, consultation_id: int, person_id: int) -> bool:
    """The other side asked to be called in this consultation."""
    found = unit.session.scalar(
        select(Event.id)
        .where(
            Event.consultation_id == consultation_id,
            Event.kind == EventKind.CALL_REQUESTED,
            Event.actor_id == person_id,
        )
        .limit(1)
    )
    return found is not None
