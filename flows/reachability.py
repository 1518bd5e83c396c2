"""Whether the bot can reach a person: someone who blocked it (Telegram answered 403, or sent
a my_chat_member update saying so) is recorded as unreachable. An offer that cannot reach
them counts as declined at once, so the request moves on instead of waiting for its window;
a consultation they hold goes back to the queue at once (the officer's lines cannot reach
them); they are offered nothing new (routing leaves them out); supervisors are told once. When they
unblock the bot they are reachable again, supervisors hear that too, and what waits is
offered to them at once, as at /on (an offer declined for them at the block included; one
they declined themselves stays declined). An officer is never offered anything: when one
blocks (or unblocks) the bot, the holder of each of their consultations in progress is told,
with its reference, and supervisors hear which consultations no longer reach them."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from flows.escalation import decline, offered_to, requeue_held
from flows.models import Consultation, Person, reference_of
from flows.offers import offer_waiting_to
from flows.people import PersonView, view_of
from flows.routing import RoutingPolicy
from flows.unit import Unit
from flows.vocabulary import ConsultationState, Priority, Role


@dataclass(frozen=True)
class Reachability:
    """What the change did: who (None for a stranger), whether they can be reached now,
    whether anything changed, the consultations whose offer to them was declined, whether
    one must escalate now, the consultations they held, back in the queue, and those
    offered to them once they unblocked the bot."""

    person: PersonView | None
    reachable: bool
    changed: bool
    declined: list[int] = field(default_factory=list)
    escalate_now: bool = False
    requeued: list[int] = field(default_factory=list)  # the active ones they held
    offered: list[int] = field(default_factory=list)  # offered to them again at the unblock


def became_unreachable(unit: Unit, telegram_user_id: int) -> Reachability:
    """They blocked the bot: recorded once; their open offers are declined; what they hold
    goes back to the queue, escalating now (nothing reaches them: the officer must not wait
    on someone who cannot read); supervisors told, with those consultations."""
    session = unit.session
    person = _enrolled(unit, telegram_user_id)
    if person is None:
        return Reachability(None, False, False)
    changed = person.unreachable_since is None
    if changed:
        person.unreachable_since = unit.now
    declined, escalate_now = [], False
    for consultation_id in offered_to(session, person.id):
        result = decline(unit, person.id, consultation_id, unreachable=True)
        if result.consultation is not None:
            declined.append(consultation_id)
            escalate_now = escalate_now or result.escalate_now
    requeued = requeue_held(session, person.id, unit.now, "unreachable")
    if changed and person.role == Role.OFFICER:
        _officer_changed(unit, person, "relay.failed_blocked", "reach.officer_blocked")
    elif changed and requeued:
        refs = ", ".join(reference_of(cid) for cid in requeued)
        _tell_supervisors(unit, person, "reach.blocked_holding", refs=refs)
    elif changed:
        _tell_supervisors(unit, person, "reach.blocked")
    return Reachability(
        view_of(person), False, changed, declined, escalate_now or bool(requeued), requeued
    )


def became_reachable(unit: Unit, telegram_user_id: int, policy: RoutingPolicy) -> Reachability:
    """They unblocked the bot: supervisors told; offered at once, as at /on, every request
    still waiting whose pool now includes them (those declined for them at the block too)."""
    person = _enrolled(unit, telegram_user_id)
    if person is None or person.unreachable_since is None:
        return Reachability(view_of(person) if person else None, True, False)
    person.unreachable_since = None
    if person.role == Role.OFFICER:
        _officer_changed(unit, person, "reach.counterpart_unblocked", "reach.officer_unblocked")
        return Reachability(view_of(person), True, True)
    _tell_supervisors(unit, person, "reach.unblocked")
    offered = [p.consultation.id for p in offer_waiting_to(unit, person.id, policy)]
    return Reachability(view_of(person), True, True, offered=offered)


def _officer_changed(unit: Unit, officer: Person, holder_key: str, supervisor_key: str) -> None:
    """An officer blocked (or unblocked) the bot: nothing is offered to an officer, so what
    changes is their consultations in progress. The holder of each is told, with its
    reference (a holder may have several); supervisors, with the references (the `_idle`
    sentence when there are none)."""
    in_progress = unit.session.scalars(
        select(Consultation)
        .where(
            Consultation.officer_id == officer.id,
            Consultation.state.in_((ConsultationState.WAITING, ConsultationState.ACTIVE)),
        )
        .order_by(Consultation.id)
    ).all()
    for c in in_progress:
        holder = unit.session.get(Person, c.worker_id) if c.worker_id is not None else None
        if holder is not None and holder.unreachable_since is None:
            unit.outbox.say(
                holder,
                holder_key,
                priority=Priority.URGENT,
                consultation_id=c.id,
                ref=reference_of(c.id),
                name=officer.display_name,
            )
    if in_progress:
        refs = ", ".join(reference_of(c.id) for c in in_progress)
        _tell_supervisors(unit, officer, supervisor_key, refs=refs)
    else:
        _tell_supervisors(unit, officer, f"{supervisor_key}_idle")


def is_unreachable(person: Person) -> bool:
    return person.unreachable_since is not None


def _enrolled(unit: Unit, telegram_user_id: int) -> Person | None:
    return unit.session.scalar(
        select(Person).where(
            Person.telegram_user_id == telegram_user_id, Person.revoked_at.is_(None)
        )
    )


def _tell_supervisors(unit: Unit, person: Person, key: str, **values: str) -> None:
    supervisors = unit.session.scalars(
        select(Person)
        .where(
            Person.role == Role.SUPERVISOR,
            Person.revoked_at.is_(None),
            Person.unreachable_since.is_(None),
            Person.id != person.id,
        )
        .order_by(Person.id)
    ).all()
    for supervisor in supervisors:
        unit.outbox.say(
            supervisor, key, priority=Priority.NORMAL, name=person.display_name, **values
        )
