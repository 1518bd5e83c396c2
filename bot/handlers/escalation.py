"""Escalation at the edge: timers for every waiting consultation (rebuilt from the database
on start, so a restart loses none), the periodic sweep behind them, and the one short line
the officer gets at each step. Nobody accepting is never silence."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from telegram import CallbackQuery

from bot import render
from bot.handlers import resources
from bot.handlers.offers import send_offer_cards, send_pending_offers
from bot.i18n import t
from bot.services import Services
from flows import escalation, people
from flows.consultations import ConsultationView
from flows.escalation import DeclineStatus, Escalation
from flows.people import PersonView
from flows.vocabulary import Tier

log = logging.getLogger(__name__)

_lock = asyncio.Lock()  # one escalation pass at a time in this process


def timer_name(consultation_id: int) -> str:
    return f"escalation:{consultation_id}"


def schedule(services: Services, consultation_id: int, due: datetime) -> None:
    services.timers.at(timer_name(consultation_id), due, lambda: run_due(services))


def cancel(services: Services, consultation_id: int) -> None:
    services.timers.cancel(timer_name(consultation_id))


async def start(services: Services) -> None:
    """On start-up: a timer for each waiting consultation (those already due fire at once),
    and the sweep that also offers queued consultations to whoever came on shift."""
    pending = await services.run(escalation.pending_timers, services.db)
    for cid, due in pending:
        schedule(services, cid, due)
    interval = timedelta(seconds=services.settings.sweep_seconds)
    services.timers.every("escalation:sweep", interval, lambda: sweep(services))
    log.info("escalation timers rebuilt: %d", len(pending))


async def sweep(services: Services) -> None:
    await run_due(services)
    workers = await services.run(
        people.available_workers, services.db, services.clock, services.policy
    )
    for worker in workers:
        await send_pending_offers(services, worker.id)


async def run_due(services: Services) -> None:
    """Escalate everything whose window ran out, tell the officers, send the new cards."""
    async with _lock:
        steps = await services.run(
            escalation.escalate_due, services.db, services.clock, services.policy
        )
    for step in steps:
        await _announce(services, step)
        schedule(services, step.consultation.id, step.next_due)


async def _announce(services: Services, step: Escalation) -> None:
    c = step.consultation
    log.info("escalated consultation=%s tier=%s offers=%d", c.id, step.tier, len(step.offers))
    if step.fallback_now or step.tier < Tier.FALLBACK:
        await tell_officer(services, c)
    await send_offer_cards(services, c, step.offers)


async def tell_officer(services: Services, c: ConsultationView) -> None:
    """One short line for the officer at each step of escalation."""
    officer = c.officer
    lang = officer.language
    if c.tier == Tier.AVAILABLE:  # back in the queue: its worker can no longer hold it
        text = t(lang, "escalation.requeued", ref=c.reference)
    elif c.tier == Tier.WIDER:
        text = t(lang, "escalation.wider", ref=c.reference)
    elif c.tier == Tier.SUPERVISORS:
        text = t(lang, "escalation.supervisors", ref=c.reference)
    else:
        text = t(lang, "escalation.fallback", ref=c.reference, fallback=fallback_text(services, c))
        category = c.category.value if c.category else None
        near = await resources.scene(services, c)
        more = resources.fallback_block(services, lang, category, near, services.clock())
        text = f"{text}\n{more}" if more else text  # the 24/7 lines, what is open nearby
    await services.sender.text(officer.chat_id, text)


def fallback_text(services: Services, c: ConsultationView) -> str:
    """What the officer can do while nobody answers: the configured fallback line."""
    return services.settings.fallback_line


async def on_decline(
    services: Services, query: CallbackQuery, worker: PersonView, consultation_id: int
) -> None:
    """Decline: the card says so; if everyone offered declined, escalate at once."""
    result = await services.run(
        escalation.decline, services.db, worker.id, consultation_id, services.clock
    )
    lang = worker.language
    if result.status != DeclineStatus.DECLINED or result.consultation is None:
        await services.sender.answer(query.id, t(lang, "callback.stale"), alert=True)
        return
    await services.sender.answer(query.id, t(lang, "offer.declined_ok"))
    if query.message is not None:
        card = render.offer_declined_card(lang, result.consultation)
        await services.sender.edit(worker.chat_id, query.message.message_id, card.text)
    log.info("declined consultation=%s worker=%s", consultation_id, worker.id)
    if result.escalate_now:
        await run_due(services)
