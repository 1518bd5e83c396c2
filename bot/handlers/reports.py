"""/stats for supervisors: the last 7 and 30 days in a few lines and one chart. A read that
changes nothing, so it is answered here through the sender (text from bot/render/reports.py)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from bot.handlers.access import requires
from bot.render import reports as texts
from bot.services import Services
from flows.people import PersonView
from flows.reports import figures, published
from flows.reports.period import last_days
from flows.vocabulary import Role

log = logging.getLogger(__name__)
DAYS = (7, 30)


@requires(Role.SUPERVISOR)
async def stats_command(
    update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services, person: PersonView
) -> None:
    """/stats: the figures of the last 7 and 30 days, then the 30 days' chart."""
    docs = await services.run(_documents, services)
    lang = person.language
    await services.sender.text(person.chat_id, texts.stats_text(docs, lang))
    png = await asyncio.to_thread(texts.chart_png, docs[-1], lang)
    await services.sender.photo(person.chat_id, png)
    log.info("stats shown person=%s", person.id)


def _documents(services: Services) -> list[dict[str, Any]]:
    s, now = services.settings, services.clock()
    return [
        published.document(
            figures.compute(
                services.db, last_days(now, s.zone, days), now=now,
                grace_hours=s.followup_grace_hours,
            ),
            s.report_min_cell,
        )
        for days in DAYS
    ]  # fmt: skip
