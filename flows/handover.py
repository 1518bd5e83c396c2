"""Handing a consultation to someone else: a worker's transfer (with a note), a supervisor's
take-over or reassignment. Each is one conditional UPDATE, so no interleaving can assign a
consultation twice or lose it, and the new holder's capacity is checked under a lock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from flows import cases, routing
from flows.events import record_event
from flows.models import Consultation, Event, Person, reference_of
from flows.offers import CardToEdit, cards_taken, settle_offers
from flows.people import PersonView, view_of
from flows.relaying import HistoryItem, QueuedMessage, brief, history_in, queued_messages
from flows.routing import RoutingPolicy, lock_person
from flows.unit import Unit
from flows.views import ConsultationView, view_in
from flows.vocabulary import ConsultationState, EventKind, NoticeKind, Priority, Role, Tier


class HandoverStatus(StrEnum):
    DONE = "done"
    NOT_FOUND = "not_found"  # no such consultation
    NOT_YOURS = "not_yours"  # not the holder, or not a supervisor
    NOT_OPEN = "not_open"  # closed (or still a draft)
    ALREADY_HOLDER = "already_holder"  # it is already with the person it would go to
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


def ask_transfer(
    unit: Unit,
    holder_id: int,
    consultation_id: int | None,
    note: str,
    policy: RoutingPolicy,
    *,
    typed: bool = True,
) -> TransferChoice | None:
    """/transfer: which consultation (the one given, else the holder's only active one), then
    who could take it (available, with capacity, not the holder), asked with one button each;
    the note the holder gave is recorded, so it survives until they pick someone. A typed
    reference that is wrong is named back; a Transfer button that is not theirs is refused as
    a button (typed=False)."""
    session, now = unit.session, unit.now
    holder = session.get_one(Person, holder_id)
    if consultation_id is None:
        active = session.scalars(
            select(Consultation.id).where(
                Consultation.worker_id == holder_id,
                Consultation.state == ConsultationState.ACTIVE,
            )
        ).all()
        if len(active) != 1:
            unit.outbox.say(holder, "handover.which" if active else "close.nothing_open")
            return None
        consultation_id = active[0]
    c = session.get(Consultation, consultation_id)
    if c is None or c.worker_id != holder_id or c.state != ConsultationState.ACTIVE:
        if not typed:
            unit.outbox.say(holder, "callback.invalid")
            return None
        say_refusal(unit, holder, _why_not_transferable(c, holder_id), consultation_id)
        return None
    if note.strip():
        record_event(
            session, c.id, EventKind.TRANSFER_REQUESTED, holder_id, now, note=note.strip()[:1000]
        )
    choice = TransferChoice(view_in(session, c), _takers(session, now, policy, holder_id))
    _ask_who(unit, holder, choice, "transfer")
    return choice


def _why_not_transferable(c: Consultation | None, holder_id: int) -> HandoverStatus:
    if c is None or c.state == ConsultationState.DRAFT:  # a draft is the officer's alone
        return HandoverStatus.NOT_FOUND
    if c.worker_id != holder_id:
        return HandoverStatus.NOT_YOURS
    return HandoverStatus.NOT_OPEN


def ask_reassign(
    unit: Unit, supervisor_id: int, consultation_id: int, policy: RoutingPolicy
) -> TransferChoice | None:
    """/reassign C-0042: the workers a supervisor may give this open consultation to, by the
    same rule as a transfer (available, with free capacity), never its current holder. No
    picker for a consultation that does not exist or is closed: nothing could be given."""
    session = unit.session
    supervisor = session.get_one(Person, supervisor_id)
    c = session.get(Consultation, consultation_id)
    if c is None or c.state == ConsultationState.DRAFT:
        say_refusal(unit, supervisor, HandoverStatus.NOT_FOUND, consultation_id)
        return None
    if c.state == ConsultationState.CLOSED:
        say_refusal(unit, supervisor, HandoverStatus.NOT_OPEN, consultation_id)
        return None
    choice = TransferChoice(view_in(session, c), _takers(session, unit.now, policy, c.worker_id))
    _ask_who(unit, supervisor, choice, "reassign")
    return choice


def _ask_who(unit: Unit, person: Person, choice: TransferChoice, purpose: str) -> None:
    if not choice.candidates:
        unit.outbox.say(person, "handover.nobody", ref=choice.consultation.reference)
        return
    unit.outbox.notify(
        person,
        NoticeKind.PEOPLE_CHOICE,
        consultation=choice.consultation,
        candidates=choice.candidates,
        purpose=purpose,
    )


def tell(unit: Unit, person_id: int, key: str) -> None:
    """One sentence for one person (a command's usage, when its words do not parse)."""
    unit.outbox.say(unit.session.get_one(Person, person_id), key)


_TYPED_REFUSALS = {
    HandoverStatus.NOT_FOUND: "handover.no_such",
    HandoverStatus.NOT_YOURS: "handover.not_yours",
    HandoverStatus.NOT_OPEN: "handover.closed",
    HandoverStatus.TARGET_UNAVAILABLE: "handover.target_unavailable",
    HandoverStatus.CHANGED: "handover.changed",
}


def say_refusal(
    unit: Unit,
    person: Person,
    status: HandoverStatus,
    consultation_id: int,
    holder: PersonView | None = None,
) -> None:
    """Why a typed command handed nothing over, naming the reference typed (a button's
    refusal is a toast, chosen in bot/render/answers.py): an officer's case number mistyped
    must read as such, not as a button."""
    ref = reference_of(consultation_id)
    if status == HandoverStatus.ALREADY_HOLDER and holder is not None and holder.id != person.id:
        unit.outbox.say(person, "handover.already_with", ref=ref, worker=holder.display_name)
    elif status == HandoverStatus.ALREADY_HOLDER:
        unit.outbox.say(person, "handover.already_yours", ref=ref)
    else:
        unit.outbox.say(person, _TYPED_REFUSALS[status], ref=ref)


def _takers(
    session: Session, now: datetime, policy: RoutingPolicy, holder_id: int | None
) -> list[PersonView]:
    """Workers who could take a consultation now: the first pool of routing (available,
    with capacity), which is what `_can_take` checks again under a lock."""
    people = routing.pool(session, Tier.AVAILABLE, now, policy)
    return [view_of(p) for p in people if p.id != holder_id and p.role == Role.WORKER]


def transfer(
    unit: Unit,
    holder_id: int,
    consultation_id: int,
    target_id: int,
    policy: RoutingPolicy,
    prompt_message: int | None = None,
) -> HandoverResult:
    """The holder hands an active consultation to an available worker with capacity."""
    session, now = unit.session, unit.now
    c = session.get(Consultation, consultation_id)
    if c is None:
        return HandoverResult(HandoverStatus.NOT_FOUND)
    if c.worker_id != holder_id:
        return HandoverResult(HandoverStatus.NOT_YOURS)
    if c.state != ConsultationState.ACTIVE:
        return HandoverResult(HandoverStatus.NOT_OPEN, view_in(session, c))
    if target_id == holder_id:
        return HandoverResult(HandoverStatus.ALREADY_HOLDER, view_in(session, c))
    target = lock_person(session, target_id)
    if not _can_take(session, target, now, policy):
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
    result = HandoverResult(
        HandoverStatus.DONE,
        view_in(session, c),
        previous,
        note,
        history=history_in(session, c.id),
    )
    announce(unit, result, previous, prompt_message, policy)
    return result


def take_over(
    unit: Unit, supervisor_id: int, consultation_id: int, *, typed: bool = False
) -> HandoverResult:
    """A supervisor takes a waiting or active consultation themselves. Typed (/takeover), a
    refusal is said in the same transaction; pressed, the button's answer says it."""
    result = _assign(
        unit, supervisor_id, consultation_id, supervisor_id, None, EventKind.TAKEN_OVER
    )
    if typed and result.status != HandoverStatus.DONE:
        holder = result.consultation.worker if result.consultation is not None else None
        supervisor = unit.session.get_one(Person, supervisor_id)
        say_refusal(unit, supervisor, result.status, consultation_id, holder)
    return result


def reassign(
    unit: Unit,
    supervisor_id: int,
    consultation_id: int,
    target_id: int,
    policy: RoutingPolicy,
    prompt_message: int | None = None,
) -> HandoverResult:
    """A supervisor gives a waiting or active consultation to a worker who can take it."""
    return _assign(
        unit, supervisor_id, consultation_id, target_id, policy, EventKind.REASSIGNED,
        prompt_message,
    )  # fmt: skip


def _assign(
    unit: Unit,
    supervisor_id: int,
    consultation_id: int,
    target_id: int,
    policy: RoutingPolicy | None,
    kind: EventKind,
    prompt_message: int | None = None,
) -> HandoverResult:
    session, now = unit.session, unit.now
    supervisor = session.get(Person, supervisor_id)
    c = session.get(Consultation, consultation_id)
    if supervisor is None or supervisor.role != Role.SUPERVISOR:
        return HandoverResult(HandoverStatus.NOT_YOURS)
    if c is None or c.state == ConsultationState.DRAFT:  # a draft is the officer's alone
        return HandoverResult(HandoverStatus.NOT_FOUND)
    if c.state != ConsultationState.WAITING and c.state != ConsultationState.ACTIVE:
        return HandoverResult(HandoverStatus.NOT_OPEN, view_in(session, c))
    if c.state == ConsultationState.ACTIVE and c.worker_id == target_id:
        # nothing to hand over: no event, nobody told again (a /takeover sent twice)
        return HandoverResult(HandoverStatus.ALREADY_HOLDER, view_in(session, c))
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
    result = HandoverResult(
        HandoverStatus.DONE, view_in(session, c), previous, None, cards, queued, history
    )
    announce(unit, result, view_of(supervisor), prompt_message, policy)
    return result


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


def announce(
    unit: Unit,
    result: HandoverResult,
    by: PersonView,
    prompt_message: int | None,
    policy: RoutingPolicy | None = None,
) -> None:
    """Tell the new holder (with the note, the request and the conversation so far), the
    officer, the previous holder and whoever still had an offer card; the 'to whom?'
    question, when there was one, becomes the answer."""
    c = result.consultation
    assert c is not None and c.worker is not None
    holder, officer = c.worker, c.officer
    if holder.id != by.id:  # the 'to whom?' question becomes the answer (or a new message)
        unit.outbox.notify(
            by,
            NoticeKind.SAY,
            edit=prompt_message,
            key="handover.done",
            values={"ref": c.reference, "worker": holder.display_name},
        )
    unit.outbox.notify(
        holder,
        NoticeKind.HANDED_OVER,
        priority=Priority.URGENT,
        consultation_id=c.id,
        consultation=c,
        note=result.note,
        by_name=by.display_name,
        by_self=holder.id == by.id,
    )
    brief(unit, c, holder, result.history, result.queued_messages)
    # a person seen before: their history and care plan for the new holder
    cases.brief_holder(unit, c.id, holder.id, policy or RoutingPolicy(), history=holder.id != by.id)
    unit.outbox.say(
        officer, "handover.officer", priority=Priority.URGENT, ref=c.reference,
        worker=holder.display_name,
    )  # fmt: skip
    previous = result.previous
    if previous is not None and previous.id not in (holder.id, by.id):
        unit.outbox.say(previous, "handover.previous", ref=c.reference, worker=holder.display_name)
    cards_taken(unit, c, result.withdrawn_cards)
