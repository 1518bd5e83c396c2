"""The directory file check as a timed job: reload when the file changed; a broken file is
logged and the directory in use is kept (the directory lives in memory, not the database)."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.services import Services

log = logging.getLogger(__name__)


async def check_file(services: Services) -> None:
    """The periodic check: reload when the file changed; a broken file is logged and the
    directory in use is kept."""
    holder = services.directory
    if not await services.run(holder.changed):
        return
    today = services.clock().astimezone(services.settings.zone).date()
    result = await services.run(holder.reload, today)
    if result.applied:
        log.info("directory file changed: reloaded %d entries", result.count)
    else:
        log.warning(
            "directory file changed but has %d error(s); keeping the previous one",
            len(result.report.errors),
        )


def start(services: Services) -> None:
    """Start the periodic file-change check."""
    interval = timedelta(seconds=services.settings.directory_check_seconds)
    services.timers.every("directory:check", interval, lambda: check_file(services))
