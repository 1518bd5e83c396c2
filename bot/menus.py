"""The Telegram command menu, one per person: only the commands their role may use, in their
language, so nobody is shown commands that would refuse them. Which role may use a command is
read from the handlers' own gates (``requires``), never restated here. Strangers and revoked
people see the default menu: /help."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from telegram import BotCommand
from telegram.ext import BaseHandler, CommandHandler

from bot.i18n import t
from bot.sender import Sender
from flows import people
from flows.store import Database
from flows.vocabulary import DEFAULT_LANGUAGE, LANGUAGES, Role

log = logging.getLogger(__name__)

# The order people read the menu in; each gated command must be placed here.
MENU_ORDER = (
    "consult", "close", "on", "off", "status", "queue", "transfer", "takeover", "reassign",
    "shifts", "resources", "reload", "followups", "key", "recurring", "case", "careplan",
    "assessment", "assessments", "timeline",  # P-38.001 assessments and timelines (issue 11)
    "incident", "stats",  # reports (issue 12)
    "callme", "calling", "phone",  # calls (issue 14)
    "lang", "help",
)  # fmt: skip
DEFAULT_MENU = ("help",)
START_UP_SYNC = "menus.start_up"

Shown = tuple[Role, str] | None  # what a chat's own menu was last set to; None: removed


class Services(Protocol):
    """What refreshing a menu needs of bot/services.py's Services (which holds the menus)."""

    db: Database
    sender: Sender

    async def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any: ...


class Menus:
    """Builds each role's menu and keeps every enrolled person's chat menu in line with the
    database. One lock: a refresh re-reads the person under it, so when a start-up pass and
    a /lang cross, the later state wins."""

    def __init__(self, roles: Mapping[str, frozenset[Role]]) -> None:
        unplaced = sorted(set(roles) - set(MENU_ORDER))
        if unplaced:
            raise ValueError(f"commands missing from bot.menus.MENU_ORDER: {unplaced}")
        self._roles = dict(roles)
        self._lock = asyncio.Lock()
        self._shown: dict[int, Shown] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @classmethod
    def of_handlers(cls, handlers: Iterable[BaseHandler]) -> Menus:  # type: ignore[type-arg]
        """From the registered command handlers and the roles their gates let in."""
        roles: dict[str, frozenset[Role]] = {}
        for handler in handlers:
            allowed = getattr(getattr(handler, "callback", None), "roles", None)
            if isinstance(handler, CommandHandler) and allowed is not None:
                roles |= dict.fromkeys(handler.commands, allowed)
        return cls(roles)

    def names(self, role: Role) -> list[str]:
        return [n for n in MENU_ORDER if role in self._roles.get(n, frozenset())]

    def commands(self, role: Role, language: str) -> list[BotCommand]:
        return [BotCommand(n, t(language, f"command.{n}")) for n in self.names(role)]

    async def set_default(self, sender: Sender) -> None:
        """The menu of anyone without their own: one per language, and one for the rest."""
        for language in LANGUAGES:
            await sender.set_commands(_default(language), language=language)
        await sender.set_commands(_default(DEFAULT_LANGUAGE))

    def refresh_soon(self, services: Services, telegram_user_id: int) -> None:
        """Refresh in the background: a handler never waits on the menu (a flood-control wait
        on setMyCommands must not hold up that person's next message)."""
        task = asyncio.get_running_loop().create_task(
            self._refresh_logged(services, telegram_user_id)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _refresh_logged(self, services: Services, telegram_user_id: int) -> None:
        try:
            await self.refresh(services, telegram_user_id)
        except Exception:
            log.exception("menu refresh failed")

    async def refresh(self, services: Services, telegram_user_id: int) -> None:
        """Set this account's menu to what the database says now: their role's commands in
        their language while enrolled, the default once revoked; nothing for a stranger."""
        async with self._lock:
            person = await services.run(
                people.find_any_by_telegram_id, services.db, telegram_user_id
            )
            if person is None:
                return
            wanted: Shown = (person.role, person.language) if person.active else None
            if telegram_user_id in self._shown and self._shown[telegram_user_id] == wanted:
                return
            if wanted is None:
                done = await services.sender.delete_commands(telegram_user_id)
            else:
                commands = self.commands(person.role, person.language)
                done = await services.sender.set_commands(commands, chat_id=telegram_user_id)
            if done:
                self._shown[telegram_user_id] = wanted
                log.info("menu person=%s set=%s", person.id, "own" if wanted else "default")

    async def refresh_everyone(self, services: Services, running: Callable[[], bool]) -> None:
        """Start-up: everyone's menu, one call per person, in the background, stopping when
        the bot stops (so an upgraded deployment and revocations made offline catch up)."""
        everyone = await services.run(people.list_people, services.db)
        done = 0
        for person in everyone:
            if not running():
                break
            await self.refresh(services, person.telegram_user_id)
            done += 1
        log.info("menus refreshed for %d of %d people", done, len(everyone))


def _default(language: str) -> list[BotCommand]:
    return [BotCommand(n, t(language, f"command.{n}")) for n in DEFAULT_MENU]
