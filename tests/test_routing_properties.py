"""Property-based test of routing: hypothesis drives random sequences of open, accept,
decline, going on and off, transfer, take-over, timeout and close across several workers,
and after every step checks the invariants of issue 4 on SQLite and PostgreSQL:

- each open consultation has at most one worker, and the event log says who (replaying
  accepted / transferred / taken over / reassigned gives the same holder);
- no worker exceeds capacity;
- every consultation is assigned, closed, or waiting with a pending escalation;
- every step has its event;
- a revoked worker holds nothing (what they held went back to the queue).

Interleavings of concurrent presses are covered by the threaded race tests; here the
random order of operations is what varies."""

from __future__ import annotations

import os
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from flows import consultations as cs
from flows import enrolment, escalation, handover, offers, people, relaying, views
from flows.models import Base, Consultation, Event, Offer
from flows.routing import RoutingPolicy
from flows.store import Database
from flows.vocabulary import (
    Category,
    ConsultationState,
    EventKind,
    OfferState,
    Presence,
    Role,
    Urgency,
)
from tests.support.clock import FakeClock
from tests.support.people import enrol
from tests.support.units import act

POLICY = RoutingPolicy(capacity=1)  # small, so capacity is reached often
WORKERS, OFFICERS = 3, 3

pick = st.integers(min_value=0, max_value=50)
opening = st.tuples(st.just("open"), st.integers(0, OFFICERS - 1), st.sampled_from(list(Urgency)))
accepting = st.tuples(st.just("accept"), st.integers(0, WORKERS), pick)
operations = st.one_of(
    opening,
    opening,
    accepting,
    accepting,
    accepting,
    st.tuples(st.just("decline"), st.integers(0, WORKERS - 1), pick),
    st.tuples(st.just("on"), st.integers(0, WORKERS - 1)),
    st.tuples(st.just("off"), st.integers(0, WORKERS - 1)),
    st.tuples(st.just("transfer"), st.integers(0, WORKERS - 1), st.integers(0, WORKERS - 1)),
    st.tuples(st.just("take_over"), pick),
    st.tuples(st.just("reassign"), pick, st.integers(0, WORKERS - 1)),
    st.tuples(st.just("timeout"), st.integers(1, 400)),
    st.tuples(st.just("timeout"), st.integers(1, 400)),
    st.tuples(st.just("close"), pick),
    st.tuples(st.just("revoke"), st.integers(0, WORKERS - 1)),
)


def wipe(db: Database) -> None:
    with db.unit_of_work() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(delete(table))


class Scenario:
    def __init__(self, db: Database) -> None:
        wipe(db)
        self.db, self.clock = db, FakeClock()
        self.officers = [
            enrol(db, self.clock, Role.OFFICER, f"Officer {i}") for i in range(OFFICERS)
        ]
        self.workers = [
            enrol(db, self.clock, Role.WORKER, f"Worker {i}", available=i < 2)
            for i in range(WORKERS)
        ]
        self.chief = enrol(db, self.clock, Role.SUPERVISOR, "Chief")
        self.actions = 0  # successful state changes, each of which must leave an event

    def consultations(self) -> list[Consultation]:
        with self.db.unit_of_work() as session:
            rows = session.scalars(select(Consultation).order_by(Consultation.id)).all()
            session.expunge_all()
            return list(rows)

    def nth(self, n: int, *states: ConsultationState) -> Consultation | None:
        found = [c for c in self.consultations() if c.state in states]
        return found[n % len(found)] if found else None

    def open_cards(self, person_id: int) -> list[int]:
        with self.db.unit_of_work() as session:
            return list(
                session.scalars(
                    select(Offer.consultation_id)
                    .where(Offer.worker_id == person_id, Offer.state == OfferState.OPEN)
                    .order_by(Offer.id)
                )
            )

    def apply(self, op: tuple) -> None:
        db, clock, kind = self.db, self.clock, op[0]
        if kind == "open":
            officer = self.officers[op[1]]
            if views.open_consultation_of_officer(db, officer.id) is None:
                draft = act(db, clock, relaying.open_draft, officer.id, "situation")
                act(db, clock, cs.set_category, officer.id, draft.id, Category.MENTAL_HEALTH)
                act(db, clock, cs.submit, officer.id, draft.id, op[2], POLICY)
        elif kind == "accept":
            who = self.chief if op[1] == WORKERS else self.workers[op[1]]
            cards = self.open_cards(who.id)  # mostly a card they hold; sometimes a stale press
            if cards and op[2] % 5:
                act(db, clock, cs.accept, who.id, cards[op[2] % len(cards)], POLICY)
            elif c := self.nth(op[2], ConsultationState.WAITING, ConsultationState.ACTIVE):
                act(db, clock, cs.accept, who.id, c.id, POLICY)
        elif kind == "decline":
            c = self.nth(op[2], ConsultationState.WAITING)
            if c is not None:
                act(db, clock, escalation.decline, self.workers[op[1]].id, c.id)
        elif kind in ("on", "off"):
            presence = Presence.ON if kind == "on" else Presence.OFF
            worker = self.workers[op[1]]
            people.set_presence(db, worker.id, presence, clock, POLICY)
            if presence == Presence.ON:
                act(db, clock, offers.offer_waiting_to, worker.id, POLICY)
        elif kind == "transfer":
            holder, target = self.workers[op[1]], self.workers[op[2]]
            mine = views.active_of_worker(db, holder.id)
            if mine:
                act(db, clock, handover.transfer, holder.id, mine[0].id, target.id, POLICY)
        elif kind == "take_over":
            c = self.nth(op[1], ConsultationState.WAITING, ConsultationState.ACTIVE)
            if c is not None:
                act(db, clock, handover.take_over, self.chief.id, c.id)
        elif kind == "reassign":
            c = self.nth(op[1], ConsultationState.WAITING, ConsultationState.ACTIVE)
            if c is not None:
                act(
                    db,
                    clock,
                    handover.reassign,
                    self.chief.id,
                    c.id,
                    self.workers[op[2]].id,
                    POLICY,
                )
        elif kind == "timeout":
            clock.advance(seconds=op[1])
            escalation.escalate_due(db, clock, POLICY)
        elif kind == "revoke":
            enrolment.revoke(db, self.workers[op[1]].id, clock)
        elif kind == "close":
            c = self.nth(op[1], ConsultationState.WAITING, ConsultationState.ACTIVE)
            if c is not None:
                closer = self.officers[[o.id for o in self.officers].index(c.officer_id)]
                act(db, clock, cs.close, closer, c.id, POLICY)

    def check(self) -> None:
        consultations = self.consultations()
        load = Counter(c.worker_id for c in consultations if c.state == ConsultationState.ACTIVE)
        revoked = {p.id for p in people.list_people(self.db) if not p.active}
        for worker in self.workers:
            assert load[worker.id] <= POLICY.capacity, f"{worker.display_name} over capacity"
            assert worker.id not in revoked or load[worker.id] == 0, "a revoked worker holds one"
        with self.db.unit_of_work() as session:
            events = session.scalars(select(Event).order_by(Event.id)).all()
            by_consultation: dict[int, list[Event]] = {}
            for e in events:
                by_consultation.setdefault(e.consultation_id, []).append(e)
            for c in consultations:
                history = by_consultation.get(c.id, [])
                self._check_one(c, history)

    def _check_one(self, c: Consultation, history: list[Event]) -> None:
        kinds = [e.kind for e in history]
        assert kinds[0] == EventKind.CREATED
        if c.state == ConsultationState.ACTIVE:
            assert c.worker_id is not None, f"{c.id} active without a worker"
            assert c.escalation_due_at is None
        elif c.state == ConsultationState.WAITING:
            assert c.worker_id is None
            assert c.escalation_due_at is not None, f"{c.id} waiting with no escalation pending"
            assert EventKind.SUBMITTED in kinds
        elif c.state == ConsultationState.CLOSED:
            assert kinds.count(EventKind.CLOSED) == 1
            assert c.escalation_due_at is None
        holder = None
        for e in history:
            if e.kind == EventKind.ACCEPTED:
                assert holder is None, f"{c.id} accepted while held"
                holder = e.actor_id
            elif e.kind in (EventKind.TRANSFERRED, EventKind.TAKEN_OVER, EventKind.REASSIGNED):
                holder = e.data["to"]
            elif e.kind == EventKind.REQUEUED:
                assert holder == e.data["previous"]
                holder = None
        if c.state != ConsultationState.DRAFT:
            assert holder == c.worker_id, f"{c.id}: log says {holder}, row says {c.worker_id}"


def run_scenario(db: Database, ops: list[tuple]) -> None:
    scenario = Scenario(db)
    for op in ops:
        scenario.apply(op)
        scenario.check()


FAST = settings(
    max_examples=int(os.environ.get("RELAIS_PROPERTY_EXAMPLES", "80")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FAST
@given(ops=st.lists(operations, min_size=10, max_size=60))
def test_routing_invariants_hold_whatever_the_order(any_db: Database, ops: list[tuple]) -> None:
    run_scenario(any_db, ops)
