"""The one way out: long text is split without losing a character; flood control is waited
out, and is not a failed attempt; network errors are retried on a time budget; a blocked
recipient is reported, not raised (or raised as Blocked to the dispatcher, which holds)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot import metrics
from bot.sender import Blocked, Sender, Unreachable, split_text


@pytest.mark.parametrize("size", [0, 1, 4096, 4097, 9000, 20_000])
def test_splitting_never_loses_or_exceeds(size):
    text = ("mot " * 5000 + "\n" + "x" * 9000)[:size]
    pieces = split_text(text)
    assert "".join(pieces) == text
    assert all(len(p) <= 4096 for p in pieces)


def test_splitting_prefers_line_breaks():
    text = "a" * 3000 + "\n" + "b" * 3000
    assert split_text(text) == ["a" * 3000 + "\n", "b" * 3000]


class FakeBot:
    def __init__(self, failures: list[Exception]) -> None:
        self.failures = failures
        self.sent: list[str] = []

    async def send_message(self, chat_id: int, text: str, **_: Any) -> Any:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(text)

        class Sent:
            message_id = len(self.sent)

        return Sent()


def test_flood_control_is_waited_out_then_the_message_goes():
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    bot = FakeBot([RetryAfter(3)])
    sender = Sender(bot, sleep=sleep)  # type: ignore[arg-type]
    assert asyncio.run(sender.text(1, "bonjour")) == [1]
    assert waits == [3.0]
    assert bot.sent == ["bonjour"]


def test_a_blocked_recipient_returns_nothing_delivered():
    sender = Sender(FakeBot([Forbidden("bot was blocked by the user")]))  # type: ignore[arg-type]
    assert asyncio.run(sender.text(1, "bonjour")) == []


def test_a_long_text_arrives_in_order_in_several_messages():
    bot = FakeBot([])
    sender = Sender(bot)  # type: ignore[arg-type]
    ids = asyncio.run(sender.text(1, "y" * 9000))
    assert ids == [1, 2, 3]
    assert "".join(bot.sent) == "y" * 9000


class FakeTime:
    """A monotonic clock that the fake sleep moves on."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def test_flood_waits_are_not_failed_attempts_a_held_message_always_goes():
    time = FakeTime()
    bot = FakeBot([RetryAfter(1)] * 12)  # once counted as five attempts, then given up
    sender = Sender(bot, sleep=time.sleep, monotonic=time, budget=5)  # type: ignore[arg-type]
    assert asyncio.run(sender.text(1, "bonjour", hold=True)) == [1]
    assert time.waits == [1.0] * 12


def test_network_errors_are_retried_on_a_time_budget_then_held():
    time = FakeTime()
    bot = FakeBot([NetworkError("Bad Gateway")] * 50)
    sender = Sender(bot, sleep=time.sleep, monotonic=time, budget=10)  # type: ignore[arg-type]
    with pytest.raises(Unreachable):
        asyncio.run(sender.text(1, "bonjour", hold=True))
    assert sum(time.waits) <= 10
    assert time.waits[:3] == [0.5, 1.0, 2.0]
    assert bot.sent == []


def test_network_errors_that_pass_within_the_budget_deliver_the_message():
    time = FakeTime()
    bot = FakeBot([NetworkError("reset"), RetryAfter(2), NetworkError("Bad Gateway")])
    sender = Sender(bot, sleep=time.sleep, monotonic=time)  # type: ignore[arg-type]
    assert asyncio.run(sender.text(1, "bonjour")) == [1]
    assert time.waits == [0.5, 2.0, 1.0]


def test_a_blocked_recipient_is_reported_to_a_caller_that_holds_its_messages():
    sender = Sender(FakeBot([Forbidden("Forbidden: bot was blocked by the user")]))  # type: ignore[arg-type]
    with pytest.raises(Blocked):
        asyncio.run(sender.text(1, "bonjour", hold=True))


class EditingBot:
    """A bot whose edit Telegram answers with one error."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def edit_message_text(self, *_: Any, **__: Any) -> Any:
        raise self.error


def bad_requests() -> float:
    """relais_sends_failed_total{cause="bad_request"}, as /metrics shows it."""
    found = metrics.REGISTRY.get_sample_value("relais_sends_failed_total", {"cause": "bad_request"})
    return found or 0.0


def test_an_edit_answered_not_modified_is_a_success_not_a_failure(caplog):
    # as python-telegram-bot words it: the prefix stripped, the first letter capitalised
    late = BadRequest(
        "Bad Request: message is not modified: specified new message content and reply "
        "markup are exactly the same as a current content and reply markup of the message"
    )
    before = bad_requests()
    sender = Sender(EditingBot(late))  # type: ignore[arg-type]
    with caplog.at_level(logging.INFO, logger="bot.sender"):
        assert asyncio.run(sender.edit(1, 42, "C-0001 prise par Marie Roy", hold=True)) is True
    assert bad_requests() == before
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_an_edit_refused_for_another_reason_is_still_a_failure(caplog):
    sender = Sender(EditingBot(BadRequest("Bad Request: message to edit not found")))  # type: ignore[arg-type]
    with caplog.at_level(logging.INFO, logger="bot.sender"):
        assert asyncio.run(sender.edit(1, 42, "C-0001 prise par Marie Roy")) is False
    assert any("bad request" in r.getMessage() for r in caplog.records)
