"""Escalation as a timed job: a timer for every waiting consultation (rebuilt from the
database on start, so a restart loses none) and the periodic sweep behind them. Each step is
a use case (flows/escalation.py) that records the officer's line and the new cards; the pass
then wakes the dispatcher to send what they committed. Nobody accepting is never silence."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from bot import metrics
from bot.services import Services
from flows import escalation, offers, people
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
        await services.act(offers.offer_waiting_to, worker.id, services.policy)


async def run_due(services: Services) -> None:
    """Escalate everything whose window ran out (each step one use case that records the
    officer's line and the new cards), then send what they committed."""
    async with _lock:
        steps = await services.run(
            escalation.escalate_due, services.db, services.clock, services.policy
        )
    if steps and services.dispatcher is not None:
        await services.dispatcher.wake()
    for step in steps:
        c = step.consultation
        log.info("escalated consultation=%s tier=%s offers=%d", c.id, step.tier, len(step.offers))
        metrics.ESCALATIONS.labels(Tier(step.tier).name.lower()).inc()
        if step.fallback_now:
            metrics.FALLBACKS.inc()
        schedule(services, c.id, step.next_due)
