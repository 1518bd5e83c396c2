"""P-38.001 assessments and timelines at the edge: /assessment (whoever holds a consultation
records one, step by step with buttons and one typed answer), the officer's acknowledge
button, /assessments and /timeline to read them (who may read is decided in flows/). Each is
one use case; these handlers parse, call it and answer the press."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Update
from telegram.ext import ContextTypes

from bot import callbacks
from bot.handlers.access import refuse_press, requires
from bot.handlers.relay import replied_consultation
from bot.i18n import t
from bot.render import answers
from bot.services import Services
from flows import assessments, timelines, views
from flows.assessments import Status
from flows.people import PersonView
from flows.vocabulary import Danger, Decision, Role

log = logging.getLogger(__name__)


async def _target(services: Services, update: Update, args: list[str] | None) -> int | None:
    """The consultation named (C-0042) or replied to, if any."""
    cid = views.parse_reference(args[0]) if args else None
    return cid if cid is not None else await replied_consultation(services, update)


def _pressed(query: CallbackQuery) -> int | None:
    return query.message.message_id if query.message is not None else None


@requires(Role.WORKER, Role.SUPERVISOR)
async def assessment_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    """/assessment [C-0042] (or as a reply): record a P-38.001 assessment."""
    cid = await _target(services, update, context.args)
    zone = services.settings.zone
    result = await services.act(assessments.start, person.id, cid, zone)
    if result.assessment is not None:
        log.info("assessment asked assessment=%s by=%s", result.assessment.id, person.id)


@requires()
async def assessments_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    """/assessments C-0042: read a consultation's assessments (the reading is recorded)."""
    cid = await _target(services, update, context.args)
    if cid is None:
        await services.act(assessments.tell, person.id, "assessment.usage_read")
        return
    result = await services.act(assessments.show, person.id, cid, services.settings.zone)
    log.info("assessments read consultation=%s by=%s status=%s", cid, person.id, result.status)


@requires()
async def timeline_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    """/timeline C-0042: a consultation's timeline, for those who may read it."""
    cid = await _target(services, update, context.args)
    if cid is None:
        await services.act(assessments.tell, person.id, "timeline.usage")
        return
    await services.act(timelines.show, person.id, cid, services.settings.zone)


async def _answer(
    services: Services, query: CallbackQuery, person: PersonView, status: Status
) -> None:
    refused = answers.assessment_refusal(person.language, status)
    if refused is None:
        await services.sender.answer(query.id)
        return
    await services.sender.answer(query.id, refused.text, alert=refused.alert)


@callbacks.ASSESS_DANGER.handles
async def on_danger(
    services: Services, query: CallbackQuery, person: PersonView, aid: int, danger: Danger
) -> None:
    zone = services.settings.zone
    result = await services.act(
        assessments.set_danger, person.id, aid, danger, zone, _pressed(query)
    )
    await _answer(services, query, person, result.status)


@callbacks.ASSESS_DECISION.handles
async def on_decision(
    services: Services, query: CallbackQuery, person: PersonView, aid: int, decision: Decision
) -> None:
    zone = services.settings.zone
    result = await services.act(assessments.decide, person.id, aid, decision, zone, _pressed(query))
    await _answer(services, query, person, result.status)
    if result.status in (Status.RECORDED, Status.REQUESTED):
        log.info("assessment %s assessment=%s by=%s", result.status.value, aid, person.id)


@callbacks.ARTICLE8_ACK.handles
async def on_acknowledge(
    services: Services, query: CallbackQuery, person: PersonView, aid: int
) -> None:
    zone = services.settings.zone
    result = await services.act(assessments.acknowledge, person.id, aid, zone, _pressed(query))
    if result.status == Status.ACKNOWLEDGED:
        log.info("article 8 request acknowledged assessment=%s by=%s", aid, person.id)
        await services.sender.answer(query.id, t(person.language, "assessment.ack_toast"))
        return
    if result.status == Status.ALREADY:
        await services.sender.answer(
            query.id, t(person.language, "assessment.already_acknowledged"), alert=True
        )
        return
    await refuse_press(services, query.id, person)
