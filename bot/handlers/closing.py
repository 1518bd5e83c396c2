"""Closing: /close from either side, a choice when a worker has several consultations, and
the worker's outcome buttons afterwards."""

from __future__ import annotations

import asyncio
import logging

from telegram import CallbackQuery, Update
from telegram.ext import ContextTypes

from bot import render
from bot.handlers import escalation, followups
from bot.handlers.access import requires
from bot.handlers.offers import send_pending_offers
from bot.handlers.relay import replied_consultation
from bot.i18n import t
from bot.render import person_name
from bot.services import Services
from flows import consultations
from flows.consultations import CloseStatus, OutcomeStatus
from flows.people import PersonView
from flows.vocabulary import Outcome

log = logging.getLogger(__name__)


@requires()
async def close_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    """/close [C-0042], or /close as a reply to one of the consultation's messages."""
    cid = consultations.parse_reference(context.args[0]) if context.args else None
    if cid is None:
        cid = await replied_consultation(services, update)
    await close(services, person, cid)


async def on_close_choice(
    services: Services, query: CallbackQuery, person: PersonView, cid: int
) -> None:
    await services.sender.answer(query.id)
    await close(services, person, cid)


async def close(services: Services, person: PersonView, cid: int | None) -> None:
    result = await services.run(consultations.close, services.db, person, cid, services.clock)
    lang = person.language
    if result.status == CloseStatus.CHOOSE:
        choice = render.close_choice(lang, result.choices)
        await services.sender.text(person.chat_id, choice.text, keyboard=choice.keyboard)
        return
    c = result.consultation
    if result.status != CloseStatus.CLOSED or c is None:
        await services.sender.text(person.chat_id, t(lang, "close.nothing_open"))
        return
    log.info("closed consultation=%s by=%s", c.id, person.id)
    officer, worker = c.officer, c.worker
    if person.id == officer.id:
        await services.sender.text(
            officer.chat_id, t(officer.language, "close.done_officer", ref=c.reference)
        )
        if worker is not None:
            await services.sender.text(
                worker.chat_id,
                t(worker.language, "close.closed_by", ref=c.reference, name=person_name(officer)),
            )
    else:
        await services.sender.text(
            officer.chat_id,
            t(
                officer.language,
                "close.closed_by_worker",
                ref=c.reference,
                name=person_name(person),
            ),
        )
    if worker is not None:
        prompt = render.outcome_prompt(worker.language, c)
        await services.sender.text(worker.chat_id, prompt.text, keyboard=prompt.keyboard)
        await send_pending_offers(services, worker.id)  # capacity freed: take the next one
    escalation.cancel(services, c.id)
    await asyncio.gather(
        *(
            services.sender.edit(
                card.chat_id,
                card.message_id,
                render.offer_withdrawn_card(card.worker.language, c).text,
            )
            for card in result.withdrawn_cards
        )
    )


async def on_outcome(
    services: Services, query: CallbackQuery, worker: PersonView, cid: int, outcome: Outcome
) -> None:
    result = await services.run(
        consultations.record_outcome, services.db, worker.id, cid, outcome, services.clock
    )
    lang = worker.language
    c = result.consultation
    if result.status in (OutcomeStatus.NOT_YOURS, OutcomeStatus.NOT_CLOSED) or c is None:
        await services.sender.answer(query.id, t(lang, "callback.invalid"), alert=True)
        return
    shown = render.label(lang, "outcome", c.outcome)
    if result.status == OutcomeStatus.ALREADY_RECORDED:
        await services.sender.answer(
            query.id, t(lang, "outcome.already", outcome=shown), alert=True
        )
        return
    log.info("outcome consultation=%s outcome=%s", c.id, outcome.value)
    await services.sender.answer(query.id)
    if query.message is not None:
        await services.sender.edit(
            worker.chat_id,
            query.message.message_id,
            t(lang, "outcome.recorded", ref=c.reference, outcome=shown),
        )
    await followups.ask_plan(services, worker, c)
