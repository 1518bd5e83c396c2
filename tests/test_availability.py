"""/on, /off and /status in the domain: each change of presence is one use case that records
its confirmation, and what it causes (offers of what waits, the consultations in hand to
transfer or close) in the same transaction."""

from __future__ import annotations

from pathlib import Path

from bot.i18n import t
from bot.render.notices import Context, Text, steps_of
from flows import availability, events, outbox, relaying, roster
from flows import consultations as cs
from flows.directory import DirectoryHolder
from flows.vocabulary import Category, EventKind, Presence, Role, Urgency
from tests.support.people import POLICY, enrol
from tests.support.units import act, last_notice_id, notices


def waiting(db, clock, officer, text="Homme en crise"):
    c = act(db, clock, relaying.open_draft, officer.id, text)
    act(db, clock, cs.set_category, officer.id, c.id, Category.MENTAL_HEALTH)
    return act(db, clock, cs.submit, officer.id, c.id, Urgency.URGENT, POLICY).consultation


def test_going_on_confirms_and_offers_what_waits_in_the_same_transaction(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Agent Tremblay")
    worker = enrol(db, clock, Role.WORKER, "Marie Roy")
    c = waiting(db, clock, officer)
    after = last_notice_id(db)
    person = act(db, clock, availability.go_on, worker.id, POLICY)
    assert person.presence == Presence.ON
    recorded = notices(db, after)
    assert [(chat, kind) for chat, kind, _ in recorded] == [
        (worker.chat_id, "presence_set"),
        (worker.chat_id, "offer_card"),
    ]
    confirmation, card = recorded[0][2], recorded[1][2]
    assert confirmation["presence"] == "on"
    assert confirmation["until"] is None  # no shift: the override lasts until changed
    assert confirmation["zone"] == POLICY.zone.key
    assert card["consultation"].id == c.id
    assert availability.status_of(db, worker.id, clock, POLICY).available


def test_going_off_with_a_consultation_in_hand_asks_to_transfer_or_close_it(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Agent Tremblay")
    worker = enrol(db, clock, Role.WORKER, "Marie Roy", available=True)
    c = waiting(db, clock, officer)
    act(db, clock, cs.accept, worker.id, c.id, POLICY)
    after = last_notice_id(db)
    gone = act(db, clock, availability.go_off, worker.id, POLICY)
    assert gone.person.presence == Presence.OFF and not gone.escalate_now
    recorded = notices(db, after)
    assert [kind for _, kind, _ in recorded] == ["presence_set", "still_active"]
    assert recorded[0][2]["presence"] == "off"
    assert [held.id for held in recorded[1][2]["consultations"]] == [c.id]


def test_going_off_with_nothing_in_hand_only_confirms(db, clock):
    worker = enrol(db, clock, Role.WORKER, "Marie Roy", available=True)
    after = last_notice_id(db)
    act(db, clock, availability.go_off, worker.id, POLICY)
    assert [kind for _, kind, _ in notices(db, after)] == ["presence_set"]
    assert not availability.status_of(db, worker.id, clock, POLICY).available


def test_going_on_again_offers_nothing_already_offered(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Agent Tremblay")
    worker = enrol(db, clock, Role.WORKER, "Marie Roy", available=True)
    c = waiting(db, clock, officer)
    after = last_notice_id(db)
    act(db, clock, availability.go_on, worker.id, POLICY)
    assert [kind for _, kind, _ in notices(db, after)] == ["presence_set"]
    offered = [e for e in events.timeline(db, c.id) if e.kind == EventKind.OFFERED]
    assert [e.data["worker_id"] for e in offered] == [worker.id]


def test_a_supervisors_status_lists_what_they_hold_without_availability(db, clock):
    supervisor = enrol(db, clock, Role.SUPERVISOR, "Chef Lavoie")
    status = availability.status_of(db, supervisor.id, clock, POLICY)
    assert status.active == []
    assert status.capacity is None
    assert status.available is None


def test_a_workers_status_says_their_load_against_capacity(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Agent Tremblay")
    worker = enrol(db, clock, Role.WORKER, "Marie Roy", available=True)
    c = waiting(db, clock, officer)
    act(db, clock, cs.accept, worker.id, c.id, POLICY)
    status = availability.status_of(db, worker.id, clock, POLICY)
    assert [held.id for held in status.active] == [c.id]
    assert status.capacity == POLICY.capacity
    assert status.available


def test_the_confirmation_reads_in_the_workers_language_with_the_roster_change(db, clock):
    worker = enrol(db, clock, Role.WORKER, "Marie Roy", language_code="en")
    roster.add_shifts(db, worker.id, "all", "08:00-16:00", False, clock)
    act(db, clock, availability.go_off, worker.id, POLICY)
    [notice] = outbox.unsent(db)
    context = Context(DirectoryHolder(Path("")), clock(), "811")
    [step] = steps_of(notice, context)
    assert isinstance(step, Text)
    assert step.text.startswith(t("en", "availability.off"))
    assert "16:00" in step.text  # 15:00 UTC is 10:00 in Montreal: the shift ends at 16:00
