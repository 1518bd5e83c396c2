"""Long polling that loses nothing. python-telegram-bot's own Updater confirms a batch to
Telegram as soon as it is queued, so a crash mid-handling would lose it (PITFALLS.md).
Here each batch is written to the inbox table first; only then does the next getUpdates
confirm it. Unhandled updates are replayed on start, and re-sent ones are not applied twice."""

from __future__ import annotations

import asyncio
import json
import logging

from telegram import Update
from telegram.error import Conflict, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application

from bot.services import Services
from flows import inbox

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
MAX_BACKOFF_S = 30.0


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

    async def replay_unhandled(self) -> int:
        """Queue again what was stored but not handled when the bot last stopped."""
        rows = await self._services.run(inbox.unhandled, self._services.db)
        for update_id, payload in rows:
            update = Update.de_json(json.loads(payload), self._app.bot)
            log.info("replaying unhandled update=%s", update_id)
            await self._app.update_queue.put(update)
        return len(rows)

    async def run(self) -> None:
        """Poll until cancelled."""
        offset: int | None = None
        backoff = 1.0
        while True:
            try:
                updates = await self._app.bot.get_updates(
                    offset=offset,
                    timeout=self._poll_timeout,
                    allowed_updates=ALLOWED_UPDATES,
                    read_timeout=self._poll_timeout + 10,
                )
                backoff = 1.0
            except RetryAfter as exc:
                await asyncio.sleep(_seconds(exc.retry_after))
                continue
            except Conflict:
                log.error("another instance is polling with this token; retrying in %.0fs", backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
                continue
            except (TimedOut, NetworkError) as exc:
                log.warning("getUpdates failed (%s); retrying in %.0fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
                continue
            if not updates:
                continue
            batch = [(u.update_id, json.dumps(u.to_dict())) for u in updates]
            fresh = await self._services.run(
                inbox.store_new, self._services.db, batch, self._services.clock
            )
            for update in updates:
                if update.update_id in fresh:
                    await self._app.update_queue.put(update)
                else:
                    log.info("ignored re-sent update=%s", update.update_id)
            offset = updates[-1].update_id + 1  # confirms the batch: it is in the inbox now


def _seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]
