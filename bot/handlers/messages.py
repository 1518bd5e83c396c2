"""Anything that is not a command: officers open or continue a consultation, whoever holds one
(a worker, or a supervisor who took it) answers it, a supervisor holding none gets the help.
Edits cannot be relayed, so the sender is told. A line held while the bot asks whom it is
for is settled by the holder's tap."""

from __future__ import annotations

from telegram import CallbackQuery, Message, Update
from telegram.ext import ContextTypes

from bot import callbacks
from bot import services as services_module
from bot.handlers import calls, followups, resources
from bot.handlers.access import identify, refuse_press, refuse_stranger
from bot.handlers.consult import incoming
from bot.handlers.enrolment import help_text
from bot.services import Services
from flows import lane, messages
from flows.messages import Heard
from flows.people import PersonView
from flows.vocabulary import Role


async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A message in a private chat: one use case identifies the sender and relays it. A shared
    location may first answer a search made moments ago; a text the bot was waiting for (a
    follow-up's date, note or outcome line) is answered in that same use case."""
    services = services_module.of(context)
    message, user = update.message, update.effective_user
    if message is None or user is None:
        return
    if message.location is not None and await _answers_a_search(update, services, message):
        return
    if calls.is_own_contact(message.contact, user.id):
        person = await identify(update, services)
        if person is not None:
            await calls.on_own_contact(services, person, message.contact)  # type: ignore[arg-type]
        return
    policy = services.settings.followup_policy
    receipt = await services.act_in_lane(
        lane.relay_line, messages.receive, user.id, incoming(message), policy, services.policy
    )
    person = receipt.person
    if receipt.heard == Heard.STRANGER:
        await refuse_stranger(update, services)
    elif receipt.heard == Heard.HELP and person is not None:
        await services.sender.text(person.chat_id, help_text(person))
    elif receipt.heard == Heard.AWAITED and person is not None and receipt.answer is not None:
        followups.answered(services, person, receipt.answer)


async def _answers_a_search(update: Update, services: Services, message: Message) -> bool:
    """The location answered a search made moments ago (an officer's: one the bot asked a
    location for; otherwise it is the scene of the officer's request): it goes no further,
    unless it is an officer's with a consultation open (where the officer stands is the
    scene, kept with it); an officer without one is told no request was started. A
    worker's or a supervisor's is their own position, never passed on to an officer (a
    reply to a consultation's message is meant for it: relayed)."""
    person = await identify(update, services)
    if person is None or message.location is None:
        return person is None
    if not await resources.on_location(services, person, message.location):
        return False
    if person.role == Role.OFFICER:
        if await resources.has_open_consultation(services, person):
            return False
        await resources.location_for_search_only(services, person)
        return True
    return message.reply_to_message is None


async def on_edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An edited message cannot be relayed (the other side has the first version): the
    sender is told so."""
    services = services_module.of(context)
    user = update.effective_user
    if user is None:
        return
    if not await services.act(messages.edited, user.id):
        await refuse_stranger(update, services)


@callbacks.HELD_LINE.handles
async def on_held_line(
    services: Services, query: CallbackQuery, person: PersonView, line: int, pass_on: bool
) -> None:
    """The holder says what the line held was: for the officer, or their answer (line: the
    one the question asked about; the presser's own held line settles only if it is that
    one). The pressed question loses its buttons (a question's second tap, one left over
    from two lines held together, or one about a line no longer held, is told the choice
    was made)."""
    receipt = await services.act(
        messages.settle_held, person.id, line, pass_on, services.settings.followup_policy,
        services.policy,
    )  # fmt: skip
    await _settled(services, query, person, receipt)


@callbacks.HELD_LINE_BY_HOLDER.handles
async def on_held_line_by_holder(
    services: Services, query: CallbackQuery, person: PersonView, holder: int, pass_on: bool
) -> None:
    """A held-line question asked before the upgrade (its buttons named the holder): settles
    the line this holder has held now, as it did then; anyone else's is refused."""
    if holder != person.id:
        await refuse_press(services, query.id, person)
        return
    receipt = await services.act(
        messages.settle_held_by_holder, person.id, pass_on, services.settings.followup_policy,
        services.policy,
    )  # fmt: skip
    await _settled(services, query, person, receipt)


async def _settled(
    services: Services, query: CallbackQuery, person: PersonView, receipt: messages.Receipt
) -> None:
    """After a held-line choice: the press answered, the question's buttons gone."""
    await services.sender.answer(query.id)
    message = query.message
    if isinstance(message, Message) and message.reply_markup is not None:
        await services.sender.edit_keyboard(person.chat_id, message.message_id, None)
    if receipt.answer is not None:
        followups.answered(services, person, receipt.answer)
