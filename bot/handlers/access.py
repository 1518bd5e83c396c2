"""Who may do what: private chats only, enrolled people only, and the right role. Every
handler passes through one of these gates before touching a consultation."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot import services as services_module
from bot.i18n import t
from bot.services import Services
from flows import people
from flows.people import PersonView
from flows.vocabulary import Role, language_from_code

log = logging.getLogger(__name__)

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE, Services, PersonView], Awaitable[Any]]


def requires(*roles: Role) -> Callable[[Handler], Callable[..., Awaitable[None]]]:
    """Let the handler run only for an enrolled person with one of these roles (any role if
    none given) in a private chat; everyone else gets one short refusal."""

    allowed = frozenset(roles or Role)

    def wrap(handler: Handler) -> Callable[..., Awaitable[None]]:
        @functools.wraps(handler)
        async def gated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            services = services_module.of(context)
            person = await identify(update, services)
            if person is None:
                return
            if person.role not in allowed:
                await refuse(update, services, t(person.language, "refusal.role"))
                return
            await handler(update, context, services, person)

        gated.roles = allowed  # type: ignore[attr-defined]  # read by bot.menus: one home
        return gated

    return wrap


async def identify(update: Update, services: Services) -> PersonView | None:
    """The enrolled person behind this update, or None after refusing politely."""
    chat, user = update.effective_chat, update.effective_user
    if user is None or chat is None:
        return None
    if chat.type != ChatType.PRIVATE:
        await refuse_group(update, services)
        return None
    person = await services.run(people.find_by_telegram_id, services.db, user.id)
    if person is None:
        await refuse_stranger(update, services)
    return person


async def refuse_stranger(update: Update, services: Services) -> None:
    """Someone not enrolled (or revoked): one sentence in their language, and the menu of
    a stranger (a revoked person loses theirs)."""
    user = update.effective_user
    if user is None:
        return
    log.info("refused unknown user update=%s", update.update_id)
    await refuse(update, services, t(language_from_code(user.language_code), "refusal.unknown"))
    services.menus.refresh_soon(services, user.id)


async def refuse(update: Update, services: Services, text: str) -> None:
    """One short answer, as a toast for a button press or a message otherwise."""
    if update.callback_query is not None:
        await services.sender.answer(update.callback_query.id, text, alert=True)
    elif update.effective_chat is not None:
        await services.sender.text(update.effective_chat.id, text)


async def refuse_group(update: Update, services: Services) -> None:
    """Relais works in private chats only: say so once and leave the group."""
    chat = update.effective_chat
    if chat is None:
        return
    log.info("refused group chat=%s update=%s", chat.id, update.update_id)
    user = update.effective_user
    lang = language_from_code(user.language_code if user else None)
    if update.callback_query is not None:
        await services.sender.answer(update.callback_query.id, t(lang, "refusal.group"))
    else:
        await services.sender.text(chat.id, t(lang, "refusal.group"))
    await services.sender.leave(chat.id)


async def refuse_press(services: Services, query_id: str, person: PersonView) -> None:
    """A button press that may not do anything for this person (forged, not theirs, or no
    longer valid): one alert, in their language, nothing changed."""
    await services.sender.answer(query_id, t(person.language, "callback.invalid"), alert=True)
