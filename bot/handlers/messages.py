"""Anything that is not a command: officers open or continue a consultation, workers answer
theirs, supervisors get their help. Edits cannot be relayed, so the sender is told."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.handlers import followups, resources
from bot.handlers.access import requires
from bot.handlers.consult import on_officer_message
from bot.handlers.enrolment import help_text
from bot.handlers.relay import message_kind, relay
from bot.i18n import t
from bot.render import person_name
from bot.services import Services
from flows import consultations
from flows.consultations import RelayStatus
from flows.people import PersonView
from flows.vocabulary import Role


@requires()
async def on_message(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    message = update.message
    if message is None:
        return
    if (
        message.location is not None
        and await resources.on_location(services, person, message.location)
        and not await resources.has_open_consultation(services, person)
    ):
        return  # the location answered a search; it opens no consultation
    if person.role != Role.OFFICER and await followups.on_text(services, person, message):
        return  # the date, note or outcome line the bot asked for
    if person.role == Role.OFFICER:
        await on_officer_message(services, person, message)
    elif person.role == Role.WORKER:
        await on_worker_message(services, person, update)
    else:
        await services.sender.text(person.chat_id, help_text(person))


async def on_worker_message(services: Services, worker: PersonView, update: Update) -> None:
    """A worker's message goes to the consultation they replied to, else their latest one."""
    message = update.message
    assert message is not None
    if message_kind(message) is None:
        await services.sender.text(worker.chat_id, t(worker.language, "relay.unsupported"))
        return
    reply_to = message.reply_to_message.message_id if message.reply_to_message else None
    route = await services.run(
        consultations.route_message, services.db, worker, message.chat_id, reply_to
    )
    if route.status != RelayStatus.RELAY or route.consultation is None or route.recipient is None:
        await services.sender.text(worker.chat_id, t(worker.language, "relay.nothing_open"))
        return
    c = route.consultation
    if not await relay(services, c, worker, route.recipient, message):
        await services.sender.text(
            worker.chat_id,
            t(
                worker.language,
                "relay.failed",
                name=person_name(route.recipient),
                fallback=services.settings.fallback_line,
            ),
        )
        return
    if route.guessed:
        await services.sender.text(
            worker.chat_id,
            t(worker.language, "relay.routed_to", ref=c.reference, officer=person_name(c.officer)),
            reply_to=message.message_id,
        )


@requires()
async def on_edited(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    await services.sender.text(person.chat_id, t(person.language, "relay.edit_not_relayed"))
