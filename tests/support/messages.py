"""Messages as people send them, through the use cases the bot's relay handler calls, and
what the edge records once it has sent a notice (where an offer card landed, which messages
a relay produced), as bot/message_links.py does after a send."""

from __future__ import annotations

from sqlalchemy import update

from bot import message_links
from flows import outbox, relaying
from flows.models import Offer
from flows.people import PersonView
from flows.relaying import Incoming, RelayRoute, RelayStatus
from flows.store import Clock, Database
from flows.vocabulary import NoticeKind, Role
from tests.support.units import act


def text(
    person: PersonView, message_id: int, words: str, *, reply_to: int | None = None
) -> Incoming:
    return Incoming(person.chat_id, message_id, "text", words, reply_to=reply_to)


def location(person: PersonView, message_id: int, point: tuple[float, float] | None) -> Incoming:
    return Incoming(person.chat_id, message_id, "location", None, point=point)


def send(
    db: Database, clock: Clock, person: PersonView, message: Incoming
) -> RelayStatus | RelayRoute:
    """One incoming message of an officer (from_officer) or a holder (from_holder)."""
    if person.role == Role.OFFICER:
        return act(db, clock, relaying.from_officer, person, message)
    return act(db, clock, relaying.from_holder, person, message)


def card_shown(db: Database, offer_id: int, chat_id: int, message_id: int) -> None:
    """The offer card was sent and landed as this message (the dispatcher keeps it)."""
    with db.unit_of_work() as session:
        session.execute(
            update(Offer).where(Offer.id == offer_id).values(chat_id=chat_id, message_id=message_id)
        )


def delivered(
    db: Database, clock: Clock, kind: NoticeKind, chat_id: int, produced: list[int]
) -> outbox.Notice:
    """The latest unsent notice of this kind to this chat was sent and produced these
    messages: recorded as the dispatcher records it (links for reply routing included)."""
    pending = [n for n in outbox.unsent(db) if n.kind == kind and n.chat_id == chat_id]
    assert pending, f"no unsent {kind} notice to chat {chat_id}"
    notice = pending[-1]
    with db.unit_of_work() as session:
        message_links.record(session, notice, produced, True, clock)
    return notice
