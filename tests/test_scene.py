"""The scene of a consultation: the latest location its officer shared in it (queued before
an accept or relayed after), kept with the message's event, on SQLite and PostgreSQL."""

from __future__ import annotations

from flows import consultations as cs
from flows import relaying
from flows.store import Database
from flows.vocabulary import Category, Role, Urgency
from tests.support.clock import FakeClock
from tests.support.people import POLICY, enrol
from tests.support.units import act


def test_the_scene_is_the_latest_location_the_officer_shared_in_it(
    any_db: Database, clock: FakeClock
) -> None:
    officer = enrol(any_db, clock, Role.OFFICER, "Agent Tremblay")
    other = enrol(any_db, clock, Role.OFFICER, "Agent Côté")
    worker = enrol(any_db, clock, Role.WORKER, "Marie Roy", available=True)
    c = act(any_db, clock, relaying.open_draft, officer.id, "Homme désorienté")
    elsewhere = act(any_db, clock, relaying.open_draft, other.id, "Ailleurs")
    assert cs.shared_location(any_db, c.id) is None
    cs.queue_message(
        any_db, elsewhere.id, other.id, (other.chat_id, 7), "location", None, clock, (1.0, 2.0)
    )
    cs.queue_message(any_db, c.id, officer.id, (officer.chat_id, 8), "text", "ici", clock)
    assert cs.shared_location(any_db, c.id) is None  # another consultation's is not this scene
    cs.queue_message(
        any_db, c.id, officer.id, (officer.chat_id, 9), "location", None, clock, (45.5, -73.6)
    )
    assert cs.shared_location(any_db, c.id) == (45.5, -73.6)
    act(any_db, clock, cs.set_category, officer.id, c.id, Category.ELDER)
    act(any_db, clock, cs.submit, officer.id, c.id, Urgency.URGENT, POLICY)
    act(any_db, clock, cs.accept, worker.id, c.id, POLICY)
    source = (worker.chat_id, 20)
    cs.record_relay(
        any_db,
        c.id,
        worker.id,
        source,
        [(officer.chat_id, 21)],
        "location",
        None,
        clock,
        (9.0, 9.0),
    )
    assert cs.shared_location(any_db, c.id) == (45.5, -73.6)  # the worker's is not the scene
    source = (officer.chat_id, 30)
    cs.record_relay(
        any_db,
        c.id,
        officer.id,
        source,
        [(worker.chat_id, 31)],
        "location",
        None,
        clock,
        (45.6, -73.5),
    )
    assert cs.shared_location(any_db, c.id) == (45.6, -73.5)  # the officer moved
