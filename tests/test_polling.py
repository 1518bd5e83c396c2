"""The poller against a server that misbehaves: one that answers a long poll at once with
nothing does not make it spin (it pauses), and a batch answered again is checked against the
inbox instead of being handled as new."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from bot import polling
from bot.ops_server import POLL_SILENT_S, poller_check
from bot.polling import InboxPoller
from flows.store import Database, utc_now


class ImpatientBot:
    """A getUpdates that ignores its timeout and answers at once with nothing."""

    def __init__(self) -> None:
        self.calls = 0

    async def _post(self, method: str, data: dict[str, Any], **_: Any) -> list[Any]:
        assert method == "getUpdates" and data["timeout"] > 0
        self.calls += 1
        return []


def test_a_server_answering_long_polls_at_once_with_nothing_is_not_a_busy_loop(
    db: Database, monkeypatch
):
    monkeypatch.setattr(polling, "EMPTY_PAUSE_S", 0.1)

    async def run_retrying(_what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(fn, *args, **kwargs)

    bot = ImpatientBot()
    app = SimpleNamespace(bot=bot)
    services = SimpleNamespace(db=db, clock=utc_now, run_retrying=run_retrying)
    poller = InboxPoller(app, services)  # type: ignore[arg-type]

    async def scenario() -> None:
        task = asyncio.create_task(poller.run())
        await asyncio.sleep(0.55)
        task.cancel()

    asyncio.run(scenario())
    assert 2 <= bot.calls <= 7  # one every 0.1 s, not thousands


class FailingBot:
    """A getUpdates that fails every time (Telegram's 502, a network outage, a 409)."""

    def __init__(self) -> None:
        self.calls = 0

    async def _post(self, method: str, data: dict[str, Any], **_: Any) -> list[Any]:
        from telegram.error import NetworkError

        self.calls += 1
        raise NetworkError("Bad Gateway")


def test_a_getupdates_failing_again_and_again_is_not_a_poll_waiting_on_telegram(
    db: Database, monkeypatch
):
    """Before: each retry reset the time the poll was sent, so /healthz said "long poll out
    for 8s" for as long as every getUpdates failed (hearing nothing, saying it was fine)."""
    monkeypatch.setattr(polling, "MAX_BACKOFF_S", 0.01)

    async def run_retrying(_what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(fn, *args, **kwargs)

    bot = FailingBot()
    services = SimpleNamespace(db=db, clock=utc_now, run_retrying=run_retrying)
    poller = InboxPoller(SimpleNamespace(bot=bot), services)  # type: ignore[arg-type]
    poller._backoff = 0.01

    async def scenario() -> tuple[float | None, float | None, float]:
        task = asyncio.create_task(poller.run())
        while bot.calls < 5:
            await asyncio.sleep(0.01)
        first = poller.poll_sent
        while bot.calls < 10:
            await asyncio.sleep(0.01)
        task.cancel()
        return first, poller.poll_sent, asyncio.get_running_loop().time()

    first, sent, now = asyncio.run(scenario())
    assert poller.last_poll is None  # never answered
    assert first is not None and sent == first  # still counting from the first failed poll
    assert not poller_check(None, sent, sent + POLL_SILENT_S + 1).ok
    assert poller_check(None, sent, now).ok  # not yet long enough
