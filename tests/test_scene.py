"""The scene of a consultation: the latest location its officer shared in it (queued before
an accept or relayed after), kept with the message's event, on SQLite and PostgreSQL."""

from __future__ import annotations

from flows import consultations as cs
from flows import relaying, views
from flows.relaying import RelayStatus
from flows.store import Database
from flows.vocabulary import Category, Role, Urgency
from tests.support.clock import FakeClock
from tests.support.messages import location, send, text
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
    assert views.shared_location(any_db, c.id) is None
    send(any_db, clock, other, location(other, 7, (1.0, 2.0)))
    assert views.shared_location(any_db, elsewhere.id) == (1.0, 2.0)
    send(any_db, clock, officer, text(officer, 8, "ici"))
    assert views.shared_location(any_db, c.id) is None  # another consultation's is not this scene
    assert send(any_db, clock, officer, location(officer, 9, (45.5, -73.6))) == RelayStatus.DRAFT
    assert views.shared_location(any_db, c.id) == (45.5, -73.6)
    act(any_db, clock, cs.set_category, officer.id, c.id, Category.ELDER)
    act(any_db, clock, cs.submit, officer.id, c.id, Urgency.URGENT, POLICY)
    act(any_db, clock, cs.accept, worker.id, c.id, POLICY)
    routed = send(any_db, clock, worker, location(worker, 20, (9.0, 9.0)))
    assert (routed.status, routed.consultation.id) == (RelayStatus.RELAY, c.id)
    assert views.shared_location(any_db, c.id) == (45.5, -73.6)  # the worker's is not the scene
    assert send(any_db, clock, officer, location(officer, 30, (45.6, -73.5))) == RelayStatus.RELAY
    assert views.shared_location(any_db, c.id) == (45.6, -73.5)  # the officer moved
