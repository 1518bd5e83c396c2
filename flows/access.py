"""Who may read what, decided here and nowhere else: officers read their own consultations,
workers those they handle, handled or were offered, supervisors everything; a revoked person
nothing. Every read use case of a consultation, its timeline or its assessments asks this
module first, so a refusal does not depend on a handler remembering to check."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.models import Consultation, Event, Offer, Person
from flows.unit import Unit
from flows.views import ConsultationView, view_in
from flows.vocabulary import EventKind, Role

# Events that made someone the holder of a consultation (the new holder is the actor, or "to").
_HOLDING = (EventKind.ACCEPTED, EventKind.TRANSFERRED, EventKind.TAKEN_OVER, EventKind.REASSIGNED)


class Refused(Exception):
    """This person may not read this consultation (or it does not exist: the same answer,
    so that nobody learns which references exist)."""


def may_read(session: Session, person: Person, c: Consultation) -> bool:
    """The one rule of visibility for a consultation and everything recorded in it."""
    if person.revoked_at is not None:
        return False
    if person.role == Role.SUPERVISOR:
        return True
    if person.role == Role.OFFICER:
        return c.officer_id == person.id
    if c.worker_id == person.id:
        return True
    offered = session.scalar(
        select(Offer.id).where(Offer.consultation_id == c.id, Offer.worker_id == person.id)
    )
    return offered is not None or _ever_held(session, person.id, c.id)


def _ever_held(session: Session, person_id: int, consultation_id: int) -> bool:
    """A worker who held it before a transfer or a reassignment still may read it."""
    for actor, data in session.execute(
        select(Event.actor_id, Event.data).where(
            Event.consultation_id == consultation_id, Event.kind.in_(_HOLDING)
        )
    ):
        data = data or {}
        if person_id in (actor, data.get("to"), data.get("previous")):
            return True
    return False


def consultation(unit: Unit, reader_id: int, consultation_id: int) -> ConsultationView:
    """A consultation for one reader, or Refused."""
    _reader, c = readable(unit.session, reader_id, consultation_id)
    return view_in(unit.session, c)


def readable(session: Session, reader_id: int, consultation_id: int) -> tuple[Person, Consultation]:
    """The reader and the consultation, or Refused."""
    person = session.get(Person, reader_id)
    c = session.get(Consultation, consultation_id)
    if person is None or c is None or not may_read(session, person, c):
        raise Refused(consultation_id)
    return person, c
