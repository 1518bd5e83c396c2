"""The one way out: everything the bot sends goes through here, so splitting to Telegram's
limits, flood-control waits, retries and logging live in one place. Retries run on a time
budget: a 429 wait is not a failed attempt (Telegram will take the message once it passes),
network errors and 5xx are retried with a growing pause until the budget is spent."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardMarkup,
    Message,
    MessageId,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)
from telegram.constants import MessageLimit
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot import metrics

log = logging.getLogger(__name__)

T = TypeVar("T")
RETRY_BUDGET_S = 30.0  # network errors and flood waits, together, for one call
FIRST_RETRY_S = 0.5
MAX_RETRY_S = 8.0
MAX_FLOOD_WAIT_S = 60.0
TEXT_LIMIT = MessageLimit.MAX_TEXT_LENGTH
CAPTION_LIMIT = MessageLimit.CAPTION_LENGTH
# Buttons under a message, or the keyboard below the input field (the request-contact button)
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove
CAPTIONED = ("photo", "video", "document", "voice", "audio", "animation")  # kinds with a caption


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Cut text into pieces Telegram accepts, preferring line then word boundaries; never
    drops a character."""
    if not text:
        return [text]
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", limit // 2, limit)
        if cut == -1:
            cut = rest.rfind(" ", limit // 2, limit)
        if cut == -1:
            cut = limit
        else:
            cut += 1  # keep the separator with the first piece, so nothing is lost
        pieces.append(rest[:cut])
        rest = rest[cut:]
    pieces.append(rest)
    return pieces


class Unreachable(Exception):
    """Telegram could not be reached after every attempt (network, 5xx): worth trying again
    later, unlike a refusal (blocked bot, bad request)."""


class Blocked(Exception):
    """The recipient blocked the bot (or deleted their account): raised only to a caller that
    holds its messages (the dispatcher), which records the person as unreachable."""


class Sender:
    """Sends, copies and edits with flood-control waits and retries on a time budget. Methods
    return what was delivered (message ids) and never raise for a recipient who blocked the
    bot, unless hold is set (then Blocked, or Unreachable once the budget is spent)."""

    def __init__(
        self,
        bot: Bot,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        budget: float = RETRY_BUDGET_S,
    ) -> None:
        self._bot = bot
        self._sleep = sleep
        self._monotonic = monotonic
        self._budget = budget

    async def text(
        self,
        chat_id: int,
        text: str,
        *,
        keyboard: Markup | None = None,
        reply_to: int | None = None,
        hold: bool = False,
    ) -> list[int]:
        """Send text (split when over 4096 characters; the keyboard goes on the last piece)."""
        pieces = split_text(text)
        sent: list[int] = []
        for index, piece in enumerate(pieces):
            markup = keyboard if index == len(pieces) - 1 else None
            reply = _reply(reply_to) if index == 0 else None
            message = await self._call(
                "sendMessage",
                chat_id,
                lambda piece=piece, markup=markup, reply=reply: self._bot.send_message(
                    chat_id, piece, reply_markup=markup, reply_parameters=reply
                ),
                hold=hold,
            )
            if message is None:
                break
            sent.append(message.message_id)
        return sent

    async def copy(
        self,
        chat_id: int,
        from_chat_id: int,
        message_id: int,
        *,
        caption: str | None = None,
        reply_to: int | None = None,
        hold: bool = False,
    ) -> int | None:
        """Copy a message (not forward: no account details leak), optionally re-captioned."""
        result: MessageId | None = await self._call(
            "copyMessage",
            chat_id,
            lambda: self._bot.copy_message(
                chat_id,
                from_chat_id,
                message_id,
                caption=caption,
                reply_parameters=_reply(reply_to),
            ),
            hold=hold,
        )
        return result.message_id if result else None

    async def photo(
        self, chat_id: int, png: bytes, *, caption: str | None = None, hold: bool = False
    ) -> int | None:
        """Upload an image (a report's chart), with an optional short caption."""
        message = await self._call(
            "sendPhoto",
            chat_id,
            lambda: self._bot.send_photo(
                chat_id, photo=png, caption=caption[:CAPTION_LIMIT] if caption else None
            ),
            hold=hold,
        )
        return message.message_id if message is not None else None

    async def edit(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        *,
        keyboard: InlineKeyboardMarkup | None = None,
        hold: bool = False,
    ) -> bool:
        """Edit a message's text; an unchanged text counts as success."""
        result = await self._call(
            "editMessageText",
            chat_id,
            lambda: self._bot.edit_message_text(
                split_text(text)[0], chat_id=chat_id, message_id=message_id, reply_markup=keyboard
            ),
            hold=hold,
        )
        return result is not None

    async def edit_keyboard(
        self, chat_id: int, message_id: int, keyboard: InlineKeyboardMarkup | None
    ) -> bool:
        """Change only the buttons under a message (None: no buttons), its text untouched."""
        result = await self._call(
            "editMessageReplyMarkup",
            chat_id,
            lambda: self._bot.edit_message_reply_markup(
                chat_id=chat_id, message_id=message_id, reply_markup=keyboard
            ),
        )
        return result is not None

    async def answer(self, query_id: str, text: str | None = None, *, alert: bool = False) -> None:
        """Answer a button press (the spinner stops; the text shows as a toast or an alert)."""
        await self._call(
            "answerCallbackQuery",
            None,
            lambda: self._bot.answer_callback_query(query_id, text=text, show_alert=alert),
        )

    async def set_commands(
        self,
        commands: list[BotCommand],
        *,
        chat_id: int | None = None,
        language: str | None = None,
    ) -> bool:
        """Set the command menu of one private chat (chat_id), or the default one (for a
        language, or for all when None)."""
        scope = BotCommandScopeChat(chat_id) if chat_id is not None else None
        done = await self._call(
            "setMyCommands",
            chat_id,
            lambda: self._bot.set_my_commands(commands, scope=scope, language_code=language),
        )
        return bool(done)

    async def delete_commands(self, chat_id: int) -> bool:
        """Remove one chat's own menu: it falls back to the default menu."""
        done = await self._call(
            "deleteMyCommands",
            chat_id,
            lambda: self._bot.delete_my_commands(scope=BotCommandScopeChat(chat_id)),
        )
        return bool(done)

    async def leave(self, chat_id: int) -> None:
        await self._call("leaveChat", chat_id, lambda: self._bot.leave_chat(chat_id))

    async def _call(
        self,
        method: str,
        chat_id: int | None,
        make: Callable[[], Awaitable[T]],
        *,
        hold: bool = False,
    ) -> T | None:
        """The call's result, or None when Telegram refused it (or could not be reached and
        hold is False). With hold, an unreachable Telegram raises Unreachable instead, so the
        caller keeps the message to send later (the dispatcher does), and a recipient who
        blocked the bot raises Blocked."""
        deadline = self._monotonic() + self._budget
        delay, failures = FIRST_RETRY_S, 0
        while True:
            try:
                return await make()
            except RetryAfter as exc:  # not a failure: Telegram takes it once the wait passes
                metrics.FLOOD_WAITS.inc()
                wait = min(_seconds(exc.retry_after), MAX_FLOOD_WAIT_S)
                log.warning("flood control on %s chat=%s: waiting %.1fs", method, chat_id, wait)
                if hold:  # a held message waits as long as Telegram asks: never dropped
                    deadline += wait
            except Forbidden as exc:
                log.warning("%s refused: chat=%s blocked the bot or left", method, chat_id)
                metrics.SEND_FAILURES.labels("blocked").inc()
                if hold and _is_blocked(exc):
                    raise Blocked(method) from None
                return None
            except BadRequest as exc:
                if _not_modified(exc):  # the edit is there (e.g. a retry's first attempt)
                    return True  # type: ignore[return-value]
                log.error("%s bad request chat=%s: %s", method, chat_id, exc.message)
                metrics.SEND_FAILURES.labels("bad_request").inc()
                return None
            except (TimedOut, NetworkError) as exc:  # 5xx, resets, time-outs
                # TimedOut may hide a delivered message; a rare duplicate beats a lost one.
                failures += 1
                log.warning(
                    "%s network error chat=%s attempt=%d: %s", method, chat_id, failures, exc
                )
                wait, delay = delay, min(delay * 2, MAX_RETRY_S)
            if self._monotonic() + wait > deadline:
                break
            await self._sleep(wait)
        metrics.SEND_FAILURES.labels("unreachable").inc()
        if hold:
            raise Unreachable(method)
        log.error("%s gave up after %.0fs chat=%s", method, self._budget, chat_id)
        return None


def _is_blocked(exc: Forbidden) -> bool:
    """A private chat's 403: blocked, or the account deleted (not a group the bot left)."""
    text = exc.message.lower()
    return "blocked" in text or "deactivated" in text


def _not_modified(exc: BadRequest) -> bool:
    """An edit Telegram already shows: a success. The library capitalises the description
    ("Message is not modified: ..."), so it is compared without case."""
    return "message is not modified" in exc.message.lower()


def _reply(message_id: int | None) -> ReplyParameters | None:
    if message_id is None:
        return None
    return ReplyParameters(message_id=message_id, allow_sending_without_reply=True)


def _seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]


__all__ = ["Blocked", "Message", "Sender", "Unreachable", "split_text"]
