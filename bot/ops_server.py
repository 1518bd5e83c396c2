"""One small HTTP server in the bot's process (aiohttp, already a dependency) for whoever
runs the service: `/healthz` (200 when healthy, 503 with the failing checks otherwise) and
`/metrics` in Prometheus' format, and in webhook mode the webhook's POST path, on the same
port. Off unless RELAIS_HTTP_PORT (or `--port`) is set; it listens on RELAIS_HTTP_HOST
(`--listen`, 127.0.0.1 by default: put a reverse proxy in front to expose it).

Healthy means: the database answers; the poller fetched updates recently (it is not stuck
or dead), or in webhook mode the webhook is set and taking updates; the scheduler runs; the
dispatcher is not stuck (no notice older than a minute still unsent); no stored update has
waited a minute to be handled."""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot import metrics
from bot.i18n import CLI_LANGUAGE, t
from bot.services import Services
from bot.settings import ConfigError
from bot.webhook import WebhookReceiver
from flows import health
from flows.health import Figures
from flows.store import TRANSIENT_ERRORS, describe_error

log = logging.getLogger(__name__)

STUCK_AFTER_S = 60.0  # an outbox row or a stored update older than this: unhealthy
POLL_SILENT_S = 90.0  # no getUpdates answer for this long (long polls last 30 s): unhealthy


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def database_checks(figures: Figures | None, error: str | None) -> list[Check]:
    """The checks the database can answer (also `relais health`'s, from outside)."""
    if figures is None:
        return [Check("database", False, f"unreachable ({error})")]
    if figures.moved_file is not None:
        moved = t(CLI_LANGUAGE, "health.database_moved", path=figures.moved_file)
        database = Check("database", False, moved)
    else:
        database = Check("database", True, "reachable")
    return [
        database,
        Check(
            "dispatcher",
            figures.outbox_oldest_seconds <= STUCK_AFTER_S,
            f"{figures.outbox_pending} notices pending, oldest "
            f"{figures.outbox_oldest_seconds:.0f}s",
        ),
        Check(
            "inbox",
            figures.inbox_oldest_seconds <= STUCK_AFTER_S,
            f"{figures.inbox_unhandled} updates unhandled, oldest "
            f"{figures.inbox_oldest_seconds:.0f}s",
        ),
    ]


async def read_figures(services: Services) -> tuple[Figures | None, str | None]:
    try:
        found = await asyncio.wait_for(
            services.run(health.figures, services.db, services.clock()), 10
        )
    except (*TRANSIENT_ERRORS, TimeoutError) as exc:
        return None, describe_error(exc) if not isinstance(exc, TimeoutError) else "timed out"
    return found, None


def listen_problem(exc: OSError, host: str, port: int) -> str:
    """What to fix when the health port cannot be opened."""
    if isinstance(exc, socket.gaierror):
        return t(CLI_LANGUAGE, "cli.listen.bad_host", host=repr(host), why=exc.strerror)
    if exc.errno == errno.EADDRINUSE:
        return t(CLI_LANGUAGE, "cli.listen.in_use", port=port, host=host)
    why = exc.strerror or type(exc).__name__
    return t(CLI_LANGUAGE, "cli.listen.failed", host=host, port=port, why=why)


def publish(figures: Figures | None) -> None:
    """The gauges read from the database; when it could not be read, NaN (not the last value
    nor zero, which would read as an empty outbox during an outage) and database_up 0."""
    unknown = float("nan")
    metrics.DATABASE_UP.set(0 if figures is None else 1)
    metrics.QUEUE.set(unknown if figures is None else figures.waiting_requests)
    metrics.OUTBOX_PENDING.set(unknown if figures is None else figures.outbox_pending)
    metrics.OUTBOX_AGE.set(unknown if figures is None else figures.outbox_oldest_seconds)
    metrics.INBOX_UNHANDLED.set(unknown if figures is None else figures.inbox_unhandled)


def poller_check(answered: float | None, sent: float | None, now: float) -> Check:
    """Healthy while getUpdates answered lately, or while a long poll sent lately is still
    out: an idle bot waits up to 30 s on Telegram for each answer, from its very first poll.
    `sent` is the first poll sent since the last answer: polls that failed (a network error,
    502, 409 Conflict) are retried without resetting it, so failing for long is unhealthy."""
    if sent is not None and (answered is None or sent > answered):
        waiting = now - sent
        return Check("poller", waiting <= POLL_SILENT_S, f"no getUpdates answer for {waiting:.0f}s")
    if answered is None:
        return Check("poller", False, "not polling yet")
    silent = now - answered
    return Check("poller", silent <= POLL_SILENT_S, f"last answer {silent:.0f}s ago")


class OpsServer:
    """`/healthz` and `/metrics` for one running bot."""

    def __init__(
        self,
        services: Services,
        *,
        last_poll: Callable[[], float | None],
        poll_sent: Callable[[], float | None] = lambda: None,
        scheduler_running: Callable[[], bool],
        webhook: tuple[str, WebhookReceiver] | None = None,
    ) -> None:
        self._services = services
        self._webhook = webhook  # its path on this server, and its receiver
        self._last_poll = last_poll
        self._poll_sent = poll_sent
        self._scheduler_running = scheduler_running
        self._runner: web.AppRunner | None = None

    async def start(self, host: str, port: int) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        if self._webhook is not None:
            path, receiver = self._webhook
            app.router.add_post(path, receiver.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, host, port).start()
        except OSError as exc:  # the port taken, a host name that does not resolve
            await self._runner.cleanup()
            self._runner = None
            raise ConfigError(listen_problem(exc, host, port)) from None
        log.info("health and metrics on http://%s:%d/healthz and /metrics", host, port)
        if self._webhook is not None:
            log.info("webhook updates taken on http://%s:%d%s", host, port, self._webhook[0])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def checks(self) -> tuple[list[Check], Figures | None]:
        figures, error = await read_figures(self._services)
        found = database_checks(figures, error)
        if self._webhook is not None:
            receiver = self._webhook[1]
            taking = receiver.set and receiver.ready
            if taking and receiver.refusing:  # Telegram's deliveries refused, none taken
                detail = (
                    f"refusing every request ({receiver.refused_in_a_row} in a row): "
                    "is another process set up with another secret token?"
                )
                found.append(Check("webhook", False, detail))
            else:
                found.append(Check("webhook", taking, "set" if taking else "not set yet"))
        else:
            found.append(self._poller_check())
        running = self._scheduler_running()
        found.append(Check("scheduler", running, "running" if running else "stopped"))
        return found, figures

    def _poller_check(self) -> Check:
        return poller_check(self._last_poll(), self._poll_sent(), asyncio.get_running_loop().time())

    async def _healthz(self, request: web.Request) -> web.Response:
        found, _ = await self.checks()
        healthy = all(c.ok for c in found)
        body = {
            "healthy": healthy,
            "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in found},
        }
        return web.json_response(body, status=200 if healthy else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        found, figures = await self.checks()
        publish(figures)
        metrics.HEALTHY.set(1 if all(c.ok for c in found) else 0)
        return web.Response(
            body=generate_latest(metrics.REGISTRY),
            headers={"Content-Type": CONTENT_TYPE_LATEST},
        )
