"""Every inline button press comes here: the data is decoded strictly, the presser's role is
checked, and the press goes to its handler. Forged or stale data changes nothing."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot import callbacks
from bot import services as services_module
from bot.handlers import (  # noqa: F401  (importing them registers their buttons' handlers)
    assessments,
    calls,
    closing,
    consult,
    enrolment,
    escalation,
    followups,
    handover,
    incidents,
    messages,
    offers,
    resources,
    screening,
    subjects,
)
from bot.handlers.access import identify, refuse_press

log = logging.getLogger(__name__)


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
        await refuse_press(services, query.id, person)
        return
    await button.press(services, query, person, decoded)
