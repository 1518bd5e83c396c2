"""The officer's answers to the screening questions (yes, no, or skip them all). An answer
that raised the urgency brings the escalation timer forward."""

from __future__ import annotations

import logging

from telegram import CallbackQuery

from bot import callbacks
from bot.i18n import t
from bot.jobs import escalation as escalation_job
from bot.services import Services
from flows import screening
from flows.people import PersonView
from flows.screening import ScreenStatus

log = logging.getLogger(__name__)


@callbacks.SCREEN_ANSWER.handles
async def on_answer(
    services: Services, query: CallbackQuery, officer: PersonView, cid: int, code: int
) -> None:
    index, yes = divmod(code, 2)
    message = query.message.message_id if query.message is not None else None
    result = await services.act(
        screening.answer, officer.id, cid, index, yes == 1, services.screening,
        services.policy, message,
    )  # fmt: skip
    if result.status == ScreenStatus.STALE:
        await services.sender.answer(query.id, t(officer.language, "callback.stale"), alert=True)
        return
    await services.sender.answer(query.id)
    log.info("screening answer consultation=%s position=%s", cid, index)
    if result.next_due is not None:
        escalation_job.schedule(services, cid, result.next_due)


@callbacks.SCREEN_SKIP.handles
async def on_skip(services: Services, query: CallbackQuery, officer: PersonView, cid: int) -> None:
    message = query.message.message_id if query.message is not None else None
    result = await services.act(screening.skip, officer.id, cid, message)
    if result.status == ScreenStatus.STALE:
        await services.sender.answer(query.id, t(officer.language, "callback.stale"), alert=True)
        return
    await services.sender.answer(query.id)
