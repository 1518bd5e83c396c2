"""Read models: detached views of a consultation and its people, what use cases return and
what notices carry to the edge. Plain values, no session attached."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from flows.models import Consultation, Person
from flows.people import PersonView, view_of
from flows.vocabulary import Category, ConsultationState, Outcome, Urgency


@dataclass(frozen=True)
class ConsultationView:
    id: int
    reference: str
    state: ConsultationState
    category: Category | None
    urgency: Urgency | None
    request_text: str
    officer: PersonView
    worker: PersonView | None
    outcome: Outcome | None
    created_at: datetime
    submitted_at: datetime | None
    accepted_at: datetime | None
    closed_at: datetime | None
    tier: int


def view_in(session: Session, c: Consultation) -> ConsultationView:
    """A detached view of a consultation, with its people."""
    officer = session.get_one(Person, c.officer_id)
    worker = session.get(Person, c.worker_id) if c.worker_id else None
    return ConsultationView(
        id=c.id,
        reference=c.reference,
        state=c.state,
        category=c.category,
        urgency=c.urgency,
        request_text=c.request_text,
        officer=view_of(officer),
        worker=view_of(worker) if worker else None,
        outcome=c.outcome,
        created_at=c.created_at,
        submitted_at=c.submitted_at,
        accepted_at=c.accepted_at,
        closed_at=c.closed_at,
        tier=c.tier,
    )
