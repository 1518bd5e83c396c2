"""Handing consultations on: /transfer (a worker, with a note), /takeover and /reassign
(supervisors), and /queue to see what is waiting. The officer is always told who has it."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Update
from telegram.ext import ContextTypes

from bot import callbacks, render
from bot.handlers.access import requires
from bot.handlers.relay import replied_consultation
from bot.jobs import escalation as escalation_job
from bot.render import answers
from bot.services import Services
from flows import escalation as escalation_flow
from flows import handover, views
from flows.handover import HandoverResult, HandoverStatus
from flows.people import PersonView
from flows.vocabulary import Role

log = logging.getLogger(__name__)


def _target_and_note(args: list[str]) -> tuple[int | None, str]:
    """'/transfer C-0042 he prefers English' -> (42, 'he prefers English')."""
    if args and views.parse_reference(args[0]) is not None:
        return views.parse_reference(args[0]), " ".join(args[1:])
    return None, " ".join(args)


@requires(Role.WORKER)
async def transfer_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, worker: PersonView
) -> None:
    """/transfer [C-0042] [note]: pick an available colleague to hand the consultation to."""
    cid, note = _target_and_note(context.args or [])
    if cid is None:
        cid = await replied_consultation(services, update)
    await services.act(handover.ask_transfer, worker.id, cid, note, services.policy)


@callbacks.TRANSFER.handles
async def on_transfer_start(
    services: Services, query: CallbackQuery, worker: PersonView, cid: int
) -> None:
    await services.sender.answer(query.id)
    await services.act(handover.ask_transfer, worker.id, cid, "", services.policy, typed=False)


@callbacks.TRANSFER_TO.handles
async def on_transfer_to(
    services: Services, query: CallbackQuery, worker: PersonView, cid: int, target_id: int
) -> None:
    prompt = query.message.message_id if query.message is not None else None
    result = await services.act(
        handover.transfer, worker.id, cid, target_id, services.policy, prompt
    )
    await _conclude(services, query, worker, result)


@requires(Role.SUPERVISOR)
async def takeover_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, sup: PersonView
) -> None:
    """/takeover C-0042: the supervisor takes the consultation themselves."""
    cid, _ = _target_and_note(context.args or [])
    if cid is None:
        await services.act(handover.tell, sup.id, "handover.usage_takeover")
        return
    result = await services.act(handover.take_over, sup.id, cid, typed=True)
    if result.status == HandoverStatus.DONE:  # else the use case said why
        _handed_over(services, result)


@requires(Role.SUPERVISOR)
async def reassign_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, sup: PersonView
) -> None:
    """/reassign C-0042: pick the worker who should have it."""
    cid, _ = _target_and_note(context.args or [])
    if cid is None:
        await services.act(handover.tell, sup.id, "handover.usage_reassign")
        return
    await services.act(handover.ask_reassign, sup.id, cid, services.policy)


@callbacks.REASSIGN_TO.handles
async def on_reassign_to(
    services: Services, query: CallbackQuery, sup: PersonView, cid: int, target_id: int
) -> None:
    prompt = query.message.message_id if query.message is not None else None
    result = await services.act(handover.reassign, sup.id, cid, target_id, services.policy, prompt)
    await _conclude(services, query, sup, result)


@callbacks.TAKE_OVER.handles
async def on_take_over(services: Services, query: CallbackQuery, sup: PersonView, cid: int) -> None:
    result = await services.act(handover.take_over, sup.id, cid)
    await _conclude(services, query, sup, result)


async def _conclude(
    services: Services, query: CallbackQuery, person: PersonView, result: HandoverResult
) -> None:
    """A hand-over button's answer: the refusal, or nothing more to say here (the use case
    recorded the news for everyone concerned)."""
    if await _refused(services, query, person, result):
        return
    await services.sender.answer(query.id)
    _handed_over(services, result)


def _handed_over(services: Services, result: HandoverResult) -> None:
    c = result.consultation
    assert c is not None and c.worker is not None
    log.info("handed over consultation=%s to=%s", c.id, c.worker.id)
    escalation_job.cancel(services, c.id)


async def _refused(
    services: Services, query: CallbackQuery, person: PersonView, result: HandoverResult
) -> bool:
    if result.status == HandoverStatus.DONE:
        return False
    answer = answers.handover_refusal(person.language, result, person)
    await services.sender.answer(query.id, answer.text, alert=answer.alert)
    return True


@requires(Role.WORKER, Role.SUPERVISOR)
async def queue_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    """/queue: waiting consultations, most urgent and oldest first."""
    entries = await services.run(escalation_flow.waiting_queue, services.db)
    text = render.queue_text(person.language, entries, services.clock())
    keyboard = None
    if person.role == Role.SUPERVISOR and entries:
        keyboard = render.takeover_buttons(person.language, [e.consultation for e in entries])
    await services.sender.text(person.chat_id, text, keyboard=keyboard)
