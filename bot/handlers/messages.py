"""Anything that is not a command: officers open or continue a consultation, whoever holds one
(a worker, or a supervisor who took it) answers it, a supervisor holding none gets the help.
Edits cannot be relayed, so the sender is told."""

from __future__ import annotations

from telegram import Message, Update
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
    else:
        await on_holder_message(services, person, message)


async def on_holder_message(services: Services, holder: PersonView, message: Message) -> None:
    """A worker's or a supervisor's message goes to the consultation they hold and replied
    to, else their latest one. A supervisor holding none gets the help, as ever."""
    reply_to = message.reply_to_message.message_id if message.reply_to_message else None
    route = await services.run(
        consultations.route_message, services.db, holder, message.chat_id, reply_to
    )
    lang = holder.language
    holds = route.status == RelayStatus.RELAY
    if not holds and holder.role == Role.SUPERVISOR:
        await services.sender.text(holder.chat_id, help_text(holder))
        return
    if message_kind(message) is None:
        await services.sender.text(holder.chat_id, t(lang, "relay.unsupported"))
        return
    c, recipient = route.consultation, route.recipient
    if not holds or c is None or recipient is None:
        await services.sender.text(holder.chat_id, t(lang, "relay.nothing_open"))
        return
    if not await relay(services, c, holder, recipient, message):
        fallback = services.settings.fallback_line
        await services.sender.text(
            holder.chat_id,
            t(lang, "relay.failed", name=person_name(recipient), fallback=fallback),
        )
        return
    if route.guessed:
        await services.sender.text(
            holder.chat_id,
            t(lang, "relay.routed_to", ref=c.reference, officer=person_name(c.officer)),
            reply_to=message.message_id,
        )


@requires()
async def on_edited(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    await services.sender.text(person.chat_id, t(person.language, "relay.edit_not_relayed"))
