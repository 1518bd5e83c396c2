"""Relaying between officer and worker: messages are copied (never forwarded, so no account
details leak), marked with the consultation's reference, split when too long, and linked so
a reply routes back to the right consultation. A consultation's new holder is briefed with
the rest of the request and the conversation so far."""

from __future__ import annotations

import logging

from telegram import Message, Update

from bot import render
from bot.i18n import t
from bot.sender import CAPTION_LIMIT
from bot.services import Services
from flows import consultations
from flows.consultations import HistoryItem, QueuedMessage
from flows.people import PersonView
from flows.views import ConsultationView

log = logging.getLogger(__name__)

CAPTIONED = ("photo", "video", "document", "voice", "audio", "animation")
UNCAPTIONED = ("location", "venue", "contact", "sticker", "video_note")
SUPPORTED = ("text", *CAPTIONED, *UNCAPTIONED)


def message_kind(message: Message) -> str | None:
    """What this message carries, or None when it cannot be relayed (polls, dice, games...)."""
    if message.text is not None:
        return "text"
    for kind in (*CAPTIONED, *UNCAPTIONED):
        if getattr(message, kind, None):
            return kind
    return None


def shared_point(message: Message) -> tuple[float, float] | None:
    """The point of a shared location (or venue), kept with the consultation's messages."""
    found = message.location
    return (found.latitude, found.longitude) if found is not None else None


async def relay(
    services: Services,
    consultation: ConsultationView,
    sender: PersonView,
    recipient: PersonView,
    message: Message,
) -> bool:
    """Copy one message to the other side and record it; False if it could not be delivered."""
    kind = message_kind(message)
    assert kind is not None
    if await services.run(
        consultations.already_taken_in, services.db, message.chat_id, message.message_id
    ):
        log.info("skipped replayed message consultation=%s", consultation.id)
        return True
    delivered = await copy_marked(
        services,
        consultation,
        sender,
        recipient,
        message.chat_id,
        message.message_id,
        kind,
        text=message.text,
        caption=message.caption,
    )
    if not delivered:
        log.warning("relay failed consultation=%s to=%s", consultation.id, recipient.id)
        return False
    await services.run(
        consultations.record_relay,
        services.db,
        consultation.id,
        sender.id,
        (message.chat_id, message.message_id),
        [(recipient.chat_id, mid) for mid in delivered],
        kind,
        message.text if kind == "text" else message.caption,
        services.clock,
        shared_point(message),
    )
    log.info("relayed consultation=%s kind=%s from=%s", consultation.id, kind, sender.id)
    return True


async def copy_marked(
    services: Services,
    consultation: ConsultationView,
    sender: PersonView,
    recipient: PersonView,
    from_chat_id: int,
    message_id: int,
    kind: str,
    *,
    text: str | None,
    caption: str | None,
    mark_key: str = "relay.mark",
) -> list[int]:
    """Deliver one message marked with the reference and who sent it; the ids it produced."""
    mark = t(
        recipient.language, mark_key, ref=consultation.reference, name=render.person_name(sender)
    )
    out = services.sender
    if kind == "text":
        return await out.text(recipient.chat_id, f"{mark}\n{text or ''}")
    if kind in CAPTIONED:
        full = f"{mark}\n{caption}" if caption else mark
        if len(full) <= CAPTION_LIMIT:
            copied = await out.copy(recipient.chat_id, from_chat_id, message_id, caption=full)
            return [copied] if copied else []
        header = await out.text(recipient.chat_id, mark)
        copied = await out.copy(recipient.chat_id, from_chat_id, message_id)
        return [*header, copied] if copied else []
    header = await out.text(recipient.chat_id, t(recipient.language, "relay.shared", mark=mark))
    if not header:
        return []
    copied = await out.copy(recipient.chat_id, from_chat_id, message_id, reply_to=header[0])
    return [*header, copied] if copied else []


async def brief_new_holder(
    services: Services,
    consultation: ConsultationView,
    holder: PersonView,
    history: list[HistoryItem],
    queued: list[QueuedMessage],
) -> None:
    """Whoever receives a consultation (accept, transfer, take-over, reassignment, an accept
    after a requeue) reads it whole after its card: the rest of a request too long for the
    card, the conversation so far marked as history, then what the officer sent meanwhile."""
    await _send_request_rest(services, consultation, holder)
    await _send_history(services, consultation, holder, history)
    await deliver_queued(services, consultation, queued)


async def _send_request_rest(
    services: Services, consultation: ConsultationView, holder: PersonView
) -> None:
    """The officer's words past the card's preview, split by the sender, never cut."""
    rest = render.request_rest(consultation)
    if not rest:
        return
    officer = render.person_name(consultation.officer)
    mark = t(holder.language, "relay.request_rest", ref=consultation.reference, name=officer)
    sent = await services.sender.text(holder.chat_id, f"{mark}\n…{rest}")
    if not sent:
        log.warning("request rest not delivered consultation=%s to=%s", consultation.id, holder.id)
    await _link(services, consultation, holder, sent)


async def _send_history(
    services: Services,
    consultation: ConsultationView,
    holder: PersonView,
    history: list[HistoryItem],
) -> None:
    """A header, then each message relayed so far, copied from where it was written and
    marked as history; all linked to the consultation, so a reply to any routes there."""
    if not history:
        return
    header = t(
        holder.language, "relay.history_header", ref=consultation.reference, count=len(history)
    )
    produced = await services.sender.text(holder.chat_id, header)
    for item in history:
        copied = await copy_marked(
            services,
            consultation,
            item.sender,
            holder,
            item.source_chat_id,
            item.source_message_id,
            item.kind,
            text=item.text,
            caption=item.text,
            mark_key="relay.history_mark",
        )
        if not copied:
            log.warning(
                "history message not delivered consultation=%s to=%s", consultation.id, holder.id
            )
        produced += copied
    await _link(services, consultation, holder, produced)
    log.info(
        "history sent consultation=%s to=%s messages=%d", consultation.id, holder.id, len(history)
    )


async def _link(
    services: Services, consultation: ConsultationView, holder: PersonView, ids: list[int]
) -> None:
    if ids:
        await services.run(
            consultations.link_messages,
            services.db,
            consultation.id,
            holder.chat_id,
            ids,
            services.clock,
        )


async def deliver_queued(
    services: Services, consultation: ConsultationView, queued: list[QueuedMessage]
) -> None:
    """Messages the officer sent before anyone accepted reach the worker right after."""
    worker = consultation.worker
    if worker is None:
        return
    for item in queued:
        delivered = await copy_marked(
            services,
            consultation,
            consultation.officer,
            worker,
            item.source_chat_id,
            item.source_message_id,
            item.kind,
            text=item.text,
            caption=item.text,
        )
        if delivered:
            await services.run(
                consultations.record_relay,
                services.db,
                consultation.id,
                consultation.officer.id,
                (item.source_chat_id, item.source_message_id),
                [(worker.chat_id, mid) for mid in delivered],
                item.kind,
                item.text,
                services.clock,
            )


async def replied_consultation(services: Services, update: Update) -> int | None:
    """The consultation a command was sent in reply to (a relayed message, a card), if any."""
    message = update.effective_message
    if message is None or message.reply_to_message is None:
        return None
    return await services.run(
        consultations.consultation_of_message,
        services.db,
        message.chat_id,
        message.reply_to_message.message_id,
    )
