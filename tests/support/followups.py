"""Follow-up test helpers: the service zone, its policy, local times, a closed case."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flows import consultations as cs
from flows import relaying
from flows.followups import FollowUpPolicy
from flows.vocabulary import Category, Outcome, Role, Urgency
from tests.support.people import POLICY, enrol
from tests.support.units import act

MTL = ZoneInfo("America/Montreal")
FU_POLICY = FollowUpPolicy(zone=MTL)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=MTL).astimezone(UTC)


def closed_case(db, clock, worker=None, officer=None):
    """A consultation accepted by a worker, closed, outcome recorded."""
    officer = officer or enrol(db, clock, Role.OFFICER, "Julie Tremblay")
    worker = worker or enrol(db, clock, Role.WORKER, "Marie Roy", available=True)
    c = act(db, clock, relaying.open_draft, officer.id, "Homme en crise, demande la désintox")
    act(db, clock, cs.set_category, officer.id, c.id, Category.SUBSTANCE)
    act(db, clock, cs.submit, officer.id, c.id, Urgency.URGENT, POLICY)
    act(db, clock, cs.accept, worker.id, c.id, POLICY)
    act(db, clock, cs.close, worker, c.id, POLICY)
    act(db, clock, cs.record_outcome, worker.id, c.id, Outcome.REFERRED)
    return c, worker, officer
