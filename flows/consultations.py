"""The lifecycle of a consultation, one use case per step: the draft's category, the request
submitted (offers made, the officer told), the atomic accept (the new holder briefed, the
other cards settled), the close and the outcome. Every step appends an event and records its
notices in the same transaction; results are plain data the edge renders, never text."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from flows import cases, followups, routing
from flows.escalation import advance
from flows.events import record_event
from flows.incidents import scene_cleared
from flows.models import Consultation, Offer, Person, reference_of
from flows.offers import (
    CardToEdit,
    OfferTarget,
    announce_offers,
    cards_taken,
    offer_to_pool,
    offer_waiting_to,
    rewrite_cards,
    settle_offers,
)
from flows.people import PersonView, view_of
from flows.relaying import HistoryItem, QueuedMessage, brief, history_in, queued_messages
from flows.routing import RoutingPolicy, lock_person, next_wait
from flows.unit import Unit
from flows.views import OPEN_STATES, ConsultationView, scene_in, view_in
from flows.vocabulary import (
    Category,
    ConsultationState,
    EventKind,
    NoticeKind,
    OfferState,
    Outcome,
    Priority,
    Role,
    Tier,
    Urgency,
)

# --- opening -------------------------------------------------------------------------------


class DraftStatus(StrEnum):
    OK = "ok"
    NOT_YOURS = "not_yours"  # unknown id, someone else's, or forged
    NO_LONGER_DRAFT = "no_longer_draft"


@dataclass(frozen=True)
class DraftResult:
    status: DraftStatus
    consultation: ConsultationView | None = None


def set_category(
    unit: Unit,
    officer_id: int,
    consultation_id: int,
    category: Category,
    prompt_message: int | None = None,
) -> DraftResult:
    """First tap: the category; the question's message becomes the urgency question."""
    session = unit.session
    c = session.get(Consultation, consultation_id)
    if c is None or c.officer_id != officer_id:
        return DraftResult(DraftStatus.NOT_YOURS)
    if c.state != ConsultationState.DRAFT:
        return DraftResult(DraftStatus.NO_LONGER_DRAFT, view_in(session, c))
    c.category = category
    record_event(
        session, c.id, EventKind.CATEGORY_SET, officer_id, unit.now, category=category.value
    )
    view = view_in(session, c)
    unit.outbox.notify(
        session.get_one(Person, officer_id),
        NoticeKind.PROMPT,
        priority=Priority.URGENT,
        edit=prompt_message,
        consultation=view,
    )
    return DraftResult(DraftStatus.OK, view)


@dataclass(frozen=True)
class SubmitResult:
    status: DraftStatus
    consultation: ConsultationView | None = None
    offers: list[OfferTarget] = field(default_factory=list)
    next_due: datetime | None = None  # when the escalation timer fires
    available_now: int = 0  # social workers on shift who can take it now (the first pool)


def submit(
    unit: Unit,
    officer_id: int,
    consultation_id: int,
    urgency: Urgency,
    policy: RoutingPolicy,
    prompt_message: int | None = None,
) -> SubmitResult:
    """Send the request out: everyone in the first pool gets an offer card, the escalation
    timer starts, the officer hears what happens next, then gets three resources open now.
    With nobody available the request still waits in the queue, escalated at once."""
    session, now = unit.session, unit.now
    c = session.get(Consultation, consultation_id)
    if c is None or c.officer_id != officer_id:
        return SubmitResult(DraftStatus.NOT_YOURS)
    if c.state != ConsultationState.DRAFT:
        return SubmitResult(DraftStatus.NO_LONGER_DRAFT, view_in(session, c))
    c.urgency = urgency
    c.category = c.category or Category.OTHER
    c.state = ConsultationState.WAITING
    c.submitted_at = now
    c.tier = Tier.AVAILABLE
    record_event(
        session,
        c.id,
        EventKind.SUBMITTED,
        officer_id,
        now,
        category=c.category.value,
        urgency=urgency.value,
    )
    offers = cases.offer_owner_first(unit, c, policy)  # the case owner first, if available
    owner_first = bool(offers)
    if not owner_first:
        offers = offer_to_pool(session, c, Tier.AVAILABLE, now, policy)
    available_now = len(offers)
    if not offers:
        record_event(session, c.id, EventKind.NO_WORKER_AVAILABLE, None, now)
        offers = advance(session, c, Tier.WIDER, now, policy)
    if not owner_first:
        c.escalation_due_at = now + next_wait(c, policy)
    view = view_in(session, c)
    officer = session.get_one(Person, officer_id)
    near = scene_in(session, c.id)
    unit.outbox.notify(
        officer,
        NoticeKind.SUBMITTED,
        priority=Priority.URGENT,
        edit=prompt_message,
        consultation=view,
        available_now=available_now,
        near=near,
        **_subject_step(unit, c, owner_first, prompt_message),
    )
    announce_offers(unit, view, offers, policy)
    unit.outbox.notify(officer, NoticeKind.TOP_THREE, consultation=view, near=near)
    return SubmitResult(DraftStatus.OK, view, offers, c.escalation_due_at, available_now)


def _subject_step(
    unit: Unit, c: Consultation, owner_first: bool, summary: int | None
) -> dict[str, bool]:
    """The officer's summary (the prompt's message, when there is one) asks for the
    optional subject key when none was given (the request is already out: the key updates
    the case as it comes) and says when the worker who knows the person has it first."""
    if cases.subjects.link_of(unit.session, c.id) is not None:
        return {"owner_first": True} if owner_first else {}
    cases.ask_key(unit, c.officer_id, c.id, summary)
    return {"ask_key": True}


# --- accepting -----------------------------------------------------------------------------


class AcceptStatus(StrEnum):
    ACCEPTED = "accepted"
    ALREADY_YOURS = "already_yours"
    TAKEN = "taken"
    CLOSED = "closed"
    AT_CAPACITY = "at_capacity"
    NOT_OFFERED = "not_offered"  # forged, stale from another world, or not a worker's offer


@dataclass(frozen=True)
class AcceptResult:
    status: AcceptStatus
    consultation: ConsultationView | None = None
    other_cards: list[CardToEdit] = field(default_factory=list)
    queued_messages: list[QueuedMessage] = field(default_factory=list)
    history: list[HistoryItem] = field(default_factory=list)  # relayed before a requeue


def accept(
    unit: Unit,
    worker_id: int,
    consultation_id: int,
    policy: RoutingPolicy,
    card_message: int | None = None,
) -> AcceptResult:
    """First accept wins: the claim is a single conditional UPDATE ... RETURNING, atomic on
    SQLite and PostgreSQL alike, with no read-then-write window. A worker at capacity is
    refused (close or transfer one first)."""
    session, now = unit.session, unit.now
    offer = session.scalar(
        select(Offer).where(Offer.consultation_id == consultation_id, Offer.worker_id == worker_id)
    )
    if offer is None:
        return AcceptResult(AcceptStatus.NOT_OFFERED)
    person = lock_person(session, worker_id)
    if person.revoked_at is not None:
        return AcceptResult(AcceptStatus.NOT_OFFERED)
    if offer.state == OfferState.WITHDRAWN:  # back in the queue, not offered to them again
        c = session.get_one(Consultation, consultation_id)
        if c.state == ConsultationState.WAITING:
            return AcceptResult(AcceptStatus.NOT_OFFERED)
    if not routing.has_capacity(session, person, policy):
        c = session.get_one(Consultation, consultation_id)
        if c.state == ConsultationState.WAITING:
            record_event(session, c.id, EventKind.ACCEPT_REFUSED, worker_id, now, reason="capacity")
            return AcceptResult(AcceptStatus.AT_CAPACITY, view_in(session, c))
    claimed = session.execute(
        update(Consultation)
        .where(
            Consultation.id == consultation_id,
            Consultation.state == ConsultationState.WAITING,
        )
        .values(
            worker_id=worker_id,
            state=ConsultationState.ACTIVE,
            accepted_at=now,
            escalation_due_at=None,
        )
        .returning(Consultation.id)
    ).first()
    c = session.get_one(Consultation, consultation_id)
    session.refresh(c)
    if claimed is None:
        if c.state == ConsultationState.CLOSED:
            status = AcceptStatus.CLOSED
        elif c.worker_id == worker_id:
            status = AcceptStatus.ALREADY_YOURS
        else:
            status = AcceptStatus.TAKEN
        record_event(session, c.id, EventKind.ACCEPT_REFUSED, worker_id, now, reason=status.value)
        return AcceptResult(status, view_in(session, c))
    # the tier of the card pressed (a first-tier card accepted after the request escalated
    # is a tier-1 accept; how far it escalated is in its `escalated` events)
    record_event(session, c.id, EventKind.ACCEPTED, worker_id, now, tier=offer.tier)
    cards = settle_offers(session, c.id, worker_id)
    view = view_in(session, c)
    result = AcceptResult(
        AcceptStatus.ACCEPTED,
        view,
        cards,
        queued_messages(session, c.id),
        history_in(session, c.id),
    )
    if card_message is not None:
        unit.outbox.notify(
            person, NoticeKind.CARD, edit=card_message, consultation=view, state="mine"
        )
    unit.outbox.notify(
        person, NoticeKind.ACCEPTED, priority=Priority.URGENT, consultation_id=c.id,
        consultation=view,
    )  # fmt: skip
    brief(unit, view, view_of(person), result.history, result.queued_messages)
    cases.brief_holder(unit, c.id, worker_id, policy)  # the care plan of a person seen before
    if cases.owner_has_it(unit, c.id, worker_id):
        told = "cases.owner_accepted"
    elif cases.withdraw_key_question(unit, c.officer_id, c.id):
        told = "consult.accepted_key"  # the key question ends: /key from now on
    else:
        told = "consult.accepted"
    unit.outbox.say(
        view.officer,
        told,
        priority=Priority.URGENT,
        buttons=("scene", c.id),  # incident number, scene cleared (flows/incidents.py)
        ref=view.reference,
        worker=view_of(person).display_name,
    )
    cards_taken(unit, view, cards)
    return result


# --- relaying ------------------------------------------------------------------------------


# --- closing -------------------------------------------------------------------------------


class CloseStatus(StrEnum):
    CLOSED = "closed"
    NOTHING_OPEN = "nothing_open"
    CHOOSE = "choose"  # a worker with several active consultations must say which
    NOT_YOURS = "not_yours"


@dataclass(frozen=True)
class CloseResult:
    status: CloseStatus
    consultation: ConsultationView | None = None
    withdrawn_cards: list[CardToEdit] = field(default_factory=list)
    choices: list[ConsultationView] = field(default_factory=list)


def close(
    unit: Unit, person: PersonView, consultation_id: int | None, policy: RoutingPolicy
) -> CloseResult:
    """Close a consultation from either side. Without an id: the officer's open one, or the
    worker's only active one; a worker with several gets a choice. Both sides are told, the
    holder is asked for the outcome and offered what waits (capacity freed), and the cards
    still out say the case is withdrawn."""
    result = _close(unit, person, consultation_id, closed_by=person.id)
    box, c = unit.outbox, result.consultation
    if result.status == CloseStatus.CHOOSE:
        box.notify(person, NoticeKind.CLOSE_CHOICE, choices=result.choices)
        return result
    if result.status != CloseStatus.CLOSED or c is None:
        box.say(person, "close.nothing_open")
        return result
    officer, worker = c.officer, c.worker
    clear = None if scene_cleared(unit.session, c.id) else ("scene_cleared", c.id)
    if person.id == officer.id:
        box.say(officer, "close.done_officer", buttons=clear, ref=c.reference)
        if worker is not None:
            box.say(worker, "close.closed_by", ref=c.reference, name=officer.display_name)
    else:
        box.say(
            officer, "close.closed_by_worker", buttons=clear, ref=c.reference,
            name=person.display_name,
        )  # fmt: skip
    if worker is not None:
        box.notify(worker, NoticeKind.OUTCOME_PROMPT, consultation=c)
        offer_waiting_to(unit, worker.id, policy)
    rewrite_cards(unit, c, result.withdrawn_cards, "withdrawn")
    return result


def end_for_revoked_officer(unit: Unit, officer: PersonView) -> list[int]:
    """An officer whose access was revoked: what they had open ends now, since nothing more
    may reach them. The holder is told why and asked for the outcome; cards still out say
    the request was withdrawn. The ids of the consultations ended."""
    ended = []
    for c in unit.session.scalars(
        select(Consultation).where(
            Consultation.officer_id == officer.id,
            Consultation.state != ConsultationState.CLOSED,
        )
    ).all():
        result = _close(unit, officer, c.id, closed_by=None)
        view = result.consultation
        if result.status != CloseStatus.CLOSED or view is None:
            continue
        ended.append(view.id)
        if view.worker is not None:
            unit.outbox.say(
                view.worker, "close.officer_revoked", ref=view.reference,
                name=officer.display_name,
            )  # fmt: skip
            unit.outbox.notify(view.worker, NoticeKind.OUTCOME_PROMPT, consultation=view)
        rewrite_cards(unit, view, result.withdrawn_cards, "withdrawn")
    return ended


def _close(
    unit: Unit,
    person: PersonView,
    consultation_id: int | None,
    *,
    closed_by: int | None,
) -> CloseResult:
    """Close it (the one given, or the person's only open one); `closed_by` is who is
    recorded as closing it (None: nobody acted, as when the officer's access is revoked)."""
    session, now = unit.session, unit.now
    if consultation_id is None:
        candidates = _closable(session, person)
        if not candidates:
            return CloseResult(CloseStatus.NOTHING_OPEN)
        if len(candidates) > 1:
            return CloseResult(
                CloseStatus.CHOOSE, choices=[view_in(session, c) for c in candidates]
            )
        c = candidates[0]
    else:
        found = session.get(Consultation, consultation_id)
        if found is None or person.id not in (found.officer_id, found.worker_id):
            return CloseResult(CloseStatus.NOT_YOURS)
        c = found
    if c.state == ConsultationState.CLOSED:
        return CloseResult(CloseStatus.NOTHING_OPEN, view_in(session, c))
    was = c.state
    c.state, c.closed_at, c.closed_by_id = ConsultationState.CLOSED, now, closed_by
    c.escalation_due_at = None
    record_event(session, c.id, EventKind.CLOSED, closed_by, now, previous_state=was.value)
    withdrawn = []
    for o in session.scalars(
        select(Offer).where(
            Offer.consultation_id == c.id,
            Offer.state.in_((OfferState.OPEN, OfferState.DECLINED)),
        )
    ):
        o.state = OfferState.WITHDRAWN
        if o.chat_id is not None and o.message_id is not None:
            worker = view_of(session.get_one(Person, o.worker_id))
            withdrawn.append(CardToEdit(o.id, worker, o.chat_id, o.message_id))
    return CloseResult(CloseStatus.CLOSED, view_in(session, c), withdrawn)


def _closable(session: Session, person: PersonView) -> list[Consultation]:
    if person.role == Role.OFFICER:
        where = [Consultation.officer_id == person.id, Consultation.state.in_(OPEN_STATES)]
    else:
        where = [
            Consultation.worker_id == person.id,
            Consultation.state == ConsultationState.ACTIVE,
        ]
    return list(session.scalars(select(Consultation).where(*where).order_by(Consultation.id)))


class OutcomeStatus(StrEnum):
    RECORDED = "recorded"
    ALREADY_RECORDED = "already_recorded"
    NOT_YOURS = "not_yours"
    NOT_CLOSED = "not_closed"


@dataclass(frozen=True)
class OutcomeResult:
    status: OutcomeStatus
    consultation: ConsultationView | None = None


def record_outcome(
    unit: Unit,
    worker_id: int,
    consultation_id: int,
    outcome: Outcome,
    prompt_message: int | None = None,
) -> OutcomeResult:
    """The worker's outcome for a closed consultation; the first answer stands, the
    question's message says what was recorded, and the holder is asked about a follow-up."""
    session = unit.session
    c = session.get(Consultation, consultation_id)
    if c is None or c.worker_id != worker_id:
        return OutcomeResult(OutcomeStatus.NOT_YOURS)
    if c.state != ConsultationState.CLOSED:
        return OutcomeResult(OutcomeStatus.NOT_CLOSED, view_in(session, c))
    claimed = session.execute(
        update(Consultation)
        .where(Consultation.id == c.id, Consultation.outcome.is_(None))
        .values(outcome=outcome)
        .returning(Consultation.id)
    ).first()
    session.refresh(c)
    if claimed is None:
        return OutcomeResult(OutcomeStatus.ALREADY_RECORDED, view_in(session, c))
    record_event(
        session, c.id, EventKind.OUTCOME_RECORDED, worker_id, unit.now, outcome=outcome.value
    )
    if prompt_message is not None:
        unit.outbox.notify(
            session.get_one(Person, worker_id),
            NoticeKind.OUTCOME_RECORDED,
            edit=prompt_message,
            reference=c.reference,
            outcome=outcome,
        )
    followups.ask_plan(unit, worker_id, c.id)  # then: plan a follow-up? (same transaction)
    return OutcomeResult(OutcomeStatus.RECORDED, view_in(session, c))


# --- reading -------------------------------------------------------------------------------


__all__ = ["reference_of"]
