"""The directory file check as a timed job: reload when the file changed; a broken file is
logged and the directory in use is kept (the directory lives in memory, not the database), so
is a file that cannot be read (removed, moved, permissions), once, and once when it is back."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.services import Services
from flows.directory import DirectoryHolder

log = logging.getLogger(__name__)


async def check_file(services: Services) -> None:
    """The periodic check: reload when the file changed; a broken file is logged and the
    directory in use is kept."""
    holder = services.directory
    was_readable = holder.readable
    changed = await services.run(holder.changed)
    _say_readable(holder, was_readable)
    if not changed:
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


def _say_readable(holder: DirectoryHolder, was_readable: bool) -> None:
    """Log once when the file can no longer be read (path only), and once when it is back."""
    if was_readable and not holder.readable:
        log.warning(
            "directory file %s cannot be read; the last good directory (%d entries) is kept",
            holder.path,
            len(holder.current.resources),
        )
    elif holder.readable and not was_readable:
        log.info("directory file %s can be read again", holder.path)


def start(services: Services) -> None:
    """Start the periodic file-change check."""
    interval = timedelta(seconds=services.settings.directory_check_seconds)
    services.timers.every("directory:check", interval, lambda: check_file(services))
