"""Benchmark: 100,000 generated consultations and their events over two years (about 14
events each: created, submitted, offers, accept, relayed messages, escalations, scene
cleared, incident number, close, outcome, referrals, follow-ups), then the time of each
report format for the last year, on SQLite and on PostgreSQL. Target: under 3 s each, with
the aggregation in the database.

    .venv/bin/python bench/reports.py [--count 100000] [--sqlite-only | --postgres-only]

PostgreSQL runs on a brand-new database of the local server (dropped afterwards). Sample
data only: generated people and numbers, no real person.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

from bot.reports.formats import FORMATS
from bot.reports.run import produce
from flows.models import Consultation, Event, Person
from flows.reports.figures import Grouping
from flows.reports.period import Period
from flows.store import Database
from flows.vocabulary import (
    Category,
    ConsultationState,
    EventKind,
    Outcome,
    Role,
    Urgency,
)

ZONE = ZoneInfo("America/Montreal")
START = datetime(2025, 1, 1, 5, 0, tzinfo=UTC)
DAYS = 730
BATCH = 5_000
K = EventKind


def generate(db: Database, count: int, seed: int = 12) -> int:
    """The sample people, consultations and events; the number of events written."""
    rng = random.Random(seed)
    with db.unit_of_work() as session:
        made = datetime(2024, 12, 1, tzinfo=UTC)
        people = [
            Person(telegram_user_id=10_000 + i, display_name=f"Sample {role.value} {i}",
                   role=role, language="fr", created_at=made,
                   unit=f"PDQ {20 + i % 6}" if role == Role.OFFICER else None)
            for i, role in enumerate([Role.OFFICER] * 60 + [Role.WORKER] * 14 + [Role.SUPERVISOR])
        ]  # fmt: skip
        session.add_all(people)
        session.flush()
        officers = [p.id for p in people if p.role == Role.OFFICER]
        workers = [p.id for p in people if p.role == Role.WORKER]
    categories, urgencies, outcomes = list(Category), list(Urgency), list(Outcome)
    written = 0
    for first in range(0, count, BATCH):
        consultations, pending = [], []
        for n in range(first, min(first + BATCH, count)):
            sent = START + timedelta(seconds=rng.randrange(DAYS * 86400))
            officer, worker = rng.choice(officers), rng.choice(workers)
            answered = rng.random() > 0.03
            consultations.append({
                "id": n + 1, "officer_id": officer, "worker_id": worker if answered else None,
                "state": ConsultationState.CLOSED, "category": rng.choice(categories),
                "urgency": rng.choice(urgencies), "request_text": "sample", "created_at": sent,
                "tier": 1,
            })  # fmt: skip
            pending.extend(_events(rng, n + 1, sent, officer, worker, answered, outcomes))
        with db.unit_of_work() as session:
            session.execute(insert(Consultation.__table__), consultations)
            session.execute(insert(Event.__table__), pending)
        written += len(pending)
        print(f"\r  generated {min(first + BATCH, count):,} consultations", end="", flush=True)
    print()
    return written


def _events(
    rng: random.Random, cid: int, sent: datetime, officer: int, worker: int, answered: bool,
    outcomes: list[Outcome],
) -> Iterator[dict[str, Any]]:  # fmt: skip
    def ev(offset: float, what: EventKind, actor: int | None, **data: Any) -> dict[str, Any]:
        at = sent + timedelta(seconds=offset)
        return {"consultation_id": cid, "kind": what, "actor_id": actor, "at": at, "data": data}

    cat, urg = rng.choice(list(Category)).value, rng.choice(list(Urgency)).value
    yield ev(-40, K.CREATED, officer, text="sample request")
    yield ev(0, K.SUBMITTED, officer, category=cat, urgency=urg)
    yield ev(0.1, K.OFFERED, None, worker_id=worker, tier=1)
    yield ev(0.1, K.OFFERED, None, worker_id=worker + 1, tier=1)
    accept = rng.lognormvariate(4.5, 0.9)
    if accept > 180 or not answered:
        yield ev(180, K.ESCALATED, None, tier=2, offers=3)
    if not answered:
        yield ev(600, K.FALLBACK_GIVEN, None, offers=0)
    else:
        yield ev(accept, K.ACCEPTED, worker, tier=1)
        for i in range(4):
            yield ev(accept + 30 * (i + 1), K.MESSAGE_RELAYED, worker if i % 2 else officer,
                     kind="text", text="sample", chat_id=1, message_id=i)  # fmt: skip
    if rng.random() < 0.5:
        yield ev(accept + 5, K.INCIDENT_NUMBER_SET, officer, number=f"2025-{cid}")
    if rng.random() < 0.7:
        yield ev(accept + rng.uniform(600, 5400), K.SCENE_CLEARED, officer)
    yield ev(6000, K.CLOSED, officer, previous_state="active")
    if answered:
        yield ev(6010, K.OUTCOME_RECORDED, worker, outcome=rng.choice(outcomes).value)
        if rng.random() < 0.2:
            yield ev(3000, K.REFERRAL_SENT, worker, resource=f"sample-{rng.randrange(40)}")
        if rng.random() < 0.3:
            due = sent + timedelta(days=1)
            yield ev(6020, K.FOLLOWUP_SCHEDULED, worker, followup=cid, due_at=due.isoformat())
            if rng.random() < 0.7:
                late = rng.randrange(172800)
                yield ev(86400 + late, K.FOLLOWUP_DONE, worker, followup=cid, outcome="sample",
                         late_by_s=late)  # fmt: skip


def measure(db: Database, label: str) -> dict[str, float]:
    period = Period(date(2026, 1, 1), date(2026, 12, 31), ZONE)
    times: dict[str, float] = {}
    runs = [(fmt, None) for fmt in FORMATS] + [("md", Grouping.CATEGORY), ("json", Grouping.MONTH)]
    for fmt, by in runs:
        began, cpu = time.perf_counter(), time.process_time()
        data = produce(db, period, fmt, by=by, now=datetime(2027, 1, 5, tzinfo=UTC))
        wall, used = time.perf_counter() - began, time.process_time() - cpu
        name = fmt + (f" --by {by.value}" if by else "")
        times[name] = wall
        load = os.getloadavg()[0]
        print(f"  {label} {name:<18} {wall:6.2f} s (this process's CPU {used:5.2f} s; "
              f"load {load:.1f})  {len(data):,} bytes")  # fmt: skip
    return times


def run(url: str, label: str, count: int) -> None:
    db = Database(url)
    db.upgrade()
    began = time.perf_counter()
    events = generate(db, count)
    took = time.perf_counter() - began
    print(f"  {label}: {count:,} consultations, {events:,} events in {took:.1f} s")
    if db.engine.dialect.name == "postgresql":
        settle(db)
    measure(db, label)
    db.dispose()


def settle(db: Database) -> None:
    """What autovacuum does to a live service's tables after a bulk load, done now rather
    than whenever it wakes: planner statistics (ANALYZE) and the visibility map (VACUUM)
    that lets an index answer alone. Without it the first runs plan for an empty table."""
    began = time.perf_counter()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE)")
    print(f"  VACUUM (ANALYZE) after the load: {time.perf_counter() - began:.1f} s")


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{Path(tmp) / 'bench.db'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgres-only", action="store_true")
    args = parser.parse_args()
    print("report of 2026 (one year) from consultations over 2025-2026; target < 3 s each")
    if not args.postgres_only:
        with sqlite_url() as url:
            run(url, "SQLite", args.count)
    if not args.sqlite_only:
        from tests.support.databases import fresh_postgres_url

        with fresh_postgres_url() as url:
            run(url, "PostgreSQL", args.count)


if __name__ == "__main__":
    main()
