"""Follow-ups at the edge: the question after the outcome at closing, typed dates, notes and
outcome lines (the awaited answer is kept in the database, so a restart loses nothing), the
reminder's buttons and /followups, each one use case that records what people are told
(these handlers only answer the button press). The timers are bot/jobs/followups.py."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Update
from telegram.ext import ContextTypes

from bot import callbacks
from bot.handlers.access import refuse_press, requires
from bot.i18n import t
from bot.jobs.followups import schedule
from bot.services import Services
from flows import followups
from flows.followups import Act, ActStatus, Answer, AnswerStatus, PlanStatus
from flows.people import PersonView
from flows.views import ConsultationView
from flows.vocabulary import Plan, Role, Snooze

log = logging.getLogger(__name__)

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
        await refuse_press(services, query.id, person)
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


def answered(services: Services, person: PersonView, result: Answer) -> None:
    """A typed date, note or outcome line was taken (by flows/messages.receive): a reminder
    planned or moved gets its timer."""
    f = result.followup
    if result.status in (AnswerStatus.SCHEDULED, AnswerStatus.SNOOZED) and f is not None:
        schedule(services, f.due_at)
        log.info("follow-up %s followup=%s", result.status.value, f.id)
    elif result.status == AnswerStatus.DONE and f is not None:
        log.info("follow-up done followup=%s by=%s", f.id, person.id)


# --- the reminder's buttons ----------------------------------------------------------------


async def _refused(services: Services, query: CallbackQuery, person: PersonView, act: Act) -> bool:
    """A press that changed nothing is answered with a toast saying why."""
    lang = person.language
    if act.status == ActStatus.NOT_ALLOWED:
        await refuse_press(services, query.id, person)
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
        await refuse_press(services, query.id, person)
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
