"""The officer's police-side facts at the edge: /incident NUMBER (or /incident C-0042
NUMBER), the Incident no. button (how to give it) and the Scene cleared button. Each calls one
use case of flows/incidents.py, which records the event and what the officer is told."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Update
from telegram.ext import ContextTypes

from bot import callbacks
from bot.handlers.access import refuse_press, requires
from bot.services import Services
from flows import incidents
from flows.incidents import SceneStatus
from flows.people import PersonView
from flows.vocabulary import Role

log = logging.getLogger(__name__)


@requires(Role.OFFICER)
async def incident_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    """/incident 2026-12345: the police incident/file number of my consultation."""
    cid, number = incidents.parse_incident_args(list(context.args or []))
    result = await services.act(incidents.set_incident, person.id, cid, number)
    log.info("incident number status=%s by=%s", result.status.value, person.id)


@callbacks.INCIDENT_NUMBER.handles
async def on_incident(
    services: Services, query: CallbackQuery, person: PersonView, cid: int
) -> None:
    """The Incident no. button: the bot says how to give it (one command)."""
    known = await services.act(incidents.explain_incident, person.id, cid)
    if not known:
        await refuse_press(services, query.id, person)
        return
    await services.sender.answer(query.id)


@callbacks.SCENE_CLEARED.handles
async def on_scene_cleared(
    services: Services, query: CallbackQuery, person: PersonView, cid: int
) -> None:
    """Scene cleared: officer time ends now (the first press counts)."""
    status = await services.act(incidents.clear_scene, person.id, cid)
    if status in (SceneStatus.NOT_YOURS, SceneStatus.NOT_SENT):
        await refuse_press(services, query.id, person)
        return
    await services.sender.answer(query.id)
    log.info("scene cleared consultation=%s status=%s", cid, status.value)
