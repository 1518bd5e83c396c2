"""Telegram's message ids belong to the edge: once a notice is sent, what it produced is
recorded here, in the transaction that marks it sent. Messages of a consultation are linked
to it (a reply to any of them routes there), an offer card's message is kept on its offer (to
edit it when the case is taken), and a card that arrived after the case was settled, or a
relay that could not be delivered, causes its own notice."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from flows import outbox
from flows.events import record_event
from flows.models import Consultation, Offer, Person, RelayedMessage
from flows.outbox import Notice, Outbox
from flows.relaying import linked_consultation, tell_relay_failed
from flows.store import Clock, Database
from flows.views import view_in
from flows.vocabulary import EventKind, NoticeKind, OfferState, OutboxState

log = logging.getLogger(__name__)


def consultation_of_message(db: Database, chat_id: int, message_id: int) -> int | None:
    """The consultation a message of this chat belongs to (a relayed copy, a card), if any."""
    with db.unit_of_work() as session:
        return linked_consultation(session, chat_id, message_id)


_LINK = insert(RelayedMessage.__table__)  # built once: every relay's copies are linked


def record(
    session: Session, notice: Notice, produced: list[int], delivered: bool, clock: Clock
) -> list[Notice]:
    """Mark the notice done and record what it produced; the notices this causes."""
    state = OutboxState.SENT if delivered else OutboxState.FAILED
    outbox.mark_done(session, notice.id, produced, state, clock)
    now = clock()
    if notice.consultation_id is not None and produced:
        source = _source(notice)
        session.execute(
            _LINK,
            [
                {
                    "consultation_id": notice.consultation_id,
                    "chat_id": notice.chat_id,
                    "message_id": message_id,
                    "source_chat_id": source[0] if source else notice.chat_id,
                    "source_message_id": source[1] if source else message_id,
                    "created_at": now,
                }
                for message_id in produced
            ],
        )
    box = Outbox(session, now)
    if notice.kind == NoticeKind.OFFER_CARD:
        _card_sent(session, box, notice, produced)
    elif notice.kind == NoticeKind.RELAY and not delivered:
        _relay_failed(session, box, notice, now)
    return box.recorded


def _source(notice: Notice) -> tuple[int, int] | None:
    if notice.kind != NoticeKind.RELAY:
        return None
    return int(notice.params["chat_id"]), int(notice.params["message_id"])


def _card_sent(session: Session, box: Outbox, notice: Notice, produced: list[int]) -> None:
    """Remember where the card is; one that arrived after the case was taken, withdrawn or
    closed is rewritten at once to say so."""
    offer = session.get(Offer, int(notice.params["offer_id"]))
    if offer is None:
        return
    if not produced:
        log.warning("offer card not delivered offer=%s chat=%s", offer.id, notice.chat_id)
        return
    offer.chat_id, offer.message_id = notice.chat_id, produced[-1]
    if offer.state in (OfferState.OPEN, OfferState.DECLINED):
        return
    c = view_in(session, session.get_one(Consultation, offer.consultation_id))
    if c.worker is not None and c.worker.id == offer.worker_id:
        state = "mine"
    elif c.worker is not None:
        state = "taken"
    else:
        state = "withdrawn"
    box.notify(
        session.get_one(Person, offer.worker_id),
        NoticeKind.CARD,
        edit=produced[-1],
        consultation=c,
        state=state,
    )


def _relay_failed(session: Session, box: Outbox, notice: Notice, now: datetime) -> None:
    """The sender hears that their message did not reach the other side (how it is said:
    flows/relaying.py); the timeline says so beside its `message_relayed` (which a later
    holder still reads in the conversation so far)."""
    sender = session.get(Person, int(notice.params["sender_id"]))
    if sender is None:
        return
    log.warning("relay failed consultation=%s to chat=%s", notice.consultation_id, notice.chat_id)
    if notice.consultation_id is not None:
        record_event(
            session, notice.consultation_id, EventKind.RELAY_FAILED, sender.id, now,
            message_id=int(notice.params["message_id"]),
        )  # fmt: skip
    tell_relay_failed(
        session, box, sender, notice.chat_id, str(notice.params["reference"]),
        str(notice.params["recipient_name"]),
    )  # fmt: skip
