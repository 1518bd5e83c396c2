"""A recipient who blocked the bot, as the dispatcher finds out (Telegram answers 403): the
person is recorded as unreachable, their open offers count as declined, and a request that
nobody else was offered escalates now instead of at the end of its window."""

from __future__ import annotations

import logging

from bot.jobs.escalation import run_due
from bot.services import Services
from flows import reachability

log = logging.getLogger(__name__)


async def record_blocked(services: Services, telegram_user_id: int) -> None:
    """Record the person behind this private chat as unreachable (once) and move on their
    offers; a chat nobody enrolled holds (a stranger) changes nothing."""
    result = await services.act(reachability.became_unreachable, telegram_user_id)
    await after(services, result)


async def after(services: Services, result: reachability.Reachability) -> None:
    """Log the change by id and escalate at once what nobody else was offered."""
    if result.person is None:
        return
    if result.changed or result.declined:
        log.warning(
            "person=%s reachable=%s offers declined=%s",
            result.person.id, result.reachable, result.declined,
        )  # fmt: skip
    if result.escalate_now:
        await run_due(services)
