"""People seen before, at the edge: /key (the subject key, given or corrected), /recurring,
/case and /careplan, and their buttons (no key, take / give up / hand a case, change a part
of the care plan, aim a follow-up at the person or the family). Each calls one use case of
flows/cases.py, which decides who may see what and records every view."""

from __future__ import annotations

import logging
import re

from telegram import CallbackQuery, Update
from telegram.ext import ContextTypes

from bot import callbacks
from bot.handlers.access import refuse_press, requires
from bot.i18n import t
from bot.services import Services
from flows import cases
from flows.people import PersonView
from flows.subjects import parse_subject_reference
from flows.views import parse_reference
from flows.vocabulary import Role

log = logging.getLogger(__name__)

_CONSULTATION = re.compile(r"^[Cc]-?\d{1,9}$")


def _subject_arg(args: list[str] | None) -> int:
    """The subject reference of a command (P-0007, or 7); 0 when none was given."""
    found = parse_subject_reference(args[0]) if args else None
    return found or 0


@requires(Role.OFFICER, Role.WORKER, Role.SUPERVISOR)
async def key_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    """/key [C-0042] JT 1987: give or correct the subject key of an open consultation."""
    args = list(context.args or [])
    consultation_id = None
    if args and _CONSULTATION.match(args[0]):
        consultation_id = parse_reference(args.pop(0))
    raw = " ".join(args)
    result = await services.act(cases.give_key, person.id, raw, services.policy, consultation_id)
    log.info("subject key person=%s status=%s", person.id, result.status.value)  # never the key


@requires(Role.WORKER, Role.SUPERVISOR)
async def recurring_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    """/recurring: the people seen often lately that this person may see."""
    await services.act(cases.list_recurring, person.id, services.policy)


@requires(Role.WORKER, Role.SUPERVISOR)
async def case_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    """/case P-0007: a person's consultations, owner, care plan and follow-ups."""
    await services.act(cases.show_case, person.id, _subject_arg(context.args), services.policy)


@requires(Role.WORKER, Role.SUPERVISOR)
async def careplan_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    """/careplan P-0007: the care plan, with its owner's buttons to change it."""
    await services.act(cases.show_care_plan, person.id, _subject_arg(context.args), services.policy)


@callbacks.SUBJECT_SKIP.handles
async def on_skip(
    services: Services, query: CallbackQuery, officer: PersonView, consultation_id: int
) -> None:
    """One tap: no subject key for this consultation."""
    message = query.message.message_id if query.message is not None else None
    if await services.act(cases.skip_key, officer.id, consultation_id, message):
        await services.sender.answer(query.id, t(officer.language, "subject.skipped_toast"))
        return
    await services.sender.answer(query.id)


@callbacks.CASE_TAKE.handles
async def on_take(
    services: Services, query: CallbackQuery, worker: PersonView, subject_id: int
) -> None:
    await services.act(cases.take_case, worker.id, subject_id)
    await services.sender.answer(query.id)


@callbacks.CASE_GIVE_UP.handles
async def on_give_up(
    services: Services, query: CallbackQuery, worker: PersonView, subject_id: int
) -> None:
    await services.act(cases.give_up_case, worker.id, subject_id)
    await services.sender.answer(query.id)


@callbacks.CASE_HAND.handles
async def on_hand(
    services: Services, query: CallbackQuery, person: PersonView, subject_id: int
) -> None:
    await services.act(cases.ask_hand, person.id, subject_id)
    await services.sender.answer(query.id)


@callbacks.CASE_HAND_TO.handles
async def on_hand_to(
    services: Services, query: CallbackQuery, person: PersonView, subject_id: int, to_id: int
) -> None:
    await services.act(cases.hand_case, person.id, subject_id, to_id)
    await services.sender.answer(query.id)


@callbacks.CARE_PLAN_EDIT.handles
async def on_care_plan_edit(
    services: Services, query: CallbackQuery, worker: PersonView, subject_id: int, part: str
) -> None:
    await services.act(
        cases.edit_care_plan, worker.id, subject_id, cases.CARE_PLAN_FIELDS.index(part)
    )
    await services.sender.answer(query.id)


@callbacks.CARE_PLAN_SHOW.handles
async def on_care_plan_show(
    services: Services, query: CallbackQuery, person: PersonView, subject_id: int
) -> None:
    await services.act(cases.show_care_plan, person.id, subject_id, services.policy)
    await services.sender.answer(query.id)


@callbacks.FOLLOWUP_AIM.handles
async def on_followup_aim(
    services: Services, query: CallbackQuery, person: PersonView, followup_id: int, aim: str
) -> None:
    """The follow-up is a call to the person or their family; the case will show it."""
    done = await services.act(cases.aim_followup, person.id, followup_id, aim)
    if not done:
        await refuse_press(services, query.id, person)
        return
    await services.sender.answer(query.id)
