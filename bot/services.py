"""What every handler needs, gathered once at start-up and kept in bot_data: the database,
the settings, the clock, the sender and the command menus. Blocking database work runs in
worker threads so a slow query never stalls other officers' updates."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from telegram.ext import ContextTypes

from bot.dispatcher import Dispatcher
from bot.menus import Menus
from bot.ordering import CURRENT, UpdateScope
from bot.scheduler import Timers
from bot.sender import Sender
from bot.settings import Settings
from flows.directory import DirectoryHolder
from flows.lane import LaneUnit
from flows.routing import RoutingPolicy
from flows.screening import NO_QUESTIONS, ScreeningPolicy
from flows.store import TRANSIENT_ERRORS, Clock, Database, describe_error
from flows.unit import Unit, unit_of_work

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")
UseCase = Callable[Concatenate[Unit, P], R]
Lane = Callable[Concatenate[LaneUnit, P], R | None]
KEY = "relais.services"
FIRST_RETRY_S = 1.0
MAX_RETRY_S = 10.0  # once the database is back, an officer waits at most this long


@dataclass
class Services:
    db: Database
    settings: Settings
    clock: Clock
    sender: Sender
    timers: Timers
    directory: DirectoryHolder = field(default_factory=lambda: DirectoryHolder(Path("")))
    menus: Menus = field(default_factory=lambda: Menus({}))
    dispatcher: Dispatcher | None = None
    screening: ScreeningPolicy = NO_QUESTIONS

    @property
    def policy(self) -> RoutingPolicy:
        return self.settings.policy

    async def run(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run a blocking flows/ function off the event loop."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def act(self, use_case: UseCase[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run one use case in one transaction (waiting out a database outage: a failed
        attempt rolled everything back), marking the update being handled as handled in it;
        then hand the notices it committed to the dispatcher."""
        scope = CURRENT.get()
        update_id = scope.update_id if scope is not None and not scope.marked else None
        unstored = scope is not None and scope.unstored is not None

        def work() -> tuple[R, list[Any]]:
            with unit_of_work(self.db, self.clock, update_id=update_id, unstored=unstored) as unit:
                result = use_case(unit, *args, **kwargs)
            return result, unit.outbox.recorded

        result, recorded = await self.here_first(use_case.__name__, work)
        self._committed(scope, recorded)
        return result

    async def act_in_lane(
        self,
        lane: Lane[P, R],
        use_case: UseCase[P, R],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> R:
        """A fresh update's use case tried first in its fast lane (flows/lane.py): what the
        lane takes it decides in one transaction on the driver, update marked and notices
        recorded; anything else it hands back untouched, and act() runs the use case."""
        scope = CURRENT.get()
        if scope is not None and not scope.marked and scope.unstored is not None:
            update_id = scope.update_id

            def work() -> tuple[R | None, list[Any]]:
                with self.db.driver_transaction(self.clock()) as driver:
                    unit = LaneUnit(driver, self.db.engine.dialect, update_id)
                    taken = lane(unit, *args, **kwargs)
                return taken, unit.recorded

            taken, recorded = await self.here_first(lane.__name__, work)
            if taken is not None:
                self._committed(scope, recorded)
                return taken
        return await self.act(use_case, *args, **kwargs)

    def _committed(self, scope: UpdateScope | None, recorded: list[Any]) -> None:
        """After a use case's commit: its update may be confirmed, its notices go out."""
        if scope is not None:
            scope.mark()
        if self.dispatcher is not None:
            self.dispatcher.post(recorded)

    async def here_first(
        self, what: str, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs
    ) -> R:
        """On SQLite, one attempt on the event loop itself: a use case's transaction takes
        about a millisecond there, and the hop to a worker thread and back cost as much again
        on a busy machine (Relais's relay latency against a bare bot, bench/relay.py). The
        attempt never waits for SQLite's lock: if another holds it, or the database is away,
        the work goes to a thread and is retried as usual. PostgreSQL always uses threads
        (its round trips release the loop for others). For short transactions only: a use
        case, the dispatcher's record of a send."""
        if self.db.is_sqlite:
            try:
                with self.db.no_wait():
                    return fn(*args, **kwargs)
            except TRANSIENT_ERRORS:
                pass  # rolled back: tried again off the loop, waiting as long as it takes
        return await self.run_retrying(what, fn, *args, **kwargs)

    async def run_retrying(
        self, what: str, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs
    ) -> R:
        """Run fn like run(), waiting out a database outage: a transient error is logged
        (one line, no SQL) and retried with a growing pause until the database answers.
        For work that must not be dropped (storing an update before confirming it)."""
        delay, failures = FIRST_RETRY_S, 0
        while True:
            try:
                result = await asyncio.to_thread(fn, *args, **kwargs)
            except TRANSIENT_ERRORS as exc:
                failures += 1
                log.error(
                    "%s: database unavailable (%s); retry %d in %.0fs",
                    what, describe_error(exc), failures, delay,
                )  # fmt: skip
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_RETRY_S)
                continue
            if failures:
                log.warning("%s: database back after %d failed attempts", what, failures)
            return result


def of(context: ContextTypes.DEFAULT_TYPE) -> Services:
    services: Any = context.application.bot_data[KEY]
    return services  # type: ignore[no-any-return]
