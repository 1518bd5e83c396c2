"""Follow-ups at the edge: the question after the outcome at closing, typed dates, notes and
outcome lines (the awaited answer is kept in the database, so a restart loses nothing), the
reminder's buttons and /followups, each one use case that records what people are told
(these handlers only answer the button press); and the timers: one job per distinct due
second, rebuilt from the rows on start, with a sweep behind them that also sends the shift
handover digests and the supervisors' daily summary."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from telegram import CallbackQuery, Message, Update
from telegram.ext import ContextTypes

from bot import callbacks, message_links
from bot.handlers.access import requires
from bot.i18n import t
from bot.render import followups as view
from bot.services import Services
from flows import digests as digesting
from flows import followups
from flows import reminders as reminding
from flows.followups import Act, ActStatus, AnswerStatus, PlanStatus
from flows.people import PersonView
from flows.reminders import Delivered, Reminder
from flows.views import ConsultationView
from flows.vocabulary import Plan, Role, Snooze

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


async def start(services: Services) -> None:
    """On start-up: settle what a crash left half-sent, a wake-up per distinct due second
    (reminders already due fire at once, marked late), the digest timers and the sweep."""
    resend, settled = await services.run(reminding.recover_unconfirmed, services.db, services.clock)
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
                except Exception:
                    log.exception("reminder followup=%s to=%s failed", r.followup.id, person.id)
            return Delivered(
                r.followup.id,
                r.followup.consultation.id,
                reached,
                services.clock(),
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


# --- closing -------------------------------------------------------------------------------


async def ask_plan(services: Services, worker: PersonView, c: ConsultationView) -> None:
    """After the outcome: plan a follow-up?"""
    await services.act(followups.ask_plan, worker.id, c.id)


def _pressed(query: CallbackQuery) -> int | None:
    """The message whose button was pressed: the use case's answer rewrites it."""
    return query.message.message_id if query.message is not None else None


@callbacks.FOLLOWUP_PLAN.handles
async def on_plan(
    services: Services, query: CallbackQuery, person: PersonView, cid: int, choice: Plan
) -> None:
    """A plan button at closing: the question's message says what came of it."""
    zone = services.settings.zone
    result = await services.act(followups.plan, person.id, cid, choice, zone, _pressed(query))
    if result.status == PlanStatus.NOT_YOURS:
        await services.sender.answer(query.id, t(person.language, "callback.invalid"), alert=True)
        return
    await services.sender.answer(query.id)
    if result.status == PlanStatus.SCHEDULED and result.followup is not None:
        schedule(services, result.followup.due_at)
        log.info("follow-up scheduled followup=%s consultation=%s", result.followup.id, cid)


@callbacks.FOLLOWUP_NO_NOTE.handles
async def on_no_note(
    services: Services, query: CallbackQuery, person: PersonView, fid: int
) -> None:
    """No note: the question's message says the follow-up stands without one."""
    zone = services.settings.zone
    await services.act(followups.skip_note, person.id, fid, zone, _pressed(query))
    await services.sender.answer(query.id)


# --- typed answers -------------------------------------------------------------------------


async def on_text(services: Services, person: PersonView, message: Message) -> bool:
    """A typed message the bot was waiting for (date, note, outcome line). False when the
    bot was not waiting for anything from this person: the message is handled as usual."""
    if message.text is None or message.text.startswith("/"):
        return False
    reply = message.reply_to_message
    if reply is not None and await services.run(
        message_links.consultation_of_message, services.db, message.chat_id, reply.message_id
    ):
        return False  # a reply to a consultation's message is meant for that consultation
    policy = services.settings.followup_policy
    result = await services.act(followups.answer, person, message.text, policy)
    f = result.followup
    if result.status == AnswerStatus.NOTHING:
        return False
    if result.status in (AnswerStatus.SCHEDULED, AnswerStatus.SNOOZED) and f is not None:
        schedule(services, f.due_at)
        log.info("follow-up %s followup=%s", result.status.value, f.id)
    elif result.status == AnswerStatus.DONE and f is not None:
        log.info("follow-up done followup=%s by=%s", f.id, person.id)
    return True


# --- the reminder's buttons ----------------------------------------------------------------


async def _refused(services: Services, query: CallbackQuery, person: PersonView, act: Act) -> bool:
    """A press that changed nothing is answered with a toast saying why."""
    lang = person.language
    if act.status == ActStatus.NOT_ALLOWED:
        await services.sender.answer(query.id, t(lang, "callback.invalid"), alert=True)
        return True
    if act.status == ActStatus.NOT_PENDING:
        ref = act.followup.consultation.reference if act.followup else ""
        await services.sender.answer(
            query.id, t(lang, "followup.already_done", ref=ref), alert=True
        )
        return True
    if act.status == ActStatus.TARGET_UNAVAILABLE:
        await services.sender.answer(query.id, t(lang, "followup.target_unavailable"), alert=True)
        return True
    return False


@callbacks.FOLLOWUP_DONE.handles
async def on_done(services: Services, query: CallbackQuery, person: PersonView, fid: int) -> None:
    """Done: the outcome line is asked."""
    act = await services.act(followups.start_done, person.id, fid)
    if not await _refused(services, query, person, act):
        await services.sender.answer(query.id)


@callbacks.FOLLOWUP_SNOOZE.handles
async def on_snooze(
    services: Services, query: CallbackQuery, person: PersonView, fid: int, choice: Snooze
) -> None:
    """Snooze: the reminder's message says when it comes back, or a time is asked."""
    policy = services.settings.followup_policy
    act = await services.act(followups.snooze, person.id, fid, choice, policy, _pressed(query))
    if await _refused(services, query, person, act):
        return
    await services.sender.answer(query.id)
    if act.status == ActStatus.SNOOZED and act.followup is not None:
        schedule(services, act.followup.due_at)


@callbacks.FOLLOWUP_REASSIGN.handles
async def on_reassign(
    services: Services, query: CallbackQuery, person: PersonView, fid: int
) -> None:
    """Reassign: the presser gets the choice of colleagues (and the team's pool)."""
    f, _ = await services.act(followups.reassign_candidates, person.id, fid, services.policy)
    if f is None:
        await services.sender.answer(query.id, t(person.language, "callback.invalid"), alert=True)
        return
    await services.sender.answer(query.id)


@callbacks.FOLLOWUP_REASSIGN_TO.handles
async def on_reassign_to(
    services: Services, query: CallbackQuery, person: PersonView, fid: int, target: int
) -> None:
    """A colleague (or the pool) chosen: the choice's message says so, the new assignee hears."""
    zone = services.settings.zone
    act = await services.act(
        followups.reassign, person.id, fid, target or None, zone, _pressed(query)
    )
    if await _refused(services, query, person, act):
        return
    await services.sender.answer(query.id)
    assert act.followup is not None
    log.info("follow-up reassigned followup=%s to=%s", act.followup.id, target)
    schedule(services, act.followup.due_at)


# --- /followups ----------------------------------------------------------------------------


@requires(Role.WORKER, Role.SUPERVISOR)
async def followups_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    """/followups: my pending follow-ups (and the team's); supervisors see everyone's."""
    await services.act(followups.show_pending, person, services.settings.zone)
