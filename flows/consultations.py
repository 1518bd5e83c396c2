"""Consultations from opening to closing: draft, submit and offer, atomic accept, relay
routing, close and outcome. Every step appends an Event; functions return plain results
that the edge renders, never text."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from flows import routing
from flows.models import Consultation, Event, Offer, Person, RelayedMessage, reference_of
from flows.people import PersonView, view_of
from flows.routing import RoutingPolicy
from flows.store import Database
from flows.unit import Unit
from flows.views import ConsultationView, view_in
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

MAX_REQUEST_TEXT = 16_000  # a draft grows no longer; further messages are queued whole
OPEN_STATES = (ConsultationState.DRAFT, ConsultationState.WAITING, ConsultationState.ACTIVE)


STILL_OFFERED = (OfferState.OPEN, OfferState.DECLINED)  # a waiting consultation's live offers


def record_event(
    session: Session,
    consultation_id: int,
    kind: EventKind,
    actor_id: int | None,
    at: datetime,
    /,
    **data: Any,
) -> None:
    session.add(
        Event(consultation_id=consultation_id, kind=kind, actor_id=actor_id, at=at, data=data)
    )


def parse_reference(text: str) -> int | None:
    """'C-0042', 'c42' or '42' to 42; None when it is not a reference."""
    cleaned = text.strip().upper().removeprefix("C").lstrip("-").strip()
    return int(cleaned) if cleaned.isdigit() and 0 < len(cleaned) <= 9 else None


# --- opening -------------------------------------------------------------------------------


def open_consultation_of_officer(db: Database, officer_id: int) -> ConsultationView | None:
    """The officer's consultation that is not closed yet (an officer has at most one)."""
    with db.unit_of_work() as session:
        c = session.scalar(
            select(Consultation)
            .where(Consultation.officer_id == officer_id, Consultation.state.in_(OPEN_STATES))
            .order_by(Consultation.id.desc())
        )
        return view_in(session, c) if c else None


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
class OfferTarget:
    offer_id: int
    worker: PersonView
    tier: int = Tier.AVAILABLE
    at_capacity: bool = False
    window_ran_out: bool = False  # escalated after a wait, not because nobody was free at once


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
    offers = offer_to_pool(session, c, Tier.AVAILABLE, now, policy)
    available_now = len(offers)
    if not offers:
        record_event(session, c.id, EventKind.NO_WORKER_AVAILABLE, None, now)
        offers = advance(session, c, Tier.WIDER, now, policy)
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
    )
    announce_offers(unit, view, offers)
    unit.outbox.notify(officer, NoticeKind.TOP_THREE, consultation=view, near=near)
    return SubmitResult(DraftStatus.OK, view, offers, c.escalation_due_at, available_now)


def announce_offers(unit: Unit, c: ConsultationView, targets: list[OfferTarget]) -> None:
    """One offer card per target, in the outbox; the dispatcher keeps where each landed."""
    priority = Priority.URGENT if c.urgency in (Urgency.IMMEDIATE, None) else Priority.NORMAL
    for target in targets:
        unit.outbox.notify(
            target.worker,
            NoticeKind.OFFER_CARD,
            priority=priority,
            consultation=c,
            offer_id=target.offer_id,
            tier=target.tier,
            at_capacity=target.at_capacity,
            window_ran_out=target.window_ran_out,
        )


def window_ran_out(c: Consultation, now: datetime, policy: RoutingPolicy) -> bool:
    """Whether the first window has passed: an escalated card then says nobody accepted in
    time; before it (nobody free, or everyone declined) it says nobody on shift could take it."""
    return c.submitted_at is not None and now - c.submitted_at >= policy.window(c.urgency)


def next_wait(c: Consultation, policy: RoutingPolicy) -> timedelta:
    """How long this tier has to answer: the urgency's window, or the re-offer period once
    the officer has had the fallback."""
    return policy.requeue_every if c.tier >= Tier.FALLBACK else policy.window(c.urgency)


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


def offer_to_pool(
    session: Session, c: Consultation, tier: int, now: datetime, policy: RoutingPolicy
) -> list[OfferTarget]:
    """Offer to everyone of this tier's pool who has no open (or declined) offer of it yet."""
    already = set(
        session.scalars(
            select(Offer.worker_id).where(
                Offer.consultation_id == c.id, Offer.state.in_(STILL_OFFERED)
            )
        )
    )
    targets = []
    people = [p for p in routing.pool(session, tier, now, policy) if p.id not in already]
    load = routing.active_load(session, [p.id for p in people])
    waited = window_ran_out(c, now, policy)
    for person in people:
        cap = routing.capacity_of(person, policy)
        full = cap is not None and load.get(person.id, 0) >= cap
        targets.append(_offer(session, c, person, tier, now, full, waited))
    return targets


def _offer(
    session: Session,
    c: Consultation,
    person: Person,
    tier: int,
    now: datetime,
    full: bool,
    waited: bool,
) -> OfferTarget:
    """A new offer card, or the old row opened again for a consultation back in the queue."""
    offer = session.scalar(
        select(Offer).where(Offer.consultation_id == c.id, Offer.worker_id == person.id)
    )
    if offer is None:
        offer = Offer(consultation_id=c.id, worker_id=person.id)
        session.add(offer)
    offer.state, offer.tier, offer.created_at = OfferState.OPEN, tier, now
    offer.chat_id = offer.message_id = None
    session.flush()
    record_event(session, c.id, EventKind.OFFERED, None, now, worker_id=person.id, tier=tier)
    return OfferTarget(offer.id, view_of(person), tier, full, waited)


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
    session.execute(
        update(Offer)
        .where(Offer.worker_id == person_id, Offer.state == OfferState.OPEN)
        .values(state=OfferState.WITHDRAWN)
    )
    return [c.id for c in held]


@dataclass(frozen=True)
class PendingOffer:
    consultation: ConsultationView
    target: OfferTarget


def offer_waiting_to(unit: Unit, worker_id: int, policy: RoutingPolicy) -> list[PendingOffer]:
    """Someone who just became available (or freed capacity) is offered, most urgent first,
    every waiting consultation whose current pool now includes them."""
    session, now = unit.session, unit.now
    person = session.get_one(Person, worker_id)
    waiting = session.scalars(
        select(Consultation).where(
            Consultation.state == ConsultationState.WAITING,
            Consultation.id.not_in(
                select(Offer.consultation_id).where(
                    Offer.worker_id == worker_id, Offer.state.in_(STILL_OFFERED)
                )
            ),
        )
    ).all()
    waiting = sorted(
        waiting, key=lambda c: routing.queue_order(c.urgency, c.submitted_at or now)
    )
    result = []
    in_pool: dict[int, bool] = {}  # per tier: pools do not change during this pass
    full = not routing.has_capacity(session, person, policy)
    for c in waiting:
        tier = min(c.tier, Tier.FALLBACK)
        if tier not in in_pool:
            in_pool[tier] = person in routing.pool(session, tier, now, policy)
        if not in_pool[tier]:
            continue
        target = _offer(session, c, person, c.tier, now, full, window_ran_out(c, now, policy))
        view = view_in(session, c)
        announce_offers(unit, view, [target])
        result.append(PendingOffer(view, target))
    return result


# --- accepting -----------------------------------------------------------------------------


class AcceptStatus(StrEnum):
    ACCEPTED = "accepted"
    ALREADY_YOURS = "already_yours"
    TAKEN = "taken"
    CLOSED = "closed"
    AT_CAPACITY = "at_capacity"
    NOT_OFFERED = "not_offered"  # forged, stale from another world, or not a worker's offer


@dataclass(frozen=True)
class CardToEdit:
    offer_id: int
    worker: PersonView
    chat_id: int
    message_id: int


@dataclass(frozen=True)
class QueuedMessage:
    source_chat_id: int
    source_message_id: int
    kind: str
    text: str | None


@dataclass(frozen=True)
class HistoryItem:
    """One message of the conversation so far, where to copy it from, and who wrote it."""

    sender: PersonView
    source_chat_id: int
    source_message_id: int
    kind: str
    text: str | None  # the text, or a media's caption


@dataclass(frozen=True)
class AcceptResult:
    status: AcceptStatus
    consultation: ConsultationView | None = None
    other_cards: list[CardToEdit] = field(default_factory=list)
    queued_messages: list[QueuedMessage] = field(default_factory=list)
    history: list[HistoryItem] = field(default_factory=list)  # relayed before a requeue


def lock_person(session: Session, person_id: int) -> Person:
    """Serialise capacity decisions per person on PostgreSQL (SQLite transactions are
    already serial: they begin IMMEDIATE)."""
    return session.scalars(select(Person).where(Person.id == person_id).with_for_update()).one()


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
        select(Offer).where(
            Offer.consultation_id == consultation_id, Offer.worker_id == worker_id
        )
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
            record_event(
                session, c.id, EventKind.ACCEPT_REFUSED, worker_id, now, reason="capacity"
            )
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
        record_event(
            session, c.id, EventKind.ACCEPT_REFUSED, worker_id, now, reason=status.value
        )
        return AcceptResult(status, view_in(session, c))
    record_event(session, c.id, EventKind.ACCEPTED, worker_id, now, tier=c.tier)
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
    unit.outbox.say(
        view.officer,
        "consult.accepted",
        priority=Priority.URGENT,
        ref=view.reference,
        worker=view_of(person).display_name,
    )
    cards_taken(unit, view, cards)
    return result


def brief(
    unit: Unit,
    c: ConsultationView,
    holder: PersonView,
    history: list[HistoryItem],
    queued: list[QueuedMessage],
) -> None:
    """Whoever receives a consultation reads it whole after its card: the rest of a request
    too long for the card and the conversation so far (one briefing notice), then what the
    officer sent meanwhile, relayed (and recorded as relayed now)."""
    items = [
        {
            "sender_name": item.sender.display_name,
            "kind": item.kind,
            "chat_id": item.source_chat_id,
            "message_id": item.source_message_id,
            "text": item.text,
        }
        for item in history
    ]
    priority = Priority.URGENT if c.urgency in (Urgency.IMMEDIATE, None) else Priority.NORMAL
    unit.outbox.notify(
        holder,
        NoticeKind.BRIEFING,
        priority=priority,
        consultation_id=c.id,
        consultation=c,
        history=items,
    )
    for q in queued:
        data: dict[str, Any] = {
            "kind": q.kind,
            "chat_id": q.source_chat_id,
            "message_id": q.source_message_id,
        }
        if q.text is not None:
            data["text"] = q.text
        record_event(unit.session, c.id, EventKind.MESSAGE_RELAYED, c.officer.id, unit.now, **data)
        unit.outbox.notify(
            holder,
            NoticeKind.RELAY,
            priority=priority,
            consultation_id=c.id,
            reference=c.reference,
            sender_id=c.officer.id,
            sender_name=c.officer.display_name,
            recipient_name=holder.display_name,
            kind=q.kind,
            chat_id=q.source_chat_id,
            message_id=q.source_message_id,
            text=q.text,
        )


def cards_taken(unit: Unit, c: ConsultationView, cards: list[CardToEdit]) -> None:
    """Every other offer card of the consultation now says who has it (and loses its buttons)."""
    for card in cards:
        unit.outbox.to_chat(
            card.chat_id,
            card.worker.language,
            NoticeKind.CARD,
            person_id=card.worker.id,
            edit=card.message_id,
            consultation=c,
            state="taken",
        )


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


def _message_events(session: Session, consultation_id: int) -> list[Event]:
    return list(
        session.scalars(
            select(Event)
            .where(
                Event.consultation_id == consultation_id,
                Event.kind.in_((EventKind.MESSAGE_QUEUED, EventKind.MESSAGE_RELAYED)),
            )
            .order_by(Event.id)
        )
    )


def _source(e: Event) -> tuple[int, int]:
    return int(e.data["chat_id"]), int(e.data["message_id"])


def queued_messages(session: Session, consultation_id: int) -> list[QueuedMessage]:
    """What the officer sent while nobody held the consultation and nobody has received yet,
    in order (after a requeue, what the previous holder already had is history instead)."""
    events = _message_events(session, consultation_id)
    relayed = {_source(e) for e in events if e.kind == EventKind.MESSAGE_RELAYED}
    return [
        QueuedMessage(*_source(e), e.data["kind"], e.data.get("text"))
        for e in events
        if e.kind == EventKind.MESSAGE_QUEUED and _source(e) not in relayed
    ]


def history_in(session: Session, consultation_id: int) -> list[HistoryItem]:
    """The conversation so far, for a new holder: every message relayed in the consultation,
    both ways, in the order relayed, once per source message (a queued message delivered
    again after a requeue counts once)."""
    events = _message_events(session, consultation_id)
    queued_text = {
        _source(e): e.data.get("text") for e in events if e.kind == EventKind.MESSAGE_QUEUED
    }
    senders: dict[int, PersonView] = {}
    items: dict[tuple[int, int], HistoryItem] = {}
    for e in events:
        source = _source(e)
        if e.kind != EventKind.MESSAGE_RELAYED or source in items or e.actor_id is None:
            continue
        if e.actor_id not in senders:
            senders[e.actor_id] = view_of(session.get_one(Person, e.actor_id))
        text = e.data.get("text", queued_text.get(source))
        items[source] = HistoryItem(senders[e.actor_id], *source, e.data["kind"], text)
    return list(items.values())


def settle_offers(session: Session, consultation_id: int, taker_id: int) -> list[CardToEdit]:
    """Mark every offer of a taken consultation; the cards of the others, to be edited."""
    cards = []
    for o in session.scalars(select(Offer).where(Offer.consultation_id == consultation_id)):
        mine = o.worker_id == taker_id
        o.state = OfferState.TAKEN_BY_ME if mine else OfferState.TAKEN_BY_OTHER
        if not mine and o.chat_id is not None and o.message_id is not None:
            other = view_of(session.get_one(Person, o.worker_id))
            cards.append(CardToEdit(o.id, other, o.chat_id, o.message_id))
    return cards


# --- relaying ------------------------------------------------------------------------------


class RelayStatus(StrEnum):
    RELAY = "relay"  # an active consultation: copy to the other side
    QUEUE = "queue"  # waiting for a worker: keep it for whoever accepts
    DRAFT = "draft"  # the officer is still choosing category/urgency
    NONE = "none"  # nothing open for this person
    ANSWERED = "answered"  # not relayed, and the sender is told why (unsupported, nothing open)


@dataclass(frozen=True)
class RelayRoute:
    status: RelayStatus
    consultation: ConsultationView | None = None
    recipient: PersonView | None = None
    guessed: bool = False  # a worker with several cases who did not reply to one


def linked_consultation(session: Session, chat_id: int, message_id: int) -> int | None:
    linked = session.scalar(
        select(RelayedMessage.consultation_id).where(
            RelayedMessage.chat_id == chat_id, RelayedMessage.message_id == message_id
        )
    )
    if linked is not None:
        return linked
    return session.scalar(
        select(Offer.consultation_id).where(
            Offer.chat_id == chat_id, Offer.message_id == message_id
        )
    )


def _most_recent(session: Session, consultations: list[Consultation]) -> Consultation:
    """The consultation with the latest relayed message, or the latest accepted."""
    ids = [c.id for c in consultations]
    latest = session.scalar(
        select(RelayedMessage.consultation_id)
        .where(RelayedMessage.consultation_id.in_(ids))
        .order_by(RelayedMessage.id.desc())
        .limit(1)
    )
    return next((c for c in consultations if c.id == latest), consultations[0])


def _message_data(
    source: tuple[int, int], kind: str, text: str | None, point: tuple[float, float] | None
) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": kind, "chat_id": source[0], "message_id": source[1]}
    if text is not None:
        data["text"] = text
    if point is not None:
        data["latitude"], data["longitude"] = point
    return data


def shared_location(db: Database, consultation_id: int) -> tuple[float, float] | None:
    """The latest location the officer shared in this consultation (queued or relayed):
    where the scene is, for the resources nearest to it. None when none was shared."""
    with db.unit_of_work() as session:
        point = scene_in(session, consultation_id)
        return (point[0], point[1]) if point else None


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
    result = _close(unit, person, consultation_id)
    box, c = unit.outbox, result.consultation
    if result.status == CloseStatus.CHOOSE:
        box.notify(person, NoticeKind.CLOSE_CHOICE, choices=result.choices)
        return result
    if result.status != CloseStatus.CLOSED or c is None:
        box.say(person, "close.nothing_open")
        return result
    officer, worker = c.officer, c.worker
    if person.id == officer.id:
        box.say(officer, "close.done_officer", ref=c.reference)
        if worker is not None:
            box.say(worker, "close.closed_by", ref=c.reference, name=officer.display_name)
    else:
        box.say(officer, "close.closed_by_worker", ref=c.reference, name=person.display_name)
    if worker is not None:
        box.notify(worker, NoticeKind.OUTCOME_PROMPT, consultation=c)
        offer_waiting_to(unit, worker.id, policy)
    for card in result.withdrawn_cards:
        box.to_chat(
            card.chat_id,
            card.worker.language,
            NoticeKind.CARD,
            person_id=card.worker.id,
            edit=card.message_id,
            consultation=c,
            state="withdrawn",
        )
    return result


def _close(unit: Unit, person: PersonView, consultation_id: int | None) -> CloseResult:
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
    c.state, c.closed_at, c.closed_by_id = ConsultationState.CLOSED, now, person.id
    c.escalation_due_at = None
    record_event(session, c.id, EventKind.CLOSED, person.id, now, previous_state=was.value)
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
    """The worker's outcome for a closed consultation; the first answer stands, and the
    question's message says what was recorded."""
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
    return OutcomeResult(OutcomeStatus.RECORDED, view_in(session, c))


# --- reading -------------------------------------------------------------------------------


def get_view(db: Database, consultation_id: int) -> ConsultationView | None:
    with db.unit_of_work() as session:
        c = session.get(Consultation, consultation_id)
        return view_in(session, c) if c else None


def active_of_worker(db: Database, worker_id: int) -> list[ConsultationView]:
    with db.unit_of_work() as session:
        rows = session.scalars(
            select(Consultation)
            .where(
                Consultation.worker_id == worker_id,
                Consultation.state == ConsultationState.ACTIVE,
            )
            .order_by(Consultation.id)
        )
        return [view_in(session, c) for c in rows]


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: EventKind
    actor: str | None
    data: dict[str, Any]


def list_consultations(db: Database, limit: int = 50) -> list[ConsultationView]:
    with db.unit_of_work() as session:
        rows = session.scalars(select(Consultation).order_by(Consultation.id.desc()).limit(limit))
        return [view_in(session, c) for c in rows]


def timeline(db: Database, consultation_id: int) -> list[TimelineEntry]:
    with db.unit_of_work() as session:
        events = session.scalars(
            select(Event).where(Event.consultation_id == consultation_id).order_by(Event.id)
        ).all()
        names = {p.id: p.display_name for p in session.scalars(select(Person))}
        return [
            TimelineEntry(e.at, e.kind, names.get(e.actor_id) if e.actor_id else None, dict(e.data))
            for e in events
        ]


__all__ = ["reference_of"]
