"""The update inbox on both databases: two processes storing the same updates at the same
moment never fail, and an update set aside is kept for inspection, counted, and never
replayed."""

from __future__ import annotations

import threading

from flows import inbox
from flows.inbox import Received
from flows.store import Database, utc_now
from tests.support.clock import FakeClock

ROUNDS = 40


def _store_at_once(db: Database, batch: list[Received]) -> list[set[int] | BaseException]:
    """Two threads (two bot processes) store the same batch at the same instant."""
    start = threading.Barrier(2)
    results: list[set[int] | BaseException] = []

    def store() -> None:
        start.wait()
        try:
            results.append(inbox.store_new(db, batch, utc_now))
        except BaseException as exc:  # what the test is about
            results.append(exc)

    threads = [threading.Thread(target=store) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_storing_an_update_two_processes_stored_at_once_is_never_an_error(any_db):
    for round_ in range(ROUNDS):
        ids = [round_ * 10 + i for i in range(3)]
        batch = [Received(update_id, f'{{"update_id": {update_id}}}') for update_id in ids]
        results = _store_at_once(any_db, batch)
        errors = [r for r in results if isinstance(r, BaseException)]
        assert errors == [], f"round {round_}: {errors[0]!r}"
        stored = [r for r in results if isinstance(r, set)]
        assert set().union(*stored) == set(ids)  # every update stored once, by one of them
        assert sum(len(s) for s in stored) == len(ids)


def test_storing_an_update_already_stored_is_a_no_op(any_db):
    batch = [Received(1, "{}"), Received(2, "{}")]
    assert inbox.store_new(any_db, batch, utc_now) == {1, 2}
    assert inbox.store_new(any_db, [*batch, Received(3, "{}")], utc_now) == {3}
    assert [uid for uid, _ in inbox.unhandled(any_db)] == [1, 2, 3]


def test_an_update_set_aside_is_kept_counted_and_never_replayed(any_db, clock: FakeClock):
    batch = [Received(1, '{"update_id": 1}'), Received(2, '{"x": 1}', "unparseable: TypeError")]
    assert inbox.store_new(any_db, batch, clock) == {1, 2}
    inbox.set_aside(any_db, 1, "handler failed: ValueError", clock)
    inbox.mark_handled(any_db, 1, clock)
    assert inbox.unhandled(any_db) == []
    assert inbox.set_aside_count(any_db) == 2
    clock.advance(days=3)  # past the 2 days handled updates are kept
    assert inbox.purge_handled(any_db, clock) == 0  # kept for inspection
    clock.advance(days=30)
    assert inbox.purge_handled(any_db, clock) == 2
    assert inbox.set_aside_count(any_db) == 0
