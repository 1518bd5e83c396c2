"""What every handler needs, gathered once at start-up and kept in bot_data: the database,
the settings, the clock, the sender and the command menus. Blocking database work runs in
worker threads so a slow query never stalls other officers' updates."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from telegram.ext import ContextTypes

from bot.menus import Menus
from bot.scheduler import Timers
from bot.sender import Sender
from bot.settings import Settings
from flows.directory import DirectoryHolder
from flows.routing import RoutingPolicy
from flows.store import Clock, Database

P = ParamSpec("P")
R = TypeVar("R")
KEY = "relais.services"


@dataclass
class Services:
    db: Database
    settings: Settings
    clock: Clock
    sender: Sender
    timers: Timers
    directory: DirectoryHolder = field(default_factory=lambda: DirectoryHolder(Path("")))
    menus: Menus = field(default_factory=lambda: Menus({}))

    @property
    def policy(self) -> RoutingPolicy:
        return self.settings.policy

    async def run(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run a blocking flows/ function off the event loop."""
        return await asyncio.to_thread(fn, *args, **kwargs)


def of(context: ContextTypes.DEFAULT_TYPE) -> Services:
    services: Any = context.application.bot_data[KEY]
    return services  # type: ignore[no-any-return]
