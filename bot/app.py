"""Build the Telegram application: handlers in order, the concurrent ordered processor, the
error handler and start-up work (command menus, bot username for invite links)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import services as services_module
from bot.directory import open_directory
from bot.handlers import (
    availability,
    buttons,
    closing,
    consult,
    enrolment,
    escalation,
    followups,
    handover,
    messages,
    resources,
    roster,
)
from bot.handlers.access import refuse_group
from bot.i18n import t
from bot.menus import START_UP_SYNC, Menus
from bot.ordering import OrderedOnceProcessor
from bot.polling import InboxPoller
from bot.scheduler import Timers
from bot.sender import Sender
from bot.services import Services
from bot.settings import Settings
from flows import inbox, people, settings_store
from flows.store import Clock, Database
from flows.vocabulary import language_from_code

log = logging.getLogger(__name__)


def build_application(settings: Settings, db: Database, clock: Clock) -> Application:  # type: ignore[type-arg]
    token = settings.require_token()
    holder: dict[str, Services] = {}

    async def seen(update_id: int) -> bool:
        return await holder["s"].run(inbox.is_handled, db, update_id)

    async def mark(update_id: int) -> None:
        await holder["s"].run(inbox.mark_handled, db, update_id, clock)

    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_base_url.replace("/bot", "/file/bot"))
        .concurrent_updates(OrderedOnceProcessor(settings.concurrent_updates, seen=seen, mark=mark))
        .connection_pool_size(32)
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
    )
    holder["s"] = services
    application.bot_data[services_module.KEY] = services
    _add_handlers(application)
    services.menus = Menus.of_handlers(application.handlers[0])
    return application


def _add_handlers(app: Application) -> None:  # type: ignore[type-arg]
    groups = ~filters.ChatType.PRIVATE
    app.add_handler(MessageHandler(groups & filters.UpdateType.MESSAGES, _group))
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
    app.add_handler(MessageHandler(filters.COMMAND, enrolment.show_help))
    app.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, messages.on_edited))
    app.add_handler(MessageHandler(filters.UpdateType.MESSAGE, messages.on_message))
    app.add_error_handler(_on_error)


async def _group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await refuse_group(update, services_module.of(context))


async def _post_init(app: Application) -> None:  # type: ignore[type-arg]
    services = app.bot_data[services_module.KEY]
    me = await app.bot.get_me()
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
    log.error("error handling update=%s", update_id, exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != ChatType.PRIVATE or update.effective_user is None:
        return
    services: Services = services_module.of(context)
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


def run(settings: Settings, db: Database, clock: Clock) -> None:
    """Run the bot until SIGINT/SIGTERM."""
    asyncio.run(serve(settings, db, clock))


async def serve(settings: Settings, db: Database, clock: Clock) -> None:
    """Start, replay what a crash left unhandled, poll through the inbox, stop cleanly."""
    application = build_application(settings, db, clock)
    services: Services = application.bot_data[services_module.KEY]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with application:
        await _post_init(application)
        await application.bot.delete_webhook(drop_pending_updates=False)
        await application.start()
        poller = InboxPoller(application, services)
        await escalation.start(services)
        resources.start(services)
        await followups.start(services)
        replayed = await poller.replay_unhandled()
        purged = await services.run(inbox.purge_handled, db, clock)
        log.info("polling (replayed=%d purged=%d)", replayed, purged)
        polling = asyncio.create_task(poller.run())
        await stop.wait()
        log.info("stopping")
        polling.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await polling
        await application.stop()
