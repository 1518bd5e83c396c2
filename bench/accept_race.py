"""The accept race, measured: K workers press Accept on the same consultation at the same
instant, R rounds, on SQLite and (when reachable) PostgreSQL. Prints how many winners each
round had (must always be exactly one) and the latency of a press, p50 / p99.

    .venv/bin/python bench/accept_race.py [--rounds 200] [--workers 8]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows import consultations as cs
from flows import relaying
from flows.consultations import AcceptStatus
from flows.store import Database, utc_now
from flows.vocabulary import Category, Role, Urgency
from tests.support.databases import database, postgres_reachable
from tests.support.people import POLICY, enrol
from tests.support.units import act


def race(db: Database, rounds: int, workers: int) -> tuple[Counter[int], list[float]]:
    officer = enrol(db, utc_now, Role.OFFICER, "Bench Officer")
    team = [enrol(db, utc_now, Role.WORKER, f"Bench W{i}", available=True) for i in range(workers)]
    winners: Counter[int] = Counter()
    latencies: list[float] = []
    lock = threading.Lock()
    for _ in range(rounds):
        draft = act(db, utc_now, relaying.open_draft, officer.id, "bench")
        act(db, utc_now, cs.set_category, officer.id, draft.id, Category.OTHER)
        act(db, utc_now, cs.submit, officer.id, draft.id, Urgency.IMMEDIATE, POLICY)
        barrier = threading.Barrier(workers)
        statuses: list[AcceptStatus] = []

        def press(worker_id: int, cid: int = draft.id, barrier=barrier, statuses=statuses) -> None:
            barrier.wait()
            started = time.perf_counter()
            status = act(db, utc_now, cs.accept, worker_id, cid, POLICY).status
            with lock:
                latencies.append(time.perf_counter() - started)
                statuses.append(status)

        threads = [threading.Thread(target=press, args=(w.id,)) for w in team]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        winners[statuses.count(AcceptStatus.ACCEPTED)] += 1
        act(db, utc_now, cs.close, officer, draft.id, POLICY)
    return winners, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    kinds = ["sqlite"] + (["postgres"] if postgres_reachable() is None else [])
    for kind in kinds:
        with tempfile.TemporaryDirectory() as tmp, database(kind, Path(tmp)) as db:
            winners, latencies = race(db, args.rounds, args.workers)
        cuts = statistics.quantiles(latencies, n=100)
        print(
            f"{kind:<9} {args.rounds} rounds x {args.workers} workers: winners per round "
            f"{dict(sorted(winners.items()))}; press latency p50 {cuts[49] * 1000:.1f} ms, "
            f"p99 {cuts[98] * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main()
