"""A worker sends a directory card to the officer of a consultation they hold: one use case
records the referral event, the officer's card and the worker's confirmation, or only the
reason it could not, and the cards read as the directory has them when they leave."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.render.notices import Context, Text, steps_of
from flows import consultations as cs
from flows import events, outbox, referrals, relaying
from flows.directory import Directory, DirectoryHolder
from flows.vocabulary import Category, EventKind, Role, Urgency
from tests.support.people import POLICY, enrol
from tests.support.units import act, last_notice_id, notices

ROOT = Path(__file__).resolve().parents[1]
ZONE = "America/Montreal"


@pytest.fixture
def holder() -> DirectoryHolder:
    loaded = DirectoryHolder(ROOT / "resources_directory.yaml")
    loaded.load(date(2026, 11, 23))
    return loaded


@pytest.fixture
def held(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Julie Tremblay")
    worker = enrol(db, clock, Role.WORKER, "Marie Roy", available=True, language_code="en")
    c = act(db, clock, relaying.open_draft, officer.id, "Homme sans abri, il fait froid")
    act(db, clock, cs.set_category, officer.id, c.id, Category.HOMELESSNESS)
    act(db, clock, cs.submit, officer.id, c.id, Urgency.URGENT, POLICY)
    act(db, clock, cs.accept, worker.id, c.id, POLICY)
    return officer, worker, c


def referred(db, cid):
    return [e.data for e in events.timeline(db, cid) if e.kind == EventKind.REFERRAL_SENT]


def test_a_referral_records_the_event_the_officers_card_and_the_workers_line(
    db, clock, held, holder
):
    officer, worker, c = held
    resource = holder.current.resources[0]
    after = last_notice_id(db)
    view = act(db, clock, referrals.refer, worker.id, c.id, resource.id, holder.current, ZONE)
    assert view is not None and view.id == c.id
    assert referred(db, c.id) == [{"resource": resource.id}]
    recorded = notices(db, after)
    assert [(chat, kind) for chat, kind, _ in recorded] == [
        (officer.chat_id, "referral"),
        (worker.chat_id, "referral_sent"),
    ]
    assert recorded[0][2]["resource"] == resource.id
    context = Context(holder, clock(), "811")
    card, line = (steps_of(n, context) for n in outbox.unsent(db)[-2:])
    assert isinstance(card[0], Text) and isinstance(line[0], Text)
    assert card[0].text.startswith(f"{c.reference} — ressource envoyée par Marie Roy")
    assert resource.name.get("fr") in card[0].text
    assert line[0].text == f"{resource.name.get('en')} sent to Julie Tremblay ({c.reference})."


def test_a_card_whose_resource_left_the_directory_since_still_names_it(db, clock, held, holder):
    _officer, worker, c = held
    resource = holder.current.resources[0]
    act(db, clock, referrals.refer, worker.id, c.id, resource.id, holder.current, ZONE)
    card = outbox.unsent(db)[-2]
    [step] = steps_of(card, Context(DirectoryHolder(Path("")), clock(), "811"))
    assert isinstance(step, Text)
    assert step.text.endswith("\n\n" + resource.name.get("fr"))


def test_a_consultation_the_worker_does_not_hold_is_refused_and_nothing_is_recorded(
    db, clock, held, holder
):
    _officer, _worker, c = held
    other = enrol(db, clock, Role.WORKER, "Luc Gagnon")
    resource = holder.current.resources[0]
    after = last_notice_id(db)
    assert (
        act(db, clock, referrals.refer, other.id, c.id, resource.id, holder.current, ZONE) is None
    )
    assert referred(db, c.id) == []
    assert notices(db, after) == [(other.chat_id, "say", {"key": "callback.stale", "values": {}})]


def test_a_resource_no_longer_in_the_directory_is_not_sent(db, clock, held):
    _officer, worker, c = held
    after = last_notice_id(db)
    assert act(db, clock, referrals.refer, worker.id, c.id, "svc-1", Directory(), ZONE) is None
    assert referred(db, c.id) == []
    assert notices(db, after) == [(worker.chat_id, "say", {"key": "resources.gone", "values": {}})]
