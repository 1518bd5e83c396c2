"""The relayed officer line's one transaction, in process and without Telegram: how long the
use case takes (identify, route, record, outbox, mark the update handled, commit), through
the ORM's session and through its fast lane (flows/lane.py: the bot's path for a fresh
update), so the database part of bench/relay.py can be measured without the sandbox's noise.
Prints p50 / p99 per line and the SQL statements one line runs on the session's path.

    .venv/bin/python bench/relay_use_case.py [--lines 2000] [--postgres]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from flows import consultations as cs  # noqa: E402
from flows import lane, messages, relaying  # noqa: E402
from flows.lane import LaneUnit  # noqa: E402
from flows.relaying import Incoming  # noqa: E402
from flows.store import utc_now  # noqa: E402
from flows.unit import unit_of_work  # noqa: E402
from flows.vocabulary import Category, Role, Urgency  # noqa: E402
from tests.support.databases import database  # noqa: E402
from tests.support.people import POLICY, enrol  # noqa: E402
from tests.support.units import act  # noqa: E402

OFFICER = 1001


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    kind = "postgres" if args.postgres else "sqlite"
    with tempfile.TemporaryDirectory() as tmp, database(kind, Path(tmp)) as db:
        db.checkpoint_in_background()  # as the running bot does (flows/wal.py)
        officer = enrol(db, utc_now, Role.OFFICER, "Julie Tremblay", telegram_user_id=OFFICER)
        worker = enrol(db, utc_now, Role.WORKER, "Marie Roy", available=True)
        c = act(db, utc_now, relaying.open_draft, officer.id, "bench")
        act(db, utc_now, cs.set_category, officer.id, c.id, Category.SUICIDE_RISK)
        act(db, utc_now, cs.submit, officer.id, c.id, Urgency.IMMEDIATE, POLICY)
        act(db, utc_now, cs.accept, worker.id, c.id, POLICY)
        policy = None
        statements: list[str] = []

        def line(i: int) -> None:
            message = Incoming(officer.chat_id, 10_000 + i, "text", f"line {i:05d}")
            with unit_of_work(db, utc_now, update_id=500_000 + i, unstored=True) as unit:
                messages.receive(unit, OFFICER, message, policy)  # type: ignore[arg-type]

        for i in range(50):  # warm up: statement caches, connection
            line(i)

        def seen(_conn: object, _cursor: object, sql: str, *_: object) -> None:
            statements.append(sql)

        event.listen(db.engine, "before_cursor_execute", seen)
        line(50)
        event.remove(db.engine, "before_cursor_execute", seen)
        counted = list(statements)
        took = []
        for i in range(51, 51 + args.lines):
            start = time.perf_counter()
            line(i)
            took.append(time.perf_counter() - start)
        fast = []
        for i in range(51 + args.lines, 51 + 2 * args.lines):
            message = Incoming(officer.chat_id, 10_000 + i, "text", f"line {i:05d}")
            start = time.perf_counter()
            with db.driver_transaction(utc_now()) as driver:
                unit = LaneUnit(driver, db.engine.dialect, 500_000 + i)
                assert lane.relay_line(unit, OFFICER, message) is not None
            fast.append(time.perf_counter() - start)
    for name, times in (("relay use case", took), ("its fast lane (the bot's path)", fast)):
        p50 = statistics.median(times) * 1000
        p99 = statistics.quantiles(times, n=100)[98] * 1000
        print(f"{name} ({kind}): p50 {p50:.2f} ms, p99 {p99:.2f} ms over {args.lines} lines")
    print(f"{len(counted)} statements per line:")
    for sql in counted:
        print("  ", " ".join(sql.split())[:110])


if __name__ == "__main__":
    main()
