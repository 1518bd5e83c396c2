"""A message someone sends, decided in one transaction: an officer's opens a consultation,
adds to its draft, waits with it for whoever accepts, or is relayed to its holder; a holder's
goes to the consultation they replied to, else their latest. The copy itself is a notice in
the outbox (the dispatcher sends it and links what it produced), so a crash after this commit
still delivers it, and a replayed update finds it already taken. Also what a new holder reads:
the messages queued before an accept, the conversation so far, and the briefing notices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, insert, or_, select
from sqlalchemy.orm import Session, aliased

from flows.events import record_event
from flows.models import Consultation, Event, Offer, Person, RelayedMessage, reference_of
from flows.offers import redraw_open_cards
from flows.outbox import Outbox
from flows.people import PERSON_COLUMNS, PersonView, view_of, view_of_row
from flows.routing import RoutingPolicy
from flows.unit import Unit
from flows.views import (
    CONSULTATION_COLUMNS,
    OPEN_STATES,
    ConsultationView,
    priority_of,
    request_rest,
    view_in,
)
from flows.views import view_of_row as consultation_of_row
from flows.vocabulary import (
    ConsultationState,
    EventKind,
    NoticeKind,
    Priority,
    Role,
)


@dataclass(frozen=True)
class Incoming:
    """What the edge read from one Telegram message (kind None: it cannot be relayed)."""

    chat_id: int
    message_id: int
    kind: str | None
    text: str | None  # the text, or a media's caption
    reply_to: int | None = None
    point: tuple[float, float] | None = None  # a shared location's
    sent_at: datetime | None = None  # when it was typed (Telegram's date), if known


# The relay's statements are built once (every message runs them; building one costs more
# than running it on SQLite) and given their values when executed.
_TAKEN = (
    select(RelayedMessage.id)
    .where(
        RelayedMessage.source_chat_id == bindparam("chat_id"),
        RelayedMessage.source_message_id == bindparam("message_id"),
    )
    .limit(1)
)
_HOLDER = aliased(Person)
# The officer's open case with its holder, as plain columns (no ORM objects: every relayed
# line runs it, and loading objects costs several times the query). Locked: a close or a
# handover waits for the line to be recorded, or the line sees the case closed.
_OPEN_ROW = (
    select(
        *CONSULTATION_COLUMNS,
        Consultation.worker_id,
        *(getattr(_HOLDER, c.key) for c in PERSON_COLUMNS),
    )
    .outerjoin(_HOLDER, _HOLDER.id == Consultation.worker_id)
    .where(
        Consultation.officer_id == bindparam("officer_id"),
        or_(*(Consultation.state == state for state in OPEN_STATES)),  # no IN: cached whole
    )
    .order_by(Consultation.id.desc())
    .limit(1)
    .with_for_update(of=Consultation)
)
_SPLIT = len(CONSULTATION_COLUMNS)
_OPEN_OF = (
    select(Consultation)
    .where(Consultation.officer_id == bindparam("officer_id"), Consultation.state.in_(OPEN_STATES))
    .order_by(Consultation.id.desc())
    .limit(1)
    .with_for_update()
)
_KEEP = insert(RelayedMessage.__table__)


def already_taken(unit: Unit, message: Incoming) -> bool:
    """This message was relayed or queued already (its update is being replayed)."""
    if unit.first_sight:
        return False
    found = unit.session.scalar(
        _TAKEN, {"chat_id": message.chat_id, "message_id": message.message_id}
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
    return unit.session.scalar(_OPEN_OF, {"officer_id": officer_id})


def _open_view(unit: Unit, officer: PersonView) -> ConsultationView | None:
    """The officer's open case as a view, read in one statement with its holder."""
    row = unit.session.connection().execute(_OPEN_ROW, {"officer_id": officer.id}).first()
    if row is None:
        return None
    worker_id, holder = row[_SPLIT], row[_SPLIT + 1 :]
    worker = None
    if worker_id is not None and holder[0] == worker_id:
        worker = view_of_row(holder)
    elif worker_id is not None:  # accepted while this waited for the lock: PostgreSQL reads
        worker = view_of(unit.session.get_one(Person, worker_id))  # the case again, not its join
    return consultation_of_row(row[:_SPLIT], officer, worker)


def from_officer(
    unit: Unit, officer: PersonView, message: Incoming, policy: RoutingPolicy | None = None
) -> RelayStatus:
    """Open a draft, add to it, queue for whoever accepts, or relay to the holder. (The
    policy: a waiting case's cards redrawn with the scene keep the person's history.) The
    relay to a holder, every line of a conversation, reads the case as a view and writes
    plain rows; the rarer steps load the case as an object and change it."""
    if message.kind is None:
        unit.outbox.say(officer, "relay.unsupported")
        return RelayStatus.NONE
    if already_taken(unit, message):
        return RelayStatus.NONE
    found = _open_view(unit, officer)
    if found is not None and found.state == ConsultationState.ACTIVE:
        relay(unit, found, officer, message)
        return RelayStatus.RELAY
    if found is None:
        c = open_draft(unit, officer.id, message.text if message.kind == "text" else "")
        if message.kind != "text":
            keep(unit, c.id, officer.id, message, EventKind.MESSAGE_QUEUED)
        prompt(unit, officer, c)
        return RelayStatus.NONE
    c = unit.session.get_one(Consultation, found.id)
    if c.state == ConsultationState.ACTIVE:  # not seen so in the row (the lock's re-read)
        relay(unit, view_in(unit.session, c, officer), officer, message)
        return RelayStatus.RELAY
    if c.state == ConsultationState.DRAFT:
        if not (message.kind == "text" and _add_to_draft(c, message.text or "")):
            keep(unit, c.id, officer.id, message, EventKind.MESSAGE_QUEUED)
        # Not asked again: the question is on screen just above (asked after every message,
        # three messages showed it four times).
        unit.outbox.say(officer, "consult.draft_kept", ref=c.reference)
        return RelayStatus.DRAFT
    keep(unit, c.id, officer.id, message, EventKind.MESSAGE_QUEUED)  # WAITING
    if message.point is not None:  # the scene: its area on the open cards
        redraw_open_cards(unit, view_in(unit.session, c, officer), policy)
        unit.outbox.say(officer, "location.kept_waiting", ref=c.reference)
    else:
        unit.outbox.say(officer, "consult.queued", ref=c.reference)
    return RelayStatus.QUEUE


def from_holder(unit: Unit, holder: PersonView, message: Incoming) -> RelayRoute:
    """A worker's (or a supervisor's) message to the consultation they replied to, else
    their latest; NONE for a supervisor who holds nothing (the edge gives the help)."""
    active = unit.session.scalars(
        select(Consultation)
        .where(Consultation.worker_id == holder.id, Consultation.state == ConsultationState.ACTIVE)
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
        if linked is not None and chosen is None:  # closed, or no longer theirs
            _refuse_ended_reply(unit, holder, linked, message)
            return RelayRoute(RelayStatus.ANSWERED)
    guessed = chosen is None and len(active) > 1
    if chosen is None:
        chosen = _most_recent(unit.session, list(active))
    view = view_in(unit.session, chosen, holder)
    if already_taken(unit, message):
        return RelayRoute(RelayStatus.RELAY, view, view.officer, guessed)
    relay(unit, view, holder, message)
    if guessed:
        unit.outbox.notify(
            holder,
            NoticeKind.SAY,
            key="relay.routed_to",
            values={"ref": view.reference, "officer": view.officer.display_name},
            reply_to=message.message_id,
        )
    return RelayRoute(RelayStatus.RELAY, view, view.officer, guessed)


def _refuse_ended_reply(unit: Unit, holder: PersonView, linked: int, message: Incoming) -> None:
    """A reply to a message of a consultation this person no longer holds is meant for that
    one: passed on to the case they hold now, it would reach another officer with words
    about someone else. Not passed on; they are told why."""
    unit.outbox.notify(
        holder,
        NoticeKind.SAY,
        key="relay.reply_to_ended",
        values={"ref": reference_of(linked)},
        reply_to=message.message_id,
    )


def relay(unit: Unit, c: ConsultationView, sender: PersonView, message: Incoming) -> None:
    """Record the message as relayed and ask for its copy to the other side (one relay
    notice: the dispatcher copies the message, marked, and links the copies)."""
    recipient = c.worker if sender.id == c.officer.id else c.officer
    assert recipient is not None
    keep(unit, c.id, sender.id, message, EventKind.MESSAGE_RELAYED)
    params = relay_params(c, recipient, sender, message)
    if message.reply_to is not None:
        answered = counterpart(unit.session, message.chat_id, message.reply_to, recipient.chat_id)
        if answered is not None:
            params["reply_to"] = answered
    unit.outbox.notify(
        recipient, NoticeKind.RELAY, priority=priority_of(c), consultation_id=c.id, **params
    )


def tell_relay_failed(
    session: Session,
    box: Outbox,
    sender: Person,
    recipient_chat: int,
    reference: str,
    recipient_name: str,
) -> None:
    """A copy that did not reach the other side: a holder whose officer blocked the bot
    hears so, with the consultation's reference (trying again cannot help: reach them
    another way or close it); another holder, to try again, with the reference (they may
    hold several); an officer, whose holder may have blocked it (the case is then back in
    the queue: never told to close it), to try again, with the fallback line."""
    recipient = session.scalar(select(Person).where(Person.telegram_user_id == recipient_chat))
    if (
        recipient is not None
        and recipient.unreachable_since is not None
        and recipient.role == Role.OFFICER
    ):
        box.say(
            sender, "relay.failed_blocked", priority=Priority.URGENT, ref=reference,
            name=recipient_name,
        )  # fmt: skip
        return
    if sender.role != Role.OFFICER:  # a holder: the public fallback line is not for them
        box.say(
            sender, "relay.failed_holder", priority=Priority.URGENT, ref=reference,
            name=recipient_name,
        )  # fmt: skip
        return
    box.say(sender, "relay.failed", priority=Priority.URGENT, name=recipient_name, fallback=None)


def counterpart(
    session: Session, sender_chat: int, message_id: int, recipient_chat: int
) -> int | None:
    """The message in the recipient's chat that a reply in the sender's chat answers, so
    the copy answers it too: the recipient's own message, of which the sender replied to
    the copy, or the copy the recipient has of the sender's own message."""
    original = session.scalar(
        select(RelayedMessage.source_message_id).where(
            RelayedMessage.chat_id == sender_chat,
            RelayedMessage.message_id == message_id,
            RelayedMessage.source_chat_id == recipient_chat,
        )
    )
    if original is not None:
        return int(original)
    copy = session.scalar(
        select(RelayedMessage.message_id)
        .where(
            RelayedMessage.source_chat_id == sender_chat,
            RelayedMessage.source_message_id == message_id,
            RelayedMessage.chat_id == recipient_chat,
        )
        .order_by(RelayedMessage.id)
        .limit(1)
    )
    return int(copy) if copy is not None else None


def relay_params(
    c: ConsultationView, recipient: PersonView, sender: PersonView, message: Incoming
) -> dict[str, Any]:
    """What a relay notice carries (here and in the fast lane, flows/lane.py)."""
    assert message.kind is not None
    return {
        "reference": c.reference,
        "sender_id": sender.id,
        "sender_name": sender.display_name,
        "recipient_name": recipient.display_name,
        "kind": message.kind,
        "chat_id": message.chat_id,
        "message_id": message.message_id,
        "text": message.text,
    }


def keep(
    unit: Unit, consultation_id: int, sender_id: int, message: Incoming, kind: EventKind
) -> None:
    """The message's event (queued or relayed) and the link of its source to the case."""
    unit.session.connection().execute(_KEEP, link_row(consultation_id, message, unit.now))
    record_event(unit.session, consultation_id, kind, sender_id, unit.now, **event_data(message))


def link_row(consultation_id: int, message: Incoming, now: datetime) -> dict[str, Any]:
    """The link of a source message to its case: a replay finds it taken."""
    return {
        "consultation_id": consultation_id,
        "chat_id": message.chat_id,
        "message_id": message.message_id,
        "source_chat_id": message.chat_id,
        "source_message_id": message.message_id,
        "created_at": now,
    }


def event_data(message: Incoming) -> dict[str, Any]:
    """What a queued or relayed message's event keeps of it."""
    data: dict[str, Any] = {
        "kind": message.kind,
        "chat_id": message.chat_id,
        "message_id": message.message_id,
    }
    if message.text is not None:
        data["text"] = message.text
    if message.point is not None:
        data["latitude"], data["longitude"] = message.point
    return data


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


def prompt(
    unit: Unit, officer: Person | PersonView, c: Consultation, *, edit: int | None = None
) -> None:
    """Ask for whatever the draft still lacks: category first, then urgency."""
    unit.outbox.notify(
        officer,
        NoticeKind.PROMPT,
        priority=Priority.URGENT,
        edit=edit,
        consultation=view_in(unit.session, c, *_views(officer)),
    )


def _views(person: Person | PersonView) -> tuple[PersonView, ...]:
    return (person,) if isinstance(person, PersonView) else ()


MAX_REQUEST_TEXT = 16_000  # a draft grows no longer; further messages are queued whole


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
    priority = priority_of(c)
    if items or request_rest(c):  # nothing to brief: no notice (and no transaction to record it)
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
