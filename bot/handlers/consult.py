"""The officer's side: /consult opens a consultation (any message does too, through
bot/handlers/messages.py), two taps choose category and urgency, and the request goes out
with the reference and how many workers are available now. Never silence."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Message, Update
from telegram.ext import ContextTypes

from bot import callbacks
from bot.handlers.access import requires
from bot.handlers.relay import message_kind, shared_point
from bot.jobs import escalation as escalation_job
from bot.render import answers
from bot.services import Services
from flows import consultations, intake, relaying
from flows.consultations import DraftStatus
from flows.people import PersonView
from flows.relaying import Incoming
from flows.vocabulary import Category, Role, Urgency

log = logging.getLogger(__name__)


@requires(Role.OFFICER)
async def consult_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, officer: PersonView
) -> None:
    """/consult [words]: open a consultation explicitly."""
    await services.act(relaying.consult, officer.id, " ".join(context.args or []))


def incoming(message: Message) -> Incoming:
    """What a message carries, as flows/ reads it."""
    kind = message_kind(message)
    return Incoming(
        message.chat_id,
        message.message_id,
        kind,
        message.text if kind == "text" else message.caption,
        message.reply_to_message.message_id if message.reply_to_message else None,
        shared_point(message),
        message.date,
    )


@callbacks.CATEGORY.handles
async def on_category(
    services: Services, query: CallbackQuery, officer: PersonView, cid: int, category: Category
) -> None:
    """First tap: the category; the same message becomes the urgency question."""
    prompt = query.message.message_id if query.message is not None else None
    result = await services.act(consultations.set_category, officer.id, cid, category, prompt)
    if result.status != DraftStatus.OK or result.consultation is None:
        await _stale(services, query, officer, result.status)
        return
    await services.sender.answer(query.id)


@callbacks.URGENCY.handles
async def on_urgency(
    services: Services, query: CallbackQuery, officer: PersonView, cid: int, urgency: Urgency
) -> None:
    """Second tap: the request goes out to every available worker, or the fallback line."""
    prompt = query.message.message_id if query.message is not None else None
    result = await services.act(
        intake.submit, officer.id, cid, urgency, services.policy, services.screening, prompt
    )
    c = result.consultation
    if result.status != DraftStatus.OK or c is None:
        await _stale(services, query, officer, result.status)
        return
    await services.sender.answer(query.id)
    log.info("submitted consultation=%s tier=%s offers=%d", c.id, c.tier, len(result.offers))
    if result.next_due is not None:
        escalation_job.schedule(services, c.id, result.next_due)


async def _stale(
    services: Services, query: CallbackQuery, officer: PersonView, status: DraftStatus
) -> None:
    log.info("refused draft button status=%s officer=%s", status.value, officer.id)
    answer = answers.draft_refusal(officer.language, status)
    await services.sender.answer(query.id, answer.text, alert=answer.alert)
