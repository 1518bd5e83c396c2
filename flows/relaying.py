"""A message someone sends, decided in one transaction: an officer's opens a consultation,
adds to its draft, waits with it for whoever accepts, or is relayed to its holder; a holder's
goes to the consultation they replied to, else their latest. The copy itself is a notice in
the outbox (the dispatcher sends it and links what it produced), so a crash after this commit
still delivers it, and a replayed update finds it already taken."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from flows.consultations import (
    MAX_REQUEST_TEXT,
    OPEN_STATES,
    RelayRoute,
    RelayStatus,
    _most_recent,
    linked_consultation,
    record_event,
)
from flows.models import Consultation, Person, RelayedMessage
from flows.people import PersonView, view_of
from flows.unit import Unit
from flows.views import ConsultationView, view_in
from flows.vocabulary import ConsultationState, EventKind, NoticeKind, Priority, Role, Urgency


@dataclass(frozen=True)
class Incoming:
    """What the edge read from one Telegram message (kind None: it cannot be relayed)."""

    chat_id: int
    message_id: int
    kind: str | None
    text: str | None  # the text, or a media's caption
    reply_to: int | None = None
    point: tuple[float, float] | None = None  # a shared location's


def priority_of(c: Consultation | ConsultationView) -> Priority:
    return Priority.URGENT if c.urgency in (Urgency.IMMEDIATE, None) else Priority.NORMAL


def already_taken(unit: Unit, message: Incoming) -> bool:
    """This message was relayed or queued already (its update is being replayed)."""
    found = unit.session.scalar(
        select(RelayedMessage.id)
        .where(
            RelayedMessage.source_chat_id == message.chat_id,
            RelayedMessage.source_message_id == message.message_id,
        )
        .limit(1)
    )
    return found is not None


def consult(unit: Unit, officer_id: int, words: str) -> None:
    """/consult [words]: open a consultation explicitly (an officer has one open at most)."""
    officer = unit.session.get_one(Person, officer_id)
    existing = _open_of(unit, officer_id)
    if existing is not None:
        unit.outbox.say(officer, "consult.already_open", ref=existing.reference)
        return
    prompt(unit, officer, open_draft(unit, officer_id, words))


def _open_of(unit: Unit, officer_id: int) -> Consultation | None:
    return unit.session.scalar(
        select(Consultation)
        .where(Consultation.officer_id == officer_id, Consultation.state.in_(OPEN_STATES))
        .order_by(Consultation.id.desc())
        .with_for_update()
    )


def from_officer(unit: Unit, officer_id: int, message: Incoming) -> RelayStatus:
    """Open a draft, add to it, queue for whoever accepts, or relay to the holder."""
    officer = unit.session.get_one(Person, officer_id)
    if message.kind is None:
        unit.outbox.say(officer, "relay.unsupported")
        return RelayStatus.NONE
    if already_taken(unit, message):
        return RelayStatus.NONE
    c = _open_of(unit, officer_id)
    if c is None:
        c = open_draft(unit, officer_id, message.text if message.kind == "text" else "")
        if message.kind != "text":
            keep(unit, c, officer_id, message, EventKind.MESSAGE_QUEUED)
        prompt(unit, officer, c)
        return RelayStatus.NONE
    if c.state == ConsultationState.DRAFT:
        if not (message.kind == "text" and _add_to_draft(c, message.text or "")):
            keep(unit, c, officer_id, message, EventKind.MESSAGE_QUEUED)
        unit.outbox.say(officer, "consult.draft_kept", ref=c.reference)
        prompt(unit, officer, c)
        return RelayStatus.DRAFT
    if c.state == ConsultationState.WAITING:
        keep(unit, c, officer_id, message, EventKind.MESSAGE_QUEUED)
        unit.outbox.say(officer, "consult.queued", ref=c.reference)
        return RelayStatus.QUEUE
    relay(unit, c, view_of(officer), message)
    return RelayStatus.RELAY


def from_holder(unit: Unit, holder_id: int, message: Incoming) -> RelayRoute:
    """A worker's (or a supervisor's) message to the consultation they replied to, else
    their latest; NONE for a supervisor who holds nothing (the edge gives the help)."""
    holder = unit.session.get_one(Person, holder_id)
    active = unit.session.scalars(
        select(Consultation)
        .where(Consultation.worker_id == holder_id, Consultation.state == ConsultationState.ACTIVE)
        .order_by(Consultation.accepted_at.desc(), Consultation.id.desc())
    ).all()
    if not active and holder.role == Role.SUPERVISOR:
        return RelayRoute(RelayStatus.NONE)  # a supervisor holding nothing: the help
    if message.kind is None:
        unit.outbox.say(holder, "relay.unsupported")
        return RelayRoute(RelayStatus.ANSWERED)
    if not active:
        unit.outbox.say(holder, "relay.nothing_open")
        return RelayRoute(RelayStatus.ANSWERED)
    chosen = None
    if message.reply_to is not None:
        linked = linked_consultation(unit.session, message.chat_id, message.reply_to)
        chosen = next((c for c in active if c.id == linked), None)
    guessed = chosen is None and len(active) > 1
    if chosen is None:
        chosen = _most_recent(unit.session, list(active))
    view = view_in(unit.session, chosen)
    if already_taken(unit, message):
        return RelayRoute(RelayStatus.RELAY, view, view.officer, guessed)
    relay(unit, chosen, view_of(holder), message)
    if guessed:
        unit.outbox.notify(
            holder,
            NoticeKind.SAY,
            key="relay.routed_to",
            values={"ref": view.reference, "officer": view.officer.display_name},
            reply_to=message.message_id,
        )
    return RelayRoute(RelayStatus.RELAY, view, view.officer, guessed)


def relay(unit: Unit, c: Consultation, sender: PersonView, message: Incoming) -> None:
    """Record the message as relayed and ask for its copy to the other side."""
    view = view_in(unit.session, c)
    recipient = view.worker if sender.id == view.officer.id else view.officer
    assert recipient is not None and message.kind is not None
    keep(unit, c, sender.id, message, EventKind.MESSAGE_RELAYED)
    copy_to(unit, view, recipient, sender, message.chat_id, message.message_id, message.kind,
            message.text)  # fmt: skip


def copy_to(
    unit: Unit,
    c: ConsultationView,
    recipient: PersonView,
    sender: PersonView,
    chat_id: int,
    message_id: int,
    kind: str,
    text: str | None,
) -> None:
    """One relay notice: the dispatcher copies the message, marked, and links the copies."""
    unit.outbox.notify(
        recipient,
        NoticeKind.RELAY,
        priority=priority_of(c),
        consultation_id=c.id,
        reference=c.reference,
        sender_id=sender.id,
        sender_name=sender.display_name,
        recipient_name=recipient.display_name,
        kind=kind,
        chat_id=chat_id,
        message_id=message_id,
        text=text,
    )


def keep(
    unit: Unit, c: Consultation, sender_id: int, message: Incoming, kind: EventKind
) -> None:
    """The message's event (queued or relayed) and the link of its source to the case."""
    unit.session.add(
        RelayedMessage(
            consultation_id=c.id,
            chat_id=message.chat_id,
            message_id=message.message_id,
            source_chat_id=message.chat_id,
            source_message_id=message.message_id,
            created_at=unit.now,
        )
    )
    data: dict[str, Any] = {
        "kind": message.kind,
        "chat_id": message.chat_id,
        "message_id": message.message_id,
    }
    if message.text is not None:
        data["text"] = message.text
    if message.point is not None:
        data["latitude"], data["longitude"] = message.point
    record_event(unit.session, c.id, kind, sender_id, unit.now, **data)


def open_draft(unit: Unit, officer_id: int, text: str | None) -> Consultation:
    """Start a consultation from the officer's first words; category and urgency come next."""
    c = Consultation(
        officer_id=officer_id,
        state=ConsultationState.DRAFT,
        request_text=(text or "").strip(),
        created_at=unit.now,
    )
    unit.session.add(c)
    unit.session.flush()
    record_event(unit.session, c.id, EventKind.CREATED, officer_id, unit.now, text=c.request_text)
    return c


def _add_to_draft(c: Consultation, text: str) -> bool:
    joined = f"{c.request_text}\n{text.strip()}" if c.request_text else text.strip()
    if len(joined) > MAX_REQUEST_TEXT:
        return False
    c.request_text = joined
    return True


def prompt(unit: Unit, officer: Person, c: Consultation, *, edit: int | None = None) -> None:
    """Ask for whatever the draft still lacks: category first, then urgency."""
    unit.outbox.notify(
        officer,
        NoticeKind.PROMPT,
        priority=Priority.URGENT,
        edit=edit,
        consultation=view_in(unit.session, c),
    )
