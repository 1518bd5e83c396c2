"""Benchmark: 10,000 pending follow-ups. Prints the start-up time to reschedule them into the
application's job queue (as `serve()` does: recovery, one job per distinct due second, the
sweep), the same with one job per follow-up for comparison, and the lateness p50/p99 of
reminders coming due together, through the real claim -> send -> record path with an
instant fake sender (so the figure is Relais's own overhead, not Telegram's 30 msg/s).

    .venv/bin/python bench/reminders.py [--count 10000] [--seconds 5] [--postgres]

--postgres runs on a brand-new database of the local server (dropped afterwards); an
explicit --database-url must point at an empty database.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from telegram.ext import ApplicationBuilder

from bot.jobs import followups as edge
from bot.scheduler import JOB_KWARGS, Timers
from bot.services import Services
from bot.settings import load_settings
from flows import enrolment, people
from flows.models import Consultation, FollowUp
from flows.store import Database, utc_now
from flows.vocabulary import ConsultationState, Delivery, FollowUpState, Presence, Role


class InstantSender:
    """Stands in for the one sender: accepts every message at once."""

    def __init__(self) -> None:
        self.sent = 0

    async def text(self, chat_id: int, text: str, **_: Any) -> list[int]:
        self.sent += 1
        return [self.sent]

    async def edit(self, *_: Any, **__: Any) -> bool:
        return True

    async def answer(self, *_: Any, **__: Any) -> None:
        return None


def seed(db: Database, count: int, first_due: datetime, spread_s: int) -> None:
    """One worker on duty, one closed consultation, `count` follow-ups due over `spread_s`."""
    settings = load_settings()
    now = utc_now()
    officer = _enrol(db, Role.OFFICER, "Agent Bench", 1)
    worker = _enrol(db, Role.WORKER, "Worker Bench", 2)
    people.set_presence(db, worker, Presence.ON, utc_now, settings.policy)
    with db.unit_of_work() as session:
        c = Consultation(
            officer_id=officer,
            worker_id=worker,
            state=ConsultationState.CLOSED,
            request_text="bench",
            created_at=now,
            closed_at=now,
        )
        session.add(c)
        session.flush()
        cid = c.id
    rows = [
        {
            "consultation_id": cid,
            "assignee_id": worker,
            "created_by_id": worker,
            "due_at": first_due + timedelta(seconds=i % spread_s),
            "note": f"note {i}",
            "state": FollowUpState.PENDING,
            "delivery": Delivery.SCHEDULED,
            "attempts": 0,
            "unconfirmed": False,
            "late": False,
            "snoozed": 0,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(count)
    ]
    with db.unit_of_work() as session:
        session.execute(FollowUp.__table__.insert(), rows)


def _enrol(db: Database, role: Role, name: str, user_id: int) -> int:
    issued = enrolment.create_invite(db, role, name, utc_now, timedelta(hours=1))
    result = enrolment.redeem_invite(db, issued.code, user_id, "fr", utc_now)
    assert result.person is not None
    return result.person.id


def _sent(db: Database) -> int:
    with db.unit_of_work() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(FollowUp).where(FollowUp.delivery == Delivery.SENT)
            )
            or 0
        )


async def run(url: str, count: int, spread_s: int, lead_s: float) -> None:
    settings = load_settings(telegram_bot_token="123456:bench-token-not-used")
    application = ApplicationBuilder().token(settings.require_token()).updater(None).build()
    assert application.job_queue is not None
    timers = Timers(application.job_queue, utc_now)
    await application.job_queue.start()

    # For comparison: one named APScheduler job per follow-up (not what Relais does).
    later = utc_now() + timedelta(days=1)
    t0 = time.perf_counter()
    for i in range(count):
        timers.at(f"bench:{i}", later + timedelta(seconds=i), _noop)
    per_row = time.perf_counter() - t0
    application.job_queue.scheduler.remove_all_jobs()
    t0 = time.perf_counter()
    for i in range(count):
        application.job_queue.run_once(
            _job, when=later + timedelta(seconds=i), job_kwargs=JOB_KWARGS
        )
    unnamed = time.perf_counter() - t0
    application.job_queue.scheduler.remove_all_jobs()

    db = Database(url)
    db.upgrade()
    first_due = utc_now() + timedelta(seconds=lead_s)
    t0 = time.perf_counter()
    seed(db, count, first_due, spread_s)
    print(f"seeded {count} follow-ups due over {spread_s} s in {time.perf_counter() - t0:.2f} s")
    sender = InstantSender()
    services = Services(db, settings, utc_now, sender, timers)  # type: ignore[arg-type]

    t0 = time.perf_counter()
    await edge.start(services)  # what serve() runs
    startup = time.perf_counter() - t0
    print(f"start-up, one job per distinct due second: {startup:.3f} s ({timers.pending()} jobs)")
    print(f"comparison, one named job per follow-up (replace by name): {per_row:.3f} s")
    print(f"comparison, one unnamed job per follow-up: {unnamed:.3f} s")

    deadline = time.monotonic() + lead_s + spread_s + 120
    while _sent(db) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    with db.unit_of_work() as session:
        pairs = session.execute(select(FollowUp.due_at, FollowUp.reminded_at)).all()
    lateness = sorted((sent - due).total_seconds() for due, sent in pairs if sent is not None)
    await application.job_queue.stop(wait=False)
    db.dispose()
    if len(lateness) < count:
        print(f"only {len(lateness)} of {count} delivered before the deadline")
    p50 = statistics.median(lateness)
    p99 = lateness[max(int(len(lateness) * 0.99) - 1, 0)]
    print(
        f"lateness of {len(lateness)} reminders firing together: "
        f"p50 {p50:.3f} s, p99 {p99:.3f} s, max {lateness[-1]:.3f} s "
        f"(sender calls {sender.sent})"
    )
    print(f"targets: start-up < 3 s {'OK' if startup < 3 else 'MISSED'}; "
          f"p99 < 2 s {'OK' if p99 < 2 else 'MISSED'}")  # fmt: skip


async def _noop() -> None:
    return None


async def _job(_context: Any) -> None:
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=5, help="spread of the due times")
    parser.add_argument("--lead", type=float, default=5.0, help="seconds before the first due")
    parser.add_argument("--database-url", default=None, help="an empty database")
    parser.add_argument("--postgres", action="store_true", help="a fresh local PostgreSQL db")
    args = parser.parse_args()
    if args.postgres:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from tests.support.databases import fresh_postgres_url

        with fresh_postgres_url() as url:
            asyncio.run(run(url, args.count, args.seconds, args.lead))
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        asyncio.run(run(url, args.count, args.seconds, args.lead))


if __name__ == "__main__":
    main()
