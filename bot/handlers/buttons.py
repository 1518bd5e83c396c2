"""Every inline button press comes here: the data is decoded strictly, the presser's role is
checked, and the press goes to its handler. Forged or stale data changes nothing."""

from __future__ import annotations

import logging
from typing import TypeVar

from telegram import CallbackQuery, Update
from telegram.ext import ContextTypes

from bot import callbacks
from bot import services as services_module
from bot.callbacks import Action
from bot.handlers import (
    closing,
    consult,
    enrolment,
    escalation,
    followups,
    handover,
    offers,
    resources,
)
from bot.handlers.access import identify
from bot.i18n import t
from flows.people import PersonView
from flows.vocabulary import Category, Outcome, Plan, Role, Snooze, Urgency

log = logging.getLogger(__name__)
E = TypeVar("E")

ALLOWED: dict[Action, tuple[Role, ...]] = {
    Action.CATEGORY: (Role.OFFICER,),
    Action.URGENCY: (Role.OFFICER,),
    Action.ACCEPT: (Role.WORKER, Role.SUPERVISOR),
    Action.OUTCOME: (Role.WORKER, Role.SUPERVISOR),
    Action.CLOSE: (Role.OFFICER, Role.WORKER, Role.SUPERVISOR),
    Action.LANGUAGE: (Role.OFFICER, Role.WORKER, Role.SUPERVISOR),
    Action.DECLINE: (Role.WORKER, Role.SUPERVISOR),
    Action.TRANSFER: (Role.WORKER,),
    Action.TRANSFER_TO: (Role.WORKER,),
    Action.REASSIGN_TO: (Role.SUPERVISOR,),
    Action.TAKE_OVER: (Role.SUPERVISOR,),
    Action.RESOURCE: (Role.OFFICER, Role.WORKER, Role.SUPERVISOR),
    Action.MORE: (Role.OFFICER, Role.WORKER, Role.SUPERVISOR),
    Action.BROWSE: (Role.OFFICER, Role.WORKER, Role.SUPERVISOR),
    Action.OPEN_NOW: (Role.OFFICER, Role.WORKER, Role.SUPERVISOR),
    Action.REFER: (Role.WORKER, Role.SUPERVISOR),
    Action.REFER_TO: (Role.WORKER, Role.SUPERVISOR),
    Action.FOLLOWUP_PLAN: (Role.WORKER, Role.SUPERVISOR),
    Action.FOLLOWUP_NO_NOTE: (Role.WORKER, Role.SUPERVISOR),
    Action.FOLLOWUP_DONE: (Role.WORKER, Role.SUPERVISOR),
    Action.FOLLOWUP_SNOOZE: (Role.WORKER, Role.SUPERVISOR),
    Action.FOLLOWUP_REASSIGN: (Role.WORKER, Role.SUPERVISOR),
    Action.FOLLOWUP_REASSIGN_TO: (Role.WORKER, Role.SUPERVISOR),
}


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None:
        return
    services = services_module.of(context)
    person = await identify(update, services)
    if person is None:
        return
    decoded = callbacks.decode(query.data)
    if decoded is None or person.role not in ALLOWED[decoded.action]:
        log.info("refused button update=%s person=%s", update.update_id, person.id)
        await services.sender.answer(query.id, t(person.language, "callback.invalid"), alert=True)
        return
    action, target = decoded.action, decoded.target
    if action == Action.CATEGORY:
        await consult.on_category(services, query, person, target, _as(Category, decoded.chosen()))
    elif action == Action.URGENCY:
        await consult.on_urgency(services, query, person, target, _as(Urgency, decoded.chosen()))
    elif action == Action.ACCEPT:
        await offers.on_accept(services, query, person, target)
    elif action == Action.OUTCOME:
        await closing.on_outcome(services, query, person, target, _as(Outcome, decoded.chosen()))
    elif action == Action.CLOSE:
        await closing.on_close_choice(services, query, person, target)
    elif action == Action.DECLINE:
        await escalation.on_decline(services, query, person, target)
    elif action == Action.TRANSFER:
        await handover.on_transfer_start(services, query, person, target)
    elif action == Action.TRANSFER_TO:
        await handover.on_transfer_to(services, query, person, target, _person(decoded))
    elif action == Action.REASSIGN_TO:
        await handover.on_reassign_to(services, query, person, target, _person(decoded))
    elif action == Action.TAKE_OVER:
        await handover.on_take_over(services, query, person, target)
    elif action in _DIRECTORY:
        await _directory(services, query, person, decoded)
    elif action in _FOLLOWUP:
        await _followup_button(services, query, person, decoded)
    elif action == Action.LANGUAGE:
        await services.sender.answer(query.id)
        await enrolment.apply_language(services, person, callbacks.LANGUAGE_CHOICES[target])


_DIRECTORY = (
    Action.RESOURCE,
    Action.MORE,
    Action.BROWSE,
    Action.OPEN_NOW,
    Action.REFER,
    Action.REFER_TO,
)
_FOLLOWUP = (
    Action.FOLLOWUP_PLAN,
    Action.FOLLOWUP_NO_NOTE,
    Action.FOLLOWUP_DONE,
    Action.FOLLOWUP_SNOOZE,
    Action.FOLLOWUP_REASSIGN,
    Action.FOLLOWUP_REASSIGN_TO,
)


async def _directory(
    services: services_module.Services,
    query: CallbackQuery,
    person: PersonView,
    decoded: callbacks.Callback,
) -> None:
    """The directory's buttons (details, more, category, open now, send to officer)."""
    action, target, choice = decoded.action, decoded.target, decoded.choice or 0
    if action == Action.RESOURCE:
        await resources.on_details(services, query, person, target, choice)
    elif action == Action.MORE:
        await resources.on_more(services, query, person, target, choice)
    elif action == Action.BROWSE:
        await resources.on_browse(services, query, person, target)
    elif action == Action.OPEN_NOW:
        await resources.on_open_now(services, query, person, target, bool(decoded.chosen()))
    elif action == Action.REFER:
        await resources.on_refer(services, query, person, target, choice)
    elif action == Action.REFER_TO:
        await resources.on_refer_to(services, query, person, target, choice)


async def _followup_button(
    services: services_module.Services,
    query: CallbackQuery,
    person: PersonView,
    decoded: callbacks.Callback,
) -> None:
    """The follow-up buttons (plan at closing, no note, done, snooze, reassign)."""
    action, target = decoded.action, decoded.target
    if action == Action.FOLLOWUP_PLAN:
        await followups.on_plan(services, query, person, target, _as(Plan, decoded.chosen()))
    elif action == Action.FOLLOWUP_NO_NOTE:
        await followups.on_no_note(services, query, person, target)
    elif action == Action.FOLLOWUP_DONE:
        await followups.on_done(services, query, person, target)
    elif action == Action.FOLLOWUP_SNOOZE:
        await followups.on_snooze(services, query, person, target, _as(Snooze, decoded.chosen()))
    elif action == Action.FOLLOWUP_REASSIGN:
        await followups.on_reassign(services, query, person, target)
    else:
        await followups.on_reassign_to(services, query, person, target, _person(decoded))


def _as(kind: type[E], value: object) -> E:
    assert isinstance(value, kind)
    return value


def _person(decoded: callbacks.Callback) -> int:
    assert decoded.choice is not None
    return decoded.choice
