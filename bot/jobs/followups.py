"""Follow-ups as timed jobs: one job per distinct due second, rebuilt from the rows on start,
with a sweep behind them that also runs the shift handover digests and the supervisors'
daily summary. Reminders keep their own exactly-once delivery (flows/reminders.py: claim,
send, record, and a repeat after a crash says it may be one), so they are sent here; the
digests are use cases whose notices the dispatcher sends."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from bot.render import followups as view
from bot.services import Services
from flows import digests as digesting
from flows import reminders as reminding
from flows.reminders import Delivered, Reminder

log = logging.getLogger(__name__)

DRAINS = 3  # delivery passes side by side; each claims at most flows.reminders.CLAIM_BATCH
SEND_CONCURRENCY = 16
_lock = asyncio.Lock()  # one delivery pass at a time in this process (rows are claimed anyway)


# --- timers --------------------------------------------------------------------------------


def schedule(services: Services, due: datetime) -> None:
    """A wake-up at due; every reminder due in the same second shares one job, since a pass
    delivers everything due."""
    second = int(due.timestamp()) + (1 if due.microsecond else 0)
    services.timers.at(f"followup:due:{second}", due, lambda: deliver_due(services))


SHARED_STALE = timedelta(seconds=60)  # several processes: a send older than this is nobody's


async def recover(services: Services) -> tuple[int, int]:
    """Settle reminders a crash left half-sent; with several processes on the database (webhook
    mode) only those claimed long ago, never one another process is sending now."""
    stale = SHARED_STALE if services.settings.webhook_mode else None
    return await services.run(reminding.recover_unconfirmed, services.db, services.clock, stale)


async def start(services: Services) -> None:
    """On start-up: settle what a crash left half-sent, a wake-up per distinct due second
    (reminders already due fire at once, marked late), the digest timers and the sweep."""
    resend, settled = await recover(services)
    due_times = await services.run(reminding.pending_due_times, services.db)
    for due in due_times:
        schedule(services, due)
    interval = timedelta(seconds=services.settings.followup_sweep_seconds)
    services.timers.every("followup:sweep", interval, lambda: sweep(services))
    await _schedule_digests(services)
    log.info(
        "follow-up timers rebuilt: %d due times (resend=%d settled=%d)",
        len(due_times),
        resend,
        settled,
    )


async def _schedule_digests(services: Services) -> None:
    policy = services.settings.followup_policy
    shift = await services.run(digesting.next_shift_start, services.db, services.clock, policy.zone)
    if shift is not None:
        services.timers.at("followup:shift", shift, lambda: digests(services))
    summary_at = digesting.next_summary_time(services.clock(), policy)
    services.timers.at("followup:summary", summary_at, lambda: digests(services))


async def sweep(services: Services) -> None:
    await deliver_due(services)
    await digests(services)


async def deliver_due(services: Services) -> int:
    """Claim and send every due reminder; a few drains run side by side so the database work
    of one batch overlaps the sends of another (claims never overlap: they are conditional
    UPDATEs). Returns how many were delivered."""
    async with _lock:
        counts = await asyncio.gather(*(_drain(services) for _ in range(DRAINS)))
    return sum(counts)


async def _drain(services: Services) -> int:
    delivered = 0
    while True:
        reminders = await services.run(
            reminding.claim_due, services.db, services.clock, services.policy
        )
        if not reminders:
            return delivered
        done = await _send_chunk(services, reminders)
        late = await services.run(
            reminding.record_delivered,
            services.db,
            done,
            services.settings.followup_policy.late_after,
        )
        delivered += sum(1 for d in done if d.recipient_ids)
        log.info("reminders delivered=%d late=%d", len(done), late)


async def _send_chunk(services: Services, chunk: list[Reminder]) -> list[Delivered]:
    gate = asyncio.Semaphore(SEND_CONCURRENCY)

    async def one(r: Reminder) -> Delivered:
        async with gate:
            reached: list[int] = []
            first_at: datetime | None = None  # when the first one had it: presses come after
            late = (
                services.clock() > r.followup.due_at + services.settings.followup_policy.late_after
            )
            for person in r.recipients:
                try:
                    shown = view.reminder(person.language, r, services.settings.zone, late)
                    if await services.sender.text(
                        person.chat_id, shown.text, keyboard=shown.keyboard
                    ):
                        reached.append(person.id)
                        first_at = first_at or services.clock()
                except Exception:
                    log.exception("reminder followup=%s to=%s failed", r.followup.id, person.id)
            return Delivered(
                r.followup.id,
                r.followup.consultation.id,
                reached,
                first_at or services.clock(),
                r.followup.due_at,
            )

    return list(await asyncio.gather(*(one(r) for r in chunk)))


async def digests(services: Services) -> None:
    """Shift handover digests for workers whose shift is under way, and the supervisors'
    daily summary with the overdue list; each claimed once in the transaction that records
    its notice, then sent, and the timers moved on."""
    policy = services.settings.followup_policy
    shift = await services.run(digesting.due_shift_digests, services.db, services.clock, policy)
    summary = await services.run(
        digesting.due_supervisor_summary, services.db, services.clock, policy
    )
    if (shift or summary is not None) and services.dispatcher is not None:
        await services.dispatcher.wake()
    for d in shift:
        log.info("shift digest person=%s", d.person.id)
    if summary is not None:
        log.info(
            "daily summary supervisors=%d overdue=%d",
            len(summary.supervisors),
            len(summary.overdue),
        )
    await _schedule_digests(services)
