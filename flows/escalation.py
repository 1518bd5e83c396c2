"""Escalation: when nobody accepts within the urgency's window, the consultation is offered
to a wider pool (on-call backups and workers at capacity), then to supervisors, then the
officer gets the fallback resources and the consultation stays queued, offered again to
anyone who becomes available. A consultation whose holder can no longer hold it goes back
to the queue here too. Due times live in the consultations table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from flows import cases, routing
from flows.events import record_event
from flows.models import Consultation, Offer, Person
from flows.offers import OfferTarget, announce_offers, offer_to_pool
from flows.routing import RoutingPolicy, next_wait
from flows.store import Clock, Database
from flows.unit import Unit, unit_of_work
from flows.views import ConsultationView, scene_in, view_in
from flows.vocabulary import (
    ConsultationState,
    EventKind,
    NoticeKind,
    OfferState,
    Priority,
    Tier,
)


@dataclass(frozen=True)
class Escalation:
    consultation: ConsultationView
    tier: int
    offers: list[OfferTarget]
    fallback_now: bool  # the officer is given the fallback resources this time
    next_due: datetime


def pending_timers(db: Database) -> list[tuple[int, datetime]]:
    """Every waiting consultation's next escalation time: rebuilt into timers on start."""
    with db.unit_of_work() as session:
        rows = session.execute(
            select(Consultation.id, Consultation.escalation_due_at).where(
                Consultation.state == ConsultationState.WAITING,
                Consultation.escalation_due_at.is_not(None),
            )
        )
        return [(int(cid), due) for cid, due in rows]


def escalate_due(db: Database, clock: Clock, policy: RoutingPolicy) -> list[Escalation]:
    """Move every consultation whose window has run out to its next tier. Each step is
    claimed with a conditional UPDATE, so a timer and the sweep never both take it."""
    now = clock()
    with db.unit_of_work() as session:
        due = session.execute(
            select(
                Consultation.id,
                Consultation.escalation_due_at,
                Consultation.urgency,
                Consultation.submitted_at,
                Consultation.created_at,
            ).where(
                Consultation.state == ConsultationState.WAITING,
                Consultation.escalation_due_at <= now,
            )
        ).all()
    due = sorted(due, key=lambda row: routing.queue_order(row[2], row[3] or row[4]))
    results = []
    for cid, was_due, *_ in due:
        step = _escalate_one(db, int(cid), was_due, clock, policy)
        if step is not None:
            results.append(step)
    return results


def _escalate_one(
    db: Database, cid: int, was_due: datetime, clock: Clock, policy: RoutingPolicy
) -> Escalation | None:
    """One step, one transaction: the claim, the new offers, their cards and the officer's
    line are committed together."""
    with unit_of_work(db, clock) as unit:
        return escalate_one(unit, cid, was_due, policy)


def escalate_one(
    unit: Unit, cid: int, was_due: datetime, policy: RoutingPolicy
) -> Escalation | None:
    session, now = unit.session, unit.now
    c = session.get_one(Consultation, cid)
    old_tier = c.tier
    claimed = session.execute(
        update(Consultation)
        .where(
            Consultation.id == cid,
            Consultation.state == ConsultationState.WAITING,
            Consultation.escalation_due_at == was_due,
        )
        .values(escalation_due_at=None)
        .returning(Consultation.id)
    ).first()
    if claimed is None:
        return None
    session.refresh(c)
    if old_tier == Tier.AVAILABLE and cases.end_owner_first(unit, c):
        return _after_owner(unit, c, policy)
    if old_tier >= Tier.FALLBACK:  # already had the fallback: offer again to anyone new
        offers = offer_to_pool(session, c, Tier.FALLBACK, now, policy)
    else:
        offers = advance(session, c, old_tier + 1, now, policy)
    fallback_now = c.tier >= Tier.FALLBACK and old_tier < Tier.FALLBACK
    c.escalation_due_at = now + next_wait(c, policy)
    view = view_in(session, c)
    if fallback_now or c.tier < Tier.FALLBACK:
        unit.outbox.notify(
            view.officer,
            NoticeKind.ESCALATED,
            priority=Priority.URGENT,
            consultation=view,
            near=scene_in(session, c.id),
            requeued=old_tier == Tier.DRAFT,  # its holder could no longer hold it
        )
    announce_offers(unit, view, offers, policy)
    return Escalation(view, c.tier, offers, fallback_now, c.escalation_due_at)


def _after_owner(unit: Unit, c: Consultation, policy: RoutingPolicy) -> Escalation:
    """The case owner had the first part of the window alone: the first pool now has the
    rest of it (or, with nobody in it, the wider pool at once)."""
    session, now = unit.session, unit.now
    offers = offer_to_pool(session, c, Tier.AVAILABLE, now, policy)
    if offers:
        window_end = (c.submitted_at or now) + policy.window(c.urgency)
        c.escalation_due_at = max(window_end, now)
    else:
        record_event(session, c.id, EventKind.NO_WORKER_AVAILABLE, None, now)
        offers = advance(session, c, Tier.WIDER, now, policy)
        c.escalation_due_at = now + next_wait(c, policy)
    view = view_in(session, c)
    announce_offers(unit, view, offers, policy)
    return Escalation(view, c.tier, offers, False, c.escalation_due_at)


class DeclineStatus(StrEnum):
    DECLINED = "declined"
    NOT_OPEN = "not_open"  # not offered to them, already taken, closed, or declined before


@dataclass(frozen=True)
class DeclineResult:
    status: DeclineStatus
    consultation: ConsultationView | None = None
    escalate_now: bool = False  # nobody offered it is left: due for its next tier now


def decline(
    unit: Unit,
    worker_id: int,
    consultation_id: int,
    card_message: int | None = None,
    *,
    unreachable: bool = False,
) -> DeclineResult:
    """A worker says they cannot take it (or, `unreachable`, blocked the bot: declined for
    them, offered again once they unblock it); when everyone offered has declined, the
    consultation escalates at once instead of waiting for the window to run out (the rule
    going off and being revoked follow too: _due_now_if_nobody_left)."""
    session, now = unit.session, unit.now
    changed = session.execute(
        update(Offer)
        .where(
            Offer.consultation_id == consultation_id,
            Offer.worker_id == worker_id,
            Offer.state == OfferState.OPEN,
        )
        .values(state=OfferState.DECLINED, declined_unreachable=unreachable)
        .returning(Offer.id)
    ).first()
    c = session.get(Consultation, consultation_id)
    if changed is None or c is None:
        return DeclineResult(DeclineStatus.NOT_OPEN, view_in(session, c) if c else None)
    why = {"reason": "unreachable"} if unreachable else {}
    record_event(session, c.id, EventKind.DECLINED, worker_id, now, **why)
    escalate_now = _due_now_if_nobody_left(session, [c.id], now)  # theirs is declined now
    view = view_in(session, c)
    if card_message is not None:
        unit.outbox.notify(
            session.get_one(Person, worker_id),
            NoticeKind.CARD,
            edit=card_message,
            consultation=view,
            state="declined",
        )
    return DeclineResult(DeclineStatus.DECLINED, view, escalate_now)


@dataclass(frozen=True)
class QueueEntry:
    consultation: ConsultationView
    waiting_since: datetime
    offers_open: int


def waiting_queue(db: Database) -> list[QueueEntry]:
    """Waiting consultations, most urgent first, then oldest first."""
    with db.unit_of_work() as session:
        waiting = session.scalars(
            select(Consultation).where(Consultation.state == ConsultationState.WAITING)
        ).all()
        entries = []
        for c in waiting:
            open_offers = len(
                session.scalars(
                    select(Offer.id).where(
                        Offer.consultation_id == c.id, Offer.state == OfferState.OPEN
                    )
                ).all()
            )
            entries.append(
                QueueEntry(view_in(session, c), c.submitted_at or c.created_at, open_offers)
            )
    return sorted(
        entries, key=lambda e: routing.queue_order(e.consultation.urgency, e.waiting_since)
    )


def advance(
    session: Session, c: Consultation, tier: int, now: datetime, policy: RoutingPolicy
) -> list[OfferTarget]:
    """Move to this tier, or past it at once while a tier brings nobody new: an empty pool
    never makes the officer wait a whole window. Each tier reached is an event; reaching the
    last one means the officer is given the fallback."""
    while True:
        c.tier = tier
        offers = offer_to_pool(session, c, tier, now, policy)
        if tier >= Tier.FALLBACK:
            record_event(session, c.id, EventKind.FALLBACK_GIVEN, None, now, offers=len(offers))
            return offers
        record_event(session, c.id, EventKind.ESCALATED, None, now, tier=tier, offers=len(offers))
        if offers:
            return offers
        tier += 1


def requeue_held(session: Session, person_id: int, now: datetime, reason: str) -> list[int]:
    """Someone who can no longer hold consultations (revoked): each active one goes back to
    the queue, due for escalation at once, so the bot offers it again on its next pass and
    tells the officer. Their open offers are withdrawn. Nothing is left orphaned."""
    held = session.scalars(
        select(Consultation).where(
            Consultation.worker_id == person_id, Consultation.state == ConsultationState.ACTIVE
        )
    ).all()
    for c in held:
        c.state, c.worker_id, c.tier, c.escalation_due_at = (
            ConsultationState.WAITING,
            None,
            Tier.DRAFT,
            now,
        )
        for o in session.scalars(select(Offer).where(Offer.consultation_id == c.id)):
            o.state = OfferState.WITHDRAWN
        record_event(
            session, c.id, EventKind.REQUEUED, None, now, previous=person_id, reason=reason
        )
    offered = offered_to(session, person_id)
    session.execute(
        update(Offer)
        .where(Offer.worker_id == person_id, Offer.state == OfferState.OPEN)
        .values(state=OfferState.WITHDRAWN)
    )
    _due_now_if_nobody_left(session, offered, now)
    return [c.id for c in held]


def hurry_offers_to(session: Session, person_id: int, now: datetime) -> bool:
    """Someone offered requests will not answer them (gone off duty): each request whose
    only open offers are theirs escalates now instead of at the end of its window. Their
    offers stay open: a card they still press is a deliberate accept. True if any will."""
    return _due_now_if_nobody_left(session, offered_to(session, person_id), now, besides=person_id)


def offered_to(session: Session, person_id: int) -> list[int]:
    """The consultations with an offer to this person still open."""
    return list(
        session.scalars(
            select(Offer.consultation_id).where(
                Offer.worker_id == person_id, Offer.state == OfferState.OPEN
            )
        )
    )


def _due_now_if_nobody_left(
    session: Session, consultation_ids: list[int], now: datetime, besides: int | None = None
) -> bool:
    """Of these waiting requests, those with no open offer left (but `besides`'s) are due
    for escalation now (before the fallback: after it, the re-offer timer stays); True if
    any is. The one rule for a decline, going off and a revocation."""
    hurried = False
    for cid in consultation_ids:
        c = session.get(Consultation, cid)
        if c is None or c.state != ConsultationState.WAITING or c.tier >= Tier.FALLBACK:
            continue
        others = select(Offer.id).where(
            Offer.consultation_id == cid, Offer.state == OfferState.OPEN
        )
        if besides is not None:
            others = others.where(Offer.worker_id != besides)
        if session.scalar(others.limit(1)) is None:
            c.escalation_due_at = now
            hurried = True
    return hurried
