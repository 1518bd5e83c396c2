"""Telegram's send limits, kept before Telegram has to enforce them. python-telegram-bot's
AIORateLimiter already keeps the overall limit (about 30 messages a second) and the one per
group (20 a minute); it has no bucket per private chat (about 1 message a second, short
bursts allowed), which is what a worker receiving a case's queued messages, or an officer
and a worker exchanging quickly, runs into. This fills that gap and only that one: a small
bucket per private chat for the calls that post a message, and a 429 on one chat holds that
chat alone (the library's own retries, which would pause every request, stay off: the sender
waits out a 429 itself). With no retries of its own, the library logs each 429 as an ERROR
with a traceback before raising it; that one record is dropped (FloodWaitIsNotAnError), the
sender's warning and the flood-wait counters saying it instead."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram._utils.types import JSONDict
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

# Calls that post a message in a chat (an edit or a chat action is not a new message).
POSTING = frozenset(
    {
        "sendMessage", "sendPhoto", "sendDocument", "sendVideo", "sendVoice", "sendAudio",
        "sendAnimation", "sendSticker", "sendLocation", "sendContact", "sendVenue",
        "sendMediaGroup", "sendVideoNote", "sendPoll", "sendDice",
        "copyMessage", "copyMessages", "forwardMessage", "forwardMessages",
    }
)  # fmt: skip
MAX_CHATS = 1024  # buckets kept; a full (idle) one is forgotten past this

Callback = Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]]
LIBRARY_LOGGER = "telegram.ext.AIORateLimiter"
GAVE_UP = "Rate limit hit after maximum of %d retries"  # the library's words, max_retries=0


class FloodWaitIsNotAnError(logging.Filter):
    """Drops the library's ERROR for a 429 it does not retry (ours never does): a flood wait
    is waited out by the sender, which logs a warning, so operators alerting on ERROR are
    not called for one. Every other record of the library passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.msg == GAVE_UP
            and record.args == (0,)
            and record.exc_info is not None
            and isinstance(record.exc_info[1], RetryAfter)
        )


_FLOOD_WAITS_ARE_NOT_ERRORS = FloodWaitIsNotAnError()


class TelegramLimits(AIORateLimiter):
    """The library's overall and group limits, plus one bucket per private chat: `burst`
    messages at once, then `per_second`. The defaults stay a little under Telegram's
    (28/s of 30, a burst of 2 where about 3 pass): a request's time on the way must not
    push two of them, released a second apart, closer together than that at Telegram."""

    def __init__(
        self,
        *,
        overall_per_second: float = 28,
        chat_per_second: float = 1.0,
        chat_burst: int = 2,
    ) -> None:
        super().__init__(overall_max_rate=overall_per_second, overall_time_period=1, max_retries=0)
        logging.getLogger(LIBRARY_LOGGER).addFilter(_FLOOD_WAITS_ARE_NOT_ERRORS)  # added once
        self._chat_per_second = chat_per_second
        self._chat_burst = chat_burst
        self._chats: dict[int, AsyncLimiter] = {}
        self._held_until: dict[int, float] = {}  # after a 429 on that chat (loop time)
        self.flood_waits = 0  # 429s Telegram answered (the target is none)

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        chat_id = _private_chat(data) if endpoint in POSTING else None
        if chat_id is None or self._chat_per_second <= 0:
            return await self._counted(callback, args, kwargs, endpoint, data, None)
        await self._after_hold(chat_id)
        async with self._bucket(chat_id):
            return await self._counted(callback, args, kwargs, endpoint, data, chat_id)

    async def _counted(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        chat_id: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        try:
            return await super().process_request(callback, args, kwargs, endpoint, data, 0)
        except RetryAfter as exc:
            self.flood_waits += 1
            if chat_id is not None:
                wait = exc.retry_after
                seconds = wait if isinstance(wait, int | float) else wait.total_seconds()
                self._held_until[chat_id] = asyncio.get_running_loop().time() + seconds
            raise

    async def _after_hold(self, chat_id: int) -> None:
        until = self._held_until.get(chat_id)
        if until is None:
            return
        wait = until - asyncio.get_running_loop().time()
        if wait > 0:
            await asyncio.sleep(wait)
        self._held_until.pop(chat_id, None)

    def _bucket(self, chat_id: int) -> AsyncLimiter:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            if len(self._chats) >= MAX_CHATS:
                for key, old in list(self._chats.items()):
                    if old.has_capacity(old.max_rate):
                        del self._chats[key]
            bucket = AsyncLimiter(self._chat_burst, self._chat_burst / self._chat_per_second)
            self._chats[chat_id] = bucket
        return bucket


def _private_chat(data: dict[str, Any]) -> int | None:
    """A private chat's id (positive); groups and channels are the library's business."""
    try:
        chat_id = int(data.get("chat_id"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return chat_id if chat_id > 0 else None
