"""End to end: the Telegram command menu is each person's own: only the commands their role
may use, in their language, set at enrolment, on /lang and for everyone on start-up; a
revoked person and a stranger see only /help."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot, BotCommand, BotCommandScopeChat

from flows import enrolment, people
from flows.store import utc_now
from flows.vocabulary import Role
from tests.support.e2e import TOKEN

pytestmark = pytest.mark.e2e

OFFICER, WORKER, SUPERVISOR, STRANGER = 1001, 2001, 3001, 6666
CALLS = ["callme", "calling", "phone"]
P38 = ["assessment", "assessments", "timeline"]
CASES = ["key", "recurring", "case", "careplan"]
OFFICER_MENU = ["consult", "close", "resources", "key", "assessments", "timeline", "incident",
                *CALLS, "lang", "help"]  # fmt: skip
WORKER_MENU = [
    "close", "on", "off", "status", "queue", "transfer", "resources", "followups", *CASES, *P38,
    *CALLS, "lang", "help",
]  # fmt: skip
SUPERVISOR_MENU = [
    "close", "status", "queue", "takeover", "reassign", "shifts", "resources", "reload",
    "followups", *CASES, *P38, "stats", *CALLS, "lang", "help",
]  # fmt: skip


def names(menu: list[dict]) -> list[str]:
    return [c["command"] for c in menu]


def descriptions(menu: list[dict]) -> dict[str, str]:
    return {c["command"]: c["description"] for c in menu}


def wait_menu(world, user_id: int, expected: list[str]) -> list[dict]:
    return world.user.wait_for_menu(
        user_id, lambda m: names(m) == expected, world.step, description=f"the menu {expected}"
    )


def as_the_bot(world, body) -> None:
    """Call the Bot API directly with the bot's token, as an older version of Relais did."""

    async def main() -> None:
        async with Bot(TOKEN, base_url=world.sandbox.base_url) as bot:
            await body(bot)

    asyncio.run(main())


def test_officers_and_supervisors_each_see_their_own_commands_in_their_language(world):
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(SUPERVISOR, Role.SUPERVISOR, "Anne Lavoie", language_code="en")
    officer = wait_menu(world, OFFICER, OFFICER_MENU)
    assert descriptions(officer)["consult"] == "Ouvrir une consultation"
    assert descriptions(officer)["help"] == "Aide"
    supervisor = wait_menu(world, SUPERVISOR, SUPERVISOR_MENU)
    assert descriptions(supervisor)["help"] == "Help"
    assert descriptions(supervisor)["takeover"] == "Take over a consultation"


def test_workers_see_their_commands_and_a_stranger_only_help(world):
    world.enrol(WORKER, Role.WORKER, "Marie Roy")
    wait_menu(world, WORKER, WORKER_MENU)
    world.user.add_user(STRANGER, "Curious", language_code="en")
    world.user.send_text(STRANGER, "hello")
    world.user.wait_for_text(STRANGER, "enrolled people only", world.step)
    assert world.user.menu(STRANGER) == [{"command": "help", "description": "Help"}]


def test_lang_switches_the_menu_to_the_chosen_language(world):
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    wait_menu(world, OFFICER, OFFICER_MENU)
    world.user.send_text(OFFICER, "/lang en")
    world.user.wait_for_text(OFFICER, "Language: English.", world.step)
    menu = world.user.wait_for_menu(
        OFFICER, lambda m: descriptions(m).get("help") == "Help", world.step
    )
    assert names(menu) == OFFICER_MENU
    assert descriptions(menu)["consult"] == "Open a consultation"


def test_a_revoked_person_sees_only_help_once_the_bot_hears_from_them(world):
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    wait_menu(world, OFFICER, OFFICER_MENU)
    person = people.find_by_telegram_id(world.db, OFFICER)
    assert person is not None
    enrolment.revoke(world.db, person.id, utc_now)
    world.user.send_text(OFFICER, "bonjour")
    world.user.wait_for_text(OFFICER, "réservé aux personnes inscrites", world.step)
    assert names(wait_menu(world, OFFICER, ["help"])) == ["help"]


def test_on_start_up_everyone_enrolled_gets_their_menu_and_the_revoked_lose_theirs(world):
    world.enrol(OFFICER, Role.OFFICER, "Julie Tremblay")
    world.enrol(WORKER, Role.WORKER, "Marie Roy")
    wait_menu(world, WORKER, WORKER_MENU)
    world.bot.stop()
    worker = people.find_by_telegram_id(world.db, WORKER)
    assert worker is not None
    enrolment.revoke(world.db, worker.id, utc_now)  # while the bot is down: it cannot know yet

    async def as_before_the_upgrade(bot: Bot) -> None:
        old = [BotCommand(n, n) for n in ("consult", "close", "on", "off", "queue", "help")]
        await bot.set_my_commands(old)
        await bot.set_my_commands(old, language_code="fr")
        await bot.delete_my_commands(scope=BotCommandScopeChat(OFFICER))

    as_the_bot(world, as_before_the_upgrade)
    assert names(world.user.menu(OFFICER)) != OFFICER_MENU
    world.restart()
    wait_menu(world, OFFICER, OFFICER_MENU)
    wait_menu(world, WORKER, ["help"])
