"""Concurrent update processing that keeps each chat's updates in order and applies every
update once: different officers never wait for each other, one officer's messages stay in
the order they were typed, and an update Telegram re-sends after a restart is skipped. An
update the poller did not store first (the fast path) is expected: the poller waits until its
row is committed, by the use case that handled it or by the mark after its handler, before
confirming it to Telegram."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot import metrics
from flows.inbox import Received

log = logging.getLogger(__name__)

Check = Callable[[int], Awaitable[bool]]
Mark = Callable[[int, bool], Awaitable[None]]  # update id, not stored yet


@dataclass
class UpdateScope:
    """The update being handled; marked once a use case marked it handled in its own
    transaction, so the processor does not mark it again. `unstored`: the inbox has no row
    for it yet (whoever marks it writes one)."""

    update_id: int
    unstored: Received | None = None
    secured: asyncio.Future[bool] | None = None
    marked: bool = False
    finished: asyncio.Future[None] | None = None  # webhook mode: its 200 waits for this

    def mark(self) -> None:
        """Its row is committed: the poller may confirm it to Telegram, and the webhook
        answer it (its effects are in the database: the next update may be handled anywhere;
        what the handler still sends itself, a toast or a page, need not be waited for)."""
        self.marked = True
        if self.secured is not None and not self.secured.done():
            self.secured.set_result(True)
        if self.finished is not None and not self.finished.done():
            self.finished.set_result(None)


CURRENT: ContextVar[UpdateScope | None] = ContextVar("relais_update", default=None)


class OrderedOnceProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int, *, seen: Check, mark: Mark) -> None:
        super().__init__(max_concurrent_updates)
        self._seen = seen
        self._mark = mark
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        self.fresh: set[int] = set()  # just stored by the poller: nothing to check
        self._expected: dict[int, tuple[Received, asyncio.Future[bool]]] = {}
        self._handling: set[asyncio.Task[Any]] = set()
        self._finished: dict[int, asyncio.Future[None]] = {}
        self._abandoned = False

    def expect(self, received: Received) -> asyncio.Future[bool]:
        """An update queued without being stored: the future says True once its row is
        committed, False if its handling ended without one (the poller then stores it)."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._expected[received.update_id] = (received, future)
        return future

    def finished(self, update_id: int) -> asyncio.Future[None]:
        """Done once this update's use case committed (or its handling ended: skipped as
        seen, dropped at a stop, nothing to record): webhook mode answers Telegram then, so
        its next update comes after."""
        future = self._finished.get(update_id)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._finished[update_id] = future
        return future

    def _end(self, update_id: int) -> None:
        future = self._finished.pop(update_id, None)
        if future is not None and not future.done():
            future.set_result(None)

    def unstored(self, update_id: int) -> Received | None:
        """The update being handled, if the inbox may have no row for it yet."""
        expected = self._expected.get(update_id)
        return expected[0] if expected is not None else None

    def abandon(self) -> int:
        """At a stop that cannot wait any longer (a handler waiting out a database outage):
        the updates being handled are cancelled and those still queued dropped; how many were
        being handled. None of them is marked handled, and none was confirmed to Telegram
        unless stored first, so each comes back at the next start (from Telegram or the
        inbox); a use case is one transaction, so none is left half done."""
        self._abandoned = True
        for task in self._handling:
            task.cancel()
        return len(self._handling)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if self._abandoned:
            _discard(coroutine)
            if isinstance(update, Update):
                self._end(update.update_id)
            return
        if not isinstance(update, Update):
            await coroutine
            return
        task = asyncio.current_task()
        if task is not None:
            self._handling.add(task)
        try:
            await self._in_chat_order(update, coroutine)
        finally:
            if task is not None:
                self._handling.discard(task)

    async def _in_chat_order(self, update: Update, coroutine: Awaitable[Any]) -> None:
        key = _chat_key(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await self._process(update, coroutine)
        finally:
            self._end(update.update_id)
            expected = self._expected.pop(update.update_id, None)
            if expected is not None and not expected[1].done():
                expected[1].set_result(False)
            self._waiting[key] -= 1
            if self._waiting[key] == 0:
                del self._waiting[key]
                self._locks.pop(key, None)

    async def _process(self, update: Update, coroutine: Awaitable[Any]) -> None:
        expected = self._expected.get(update.update_id)
        fresh = update.update_id in self.fresh or expected is not None
        self.fresh.discard(update.update_id)
        if not fresh and await self._seen(update.update_id):
            log.info("skipped already handled update=%s", update.update_id)
            _discard(coroutine)
            return
        scope = UpdateScope(update.update_id, finished=self._finished.get(update.update_id))
        if expected is not None:
            scope.unstored, scope.secured = expected
        token = CURRENT.set(scope)
        try:
            await coroutine
        finally:
            CURRENT.reset(token)
        if not scope.marked:
            await self._mark(update.update_id, scope.unstored is not None)
            scope.mark()
        metrics.UPDATES.inc()
        log.debug("handled update=%s", update.update_id)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


def _chat_key(update: Update) -> int:
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return 0


def _discard(coroutine: Awaitable[Any]) -> None:
    close = getattr(coroutine, "close", None)
    if callable(close):
        close()
