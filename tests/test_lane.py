"""The relay's fast lane writes what the general use case writes for an officer's line to
the holder (the same link, event, notice and inbox mark, read back through the ORM), and
takes nothing else: every other case is handed back with nothing changed."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from flows import consultations as cs
from flows import conversation, lane, messages, relaying
from flows.inbox import AlreadyHandled, mark_handled_in
from flows.lane import LaneUnit
from flows.messages import Heard
from flows.models import Event, InboxUpdate, OutboxNotice, RelayedMessage
from flows.outbox import Notice, as_notice
from flows.people import PersonView
from flows.relaying import Incoming
from flows.store import TRANSIENT_ERRORS, Database
from flows.unit import Unit, unit_of_work
from flows.vocabulary import Category, InputKind, Role, Urgency
from tests.support.clock import FakeClock
from tests.support.databases import database
from tests.support.people import POLICY, enrol
from tests.support.units import act, last_notice_id

OFFICER = 7_000_001  # clear of the ids enrol() hands out


def in_lane(
    db: Database, clock: FakeClock, user_id: int, message: Incoming, update_id: int
) -> tuple[Any, list[Notice]]:
    with db.driver_transaction(clock()) as driver:
        unit = LaneUnit(driver, db.engine.dialect, update_id)
        taken = lane.relay_line(unit, user_id, message, None, None)
    return taken, unit.recorded


def in_use_case(
    db: Database, clock: FakeClock, user_id: int, message: Incoming, update_id: int
) -> list[Notice]:
    with unit_of_work(db, clock, update_id=update_id, unstored=True) as unit:
        messages.receive(unit, user_id, message, None)  # type: ignore[arg-type]
    return unit.outbox.recorded


def opened(db: Database, clock: FakeClock) -> tuple[PersonView, PersonView, int]:
    officer = enrol(db, clock, Role.OFFICER, "Julie Tremblay", telegram_user_id=OFFICER)
    worker = enrol(db, clock, Role.WORKER, "Marie Roy", available=True)
    c = act(db, clock, relaying.open_draft, officer.id, "Homme en crise sur le pont")
    act(db, clock, cs.set_category, officer.id, c.id, Category.SUICIDE_RISK)
    act(db, clock, cs.submit, officer.id, c.id, Urgency.IMMEDIATE, POLICY)
    return officer, worker, c.id


def written(db: Database, message_id: int) -> dict[str, Any]:
    """What one relayed line left, as the ORM reads it (ids and the message id set aside)."""
    with db.unit_of_work() as session:
        link = session.scalars(
            select(RelayedMessage).where(RelayedMessage.source_message_id == message_id)
        ).one()
        event = [
            e
            for e in session.scalars(
                select(Event).where(Event.consultation_id == link.consultation_id)
            )
            if e.data.get("message_id") == message_id
        ]
        notice = [
            n
            for n in session.scalars(select(OutboxNotice))
            if n.params.get("message_id") == message_id
        ]
        assert len(event) == 1 and len(notice) == 1
        e, n = event[0], notice[0]
        return {
            "link": (link.consultation_id, link.chat_id, link.source_chat_id, link.created_at),
            "event": (e.kind, e.actor_id, e.at, {**e.data, "message_id": 0}),
            "notice": (
                n.chat_id, n.person_id, n.language, n.kind, {**n.params, "message_id": 0},
                n.priority, n.consultation_id, n.state, n.created_at, n.claimed_by,
            ),
            "notice_row": as_notice(n),
        }  # fmt: skip


def test_the_lane_writes_what_the_use_case_writes(any_db: Database, clock: FakeClock) -> None:
    officer, worker, cid = opened(any_db, clock)
    act(any_db, clock, cs.accept, worker.id, cid, POLICY)
    line = Incoming(officer.chat_id, 500, "text", "il se calme")
    general = in_use_case(any_db, clock, OFFICER, line, 9001)
    taken, recorded = in_lane(
        any_db, clock, OFFICER, Incoming(officer.chat_id, 501, "text", "il se calme"), 9002
    )
    assert taken is not None and taken.heard == Heard.DONE and taken.person == officer
    by_use_case, by_lane = written(any_db, 500), written(any_db, 501)
    for part in ("link", "event", "notice"):
        assert by_lane[part] == by_use_case[part]
    assert recorded == [by_lane["notice_row"]]  # the dispatcher gets the row as committed
    assert [n.params["text"] for n in general + recorded] == ["il se calme"] * 2
    with any_db.unit_of_work() as session:
        for update_id in (9001, 9002):
            assert session.get_one(InboxUpdate, update_id).handled_at == clock()


def test_a_location_keeps_its_point_in_the_lane_as_in_the_use_case(
    any_db: Database, clock: FakeClock
) -> None:
    officer, worker, cid = opened(any_db, clock)
    act(any_db, clock, cs.accept, worker.id, cid, POLICY)
    point = (45.5017, -73.5673)
    in_use_case(
        any_db, clock, OFFICER, Incoming(officer.chat_id, 600, "location", None, point=point), 1
    )
    in_lane(
        any_db, clock, OFFICER, Incoming(officer.chat_id, 601, "location", None, point=point), 2
    )
    assert written(any_db, 601)["event"] == written(any_db, 600)["event"]


@pytest.mark.parametrize("case", ["stranger", "worker", "waiting", "draft", "unsupported"])
def test_the_lane_hands_back_every_other_case_with_nothing_changed(
    any_db: Database, clock: FakeClock, case: str
) -> None:
    officer, worker, cid = opened(any_db, clock)  # waiting for a worker
    if case == "draft":
        act(any_db, clock, cs.close, officer, cid, POLICY)
        act(any_db, clock, relaying.open_draft, officer.id, "un autre")
    user, chat = {
        "stranger": (4242, 4242),
        "worker": (worker.telegram_user_id, worker.chat_id),
    }.get(case, (OFFICER, officer.chat_id))
    kind = None if case == "unsupported" else "text"
    before = last_notice_id(any_db)
    taken, recorded = in_lane(any_db, clock, user, Incoming(chat, 700, kind, "allô"), 77)
    assert taken is None and recorded == []
    assert last_notice_id(any_db) == before
    with any_db.unit_of_work() as session:
        assert session.get(InboxUpdate, 77) is None
        assert session.scalars(select(RelayedMessage)).all() == []


def test_an_update_handled_meanwhile_rolls_the_lane_back(
    any_db: Database, clock: FakeClock
) -> None:
    officer, worker, cid = opened(any_db, clock)
    act(any_db, clock, cs.accept, worker.id, cid, POLICY)
    with any_db.unit_of_work() as session:  # another process handled it first
        mark_handled_in(session, 88, clock(), unstored=True)
    before = last_notice_id(any_db)
    with pytest.raises(AlreadyHandled):
        in_lane(any_db, clock, OFFICER, Incoming(officer.chat_id, 800, "text", "encore"), 88)
    assert last_notice_id(any_db) == before
    with any_db.unit_of_work() as session:
        assert session.scalars(select(RelayedMessage)).all() == []


def awaiting_a_date(unit: Unit, person_id: int, consultation_id: int) -> None:
    conversation.expect(unit.session, person_id, InputKind.PLAN_DATE, consultation_id, unit.now)


def test_a_holders_line_to_the_officer_is_the_same_in_the_lane(
    any_db: Database, clock: FakeClock
) -> None:
    officer, worker, cid = opened(any_db, clock)
    act(any_db, clock, cs.accept, worker.id, cid, POLICY)
    user = worker.telegram_user_id
    in_use_case(any_db, clock, user, Incoming(worker.chat_id, 900, "text", "j'arrive"), 31)
    taken, recorded = in_lane(
        any_db, clock, user, Incoming(worker.chat_id, 901, "text", "j'arrive"), 32
    )
    assert taken is not None and taken.person == worker
    by_use_case, by_lane = written(any_db, 900), written(any_db, 901)
    for part in ("link", "event", "notice"):
        assert by_lane[part] == by_use_case[part]
    assert by_lane["notice"][0] == officer.chat_id
    assert recorded == [by_lane["notice_row"]]


@pytest.mark.parametrize("case", ["awaited", "several", "none", "supervisor", "reply"])
def test_the_lane_leaves_a_holders_other_cases_to_the_use_case(
    any_db: Database, clock: FakeClock, case: str
) -> None:
    officer, worker, cid = opened(any_db, clock)
    act(any_db, clock, cs.accept, worker.id, cid, POLICY)
    sender = worker
    if case == "awaited":  # the bot asked the worker for a follow-up's date
        act(any_db, clock, awaiting_a_date, worker.id, cid)
    elif case == "several":
        other = enrol(any_db, clock, Role.OFFICER, "Marc Côté")
        second = act(any_db, clock, relaying.open_draft, other.id, "Femme au métro")
        act(any_db, clock, cs.set_category, other.id, second.id, Category.SUICIDE_RISK)
        act(any_db, clock, cs.submit, other.id, second.id, Urgency.IMMEDIATE, POLICY)
        act(any_db, clock, cs.accept, worker.id, second.id, POLICY)
    elif case == "none":
        act(any_db, clock, cs.close, officer, cid, POLICY)
    else:
        sender = enrol(any_db, clock, Role.SUPERVISOR, "Luc Gagnon")
    before = last_notice_id(any_db)
    reply_to = 10 if case == "reply" else None  # a reply names its case: maybe a closed one
    line = Incoming(sender.chat_id, 950, "text", "le 12 décembre", reply_to=reply_to)
    taken, recorded = in_lane(any_db, clock, sender.telegram_user_id, line, 95)
    assert taken is None and recorded == []
    assert last_notice_id(any_db) == before
    with any_db.unit_of_work() as session:
        assert session.get(InboxUpdate, 95) is None


def test_a_locked_sqlite_database_fails_the_lane_as_a_transient_error(
    db: Database, clock: FakeClock
) -> None:
    """On the event loop the lane must not wait for SQLite's lock: it fails at once with the
    error the services retry in a thread (not the driver's own, which would be a crash)."""
    officer, worker, cid = opened(db, clock)
    act(db, clock, cs.accept, worker.id, cid, POLICY)
    holder = sqlite3.connect(str(db.engine.url.database), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with db.no_wait(), pytest.raises(TRANSIENT_ERRORS):
            in_lane(db, clock, OFFICER, Incoming(officer.chat_id, 990, "text", "allô"), 99)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    taken, _ = in_lane(db, clock, OFFICER, Incoming(officer.chat_id, 990, "text", "allô"), 99)
    assert taken is not None  # the retry, once the lock is free


@pytest.mark.postgres
def test_a_write_failing_in_the_pipeline_rolls_everything_back(
    tmp_path: Path, clock: FakeClock
) -> None:
    """On PostgreSQL the lane's writes are pipelined and their errors arrive with the commit:
    the whole line is rolled back (claim included), the error is SQLAlchemy's, and the
    pooled connection serves the next line as if nothing happened."""
    with database("postgres", tmp_path) as db:
        officer, worker, cid = opened(db, clock)
        act(db, clock, cs.accept, worker.id, cid, POLICY)
        with db.engine.begin() as connection:  # the event's insert fails, server side
            connection.execute(text(FAILING_EVENTS))
        before = last_notice_id(db)
        with pytest.raises(DBAPIError, match="refused by the test"):
            in_lane(db, clock, OFFICER, Incoming(officer.chat_id, 950, "text", "un"), 95)
        assert last_notice_id(db) == before
        with db.unit_of_work() as session:
            assert session.get(InboxUpdate, 95) is None
            assert session.scalars(select(RelayedMessage)).all() == []
        with db.engine.begin() as connection:
            connection.execute(text("DROP TRIGGER refuse_events ON events"))
        taken, recorded = in_lane(
            db, clock, OFFICER, Incoming(officer.chat_id, 951, "text", "deux"), 96
        )
        assert taken is not None and [n.params["text"] for n in recorded] == ["deux"]
        with db.unit_of_work() as session:
            assert session.get(InboxUpdate, 96) is not None


FAILING_EVENTS = """
CREATE FUNCTION refuse_event() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
CREATE TRIGGER refuse_events BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION refuse_event();
"""


def test_a_read_never_run_cannot_run_after_its_transaction(db: Database, clock: FakeClock) -> None:
    """On SQLite a read runs when first read; once the transaction ended, its connection is
    back in the pool, so asking then is refused instead of running outside the transaction."""
    statements = lane._statements(db.engine.dialect)
    with db.driver_transaction(clock()) as driver:
        late = driver.read(statements.enrolled, {"telegram_user_id": OFFICER})
    with pytest.raises(RuntimeError, match="after its transaction ended"):
        late.row()


def test_a_reply_to_a_case_no_longer_held_is_not_passed_on_to_the_one_held(
    any_db: Database, clock: FakeClock
) -> None:
    officer, worker, first = opened(any_db, clock)
    act(any_db, clock, cs.accept, worker.id, first, POLICY)
    in_use_case(any_db, clock, OFFICER, Incoming(officer.chat_id, 900, "text", "il a 40 ans"), 41)
    with any_db.unit_of_work() as session:  # the worker's copy of the officer's line
        copy = session.scalars(
            select(RelayedMessage).where(RelayedMessage.source_message_id == 900)
        ).one()
        copy.chat_id, copy.message_id = worker.chat_id, 77
    act(any_db, clock, cs.close, officer, first, POLICY)
    other = enrol(any_db, clock, Role.OFFICER, "Marc Côté")
    second = act(any_db, clock, relaying.open_draft, other.id, "Femme au métro")
    act(any_db, clock, cs.set_category, other.id, second.id, Category.SUICIDE_RISK)
    act(any_db, clock, cs.submit, other.id, second.id, Urgency.IMMEDIATE, POLICY)
    act(any_db, clock, cs.accept, worker.id, second.id, POLICY)

    reply = Incoming(worker.chat_id, 951, "text", "rappelez-moi", reply_to=77)
    recorded = in_use_case(any_db, clock, worker.telegram_user_id, reply, 42)

    assert [(n.person_id, n.params.get("key")) for n in recorded] == [
        (worker.id, "relay.reply_to_ended")
    ]
    assert recorded[0].params["values"] == {"ref": relaying.reference_of(first)}
    with any_db.unit_of_work() as session:
        assert session.scalars(
            select(RelayedMessage).where(RelayedMessage.source_message_id == 951)
        ).all() == []
