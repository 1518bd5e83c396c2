"""Closing: /close from either side, a choice when a worker has several consultations, and
the worker's outcome buttons afterwards."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Update
from telegram.ext import ContextTypes

from bot import callbacks, render
from bot.handlers.access import refuse_press, requires
from bot.handlers.relay import replied_consultation
from bot.i18n import t
from bot.jobs import escalation as escalation_job
from bot.services import Services
from flows import consultations, views
from flows.consultations import CloseStatus, OutcomeStatus
from flows.people import PersonView
from flows.vocabulary import Outcome

log = logging.getLogger(__name__)


@requires()
async def close_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    """/close [C-0042], or /close as a reply to one of the consultation's messages."""
    cid = views.parse_reference(context.args[0]) if context.args else None
    if cid is None:
        cid = await replied_consultation(services, update)
    await close(services, person, cid)


@callbacks.CLOSE.handles
async def on_close_choice(
    services: Services, query: CallbackQuery, person: PersonView, cid: int
) -> None:
    await services.sender.answer(query.id)
    await close(services, person, cid)


async def close(services: Services, person: PersonView, cid: int | None) -> None:
    result = await services.act(consultations.close, person, cid, services.policy)
    c = result.consultation
    if result.status == CloseStatus.CLOSED and c is not None:
        log.info("closed consultation=%s by=%s", c.id, person.id)
        escalation_job.cancel(services, c.id)


@callbacks.OUTCOME.handles
async def on_outcome(
    services: Services, query: CallbackQuery, worker: PersonView, cid: int, outcome: Outcome
) -> None:
    prompt = query.message.message_id if query.message is not None else None
    result = await services.act(consultations.record_outcome, worker.id, cid, outcome, prompt)
    lang = worker.language
    c = result.consultation
    if result.status in (OutcomeStatus.NOT_YOURS, OutcomeStatus.NOT_CLOSED) or c is None:
        await refuse_press(services, query.id, worker)
        return
    shown = render.label(lang, "outcome", c.outcome)
    if result.status == OutcomeStatus.ALREADY_RECORDED:
        await services.sender.answer(
            query.id, t(lang, "outcome.already", outcome=shown), alert=True
        )
        return
    log.info("outcome consultation=%s outcome=%s", c.id, outcome.value)
    await services.sender.answer(query.id)
