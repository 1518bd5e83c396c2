"""What lets several webhook processes share one database, on SQLite and PostgreSQL: an update
is applied once (the second handling rolls back whole), a notice is sent by the process that
holds it (others take only what nobody holds or a dead holder left), and the instance lock
is shared between webhook processes but keeps a polling one out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.instance_lock import AlreadyRunning, InstanceLock
from flows import inbox, outbox
from flows.models import OutboxNotice
from flows.store import Database
from flows.unit import unit_of_work
from flows.vocabulary import NoticeKind
from tests.support.clock import FakeClock

LEASE = timedelta(seconds=60)


def record_notice(db: Database, clock: FakeClock, update_id: int | None = None) -> int:
    with unit_of_work(db, clock, update_id=update_id, unstored=update_id is not None) as unit:
        unit.outbox.to_chat(42, "fr", NoticeKind.SAY, key="relay.unsupported", values={})
        return unit.outbox.recorded[0].id


def holder(db: Database, notice_id: int) -> str | None:
    with db.unit_of_work() as session:
        return session.scalar(select(OutboxNotice.claimed_by).where(OutboxNotice.id == notice_id))


def test_an_update_handled_by_one_process_rolls_back_the_second_handling(any_db, clock):
    first = record_notice(any_db, clock, update_id=7)
    with pytest.raises(inbox.AlreadyHandled):
        record_notice(any_db, clock, update_id=7)  # the same update, in another process
    with any_db.unit_of_work() as session:
        ids = list(session.scalars(select(OutboxNotice.id)))
    assert ids == [first]  # the second one's notice rolled back with it


def test_a_stored_update_is_marked_once_whoever_replays_it(any_db, clock):
    inbox.store_new(any_db, [inbox.Received(8, "{}")], clock)
    with unit_of_work(any_db, clock, update_id=8):
        pass
    with pytest.raises(inbox.AlreadyHandled), unit_of_work(any_db, clock, update_id=8):
        pass
    inbox.mark_handled(any_db, 8, clock)  # the processor's own mark stays a no-op


def test_notices_belong_to_the_process_that_committed_them_until_it_stops_renewing(any_db, clock):
    any_db.claimant = "a:8443"
    mine = record_notice(any_db, clock)
    any_db.claimant = None
    nobodys = record_notice(any_db, clock)
    assert holder(any_db, mine) == "a:8443" and holder(any_db, nobodys) is None

    taken = outbox.claim_unsent(any_db, "b:8444", clock(), LEASE)
    assert [n.id for n in taken] == [nobodys]  # a live holder's notice stays its own
    assert outbox.renew_claim(any_db, "a:8443", mine, clock())
    assert not outbox.renew_claim(any_db, "a:8443", nobodys, clock())

    clock.advance(seconds=61)  # a:8443 died: it renews nothing any more
    taken = outbox.claim_unsent(any_db, "b:8444", clock(), LEASE)
    assert {n.id for n in taken} == {mine, nobodys}  # its own renewed, the dead one's taken
    assert holder(any_db, mine) == "b:8444"
    assert not outbox.renew_claim(any_db, "a:8443", mine, clock())  # it may not send it now


def test_webhook_processes_share_the_lock_and_a_polling_one_is_kept_out(any_db):
    with (
        InstanceLock.acquire(any_db, shared=True),
        InstanceLock.acquire(any_db, shared=True),
        pytest.raises(AlreadyRunning),
        InstanceLock.acquire(any_db),
    ):
        pass
    with InstanceLock.acquire(any_db):
        with pytest.raises(AlreadyRunning) as refused, InstanceLock.acquire(any_db, shared=True):
            pass
        assert "polling mode" in str(refused.value)
