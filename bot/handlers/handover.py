"""Handing consultations on: /transfer (a worker, with a note), /takeover and /reassign
(supervisors), and /queue to see what is waiting. The officer is always told who has it."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Update
from telegram.ext import ContextTypes

from bot import callbacks, render
from bot.handlers.access import requires
from bot.handlers.relay import replied_consultation
from bot.i18n import t
from bot.jobs import escalation as escalation_job
from bot.services import Services
from flows import consultations, handover
from flows import escalation as escalation_flow
from flows.handover import HandoverResult, HandoverStatus
from flows.people import PersonView
from flows.vocabulary import Role

log = logging.getLogger(__name__)


def _target_and_note(args: list[str]) -> tuple[int | None, str]:
    """'/transfer C-0042 he prefers English' -> (42, 'he prefers English')."""
    if args and consultations.parse_reference(args[0]) is not None:
        return consultations.parse_reference(args[0]), " ".join(args[1:])
    return None, " ".join(args)


@requires(Role.WORKER)
async def transfer_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, worker: PersonView
) -> None:
    """/transfer [C-0042] [note]: pick an available colleague to hand the consultation to."""
    cid, note = _target_and_note(context.args or [])
    if cid is None:
        cid = await replied_consultation(services, update)
    if cid is None:
        active = await services.run(consultations.active_of_worker, services.db, worker.id)
        if len(active) != 1:
            key = "handover.which" if active else "close.nothing_open"
            await services.sender.text(worker.chat_id, t(worker.language, key))
            return
        cid = active[0].id
    await offer_targets(services, worker, cid, note)


async def offer_targets(services: Services, worker: PersonView, cid: int, note: str) -> None:
    choice = await services.run(
        handover.transfer_candidates,
        services.db,
        worker.id,
        cid,
        note,
        services.clock,
        services.policy,
    )
    lang = worker.language
    if choice is None:
        await services.sender.text(worker.chat_id, t(lang, "callback.invalid"))
        return
    if not choice.candidates:
        await services.sender.text(
            worker.chat_id, t(lang, "handover.nobody", ref=choice.consultation.reference)
        )
        return
    prompt = render.people_choice(
        lang, "handover.pick", choice.consultation, choice.candidates, callbacks.transfer_to
    )
    await services.sender.text(worker.chat_id, prompt.text, keyboard=prompt.keyboard)


async def on_transfer_start(
    services: Services, query: CallbackQuery, worker: PersonView, cid: int
) -> None:
    await services.sender.answer(query.id)
    await offer_targets(services, worker, cid, "")


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
        await services.sender.text(sup.chat_id, t(sup.language, "handover.usage_takeover"))
        return
    result = await services.act(handover.take_over, sup.id, cid)
    if result.status != HandoverStatus.DONE:
        await services.sender.text(sup.chat_id, _refusal_text(sup, result))
        return
    _handed_over(services, result)


@requires(Role.SUPERVISOR)
async def reassign_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, sup: PersonView
) -> None:
    """/reassign C-0042: pick the worker who should have it."""
    cid, _ = _target_and_note(context.args or [])
    choice = None
    if cid is not None:
        choice = await services.run(
            handover.reassign_candidates, services.db, cid, services.clock, services.policy
        )
    if choice is None:
        await services.sender.text(sup.chat_id, t(sup.language, "handover.usage_reassign"))
        return
    c, candidates = choice.consultation, choice.candidates
    if not candidates:
        await services.sender.text(sup.chat_id, t(sup.language, "handover.nobody", ref=c.reference))
        return
    prompt = render.people_choice(
        sup.language, "handover.pick", c, candidates, callbacks.reassign_to
    )
    await services.sender.text(sup.chat_id, prompt.text, keyboard=prompt.keyboard)


async def on_reassign_to(
    services: Services, query: CallbackQuery, sup: PersonView, cid: int, target_id: int
) -> None:
    prompt = query.message.message_id if query.message is not None else None
    result = await services.act(handover.reassign, sup.id, cid, target_id, services.policy, prompt)
    await _conclude(services, query, sup, result)


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
    await services.sender.answer(query.id, _refusal_text(person, result), alert=True)
    return True


def _refusal_text(person: PersonView, result: HandoverResult) -> str:
    keys = {
        HandoverStatus.NOT_YOURS: "callback.invalid",
        HandoverStatus.NOT_OPEN: "handover.not_open",
        HandoverStatus.TARGET_UNAVAILABLE: "handover.target_unavailable",
        HandoverStatus.CHANGED: "handover.changed",
    }
    return t(person.language, keys[result.status])


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
