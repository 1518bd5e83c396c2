"""Offers: who is offered a consultation (a tier's pool, or someone who just became
available), their cards as notices, and the cards settled once someone takes the case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from flows import routing, subjects
from flows.events import record_event, screening_answers
from flows.models import Consultation, Offer, Person
from flows.people import PersonView, view_of
from flows.routing import RoutingPolicy
from flows.unit import Unit
from flows.views import ConsultationView, area_of, priority_of, scene_in, view_in
from flows.vocabulary import (
    ConsultationState,
    EventKind,
    NoticeKind,
    OfferState,
    Tier,
)


def still_offered() -> ColumnElement[bool]:
    """A waiting consultation's live offers: open, or declined by the worker's choice. One
    declined only because they blocked the bot is not: they are offered it again."""
    return or_(
        Offer.state == OfferState.OPEN,
        and_(Offer.state == OfferState.DECLINED, Offer.declined_unreachable.is_(False)),
    )


@dataclass(frozen=True)
class OfferTarget:
    offer_id: int
    worker: PersonView
    tier: int = Tier.AVAILABLE
    at_capacity: bool = False
    window_ran_out: bool = False  # escalated after a wait, not because nobody was free at once


def announce_offers(
    unit: Unit, c: ConsultationView, targets: list[OfferTarget], policy: RoutingPolicy
) -> None:
    """One offer card per target, in the outbox; the dispatcher keeps where each landed. A
    card about a person seen before carries their history (each worker's view recorded)."""
    priority = priority_of(c)
    extras = card_extras(unit.session, c.id) if targets else {}
    viewers = [target.worker.id for target in targets]
    history = subjects.history_for_all(unit.session, c.id, viewers, unit.now, policy.subjects)
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
            **extras,
            **({"history": history} if history is not None else {}),
        )


def card_extras(session: Session, consultation_id: int) -> dict[str, Any]:
    """What the officer added after the request, shown on every offer card: the screening
    answers, and the scene's area (rounded: the exact point is for the holder)."""
    return {
        "screening": screening_answers(session, consultation_id),
        "area": area_of(scene_in(session, consultation_id)),
    }


def open_cards(session: Session, consultation_id: int) -> list[CardToEdit]:
    """The offer cards still open for a waiting case that have landed (a card still on its
    way will be drawn with what is known when it is sent)."""
    cards = []
    for offer in session.scalars(
        select(Offer).where(
            Offer.consultation_id == consultation_id, Offer.state == OfferState.OPEN
        )
    ):
        if offer.chat_id is None or offer.message_id is None:
            continue
        worker = view_of(session.get_one(Person, offer.worker_id))
        cards.append(CardToEdit(offer.id, worker, offer.chat_id, offer.message_id, offer.tier))
    return cards


def redraw_open_cards(unit: Unit, c: ConsultationView, policy: RoutingPolicy | None) -> None:
    """The cards still open for this waiting case are redrawn with what the officer added
    (a card still on its way is drawn with it anyway), and with the person's history when
    it has one (each worker's view of it recorded again)."""
    cards = open_cards(unit.session, c.id)
    extras = card_extras(unit.session, c.id)
    if policy is not None and cards:
        viewers = [card.worker.id for card in cards]
        history = subjects.history_for_all(unit.session, c.id, viewers, unit.now, policy.subjects)
        if history is not None:
            extras["history"] = history
    rewrite_cards(unit, c, cards, "open", **extras)


def offer_to_pool(
    session: Session, c: Consultation, tier: int, now: datetime, policy: RoutingPolicy
) -> list[OfferTarget]:
    """Offer to everyone of this tier's pool who has no live offer of it yet (open, or
    declined by their choice)."""
    already = set(
        session.scalars(
            select(Offer.worker_id).where(Offer.consultation_id == c.id, still_offered())
        )
    )
    targets = []
    people = [p for p in routing.pool(session, tier, now, policy) if p.id not in already]
    load = routing.active_load(session, [p.id for p in people])
    waited = waited_in_vain(session, c, now, policy)
    for person in people:
        cap = routing.capacity_of(person, policy)
        full = cap is not None and load.get(person.id, 0) >= cap
        targets.append(_offer(session, c, person, tier, now, full, waited))
    return targets


def waited_in_vain(session: Session, c: Consultation, now: datetime, policy: RoutingPolicy) -> bool:
    """Whether someone has had this request for a whole window without accepting it (an
    offer of this round, not withdrawn, older than the urgency's window): an escalated card
    then says nobody accepted in time. Otherwise (nobody was free, everyone declined at once,
    or a request back in the queue whose new round found nobody) it says nobody on shift
    could take it. Measured from the offers, not the submission: a request requeued long
    after it was sent has given nobody a window yet."""
    since = now - policy.window(c.urgency)
    held_a_window = session.scalar(
        select(Offer.id)
        .where(
            Offer.consultation_id == c.id,
            Offer.state != OfferState.WITHDRAWN,
            Offer.created_at <= since,
        )
        .limit(1)
    )
    return held_a_window is not None


def offer_one(
    session: Session, c: Consultation, person: Person, now: datetime, policy: RoutingPolicy
) -> OfferTarget:
    """An offer of this consultation to one person (the case owner, before the pool)."""
    waited = waited_in_vain(session, c, now, policy)
    return _offer(
        session, c, person, c.tier, now, not routing.has_capacity(session, person, policy), waited
    )


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
    offer.declined_unreachable = False
    offer.chat_id = offer.message_id = None
    session.flush()
    record_event(session, c.id, EventKind.OFFERED, None, now, worker_id=person.id, tier=tier)
    return OfferTarget(offer.id, view_of(person), tier, full, waited)


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
                select(Offer.consultation_id).where(Offer.worker_id == worker_id, still_offered())
            ),
        )
    ).all()
    waiting = sorted(waiting, key=lambda c: routing.queue_order(c.urgency, c.submitted_at or now))
    result = []
    in_pool: dict[int, bool] = {}  # per tier: pools do not change during this pass
    full = not routing.has_capacity(session, person, policy)
    for c in waiting:
        tier = min(c.tier, Tier.FALLBACK)
        if tier not in in_pool:
            in_pool[tier] = person in routing.pool(session, tier, now, policy)
        if not in_pool[tier]:
            continue
        waited = waited_in_vain(session, c, now, policy)
        target = _offer(session, c, person, c.tier, now, full, waited)
        view = view_in(session, c)
        announce_offers(unit, view, [target], policy)
        result.append(PendingOffer(view, target))
    return result


@dataclass(frozen=True)
class CardToEdit:
    offer_id: int
    worker: PersonView
    chat_id: int
    message_id: int
    tier: int = Tier.AVAILABLE


def cards_taken(unit: Unit, c: ConsultationView, cards: list[CardToEdit]) -> None:
    """Every other offer card of the consultation now says who has it (and loses its buttons)."""
    rewrite_cards(unit, c, cards, "taken")


def rewrite_cards(
    unit: Unit, c: ConsultationView, cards: list[CardToEdit], state: str, **extra: Any
) -> None:
    """Each of these offer cards is rewritten to say how the case stands ("taken",
    "withdrawn"... without its buttons; "open": still to take, redrawn with what the officer
    added, e.g. the screening answers)."""
    for card in cards:
        unit.outbox.to_chat(
            card.chat_id,
            card.worker.language,
            NoticeKind.CARD,
            person_id=card.worker.id,
            edit=card.message_id,
            consultation=c,
            state=state,
            tier=card.tier,
            **extra,
        )


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
