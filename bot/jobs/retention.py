"""The daily purge as a timed job: free text older than the retention period, and transport
copies (inbox payloads, sent notices) much sooner, removed by flows/retention.py's purgers;
handled inbox rows past Telegram's re-send window forgotten. A first pass runs shortly after
start-up (a bot restarted every night still purges), then one a day. Logs counts only."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.services import Services
from flows import inbox, retention

log = logging.getLogger(__name__)

DAILY = timedelta(days=1)
FIRST_PASS = timedelta(minutes=2)  # after start-up, once the bot is answering


async def purge(services: Services) -> None:
    """One pass: every purger, then the inbox rows no longer needed; counts in the log."""
    done = await services.run(
        retention.purge, services.db, services.clock, services.settings.retention_policy
    )
    forgotten = await services.run(inbox.purge_handled, services.db, services.clock)
    counts = " ".join(f"{p.key}={p.rows}" for p in done)
    log.info("retention purge: %s inbox_rows_forgotten=%d", counts, forgotten)


def start(services: Services) -> None:
    """The first pass soon after start-up, then a pass every day."""
    services.timers.at("retention:first", services.clock() + FIRST_PASS, lambda: purge(services))
    services.timers.every("retention:daily", DAILY, lambda: purge(services))
