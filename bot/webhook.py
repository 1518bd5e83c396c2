"""Webhook mode: Telegram POSTs each update to the bot's URL. python-telegram-bot's own webhook
handler answers 200 before the update is stored, so a crash right after would lose it; here
the answer waits for the inbox. A request without the secret token Telegram was given is
refused (401/403) and never processed; an update is stored (committed) before the 200, then
handed to the same processing as polling's (ordering per chat, handled-once marks); a body
that cannot be read is answered 200 and logged by id only (Telegram would otherwise send it
again for ever); a database that is down answers 503, so Telegram sends it again later.

Several processes may serve one URL behind a load balancer, on one database: an update is
applied once whichever process receives it (the inbox mark is a conditional write in the
handling transaction), and each process regularly queues what another one stored and did
not handle (it died after its 200). Each chat keeps its order across them: the 200 waits for
the handling, and Telegram is asked for one delivery at a time, so the next update of a
chat is sent only once the last one was handled, whichever process it went to."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import secrets
from datetime import timedelta

from aiohttp import web
from telegram.ext import Application

from bot import metrics
from bot.ordering import OrderedOnceProcessor
from bot.polling import (
    ALLOWED_UPDATES,
    log_set_aside,
    parse,
    queue_unhandled,
    reason_of,
    tell_unsupported,
)
from bot.services import Services
from flows import inbox, settings_store
from flows.inbox import Received
from flows.store import TRANSIENT_ERRORS, describe_error

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_KEY = "webhook_secret"  # where a generated secret is kept, shared by every process
PATH = "/telegram"  # the default path of the webhook URL on the local server
# Telegram retries a refused delivery: this many refusals with none accepted between them
# turn the health red (a stray request now and then does not)
REFUSALS_UNHEALTHY = 5
MAX_BODY = 1024 * 1024  # an update is a few kilobytes; Telegram's largest are far below this


def secret_for(services: Services) -> str:
    """The webhook's secret token: the configured one, else one generated once and kept in
    the database (so every process behind the load balancer checks the same). Never logged."""
    given = services.settings.configured_webhook_secret()
    if given is not None:
        return given
    return settings_store.put_new(services.db, SECRET_KEY, secrets.token_urlsafe(32))


class WebhookReceiver:
    """The POST handler of the webhook URL, served by the ops server (one port)."""

    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        services: Services,
        secret: str,
    ) -> None:
        self._app = application
        self._services = services
        self._secret = secret.encode()
        self.ready = False  # stored updates replayed: new ones may be taken
        self.set = False  # setWebhook answered
        self.refused_in_a_row = 0  # wrong or missing secrets since the last accepted request

    @property
    def refusing(self) -> bool:
        """Only refusals for a while: most likely Telegram's own deliveries, sent with the
        secret another process set (two processes configured with different secrets)."""
        return self.refused_in_a_row >= REFUSALS_UNHEALTHY

    async def handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER)
        if given is None or not hmac.compare_digest(given.encode(), self._secret):
            self.refused_in_a_row += 1
            reason = "missing" if given is None else "wrong"
            metrics.WEBHOOK_REFUSED.labels(reason).inc()
            log.warning("webhook: refused a request %s", _without(given))
            return web.Response(status=401 if given is None else 403)
        self.refused_in_a_row = 0
        if not self.ready:  # still replaying what a crash left: Telegram sends it again
            return web.Response(status=503)
        raw = await _read(request)
        if raw is None:
            return web.Response(status=200)
        update_id = raw["update_id"]
        update, problem = parse(raw, self._app)
        reason = reason_of(problem) if problem else None
        services = self._services
        try:
            fresh = await services.run(
                inbox.store_new,
                services.db,
                [Received(update_id, json.dumps(raw), reason)],
                services.clock,
            )
        except TRANSIENT_ERRORS as exc:
            log.error(
                "webhook: database unavailable (%s); answered 503 to update=%s, Telegram "
                "sends it again",
                describe_error(exc),
                update_id,
            )
            return web.Response(status=503)
        finished = await self._dispatch(raw, update_id, update, problem, update_id in fresh)
        wait = services.settings.webhook_handling_wait_seconds
        if finished is not None and wait > 0:  # answered once handled: the next comes after
            await asyncio.wait({finished}, timeout=wait)
        return web.Response(status=200)

    async def _dispatch(
        self, raw: dict[str, object], update_id: int, update: object, problem: object, fresh: bool
    ) -> asyncio.Future[None] | None:
        """Hand a stored update to the processing; what says when its handling ended. One
        seen before (Telegram sent it again: its earlier answer was lost) is queued too; the
        processor skips it if handled."""
        if update is None:
            if fresh:
                log_set_aside(update_id, problem if isinstance(problem, Exception) else None)
                self._app.create_task(
                    tell_unsupported(self._services, raw), name=f"unsupported:{update_id}"
                )
            return None
        processor = self._app.update_processor
        finished = None
        if isinstance(processor, OrderedOnceProcessor):
            finished = processor.finished(update_id)
            if fresh:
                processor.fresh.add(update_id)  # just stored: no need to ask if handled
        if not fresh:
            log.info("webhook: update=%s received again", update_id)
        await self._app.update_queue.put(update)
        return finished

    async def replay_stale(self) -> int:
        """Queue what was stored a while ago and is still unhandled (a process that stored it
        died before handling it); the processor skips what was handled meanwhile."""
        services = self._services
        wait = timedelta(seconds=services.settings.webhook_replay_seconds)
        return await queue_unhandled(self._app, services, services.clock() - wait)

    async def set_webhook(self) -> None:
        """setWebhook with the URL, the secret, the updates polling asks for."""
        settings = self._services.settings
        assert settings.webhook_url is not None
        await self._app.bot.set_webhook(
            url=settings.webhook_url,
            secret_token=self._secret.decode(),
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=False,
            max_connections=settings.webhook_max_connections,
        )
        self.set = True


async def _read(request: web.Request) -> dict[str, object] | None:
    """The update in the body, or None (logged by id, never its content) when it cannot be."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        log.error("webhook: ignored a body of %d bytes", request.content_length)
        return None
    try:
        body = await request.read()  # a chunked body over the server's limit raises here
    except web.HTTPRequestEntityTooLarge:
        log.error("webhook: ignored a body over %d bytes", MAX_BODY)
        return None
    try:
        raw = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        log.error("webhook: ignored a body that is not JSON")
        return None
    if not isinstance(raw, dict) or not _is_update_id(raw.get("update_id")):
        log.error("webhook: ignored a body without an update_id")
        return None
    return raw


def _is_update_id(value: object) -> bool:
    """An id the inbox can store (a bigint): JSON's true is an int in Python, and a number
    past 2**63 fails the insert (a 500, which Telegram would send again for ever)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63


def _without(given: str | None) -> str:
    return "without the secret token" if given is None else "with a wrong secret token"
