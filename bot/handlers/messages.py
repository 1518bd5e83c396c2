"""Anything that is not a command: officers open or continue a consultation, whoever holds one
(a worker, or a supervisor who took it) answers it, a supervisor holding none gets the help.
Edits cannot be relayed, so the sender is told."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot.handlers import followups, resources
from bot.handlers.access import requires
from bot.handlers.consult import incoming, on_officer_message
from bot.handlers.enrolment import help_text
from bot.i18n import t
from bot.services import Services
from flows import relaying
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
    to, else their latest (one use case). A supervisor holding none gets the help, as ever."""
    route = await services.act(relaying.from_holder, holder.id, incoming(message))
    if route.status == RelayStatus.NONE:
        await services.sender.text(holder.chat_id, help_text(holder))


@requires()
async def on_edited(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    await services.sender.text(person.chat_id, t(person.language, "relay.edit_not_relayed"))
