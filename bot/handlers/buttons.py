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
from bot.handlers import (  # noqa: F401  (importing them registers their buttons' handlers)
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
from flows.vocabulary import Plan, Snooze

log = logging.getLogger(__name__)
E = TypeVar("E")


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None:
        return
    services = services_module.of(context)
    person = await identify(update, services)
    if person is None:
        return
    decoded = callbacks.decode(query.data)
    button = callbacks.BUTTONS[decoded.action] if decoded is not None else None
    if decoded is None or button is None or person.role not in button.roles:
        log.info("refused button update=%s person=%s", update.update_id, person.id)
        await services.sender.answer(query.id, t(person.language, "callback.invalid"), alert=True)
        return
    if button.handler is not None:
        await button.press(services, query, person, decoded)
        return
    await _followup_button(services, query, person, decoded)


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
