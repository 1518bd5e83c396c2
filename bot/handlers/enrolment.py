"""Enrolment and personal settings: /start with an invite code, /help, /lang."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot import callbacks, render
from bot import services as services_module
from bot.handlers.access import identify, refuse_group, requires
from bot.render import help_text
from bot.services import Services
from flows import enrolment
from flows.enrolment import RedeemStatus
from flows.people import PersonView

log = logging.getLogger(__name__)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start CODE binds this Telegram account; /start alone greets an enrolled person."""
    services = services_module.of(context)
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    if chat.type != ChatType.PRIVATE:
        await refuse_group(update, services)
        return
    code = context.args[0] if context.args else None
    if not code:
        person = await identify(update, services)
        if person is not None:
            await services.sender.text(chat.id, help_text(person))
        return
    result = await services.act(enrolment.enrol, code, user.id, user.language_code)
    if result.status in (RedeemStatus.INVALID, RedeemStatus.THROTTLED):
        log.warning(
            "refused invite code account=%s update=%s status=%s failures=%d",
            user.id, update.update_id, result.status.value, result.failures,
        )  # fmt: skip
    elif result.status == RedeemStatus.ENROLLED and result.person is not None:
        log.info("enrolled person=%s role=%s", result.person.id, result.person.role.value)
        services.menus.refresh_soon(services, user.id)  # their role's commands (a new role too)


@requires()
async def show_help(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    """/help and any unknown command: what this person can do."""
    await services.sender.text(person.chat_id, help_text(person))


@requires()
async def choose_language(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    """/lang fr|en switches at once; /lang alone offers both."""
    wanted = (context.args or [""])[0].lower()[:2]
    if wanted in ("fr", "en"):
        await apply_language(services, person, wanted)
        return
    prompt = render.language_prompt()
    await services.sender.text(person.chat_id, prompt.text, keyboard=prompt.keyboard)


async def apply_language(services: Services, person: PersonView, language: str) -> None:
    """/lang fr|en or a language button: one use case; then the menu in that language."""
    updated = await services.act(enrolment.choose_language, person.id, language)
    services.menus.refresh_soon(services, updated.telegram_user_id)


@callbacks.LANGUAGE.handles
async def on_language(
    services: Services, query: CallbackQuery, person: PersonView, choice: int
) -> None:
    """The language buttons of /lang."""
    await services.sender.answer(query.id)
    await apply_language(services, person, callbacks.LANGUAGE_CHOICES[choice])
