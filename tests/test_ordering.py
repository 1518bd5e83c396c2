"""The fast path between the poller and the processor, without Telegram: a new update queued
unstored is confirmed only once its inbox row is committed, by the use case that handled it
or by the mark after a handler that ran none; one still being handled after a moment is
stored by the poller, so a stop then loses nothing."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import Any

from telegram import Update

from bot import polling
from bot.ordering import CURRENT, OrderedOnceProcessor
from bot.polling import Fetched, InboxPoller
from flows import inbox
from flows.inbox import Received
from flows.store import Database, utc_now


def _update(update_id: int, chat_id: int = 1001) -> Update:
    return Update.de_json(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "chat": {"id": chat_id, "type": "private"},
                "from": {"id": chat_id, "is_bot": False, "first_name": "Julie"},
                "text": "bonjour",
            },
        },
        None,
    )


class Recorder:
    def __init__(self) -> None:
        self.marked: list[tuple[int, bool]] = []

    async def seen(self, update_id: int) -> bool:
        raise AssertionError("an expected update is fresh: nothing to look up")

    async def mark(self, update_id: int, unstored: bool) -> None:
        self.marked.append((update_id, unstored))


def test_a_use_case_that_marked_the_update_secures_it_before_its_handler_ends():
    async def scenario() -> None:
        recorder = Recorder()
        processor = OrderedOnceProcessor(4, seen=recorder.seen, mark=recorder.mark)
        secured = processor.expect(Received(1, "{}"))
        handler_may_end = asyncio.Event()

        async def handler() -> None:
            scope = CURRENT.get()
            assert scope is not None and scope.unstored is not None  # the use case writes it
            scope.mark()  # as Services.act does once its transaction committed
            await handler_may_end.wait()  # e.g. answering the button press

        task = asyncio.create_task(processor.do_process_update(_update(1), handler()))
        assert await asyncio.wait_for(secured, 1) is True
        assert not task.done()
        handler_may_end.set()
        await task
        assert recorder.marked == []  # marked in the use case's own transaction

    asyncio.run(scenario())


def test_a_handler_without_use_case_is_marked_after_it_with_a_new_row():
    async def scenario() -> None:
        recorder = Recorder()
        processor = OrderedOnceProcessor(4, seen=recorder.seen, mark=recorder.mark)
        secured = processor.expect(Received(2, "{}"))

        async def handler() -> None:
            return None

        await processor.do_process_update(_update(2), handler())
        assert recorder.marked == [(2, True)]
        assert secured.result() is True

    asyncio.run(scenario())


def _poller(db: Database) -> InboxPoller:
    async def run_retrying(_what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(fn, *args, **kwargs)

    services = SimpleNamespace(db=db, clock=utc_now, run_retrying=run_retrying)
    return InboxPoller(None, services)  # type: ignore[arg-type]


def _fetched(update_id: int) -> Fetched:
    raw = {"update_id": update_id}
    return Fetched(raw, Received(update_id, json.dumps(raw)), None, None)


def test_an_update_still_being_handled_after_a_moment_is_stored_to_be_replayed(
    db: Database, monkeypatch
):
    monkeypatch.setattr(polling, "SECURE_WAIT_S", 0.05)

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        slow: asyncio.Future[bool] = loop.create_future()  # its handler waits on something
        done: asyncio.Future[bool] = loop.create_future()
        done.set_result(True)  # committed by its use case
        failed: asyncio.Future[bool] = loop.create_future()
        failed.set_result(False)  # its handling ended without a row
        poller = _poller(db)
        await poller._secure([(_fetched(11), slow), (_fetched(12), done), (_fetched(13), failed)])
        slow.cancel()

    asyncio.run(scenario())
    assert [update_id for update_id, _ in inbox.unhandled(db)] == [11, 13]
