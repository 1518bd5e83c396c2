"""Follow-ups at the edge: the question after the outcome at closing, typed dates, notes and
outcome lines (the awaited answer is kept in the database, so a restart loses nothing), the
reminder's buttons, /followups, and the timers: one job per distinct due second, rebuilt
from the rows on start, with a sweep behind them that also sends the shift handover digests
and the supervisors' daily summary."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from telegram import CallbackQuery, Message, Update
from telegram.ext import ContextTypes

from bot import message_links
from bot.handlers.access import requires
from bot.i18n import t
from bot.render import followups as view
from bot.render import local_time, person_name
from bot.services import Services
from flows import digests as digesting
from flows import followups
from flows import reminders as reminding
from flows.followups import (
    Act,
    ActStatus,
    AnswerStatus,
    PlanStatus,
)
from flows.people import PersonView
from flows.reminders import Delivered, Reminder
from flows.views import ConsultationView
from flows.vocabulary import Plan, Role, Snooze

log = logging.getLogger(__name__)

DRAINS = 3  # delivery passes side by side; each claims at most flows.reminders.CLAIM_BATCH
SEND_CONCURRENCY = 16
_lock = asyncio.Lock()  # one delivery pass at a time in this process (rows are claimed anyway)


def _due(services: Services, moment: datetime) -> str:
    return local_time(moment, services.settings.zone)


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
    daily summary with the overdue list; each claimed once, then the timers moved on."""
    policy = services.settings.followup_policy
    for d in await services.run(digesting.due_shift_digests, services.db, services.clock, policy):
        await services.sender.text(d.person.chat_id, view.digest(d.person.language, d, policy.zone))
        log.info("shift digest person=%s", d.person.id)
    summary = await services.run(
        digesting.due_supervisor_summary, services.db, services.clock, policy
    )
    if summary is not None:
        for sup in summary.supervisors:
            await services.sender.text(sup.chat_id, view.summary(sup.language, summary))
            if summary.overdue:
                text = view.overdue_list(
                    sup.language,
                    summary.overdue,
                    policy.zone,
                    services.settings.followup_grace_hours,
                )
                await services.sender.text(sup.chat_id, text)
        log.info(
            "daily summary supervisors=%d overdue=%d",
            len(summary.supervisors),
            len(summary.overdue),
        )
    await _schedule_digests(services)


# --- closing -------------------------------------------------------------------------------


async def ask_plan(services: Services, worker: PersonView, c: ConsultationView) -> None:
    """After the outcome: plan a follow-up?"""
    prompt = view.plan_prompt(worker.language, c)
    await services.sender.text(worker.chat_id, prompt.text, keyboard=prompt.keyboard)


async def on_plan(
    services: Services, query: CallbackQuery, person: PersonView, cid: int, choice: Plan
) -> None:
    result = await services.run(
        followups.plan, services.db, person.id, cid, choice, services.clock, services.settings.zone
    )
    lang = person.language
    if result.status == PlanStatus.NOT_YOURS:
        await services.sender.answer(query.id, t(lang, "callback.invalid"), alert=True)
        return
    await services.sender.answer(query.id)
    keyboard = None
    if result.status == PlanStatus.ALREADY and result.followup is not None:
        due = _due(services, result.followup.due_at)
        text = t(lang, "followup.already", ref=result.reference, due=due)
    elif result.status == PlanStatus.NONE:
        text = t(lang, "followup.none", ref=result.reference)
    elif result.status == PlanStatus.ASK_DATE:
        text = t(lang, "followup.ask_date", ref=result.reference)
    else:
        assert result.followup is not None
        schedule(services, result.followup.due_at)
        log.info("follow-up scheduled followup=%s consultation=%s", result.followup.id, cid)
        prompt = view.scheduled_prompt(lang, result.followup, services.settings.zone)
        text, keyboard = prompt.text, prompt.keyboard
    if query.message is not None:
        await services.sender.edit(
            person.chat_id, query.message.message_id, text, keyboard=keyboard
        )
    else:
        await services.sender.text(person.chat_id, text, keyboard=keyboard)


async def on_no_note(
    services: Services, query: CallbackQuery, person: PersonView, fid: int
) -> None:
    f = await services.run(followups.skip_note, services.db, person.id, fid)
    await services.sender.answer(query.id)
    if f is not None and query.message is not None:
        text = t(person.language, "followup.no_note_ok", due=_due(services, f.due_at))
        await services.sender.edit(person.chat_id, query.message.message_id, text)


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
    result = await services.run(
        followups.answer, services.db, person, message.text, services.clock, policy
    )
    lang, f = person.language, result.followup
    status = result.status
    if status == AnswerStatus.NOTHING:
        return False
    if status == AnswerStatus.INVALID_DATE:
        await services.sender.text(person.chat_id, t(lang, result.error_key))
    elif status == AnswerStatus.EMPTY:
        await services.sender.text(person.chat_id, t(lang, "followup.empty_answer"))
    elif status == AnswerStatus.SCHEDULED and f is not None:
        schedule(services, f.due_at)
        log.info("follow-up scheduled followup=%s", f.id)
        prompt = view.scheduled_prompt(lang, f, policy.zone)
        await services.sender.text(person.chat_id, prompt.text, keyboard=prompt.keyboard)
    elif status == AnswerStatus.NOTE_SAVED and f is not None:
        await services.sender.text(
            person.chat_id, t(lang, "followup.note_saved", due=_due(services, f.due_at))
        )
    elif status == AnswerStatus.DONE and f is not None:
        log.info("follow-up done followup=%s by=%s", f.id, person.id)
        await services.sender.text(
            person.chat_id,
            t(lang, "followup.done", ref=f.consultation.reference, line=f.outcome_line or ""),
        )
    elif status == AnswerStatus.SNOOZED and f is not None:
        schedule(services, f.due_at)
        await services.sender.text(
            person.chat_id,
            t(lang, "followup.snoozed", ref=f.consultation.reference, due=_due(services, f.due_at)),
        )
    elif status == AnswerStatus.ALREADY_PLANNED and f is not None:
        due = _due(services, f.due_at)
        text = t(lang, "followup.already", ref=f.consultation.reference, due=due)
        await services.sender.text(person.chat_id, text)
    elif f is not None:
        await services.sender.text(
            person.chat_id, t(lang, "followup.already_done", ref=f.consultation.reference)
        )
    return True


# --- the reminder's buttons ----------------------------------------------------------------


async def _refused(services: Services, query: CallbackQuery, person: PersonView, act: Act) -> bool:
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


async def on_done(services: Services, query: CallbackQuery, person: PersonView, fid: int) -> None:
    act = await services.run(followups.start_done, services.db, person.id, fid, services.clock)
    if await _refused(services, query, person, act):
        return
    await services.sender.answer(query.id)
    assert act.followup is not None
    await services.sender.text(
        person.chat_id,
        t(person.language, "followup.ask_outcome", ref=act.followup.consultation.reference),
    )


async def on_snooze(
    services: Services, query: CallbackQuery, person: PersonView, fid: int, choice: Snooze
) -> None:
    act = await services.run(
        followups.snooze,
        services.db,
        person.id,
        fid,
        choice,
        services.clock,
        services.settings.followup_policy,
    )
    if await _refused(services, query, person, act):
        return
    await services.sender.answer(query.id)
    assert act.followup is not None
    ref, lang = act.followup.consultation.reference, person.language
    if act.status == ActStatus.ASK_DATE:
        await services.sender.text(person.chat_id, t(lang, "followup.ask_snooze_date", ref=ref))
        return
    schedule(services, act.followup.due_at)
    text = t(lang, "followup.snoozed", ref=ref, due=_due(services, act.followup.due_at))
    if query.message is not None:
        await services.sender.edit(person.chat_id, query.message.message_id, text)


async def on_reassign(
    services: Services, query: CallbackQuery, person: PersonView, fid: int
) -> None:
    f, workers = await services.run(
        followups.reassign_candidates, services.db, fid, services.clock, services.policy
    )
    if f is None:
        await services.sender.answer(query.id, t(person.language, "callback.invalid"), alert=True)
        return
    await services.sender.answer(query.id)
    prompt = view.assignee_choice(person.language, f, workers)
    await services.sender.text(person.chat_id, prompt.text, keyboard=prompt.keyboard)


async def on_reassign_to(
    services: Services, query: CallbackQuery, person: PersonView, fid: int, target: int
) -> None:
    act = await services.run(
        followups.reassign, services.db, person.id, fid, target or None, services.clock
    )
    if await _refused(services, query, person, act):
        return
    await services.sender.answer(query.id)
    f = act.followup
    assert f is not None
    ref, lang = f.consultation.reference, person.language
    if f.assignee is None:
        text = t(lang, "followup.reassigned_pool", ref=ref)
    else:
        text = t(lang, "followup.reassigned", ref=ref, name=person_name(f.assignee))
        if f.assignee.id != person.id and f.due_at > services.clock():
            await services.sender.text(
                f.assignee.chat_id,
                t(
                    f.assignee.language,
                    "followup.reassigned_to_you",
                    ref=ref,
                    by=person_name(person),
                    due=_due(services, f.due_at),
                    note=f.note or "—",
                ),
            )
    if query.message is not None:
        await services.sender.edit(person.chat_id, query.message.message_id, text)
    log.info("follow-up reassigned followup=%s to=%s", f.id, target)
    schedule(services, f.due_at)


# --- /followups ----------------------------------------------------------------------------


@requires(Role.WORKER, Role.SUPERVISOR)
async def followups_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    """/followups: my pending follow-ups (and the team's); supervisors see everyone's."""
    items = await services.run(followups.pending_for, services.db, person)
    text = view.pending_list(person.language, items, services.settings.zone)
    await services.sender.text(person.chat_id, text)
