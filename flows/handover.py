"""Handing a consultation to someone else: a worker's transfer (with a note), a supervisor's
take-over or reassignment. Each is one conditional UPDATE, so no interleaving can assign a
consultation twice or lose it, and the new holder's capacity is checked under a lock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from flows import routing
from flows.consultations import (
    CardToEdit,
    HistoryItem,
    QueuedMessage,
    history_in,
    lock_person,
    queued_messages,
    record_event,
    settle_offers,
)
from flows.models import Consultation, Event, Person
from flows.people import PersonView, view_of
from flows.routing import RoutingPolicy
from flows.store import Clock, Database
from flows.views import ConsultationView, view_in
from flows.vocabulary import ConsultationState, EventKind, Role, Tier


class HandoverStatus(StrEnum):
    DONE = "done"
    NOT_YOURS = "not_yours"  # not the holder, not a supervisor, or no such consultation
    NOT_OPEN = "not_open"  # closed (or still a draft)
    TARGET_UNAVAILABLE = "target_unavailable"  # revoked, not a worker, off, or at capacity
    CHANGED = "changed"  # someone else moved it first


@dataclass(frozen=True)
class HandoverResult:
    status: HandoverStatus
    consultation: ConsultationView | None = None
    previous: PersonView | None = None
    note: str | None = None
    withdrawn_cards: list[CardToEdit] = field(default_factory=list)
    queued_messages: list[QueuedMessage] = field(default_factory=list)  # sent while waiting
    history: list[HistoryItem] = field(default_factory=list)  # the conversation so far


@dataclass(frozen=True)
class TransferChoice:
    consultation: ConsultationView
    candidates: list[PersonView]


def transfer_candidates(
    db: Database,
    holder_id: int,
    consultation_id: int,
    note: str,
    clock: Clock,
    policy: RoutingPolicy,
) -> TransferChoice | None:
    """Who could take it (available, with capacity, not the holder); records the note the
    holder gave, so it survives until they pick someone."""
    now = clock()
    with db.unit_of_work() as session:
        c = session.get(Consultation, consultation_id)
        if c is None or c.worker_id != holder_id or c.state != ConsultationState.ACTIVE:
            return None
        if note.strip():
            record_event(
                session,
                c.id,
                EventKind.TRANSFER_REQUESTED,
                holder_id,
                now,
                note=note.strip()[:1000],
            )
        return TransferChoice(view_in(session, c), _takers(session, now, policy, holder_id))


def reassign_candidates(
    db: Database, consultation_id: int, clock: Clock, policy: RoutingPolicy
) -> TransferChoice | None:
    """The workers a supervisor may give this open consultation to: the same rule as a
    transfer (available, with free capacity), never its current holder."""
    with db.unit_of_work() as session:
        c = session.get(Consultation, consultation_id)
        if c is None:
            return None
        takers = _takers(session, clock(), policy, c.worker_id)
        return TransferChoice(view_in(session, c), takers)


def _takers(
    session: Session, now: datetime, policy: RoutingPolicy, holder_id: int | None
) -> list[PersonView]:
    """Workers who could take a consultation now: the first pool of routing (available,
    with capacity), which is what `_can_take` checks again under a lock."""
    people = routing.pool(session, Tier.AVAILABLE, now, policy)
    return [view_of(p) for p in people if p.id != holder_id and p.role == Role.WORKER]


def transfer(
    db: Database,
    holder_id: int,
    consultation_id: int,
    target_id: int,
    clock: Clock,
    policy: RoutingPolicy,
) -> HandoverResult:
    """The holder hands an active consultation to an available worker with capacity."""
    now = clock()
    with db.unit_of_work() as session:
        c = session.get(Consultation, consultation_id)
        if c is None or c.worker_id != holder_id:
            return HandoverResult(HandoverStatus.NOT_YOURS)
        if c.state != ConsultationState.ACTIVE:
            return HandoverResult(HandoverStatus.NOT_OPEN, view_in(session, c))
        target = lock_person(session, target_id)
        if not _can_take(session, target, now, policy) or target.id == holder_id:
            return HandoverResult(HandoverStatus.TARGET_UNAVAILABLE, view_in(session, c))
        moved = session.execute(
            update(Consultation)
            .where(
                Consultation.id == c.id,
                Consultation.worker_id == holder_id,
                Consultation.state == ConsultationState.ACTIVE,
            )
            .values(worker_id=target.id)
            .returning(Consultation.id)
        ).first()
        if moved is None:
            return HandoverResult(HandoverStatus.CHANGED)
        session.refresh(c)
        note = _latest_note(session, c.id, holder_id)
        record_event(session, c.id, EventKind.TRANSFERRED, holder_id, now, to=target.id, note=note)
        previous = view_of(session.get_one(Person, holder_id))
        return HandoverResult(
            HandoverStatus.DONE,
            view_in(session, c),
            previous,
            note,
            history=history_in(session, c.id),
        )


def take_over(
    db: Database, supervisor_id: int, consultation_id: int, clock: Clock
) -> HandoverResult:
    """A supervisor takes a waiting or active consultation themselves."""
    return _assign(
        db, supervisor_id, consultation_id, supervisor_id, clock, None, EventKind.TAKEN_OVER
    )


def reassign(
    db: Database,
    supervisor_id: int,
    consultation_id: int,
    target_id: int,
    clock: Clock,
    policy: RoutingPolicy,
) -> HandoverResult:
    """A supervisor gives a waiting or active consultation to a worker who can take it."""
    return _assign(
        db, supervisor_id, consultation_id, target_id, clock, policy, EventKind.REASSIGNED
    )


def _assign(
    db: Database,
    supervisor_id: int,
    consultation_id: int,
    target_id: int,
    clock: Clock,
    policy: RoutingPolicy | None,
    kind: EventKind,
) -> HandoverResult:
    now = clock()
    with db.unit_of_work() as session:
        supervisor = session.get(Person, supervisor_id)
        c = session.get(Consultation, consultation_id)
        if supervisor is None or supervisor.role != Role.SUPERVISOR or c is None:
            return HandoverResult(HandoverStatus.NOT_YOURS)
        if c.state not in (ConsultationState.WAITING, ConsultationState.ACTIVE):
            return HandoverResult(HandoverStatus.NOT_OPEN, view_in(session, c))
        target = lock_person(session, target_id)
        if policy is not None and not _can_take(session, target, now, policy):
            return HandoverResult(HandoverStatus.TARGET_UNAVAILABLE, view_in(session, c))
        was_state, was_worker = c.state, c.worker_id
        moved = session.execute(
            update(Consultation)
            .where(
                Consultation.id == c.id,
                Consultation.state == was_state,
                Consultation.worker_id.is_(None)
                if was_worker is None
                else Consultation.worker_id == was_worker,
            )
            .values(
                worker_id=target.id,
                state=ConsultationState.ACTIVE,
                accepted_at=c.accepted_at or now,
                escalation_due_at=None,
            )
            .returning(Consultation.id)
        ).first()
        if moved is None:
            return HandoverResult(HandoverStatus.CHANGED)
        session.refresh(c)
        record_event(session, c.id, kind, supervisor_id, now, to=target.id, previous=was_worker)
        was_waiting = was_state == ConsultationState.WAITING
        cards = settle_offers(session, c.id, target.id) if was_waiting else []
        queued = queued_messages(session, c.id) if was_waiting else []
        previous = view_of(session.get_one(Person, was_worker)) if was_worker else None
        history = history_in(session, c.id)
        return HandoverResult(
            HandoverStatus.DONE, view_in(session, c), previous, None, cards, queued, history
        )


def _can_take(session: Session, target: Person, now: datetime, policy: RoutingPolicy) -> bool:
    if target.revoked_at is not None or target.role != Role.WORKER:
        return False
    return routing.is_available(session, target, now, policy) and routing.has_capacity(
        session, target, policy
    )


def _latest_note(session: Session, consultation_id: int, holder_id: int) -> str | None:
    event = session.scalar(
        select(Event)
        .where(
            Event.consultation_id == consultation_id,
            Event.kind == EventKind.TRANSFER_REQUESTED,
            Event.actor_id == holder_id,
        )
        .order_by(Event.id.desc())
        .limit(1)
    )
    return str(event.data.get("note")) if event is not None else None
