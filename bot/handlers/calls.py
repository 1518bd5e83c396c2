"""Call me / I'm calling you (buttons on the consultation, /callme and /calling), and the
person's own number: /phone shows Telegram's request-contact button, /phone off forgets it,
and the contact they share with it is kept for "Call me"."""

from __future__ import annotations

from telegram import CallbackQuery, Contact, Message, Update
from telegram.ext import ContextTypes

from bot import callbacks
from bot.handlers.access import requires
from bot.handlers.relay import replied_consultation
from bot.render.calls import phone_request, without_calls
from bot.services import Services
from flows import calls, phones, views
from flows.calls import CallResult, CallStatus
from flows.people import PersonView


@requires()
async def callme_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    """/callme [C-0042] (or as a reply to one of the consultation's messages)."""
    cid = await _chosen(update, context, services)
    await services.act(calls.call_me, person.id, cid)


@requires()
async def calling_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    """/calling [C-0042]: tell the other side a call is coming, and get their number."""
    cid = await _chosen(update, context, services)
    await services.act(calls.calling_now, person.id, cid)


@requires()
async def phone_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    """/phone: the request-contact button; /phone off: forget my number."""
    if context.args and context.args[0].lower() in ("off", "remove", "retirer", "supprimer"):
        await services.act(phones.remove, person.id)
        return
    text, keyboard = phone_request(person.language)
    await services.sender.text(person.chat_id, text, keyboard=keyboard)


async def on_own_contact(services: Services, person: PersonView, contact: Contact) -> None:
    """The person shared their own contact (the request-contact button): keep the number."""
    await services.act(
        phones.share, person.id, contact.phone_number, services.settings.phone_region
    )


def is_own_contact(contact: Contact | None, user_id: int) -> bool:
    """A contact card of the sender themselves, as the request-contact button sends it (a
    contact of someone else is relayed like any message)."""
    return contact is not None and contact.user_id == user_id


@callbacks.CALL_ME.handles
async def on_call_me(
    services: Services, query: CallbackQuery, person: PersonView, cid: int
) -> None:
    result = await services.act(calls.call_me, person.id, cid)
    await services.sender.answer(query.id)
    await _drop_dead_buttons(services, query, person, result, cid)


@callbacks.CALLING_NOW.handles
async def on_calling(
    services: Services, query: CallbackQuery, person: PersonView, cid: int
) -> None:
    result = await services.act(calls.calling_now, person.id, cid)
    await services.sender.answer(query.id)
    await _drop_dead_buttons(services, query, person, result, cid)


async def _drop_dead_buttons(
    services: Services, query: CallbackQuery, person: PersonView, result: CallResult, cid: int
) -> None:
    """A call button of a closed consultation: the pressed message loses its call buttons
    (the use case said so in the chat), as a refused offer card is fixed on the spot."""
    message = query.message
    if result.status != CallStatus.CLOSED or not isinstance(message, Message):
        return
    if message.reply_markup is None:
        return
    kept = without_calls(message.reply_markup, cid)
    await services.sender.edit_keyboard(person.chat_id, message.message_id, kept)


async def _chosen(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services
) -> int | None:
    """The consultation named in the command, or replied to; None: the person's current one."""
    if context.args:
        return views.parse_reference(context.args[0])
    return await replied_consultation(services, update)
