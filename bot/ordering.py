"""Concurrent update processing that keeps each chat's updates in order and applies every
update once: different officers never wait for each other, one officer's messages stay in
the order they were typed, and an update Telegram re-sends after a restart is skipped."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

Check = Callable[[int], Awaitable[bool]]
Mark = Callable[[int], Awaitable[None]]


@dataclass
class UpdateScope:
    """The update being handled; marked once a use case marked it handled in its own
    transaction, so the processor does not mark it again."""

    update_id: int
    marked: bool = False


CURRENT: ContextVar[UpdateScope | None] = ContextVar("relais_update", default=None)


class OrderedOnceProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int, *, seen: Check, mark: Mark) -> None:
        super().__init__(max_concurrent_updates)
        self._seen = seen
        self._mark = mark
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        self.fresh: set[int] = set()  # just stored by the poller: nothing to check

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if not isinstance(update, Update):
            await coroutine
            return
        key = _chat_key(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                fresh = update.update_id in self.fresh
                self.fresh.discard(update.update_id)
                if not fresh and await self._seen(update.update_id):
                    log.info("skipped already handled update=%s", update.update_id)
                    _discard(coroutine)
                    return
                scope = UpdateScope(update.update_id)
                token = CURRENT.set(scope)
                try:
                    await coroutine
                finally:
                    CURRENT.reset(token)
                if not scope.marked:
                    await self._mark(update.update_id)
                log.debug("handled update=%s", update.update_id)
        finally:
            self._waiting[key] -= 1
            if self._waiting[key] == 0:
                del self._waiting[key]
                self._locks.pop(key, None)

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
