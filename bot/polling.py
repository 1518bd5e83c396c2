"""Long polling that loses nothing and cannot be blocked. python-telegram-bot's own Updater
confirms a batch to Telegram as soon as it is queued, so a crash mid-handling would lose it
(the library's known pitfall). Here the next getUpdates confirms a batch only once the inbox
holds each of its updates. A new update goes straight to its handler, whose use case writes
its inbox row in the transaction that handles it (one transaction for a relayed line); one
still being handled after a moment is stored, to be replayed if the bot stops. An update that
may have been seen before this start (Telegram sends unconfirmed ones again) is stored first,
which recognises a re-send. A database outage holds the batch (unconfirmed, so still at
Telegram) until it can be stored. The batch is fetched as raw JSON and each update parsed on
its own: one the library cannot read is set aside, confirmed, and the rest go on."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from telegram import Update
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application

from bot.i18n import t
from bot.ordering import OrderedOnceProcessor
from bot.services import MAX_RETRY_S, Services
from flows import inbox, people
from flows.inbox import Received

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
MAX_BACKOFF_S = MAX_RETRY_S
REPLAY_WAIT_S = 15.0  # a replayed update stuck on a dead Telegram must not keep polling off
SECURE_WAIT_S = 0.5  # a new update's handler has this long to commit its row; then it is stored
EMPTY_TOO_SOON_S = 1.0  # an empty answer sooner than this to a long poll is a server's odd habit
EMPTY_PAUSE_S = 0.5  # then wait this long: no busy loop against it

RawUpdate = dict[str, Any]


@dataclass(frozen=True)
class Fetched:
    """One update of a batch: what to store, and the parsed update or why there is none."""

    raw: RawUpdate
    received: Received
    update: Update | None
    problem: Exception | None


class InboxPoller:
    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        services: Services,
        *,
        poll_timeout: int = 30,
    ) -> None:
        self._app = application
        self._services = services
        self._poll_timeout = poll_timeout
        self._backoff = 1.0
        # Health: the loop time of the last getUpdates answered, and of the first one sent
        # since (failed ones do not count: a getUpdates failing for minutes is unhealthy)
        self.last_poll: float | None = None
        self.poll_sent: float | None = None

    async def replay_unhandled(self) -> int:
        """Queue again what was stored but not handled when the bot last stopped."""
        replayed = await queue_unhandled(self._app, self._services)
        await self._until_replayed(replayed)
        return replayed

    async def _until_replayed(self, replayed: int) -> None:
        """Poll only once the replayed updates are handled (each marked in turn): a bot killed
        again soon after a restart then finds them marked, not to be relayed once more."""
        if not replayed:
            return
        try:
            await asyncio.wait_for(self._app.update_queue.join(), REPLAY_WAIT_S)
        except TimeoutError:
            log.warning("replayed updates still being handled after %.0fs; polling", REPLAY_WAIT_S)

    async def run(self) -> None:
        """Poll until cancelled: store each batch, then queue its updates; the next
        getUpdates confirms it."""
        offset: int | None = None
        services = self._services
        seen_up_to = await services.run_retrying(
            "reading the inbox", inbox.last_update_id, services.db
        )
        loop = asyncio.get_running_loop()
        while True:
            asked = loop.time()
            if self.poll_sent is None or (self.last_poll or -1.0) >= self.poll_sent:
                self.poll_sent = asked  # answered since the last one sent: a new wait begins
            batch = [item for raw in await self._fetch(offset) if (item := self._read(raw))]
            if not batch:
                if loop.time() - asked < EMPTY_TOO_SOON_S:  # a server ignoring the timeout
                    await asyncio.sleep(EMPTY_PAUSE_S)
                continue
            direct = {
                i.received.update_id
                for i in batch
                if i.update is not None and i.received.update_id > seen_up_to
            }
            fresh = await self._store([i for i in batch if i.received.update_id not in direct])
            expected: list[tuple[Fetched, asyncio.Future[bool]]] = []
            for item in batch:
                if item.received.update_id in direct:
                    expected.append((item, await self._dispatch_direct(item)))
                else:
                    await self._dispatch(item, item.received.update_id in fresh)
            await self._secure(expected)
            offset = max(item.received.update_id for item in batch) + 1  # held: confirm it
            seen_up_to = max(seen_up_to, offset - 1)  # a batch sent again is checked, not rerun

    async def _store(self, items: list[Fetched]) -> set[int]:
        """Store these updates; the ids of those not seen before."""
        if not items:
            return set()
        services = self._services
        return await services.run_retrying(
            "storing updates",
            inbox.store_new,
            services.db,
            [item.received for item in items],
            services.clock,
        )

    async def _dispatch_direct(self, item: Fetched) -> asyncio.Future[bool]:
        """Queue a new update unstored; the future says when its row is committed."""
        processor = self._app.update_processor
        if not isinstance(processor, OrderedOnceProcessor):  # pragma: no cover - always ours
            await self._store([item])
            await self._app.update_queue.put(item.update)
            done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
            done.set_result(True)
            return done
        secured = processor.expect(item.received)
        await self._app.update_queue.put(item.update)
        return secured

    async def _secure(self, expected: list[tuple[Fetched, asyncio.Future[bool]]]) -> None:
        """Wait a moment for the handlers to commit the rows of the updates queued unstored;
        those not committed by then (a slow handler, a failure) are stored, to be replayed
        if the bot stops before they are handled."""
        if not expected:
            return
        futures = [future for _, future in expected]
        await asyncio.wait(futures, timeout=SECURE_WAIT_S)
        late = [item for item, future in expected if not (future.done() and future.result())]
        if late:
            log.info("storing %d updates still being handled", len(late))
            await self._store(late)

    async def _fetch(self, offset: int | None) -> list[RawUpdate]:
        """One getUpdates, as raw JSON (python-telegram-bot's get_updates parses the whole
        batch at once, so one update it cannot read would fail them all, for good). Telegram
        and network failures are waited out with a growing pause; an empty list then."""
        try:
            result = await self._app.bot._post(  # get_updates' own call, unparsed
                "getUpdates",
                {
                    "offset": offset,
                    "timeout": self._poll_timeout,
                    "allowed_updates": ALLOWED_UPDATES,
                },
                read_timeout=self._poll_timeout + 10,
            )
        except InvalidToken:
            raise  # the token was revoked: nothing to wait for
        except RetryAfter as exc:
            await asyncio.sleep(_seconds(exc.retry_after))
            return []
        except Conflict:
            log.error(
                "another bot process is polling with this token (another `relais run`?); "
                "retrying in %.0fs",
                self._backoff,
            )
            await self._pause()
            return []
        except TelegramError as exc:  # network, time-out, a proxy's odd answer: wait, retry
            log.warning(
                "getUpdates failed (%s); retrying in %.0fs", type(exc).__name__, self._backoff
            )
            await self._pause()
            return []
        self._backoff = 1.0
        self.last_poll = asyncio.get_running_loop().time()
        return [raw for raw in result if isinstance(raw, dict)] if isinstance(result, list) else []

    async def _pause(self) -> None:
        await asyncio.sleep(self._backoff)
        self._backoff = min(self._backoff * 2, MAX_BACKOFF_S)

    def _parse(self, raw: RawUpdate) -> tuple[Update | None, Exception | None]:
        return parse(raw, self._app)

    def _read(self, raw: RawUpdate) -> Fetched | None:
        """What to store for one raw update (set aside when unparseable), and the update."""
        update_id = raw.get("update_id")
        if not isinstance(update_id, int):
            log.error("ignored an update without an update_id")
            return None
        update, problem = self._parse(raw)
        reason = reason_of(problem) if problem else None
        return Fetched(raw, Received(update_id, json.dumps(raw), reason), update, problem)

    async def _dispatch(self, item: Fetched, fresh: bool) -> None:
        update_id = item.received.update_id
        if not fresh:
            log.info("ignored re-sent update=%s", update_id)
        elif item.update is None:
            log_set_aside(update_id, item.problem)
            self._app.create_task(self._tell_unsupported(item.raw), name=f"unsupported:{update_id}")
        else:
            processor = self._app.update_processor
            if isinstance(processor, OrderedOnceProcessor):
                processor.fresh.add(update_id)  # just stored: no need to ask if it was handled
            await self._app.update_queue.put(item.update)

    async def _tell_unsupported(self, raw: RawUpdate) -> None:
        await tell_unsupported(self._services, raw)


async def queue_unhandled(
    application: Application,  # type: ignore[type-arg]
    services: Services,
    received_before: datetime | None = None,
) -> int:
    """Queue the updates stored and not handled (received before a moment, if given); one
    that cannot be read is set aside. The processor asks whether each was handled meanwhile."""
    rows = await services.run(inbox.unhandled, services.db, received_before)
    replayed = 0
    for update_id, payload in rows:
        update, problem = parse(json.loads(payload), application)
        if update is None:
            reason = reason_of(problem)
            await services.run(inbox.set_aside, services.db, update_id, reason, services.clock)
            log_set_aside(update_id, problem)
            continue
        log.info("replaying unhandled update=%s", update_id)
        await application.update_queue.put(update)
        replayed += 1
    return replayed


async def tell_unsupported(services: Services, raw: RawUpdate) -> None:
    """The enrolled person who sent an update the bot cannot read is told, in their
    language, that this kind of message cannot be passed on."""
    user_id = _private_sender(raw)
    if user_id is None:
        return
    person = await services.run(people.find_by_telegram_id, services.db, user_id)
    if person is None or not person.active:
        return
    await services.sender.text(person.chat_id, t(person.language, "relay.unsupported"))


def parse(
    raw: RawUpdate,
    application: Application,  # type: ignore[type-arg]
) -> tuple[Update | None, Exception | None]:
    """The update, or None and what the library raised on a shape it does not know."""
    try:
        return Update.de_json(dict(raw), application.bot), None
    except Exception as exc:  # TypeError, KeyError, ValueError...: whatever it raises
        return None, exc


def reason_of(problem: Exception | None) -> str:
    """Why an update was set aside, stored with it (never logged: the library's message may
    quote the content)."""
    return f"unparseable: {type(problem).__name__}: {problem}"


def log_set_aside(update_id: int, problem: Exception | None) -> None:
    """One line with the id and the exception's class, never the update's content."""
    log.error(
        "set aside unparseable update=%s (%s); kept in inbox_updates for inspection",
        update_id,
        type(problem).__name__,
    )


def _private_sender(raw: RawUpdate) -> int | None:
    """The Telegram user id of whoever sent this update in a private chat, read from the raw
    JSON (message, edited message, button press...)."""
    for key, body in raw.items():
        if key == "update_id" or not isinstance(body, dict):
            continue
        sender = body.get("from")
        message = body.get("message") if isinstance(body.get("message"), dict) else body
        chat = message.get("chat") if isinstance(message, dict) else None
        if not isinstance(sender, dict) or not isinstance(sender.get("id"), int):
            return None
        if isinstance(chat, dict) and chat.get("type") != "private":
            return None
        return int(sender["id"])
    return None


def _seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]
