"""Relaying between officer and worker: messages are copied (never forwarded, so no account
details leak), marked with the consultation's reference, split when too long, and linked so
a reply routes back to the right consultation."""

from __future__ import annotations

import logging

from telegram import Message, Update

from bot.i18n import t
from bot.render import person_name
from bot.sender import CAPTION_LIMIT
from bot.services import Services
from flows import consultations
from flows.consultations import ConsultationView, QueuedMessage
from flows.people import PersonView

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
) -> list[int]:
    """Deliver one message marked with the reference and who sent it; the ids it produced."""
    mark = t(recipient.language, "relay.mark", ref=consultation.reference, name=person_name(sender))
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
                None,
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
