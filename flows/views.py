"""Read models: detached views of a consultation and its people (what use cases return and
notices carry to the edge; plain values, no session attached), references, the open and
active consultations of a person, the scene (the location the officer shared in one)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.models import Consultation, Event, Person, reference_of
from flows.people import PersonView, view_of
from flows.store import Database
from flows.vocabulary import (
    Category,
    ConsultationState,
    EventKind,
    Outcome,
    Priority,
    Urgency,
)


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


# A consultation's view read as plain columns, for the statement every relayed line runs.
CONSULTATION_COLUMNS = (
    Consultation.id,
    Consultation.state,
    Consultation.category,
    Consultation.urgency,
    Consultation.request_text,
    Consultation.outcome,
    Consultation.created_at,
    Consultation.submitted_at,
    Consultation.accepted_at,
    Consultation.closed_at,
    Consultation.tier,
)


def view_of_row(
    row: Sequence[Any], officer: PersonView, worker: PersonView | None
) -> ConsultationView:
    """The view from CONSULTATION_COLUMNS' values, in that order, with its people."""
    cid, state, category, urgency, text, outcome, created, submitted, accepted, closed, tier = row
    return ConsultationView(
        id=cid,
        reference=reference_of(cid),
        state=state,
        category=category,
        urgency=urgency,
        request_text=text,
        officer=officer,
        worker=worker,
        outcome=outcome,
        created_at=created,
        submitted_at=submitted,
        accepted_at=accepted,
        closed_at=closed,
        tier=tier,
    )


def view_in(session: Session, c: Consultation, *known: PersonView) -> ConsultationView:
    """A detached view of a consultation, with its people (those `known` already are not
    looked up again)."""
    views = {p.id: p for p in known}
    officer = views.get(c.officer_id) or view_of(session.get_one(Person, c.officer_id))
    worker = None
    if c.worker_id is not None:
        worker = views.get(c.worker_id)
        if worker is None:
            found = session.get(Person, c.worker_id)
            worker = view_of(found) if found is not None else None
    return ConsultationView(
        id=c.id,
        reference=c.reference,
        state=c.state,
        category=c.category,
        urgency=c.urgency,
        request_text=c.request_text,
        officer=officer,
        worker=worker,
        outcome=c.outcome,
        created_at=c.created_at,
        submitted_at=c.submitted_at,
        accepted_at=c.accepted_at,
        closed_at=c.closed_at,
        tier=c.tier,
    )


OPEN_STATES = (ConsultationState.DRAFT, ConsultationState.WAITING, ConsultationState.ACTIVE)


def parse_reference(text: str) -> int | None:
    """'C-0042', 'c42' or '42' to 42; None when it is not a reference."""
    cleaned = text.strip().upper().removeprefix("C").lstrip("-").strip()
    return int(cleaned) if cleaned.isdigit() and 0 < len(cleaned) <= 9 else None


def open_consultation_of_officer(db: Database, officer_id: int) -> ConsultationView | None:
    """The officer's consultation that is not closed yet (an officer has at most one)."""
    with db.unit_of_work() as session:
        c = session.scalar(
            select(Consultation)
            .where(Consultation.officer_id == officer_id, Consultation.state.in_(OPEN_STATES))
            .order_by(Consultation.id.desc())
        )
        return view_in(session, c) if c else None


def scene_in(session: Session, consultation_id: int) -> list[float] | None:
    """The latest location the officer shared in this consultation, as [lat, lon]."""
    officer_id = select(Consultation.officer_id).where(Consultation.id == consultation_id)
    for e in session.scalars(
        select(Event)
        .where(
            Event.consultation_id == consultation_id,
            Event.kind.in_((EventKind.MESSAGE_QUEUED, EventKind.MESSAGE_RELAYED)),
            Event.actor_id == officer_id.scalar_subquery(),
        )
        .order_by(Event.id.desc())
    ):
        if "latitude" in e.data and "longitude" in e.data:
            return [float(e.data["latitude"]), float(e.data["longitude"])]
    return None


AREA_DECIMALS = 2  # about 1 km: where to head, not the address


def area_of(point: list[float] | None) -> list[float] | None:
    """The scene's area for people who may take the case but do not hold it: the point
    rounded to about a kilometre (the holder gets the exact point)."""
    if point is None:
        return None
    return [round(point[0], AREA_DECIMALS), round(point[1], AREA_DECIMALS)]


def shared_location(db: Database, consultation_id: int) -> tuple[float, float] | None:
    """The latest location the officer shared in this consultation (queued or relayed):
    where the scene is, for the resources nearest to it. None when none was shared."""
    with db.unit_of_work() as session:
        point = scene_in(session, consultation_id)
        return (point[0], point[1]) if point else None


def get_view(db: Database, consultation_id: int) -> ConsultationView | None:
    with db.unit_of_work() as session:
        c = session.get(Consultation, consultation_id)
        return view_in(session, c) if c else None


def active_of_worker(db: Database, worker_id: int) -> list[ConsultationView]:
    with db.unit_of_work() as session:
        return held_in(session, worker_id)


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


def list_consultations(db: Database, limit: int = 50) -> list[ConsultationView]:
    with db.unit_of_work() as session:
        rows = session.scalars(select(Consultation).order_by(Consultation.id.desc()).limit(limit))
        return [view_in(session, c) for c in rows]


CARD_PREVIEW = 3000  # the officer's words an offer card shows; the holder gets the rest after it


def request_rest(c: ConsultationView) -> str:
    """The officer's words past the card's preview ('' when all fit on the card)."""
    return c.request_text[CARD_PREVIEW:]


def priority_of(c: ConsultationView) -> Priority:
    """The priority of a consultation's notices: an immediate danger (or a request whose
    urgency is not chosen yet) leaves first."""
    return Priority.URGENT if c.urgency in (Urgency.IMMEDIATE, None) else Priority.NORMAL
