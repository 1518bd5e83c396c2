"""The supervisors' weekly and monthly reports as a timed job: on start (a report due while
the bot was down goes out now) and at the next Monday or 1st at RELAIS_REPORT_HOUR, the pass
records each due copy through the outbox (flows/periodic_reports.py), wakes the dispatcher,
and sets the next timer."""

from __future__ import annotations

import logging

from bot.services import Services
from flows import periodic_reports
from flows.periodic_reports import ReportPolicy

log = logging.getLogger(__name__)
TIMER = "reports:periodic"


def policy_of(services: Services) -> ReportPolicy:
    s = services.settings
    return ReportPolicy(
        zone=s.zone,
        hour=s.report_hour,
        min_cell=s.report_min_cell,
        grace_hours=s.followup_grace_hours,
    )


async def start(services: Services) -> None:
    services.timers.at(TIMER, services.clock(), lambda: run(services))


async def run(services: Services) -> None:
    """Send what is due, then wait for the next Monday or 1st."""
    policy = policy_of(services)
    try:
        sent = await services.run(
            periodic_reports.send_due_reports, services.db, services.clock, policy
        )
        if sent and services.dispatcher is not None:
            await services.dispatcher.wake()
        for s in sent:
            log.info("%s report period=%s supervisors=%d", s.kind, s.period.key, len(s.supervisors))
    finally:
        upcoming = periodic_reports.next_report_time(services.clock(), policy)
        services.timers.at(TIMER, upcoming, lambda: run(services))
