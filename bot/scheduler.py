"""Timers from the database into the application's job queue. The database rows (due time,
state) are the source of truth; this module only wakes the bot at the right moment, is
rebuilt from the rows on start-up, and never lets APScheduler drop a late job."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from telegram.ext import ContextTypes, JobQueue

from flows.store import TRANSIENT_ERRORS, Clock, describe_error

log = logging.getLogger(__name__)

Action = Callable[[], Awaitable[None]]

# APScheduler 3 skips a job that starts more than misfire_grace_time late (default 1 s) and
# would run a backlog of identical runs; None = run however late, coalesce = once.
JOB_KWARGS = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}


class Timers:
    def __init__(self, job_queue: JobQueue, clock: Clock) -> None:  # type: ignore[type-arg]
        self._jobs = job_queue
        self._clock = clock

    def at(self, name: str, due: datetime, action: Action) -> None:
        """Run action at due (at once if already past); a timer of the same name is replaced."""
        self.cancel(name)
        delay = max((due - self._clock()).total_seconds(), 0.0)
        self._jobs.run_once(_wrap(name, action), when=delay, name=name, job_kwargs=JOB_KWARGS)

    def every(self, name: str, interval: timedelta, action: Action) -> None:
        """A periodic sweep, the safety net behind the exact timers."""
        self.cancel(name)
        self._jobs.run_repeating(
            _wrap(name, action), interval=interval, first=interval, name=name, job_kwargs=JOB_KWARGS
        )

    def cancel(self, name: str) -> None:
        for job in self._jobs.get_jobs_by_name(name):
            job.schedule_removal()

    def pending(self) -> int:
        return len(self._jobs.jobs())


def _wrap(name: str, action: Action) -> Callable[[ContextTypes.DEFAULT_TYPE], Awaitable[None]]:
    async def run(_context: ContextTypes.DEFAULT_TYPE) -> None:
        """A failing pass is logged and the timer goes on: the rows are still due, so the
        next pass (or the sweep) does the work once the database is back."""
        try:
            await action()
        except TRANSIENT_ERRORS as exc:  # an outage: one line, not a traceback per pass
            log.error("timer %s failed: database unavailable (%s)", name, describe_error(exc))
        except Exception:
            log.exception("timer %s failed", name)

    return run
