"""The per-private-chat bucket the library lacks: one chat's messages are paced, other chats
are not held up by it, a 429 on one chat holds that chat alone, and what is not a message
(an edit, a button answer) is not paced."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram.error import RetryAfter

from bot.rate_limits import TelegramLimits


def limits(**kw: Any) -> TelegramLimits:
    return TelegramLimits(overall_per_second=1000, **kw)


async def sends(
    limiter: TelegramLimits, calls: list[tuple[str, int]], answer: Any = None
) -> list[tuple[int, float]]:
    loop = asyncio.get_running_loop()
    start = loop.time()
    times: list[tuple[int, float]] = []

    async def one(endpoint: str, chat_id: int) -> None:
        async def callback() -> dict[str, Any]:
            if answer is not None:
                answer(chat_id)
            return {}

        try:
            await limiter.process_request(callback, (), {}, endpoint, {"chat_id": chat_id}, None)
        except RetryAfter:
            return
        times.append((chat_id, loop.time() - start))

    await asyncio.gather(*(one(endpoint, chat) for endpoint, chat in calls))
    return times


def test_one_chat_gets_its_burst_at_once_then_its_rate():
    limiter = limits(chat_per_second=20, chat_burst=2)
    times = asyncio.run(sends(limiter, [("sendMessage", 7)] * 6))
    at = sorted(t for _, t in times)
    assert at[1] < 0.03  # the burst
    assert at[-1] >= 0.15  # then one every 50 ms: four more take at least 150 ms


def test_other_chats_are_not_held_behind_a_busy_one():
    limiter = limits(chat_per_second=5, chat_burst=1)
    times = asyncio.run(sends(limiter, [("sendMessage", 7)] * 3 + [("sendMessage", 8)]))
    assert max(t for chat, t in times if chat == 8) < 0.05
    assert max(t for chat, t in times if chat == 7) >= 0.35


def test_edits_button_answers_and_groups_are_not_paced_per_chat():
    limiter = limits(chat_per_second=2, chat_burst=1)
    calls = [("editMessageText", 7)] * 5 + [("sendChatAction", 7)] * 3
    times = asyncio.run(sends(limiter, calls))
    assert max(t for _, t in times) < 0.05


def test_a_429_on_one_chat_holds_that_chat_only():
    limiter = limits(chat_per_second=1000, chat_burst=100)
    flooded = {"left": 1}

    def answer(chat_id: int) -> None:
        if chat_id == 7 and flooded["left"]:
            flooded["left"] -= 1
            raise RetryAfter(1)

    async def scenario() -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
        first = await sends(limiter, [("sendMessage", 7)], answer)  # the 429
        later = await sends(limiter, [("sendMessage", 7), ("sendMessage", 8)], answer)
        return first, later

    first, later = asyncio.run(scenario())
    assert first == []
    assert limiter.flood_waits == 1
    assert dict(later)[8] < 0.1
    assert dict(later)[7] >= 0.9


def test_a_429_logs_no_error_from_the_library_only_the_flood_wait_it_is(caplog):
    limiter = limits(chat_per_second=1000, chat_burst=100)

    def answer(chat_id: int) -> None:
        raise RetryAfter(1)

    calls = [("sendMessage", 7), ("editMessageText", 8)]
    with caplog.at_level(logging.DEBUG):
        assert asyncio.run(sends(limiter, calls, answer)) == []
    assert limiter.flood_waits == 2  # still counted, still raised to the sender
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert "Rate limit hit" not in caplog.text


def test_the_librarys_other_records_still_pass(caplog):
    limits()
    library = logging.getLogger("telegram.ext.AIORateLimiter")
    with caplog.at_level(logging.INFO):
        library.exception("Rate limit hit after maximum of %d retries", 3)  # retries not ours
        library.error("something else went wrong")
    assert [r.getMessage() for r in caplog.records] == [
        "Rate limit hit after maximum of 3 retries",
        "something else went wrong",
    ]
