"""The Decline button: the card says so; if that leaves nobody with an open offer (and the
officer was not already given the fallback line), the escalation job runs at once."""

from __future__ import annotations

import logging

from telegram import CallbackQuery

from bot import callbacks
from bot.i18n import t
from bot.jobs.escalation import run_due
from bot.services import Services
from flows import escalation
from flows.escalation import DeclineStatus
from flows.people import PersonView

log = logging.getLogger(__name__)


@callbacks.DECLINE.handles
async def on_decline(
    services: Services, query: CallbackQuery, worker: PersonView, consultation_id: int
) -> None:
    """Decline: the card says so; escalate at once when the request is due now (the flows'
    rule shared with going off, escalation._due_now_if_nobody_left)."""
    card = query.message.message_id if query.message is not None else None
    result = await services.act(escalation.decline, worker.id, consultation_id, card)
    lang = worker.language
    if result.status != DeclineStatus.DECLINED or result.consultation is None:
        await services.sender.answer(query.id, t(lang, "callback.stale"), alert=True)
        return
    await services.sender.answer(query.id, t(lang, "offer.declined_ok"))
    log.info("declined consultation=%s worker=%s", consultation_id, worker.id)
    if result.escalate_now:
        await run_due(services)
