"""The update inbox on both databases: two processes storing the same updates at the same
moment never fail, an update set aside is kept for inspection, counted, and never replayed,
and a new update handled without being stored first gets its row in the handling
transaction (with it, or not at all)."""

from __future__ import annotations

import threading

import pytest

from flows import inbox
from flows.inbox import Received
from flows.models import InboxUpdate
from flows.store import Database, utc_now
from flows.unit import unit_of_work
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


# --- the fast path: a new update is not stored first, its handling writes its row ----------


def _row(db: Database, update_id: int) -> InboxUpdate | None:
    with db.unit_of_work() as session:
        return session.get(InboxUpdate, update_id)


def test_a_use_case_on_an_unstored_update_writes_its_row_handled_without_its_content(any_db):
    with unit_of_work(any_db, utc_now, update_id=7, unstored=True):
        pass
    row = _row(any_db, 7)
    assert row is not None and row.handled_at is not None and row.payload == ""
    assert inbox.unhandled(any_db) == [] and inbox.last_update_id(any_db) == 7
    assert inbox.store_new(any_db, [Received(7, '{"update_id": 7}')], utc_now) == set()  # a re-send


def test_a_row_the_poller_stored_meanwhile_is_marked_handled_by_the_use_case(any_db):
    assert inbox.store_new(any_db, [Received(8, '{"update_id": 8}')], utc_now) == {8}  # slow
    with unit_of_work(any_db, utc_now, update_id=8, unstored=True):
        pass
    row = _row(any_db, 8)
    assert row is not None and row.handled_at is not None
    assert row.payload == '{"update_id": 8}'  # what the poller stored is kept
    assert inbox.unhandled(any_db) == []


def test_a_use_case_that_fails_leaves_no_row_so_the_update_stays_at_telegram(any_db):
    with pytest.raises(RuntimeError), unit_of_work(any_db, utc_now, update_id=9, unstored=True):
        raise RuntimeError("the handler failed")
    assert _row(any_db, 9) is None


def test_an_unstored_update_whose_handler_failed_is_set_aside_with_its_content(any_db):
    received = Received(10, '{"update_id": 10, "message": {}}')
    inbox.set_aside(any_db, 10, "handler failed: ValueError", utc_now, received)
    inbox.mark_handled(any_db, 10, utc_now, unstored=True)
    row = _row(any_db, 10)
    assert row is not None and row.payload == received.payload
    assert row.set_aside_reason == "handler failed: ValueError" and row.handled_at is not None
    assert inbox.set_aside_count(any_db) == 1 and inbox.unhandled(any_db) == []


def test_the_newest_update_held_is_what_a_restart_may_see_again(any_db):
    assert inbox.last_update_id(any_db) == 0
    inbox.store_new(any_db, [Received(3, "{}"), Received(5, "{}")], utc_now)
    assert inbox.last_update_id(any_db) == 5
