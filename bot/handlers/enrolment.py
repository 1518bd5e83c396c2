"""Enrolment and personal settings: /start with an invite code, /help, /lang."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot import render
from bot import services as services_module
from bot.handlers.access import identify, refuse, refuse_group, requires
from bot.i18n import t
from bot.services import Services
from flows import enrolment, people
from flows.enrolment import RedeemStatus
from flows.people import PersonView
from flows.vocabulary import Role, language_from_code

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
    result = await services.run(
        enrolment.redeem_invite, services.db, code, user.id, user.language_code, services.clock
    )
    if result.status == RedeemStatus.INVALID:
        log.info("refused invite code update=%s", update.update_id)
        await refuse(update, services, t(language_from_code(user.language_code), "refusal.invite"))
        return
    person = result.person
    assert person is not None
    if result.status == RedeemStatus.ALREADY_ENROLLED:
        role = t(person.language, f"role.{person.role.value}")
        await services.sender.text(chat.id, t(person.language, "enrol.already", role=role))
        return
    log.info("enrolled person=%s role=%s", person.id, person.role.value)
    welcome = t(person.language, f"enrol.welcome.{person.role.value}", name=person.display_name)
    await services.sender.text(chat.id, welcome)
    services.menus.refresh_soon(services, user.id)  # their role's commands (a new role too)


def help_text(person: PersonView) -> str:
    text = t(person.language, f"help.{person.role.value}", name=person.display_name)
    text += "\n" + t(person.language, "resources.help")
    if person.role == Role.SUPERVISOR:
        text += "\n" + t(person.language, "resources.help_reload")
    if person.role != Role.OFFICER:
        text += "\n" + t(person.language, "followup.help")
    return text


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
    updated = await services.run(people.set_language, services.db, person.id, language)
    await services.sender.text(updated.chat_id, t(language, "lang.set"))
    services.menus.refresh_soon(services, updated.telegram_user_id)
