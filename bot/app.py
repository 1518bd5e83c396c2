"""Build the Telegram application: handlers in order, the concurrent ordered processor, the
error handler and start-up work (command menus, bot username for invite links); run it, by
long polling or behind a webhook, with start-up errors as one sentence and long-lived tasks
that take the process down if they die."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar
from urllib.parse import urlsplit

from telegram import Update
from telegram.constants import ChatType
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import loop_lag
from bot import services as services_module
from bot.directory import open_directory
from bot.dispatcher import Claims, Dispatcher
from bot.handlers import (
    assessments,
    availability,
    buttons,
    calls,
    closing,
    consult,
    enrolment,
    followups,
    handover,
    incidents,
    messages,
    reachability,
    reports,
    resources,
    roster,
    subjects,
)
from bot.handlers.access import refuse_group
from bot.i18n import CLI_LANGUAGE, t
from bot.instance_lock import InstanceLock, LostLock, keep_held
from bot.jobs import directory as directory_job
from bot.jobs import escalation as escalation_job
from bot.jobs import followups as followups_job
from bot.jobs import reports as reports_job
from bot.jobs import retention as retention_job
from bot.menus import START_UP_SYNC, Menus
from bot.ops_server import OpsServer
from bot.ordering import CURRENT, OrderedOnceProcessor
from bot.polling import InboxPoller
from bot.rate_limits import TelegramLimits
from bot.reachability import record_blocked
from bot.scheduler import Timers
from bot.screening import open_screening
from bot.sender import Sender
from bot.services import Services
from bot.settings import ConfigError, Settings, mask_password
from bot.webhook import WebhookReceiver, secret_for
from flows import inbox, people, settings_store, subject_secret
from flows.inbox import AlreadyHandled
from flows.store import Clock, Database
from flows.vocabulary import language_from_code

log = logging.getLogger(__name__)
T = TypeVar("T")
SHUTDOWN_DRAIN_S = 5.0  # what is being sent at a stop finishes; the rest waits in the outbox
SHUTDOWN_HANDLING_S = 5.0  # updates being handled at a stop finish, or come back at the next
STARTUP_FIRST_PAUSE_S = 1.0
STARTUP_MAX_PAUSE_S = 30.0


def instance_name(settings: Settings) -> str:
    """This process's name among several on one database (webhook mode): the same after a
    restart, so it takes its own unsent notices back at once."""
    return (settings.instance_name or f"{socket.gethostname()}:{settings.http_port}")[:64]


def build_application(settings: Settings, db: Database, clock: Clock) -> Application:  # type: ignore[type-arg]
    token = settings.require_token()
    claims = Claims(instance_name(settings)) if settings.webhook_mode else None
    if claims is not None:
        db.claimant = claims.name  # the notices its use cases record are this process's
    holder: dict[str, Services] = {}

    async def seen(update_id: int) -> bool:  # a database outage is waited out, not skipped
        return await holder["s"].run_retrying("reading the inbox", inbox.is_handled, db, update_id)

    async def mark(update_id: int, unstored: bool) -> None:
        await holder["s"].run_retrying(
            "marking handled", inbox.mark_handled, db, update_id, clock, unstored=unstored
        )

    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_base_url.replace("/bot", "/file/bot"))
        .concurrent_updates(OrderedOnceProcessor(settings.concurrent_updates, seen=seen, mark=mark))
        .connection_pool_size(32)
        .rate_limiter(
            TelegramLimits(
                overall_per_second=settings.messages_per_second,
                chat_per_second=settings.chat_messages_per_second,
                chat_burst=settings.chat_burst,
            )
        )
        .get_updates_read_timeout(40)
        .updater(None)
        .build()
    )
    assert application.job_queue is not None, "python-telegram-bot[job-queue] is required"
    services = Services(
        db=db,
        settings=settings,
        clock=clock,
        sender=Sender(application.bot),
        timers=Timers(application.job_queue, clock),
        directory=open_directory(settings, clock),
        screening=open_screening(settings),
    )
    services.dispatcher = Dispatcher(
        db,
        services.sender,
        clock,
        services.directory,
        settings.fallback_line,
        services.here_first,
        on_blocked=lambda chat_id: record_blocked(services, chat_id),
        claims=claims,
    )
    holder["s"] = services
    application.bot_data[services_module.KEY] = services
    _add_handlers(application)
    services.menus = Menus.of_handlers(application.handlers[0])
    return application


def _add_handlers(app: Application) -> None:  # type: ignore[type-arg]
    groups = ~filters.ChatType.PRIVATE
    app.add_handler(MessageHandler(groups & filters.UpdateType.MESSAGES, _group))
    # Every relayed line is a private chat's plain message: asked for here, second, rather
    # than after the thirty command handlers, none of which can take it.
    plain = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & ~filters.COMMAND
    app.add_handler(MessageHandler(plain, messages.on_message))
    # An edit is never acted on, a command's neither: edited into /close, it would close
    # (the library's CommandHandler takes edited messages too), so edits are taken first.
    edits = filters.ChatType.PRIVATE & filters.UpdateType.EDITED_MESSAGE
    app.add_handler(MessageHandler(edits, messages.on_edited))
    app.add_handler(CallbackQueryHandler(buttons.on_button))
    app.add_handler(CommandHandler("start", enrolment.start))
    app.add_handler(CommandHandler("help", enrolment.show_help))
    app.add_handler(CommandHandler("lang", enrolment.choose_language))
    app.add_handler(CommandHandler("on", availability.go_on))
    app.add_handler(CommandHandler("off", availability.go_off))
    app.add_handler(CommandHandler("status", availability.status))
    app.add_handler(CommandHandler("consult", consult.consult_command))
    app.add_handler(CommandHandler("close", closing.close_command))
    app.add_handler(CommandHandler("transfer", handover.transfer_command))
    app.add_handler(CommandHandler("queue", handover.queue_command))
    app.add_handler(CommandHandler("takeover", handover.takeover_command))
    app.add_handler(CommandHandler("reassign", handover.reassign_command))
    app.add_handler(CommandHandler("shifts", roster.shifts_command))
    app.add_handler(CommandHandler("resources", resources.resources_command))
    app.add_handler(CommandHandler("reload", resources.reload_command))
    app.add_handler(CommandHandler("followups", followups.followups_command))
    app.add_handler(CommandHandler("callme", calls.callme_command))
    app.add_handler(CommandHandler("calling", calls.calling_command))
    app.add_handler(CommandHandler("phone", calls.phone_command))
    # --- P-38.001 assessments and timelines (issue 11) ---
    app.add_handler(CommandHandler("assessment", assessments.assessment_command))
    app.add_handler(CommandHandler("assessments", assessments.assessments_command))
    app.add_handler(CommandHandler("timeline", assessments.timeline_command))
    app.add_handler(CommandHandler("key", subjects.key_command))
    app.add_handler(CommandHandler("recurring", subjects.recurring_command))
    app.add_handler(CommandHandler("case", subjects.case_command))
    app.add_handler(CommandHandler("careplan", subjects.careplan_command))
    app.add_handler(CommandHandler("incident", incidents.incident_command))  # reports (issue 12)
    app.add_handler(CommandHandler("stats", reports.stats_command))
    app.add_handler(MessageHandler(filters.COMMAND, enrolment.show_help))
    app.add_handler(ChatMemberHandler(reachability.on_my_chat_member))
    app.add_error_handler(_on_error)


async def _group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await refuse_group(update, services_module.of(context))


# The sandbox's own field in its getMe answer (sandbox/methods.py): only there may a bot
# without RELAIS_SUBJECT_KEY_SECRET hash subject keys with the trial secret.
SANDBOX_MARK = "relais_sandbox"


async def _post_init(app: Application) -> None:  # type: ignore[type-arg]
    services = app.bot_data[services_module.KEY]
    me = await app.bot.get_me()
    trial = services.settings.subject_key_secret is None
    if trial and me.api_kwargs.get(SANDBOX_MARK) is not True:
        raise ConfigError(t(CLI_LANGUAGE, "cli.settings.no_subject_secret"))
    await services.run(subject_secret.record, services.db, trial=trial)
    if me.username:
        await services.run(settings_store.put, services.db, "bot_username", me.username)
    await services.menus.set_default(services.sender)
    log.info("ready as @%s", me.username)
    services.timers.at(  # in the job queue, so it starts once the bot runs
        START_UP_SYNC,
        services.clock(),
        lambda: services.menus.refresh_everyone(services, lambda: app.running),
    )


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A program error: logged with ids (never message text), and the person gets an apology
    with the fallback line, so nobody is left without an answer."""
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(context.error, AlreadyHandled):  # by another process: rolled back here
        log.info(
            "update=%s was handled meanwhile elsewhere; its handling here rolled back", update_id
        )
        return
    log.error("error handling update=%s", update_id, exc_info=context.error)
    if not isinstance(update, Update):
        return
    services: Services = services_module.of(context)
    await _set_aside(services, update.update_id, context.error)
    if update.effective_chat is None:
        return
    if update.effective_chat.type != ChatType.PRIVATE or update.effective_user is None:
        return
    try:
        person = await services.run(
            people.find_by_telegram_id, services.db, update.effective_user.id
        )
    except Exception:  # the database itself may be what failed
        person = None
    lang = person.language if person else language_from_code(update.effective_user.language_code)
    text = t(lang, "error.generic", fallback=services.settings.fallback_line)
    if update.callback_query is not None:
        await services.sender.answer(update.callback_query.id, text, alert=True)
    else:
        await services.sender.text(update.effective_chat.id, text)


async def _set_aside(services: Services, update_id: int, error: BaseException | None) -> None:
    """An update whose handler failed is kept for inspection and never replayed (it is
    marked handled as well), so a restart cannot trip over it again."""
    reason = f"handler failed: {type(error).__name__}"
    scope = CURRENT.get()
    unstored = scope.unstored if scope is not None and scope.update_id == update_id else None
    try:
        await services.run(
            inbox.set_aside, services.db, update_id, reason, services.clock, unstored
        )
    except Exception as exc:  # the database itself may be what failed
        log.warning("could not set aside update=%s (%s)", update_id, type(exc).__name__)
        return
    log.error("set aside update=%s (%s)", update_id, reason)


class StopRequested(Exception):
    """A signal came while start-up was still waiting (for Telegram, for the database)."""


class Stopping:
    """How the bot stops: a signal (exit code 0), a long-lived task that died (1), or the
    instance lock taken by another process (2: a supervisor must not start it again)."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.exit_code = 0

    def request(self) -> None:
        self.event.set()

    async def unless_stopped(self, work: Awaitable[T]) -> T:
        """The work's result; if a stop is requested first, the work is cancelled and
        StopRequested raised (a service manager's stop never waits out start-up's patience)."""
        task = asyncio.ensure_future(work)
        stop = asyncio.ensure_future(self.event.wait())
        try:
            await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
            raise StopRequested
        return task.result()

    def supervise(self, task: asyncio.Task[None]) -> None:
        """A task meant to run until the bot stops that ends anyway takes the process down
        with one CRITICAL line and exit code 1, so a supervisor restarts it: never half alive."""

        def ended(done: asyncio.Task[None]) -> None:
            if done.cancelled():
                return
            error = done.exception()
            if isinstance(error, LostLock):  # expected, said in one line: no traceback
                log.critical("%s; stopping this process (exit 2), the other one runs", error)
                self.exit_code = 2
            else:
                log.critical(
                    "%s stopped (%s); stopping the bot so that it can be restarted",
                    done.get_name(),
                    type(error).__name__ if error else "returned",
                    exc_info=error,
                )
                self.exit_code = 1
            self.event.set()

        task.add_done_callback(ended)


def run(settings: Settings, db: Database, clock: Clock, lock: InstanceLock | None = None) -> int:
    """Run the bot until SIGINT/SIGTERM; the process's exit code. On SQLite, the write-ahead
    log is checkpointed by a thread meanwhile, not in the commits (flows/wal.py)."""
    db.checkpoint_in_background()
    try:
        return asyncio.run(serve(settings, db, clock, lock))
    finally:
        db.stop_checkpoints()


async def serve(
    settings: Settings, db: Database, clock: Clock, lock: InstanceLock | None = None
) -> int:
    """Start, replay what a crash left unhandled, take updates (polling through the inbox,
    or the webhook), stop cleanly. Returns 0 after a signal, 1 when a long-lived task died.
    A signal during start-up (Telegram or the database still away) stops it there."""
    application = build_application(settings, db, clock)
    services: Services = application.bot_data[services_module.KEY]
    stopping = Stopping()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.request)
    try:
        await stopping.unless_stopped(_connect(application, settings))
    except StopRequested:
        log.info("stopped during start-up")
        await application.shutdown()
        return 0
    running = Running()
    try:
        try:
            await stopping.unless_stopped(_start_up(application, services, lock, running))
        except StopRequested:
            log.info("stopped during start-up")
        else:
            for task in running.tasks:
                stopping.supervise(task)
            await stopping.event.wait()
            log.info("stopping")
        await _stop(application, services, running)
    finally:
        if application.running:
            with contextlib.suppress(Exception):
                if running.ops is not None:
                    await running.ops.stop()
                await application.stop()
        await application.shutdown()
    return stopping.exit_code


@dataclass
class Running:
    """What start-up set going, so far: what the stop undoes."""

    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    ops: OpsServer | None = None
    receiver: WebhookReceiver | None = None


async def _start_up(
    application: Application,  # type: ignore[type-arg]
    services: Services,
    lock: InstanceLock | None,
    running: Running,
) -> None:
    settings, db, clock = services.settings, services.db, services.clock
    await application.start()
    poller = InboxPoller(application, services)
    if settings.webhook_mode:
        secret = await services.run(secret_for, services)
        running.receiver = WebhookReceiver(application, services, secret)
    receiver = running.receiver
    await escalation_job.start(services)
    directory_job.start(services)
    await followups_job.start(services)
    retention_job.start(services)  # the daily purge of old free text (issue 11)
    await reports_job.start(services)
    assert services.dispatcher is not None
    unsent = await services.dispatcher.resume()  # committed before a crash: sent first
    if receiver is not None:
        running.ops = await _start_ops(application, services, poller, receiver)
    replayed = await poller.replay_unhandled()
    purged = await services.run(inbox.purge_handled, db, clock)
    set_aside = await services.run(inbox.set_aside_count, db)
    # What start-up made (modules, catalogs, the directory's index: about 200,000
    # objects) is moved out of the collector's sight: a full collection walked all of it
    # each time, holding the event loop 180-220 ms (the relay's p99 and the loop lag's,
    # bench/load.py). Objects made from here on are collected as usual.
    gc.collect()
    gc.freeze()
    running.tasks.append(asyncio.create_task(loop_lag.watch(), name="the loop lag watch"))
    if receiver is not None:
        receiver.ready = True
        await _set_webhook(application, settings, receiver)
        _keep_shared(services, receiver)
        mode = "webhook"
    else:
        running.ops = await _start_ops(application, services, poller)
        running.tasks.append(asyncio.create_task(poller.run(), name="the update poller"))
        mode = "polling"
    log.info(
        "%s (unsent=%d replayed=%d purged=%d set_aside=%d)",
        mode, unsent, replayed, purged, set_aside,
    )  # fmt: skip
    if lock is not None:
        running.tasks.append(asyncio.create_task(keep_held(lock), name="the instance lock"))


async def _stop(
    application: Application,  # type: ignore[type-arg]
    services: Services,
    running: Running,
) -> None:
    """Long-lived tasks cancelled, what is being sent finished (a few seconds at most), then
    the servers and the library stopped."""
    for task in running.tasks:
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.gather(*running.tasks, return_exceptions=True)
    if running.receiver is not None:
        running.receiver.ready = False  # what comes now is answered 503: sent again
    assert services.dispatcher is not None
    if not await services.dispatcher.until_idle(SHUTDOWN_DRAIN_S):
        log.warning("stopping with notices unsent; they go out at the next start")
    if running.ops is not None:
        await running.ops.stop()
    if application.running:
        await _stop_application(application)


async def _stop_application(application: Application) -> None:  # type: ignore[type-arg]
    """The library's stop waits for every update being handled; one waiting out a database
    outage would hold the stop until the service manager kills the process. After a grace
    period those updates are abandoned (they come back at the next start)."""
    stop = asyncio.ensure_future(application.stop())
    done, _ = await asyncio.wait({stop}, timeout=SHUTDOWN_HANDLING_S)
    if done:
        stop.result()
        return
    processor = application.update_processor
    abandoned = processor.abandon() if isinstance(processor, OrderedOnceProcessor) else 0
    log.warning(
        "stopping: %d updates still being handled after %.0fs (database away?); they are "
        "handled at the next start",
        abandoned,
        SHUTDOWN_HANDLING_S,
    )
    done, _ = await asyncio.wait({stop}, timeout=SHUTDOWN_HANDLING_S)
    if done:
        stop.result()
        return
    log.error("stopping without waiting for a timer still running (database away?)")


def _keep_shared(services: Services, receiver: WebhookReceiver) -> None:
    """Several processes on one database: each regularly queues what another stored and did
    not handle, claims the notices another left unsent (it died), renewing its own, and
    takes back the reminders another died sending."""
    every = timedelta(seconds=services.settings.webhook_replay_seconds)
    services.timers.every("webhook:replay", every, lambda: _replay(receiver))
    dispatcher = services.dispatcher
    assert dispatcher is not None
    services.timers.every("outbox:claims", every, lambda: _claim(dispatcher))
    services.timers.every("followup:recover", every, lambda: _recover(services))


async def _replay(receiver: WebhookReceiver) -> None:
    await receiver.replay_stale()


async def _claim(dispatcher: Dispatcher) -> None:
    await dispatcher.resume()


async def _recover(services: Services) -> None:
    resend, _ = await followups_job.recover(services)
    if resend:
        await followups_job.sweep(services)  # another process died sending them: sent here


async def _set_webhook(
    application: Application,  # type: ignore[type-arg]
    settings: Settings,
    receiver: WebhookReceiver,
) -> None:
    """setWebhook, with start-up's patience for a 429 or a network error."""
    try:
        await _with_startup_retries(settings, receiver.set_webhook)
    except TelegramError as exc:
        raise ConfigError(webhook_problem(exc, settings)) from None
    log.info("webhook set (updates come to the URL in RELAIS_WEBHOOK_URL)")


def webhook_problem(exc: TelegramError, settings: Settings) -> str:
    """What to fix when Telegram refused the webhook; the token never shown. BadRequest
    ("bad webhook: …") is a NetworkError in python-telegram-bot: told first, with its reason."""
    if not isinstance(exc, BadRequest) and isinstance(exc, NetworkError | InvalidToken | Forbidden):
        return startup_problem(exc, settings)
    said = exc.message
    if settings.telegram_bot_token:
        said = said.replace(settings.telegram_bot_token, "<token>")
    return t(CLI_LANGUAGE, "cli.startup.webhook_refused", cause=type(exc).__name__, said=said)


async def _start_ops(
    application: Application,  # type: ignore[type-arg]
    services: Services,
    poller: InboxPoller,
    receiver: WebhookReceiver | None = None,
) -> OpsServer | None:
    """/healthz and /metrics, when RELAIS_HTTP_PORT is set; the webhook too, on the path of
    RELAIS_WEBHOOK_URL (a reverse proxy forwards it as it is)."""
    settings = services.settings
    if not settings.http_port:
        return None
    queue = application.job_queue
    webhook = None
    if receiver is not None and settings.webhook_url is not None:
        webhook = (urlsplit(settings.webhook_url).path or "/", receiver)
    ops = OpsServer(
        services,
        last_poll=lambda: poller.last_poll,
        poll_sent=lambda: poller.poll_sent,
        scheduler_running=lambda: queue is not None and bool(queue.scheduler.running),
        webhook=webhook,
    )
    await ops.start(settings.http_host, settings.http_port)
    return ops


async def _connect(application: Application, settings: Settings) -> None:  # type: ignore[type-arg]
    """The first calls to the Bot API (getMe checks the token, then the menu; in polling mode
    deleteWebhook). A rejected token, or a server still unreachable when start-up's patience
    is spent, is a configuration error, one sentence, never the token."""

    async def first_calls() -> None:
        await application.initialize()
        await _post_init(application)
        if not settings.webhook_mode:
            await application.bot.delete_webhook(drop_pending_updates=False)

    try:
        await _with_startup_retries(settings, first_calls)
    except TelegramError as exc:
        await application.shutdown()
        raise ConfigError(startup_problem(exc, settings)) from None
    except ConfigError:  # a local Bot API that is not the sandbox, and no subject-key secret
        await application.shutdown()
        raise


async def _with_startup_retries(settings: Settings, call: Callable[[], Awaitable[None]]) -> None:
    """Run a start-up call; a 429 or a network error is waited out and retried for a while
    (Telegram may be busy, or the network not up yet when the service starts). Raises the
    last TelegramError when waiting cannot help or that time is spent."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.startup_retry_seconds
    pause = STARTUP_FIRST_PAUSE_S
    while True:
        try:
            await call()
            return
        except TelegramError as exc:
            wait, left = _startup_wait(exc, pause), deadline - loop.time()
            if wait is None or left <= 0:
                raise
            wait = min(wait, left)
            log.warning(
                "start-up: the Bot API answered %s; retrying in %.0fs", type(exc).__name__, wait
            )
            await asyncio.sleep(wait)
            pause = min(pause * 2, STARTUP_MAX_PAUSE_S)


def _startup_wait(exc: TelegramError, pause: float) -> float | None:
    """How long to wait before trying start-up again, or None when waiting cannot help."""
    if isinstance(exc, RetryAfter):
        wait = exc.retry_after
        return float(wait if isinstance(wait, int | float) else wait.total_seconds())
    if isinstance(exc, InvalidToken | Forbidden | BadRequest):
        return None
    if isinstance(exc, NetworkError):  # time-outs, resets and 5xx answers
        return pause
    return None


def startup_problem(exc: TelegramError, settings: Settings) -> str:
    """What to fix, from a Bot API error at start-up (its text holds the token: not used)."""
    where = mask_password(settings.telegram_api_base_url)
    if settings.telegram_bot_token:
        where = where.replace(settings.telegram_bot_token, "<token>")
    cause = type(exc.__cause__ or exc).__name__
    if isinstance(exc, InvalidToken | Forbidden):
        return t(CLI_LANGUAGE, "cli.startup.token_rejected", where=where, cause=cause)
    if isinstance(exc, NetworkError) and not isinstance(exc, BadRequest):  # BadRequest is one
        return t(CLI_LANGUAGE, "cli.startup.unreachable", where=where, cause=cause)
    return t(CLI_LANGUAGE, "cli.startup.refused", where=where, cause=cause)
