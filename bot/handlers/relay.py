"""What the edge reads from a message before a use case relays it: what it carries (or that
it cannot be relayed), a shared location's point, and the consultation a reply points to.
The copying itself is a notice (bot/render/notices.py, sent by bot/dispatcher.py)."""

from __future__ import annotations

import logging

from telegram import Message, Update

from bot import message_links
from bot.sender import CAPTIONED
from bot.services import Services

log = logging.getLogger(__name__)

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


async def replied_consultation(services: Services, update: Update) -> int | None:
    """The consultation a command was sent in reply to (a relayed message, a card), if any."""
    message = update.effective_message
    if message is None or message.reply_to_message is None:
        return None
    return await services.run(
        message_links.consultation_of_message,
        services.db,
        message.chat_id,
        message.reply_to_message.message_id,
    )
