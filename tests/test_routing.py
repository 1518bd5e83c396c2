"""Who is available: the weekly roster in the service's time zone (shifts past midnight,
on-call backups), the /on and /off override until the next shift change, capacity, and the
widening pools of escalation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from flows import consultations as cs
from flows import people, relaying, roster
from flows.roster import RosterError, parse_clock
from flows.vocabulary import Category, Presence, Role, Tier, Urgency
from tests.support.clock import FakeClock
from tests.support.people import POLICY, enrol
from tests.support.units import act

# 2026-11-22 15:00 UTC is Sunday 10:00 in Montreal (UTC-5 in November)
SUNDAY_10H = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)


def pool_names(db, tier, clock):
    from flows.routing import pool

    with db.unit_of_work() as session:
        return [p.display_name for p in pool(session, tier, clock(), POLICY)]


def test_days_and_spans_are_read_in_french_and_english():
    assert roster.parse_days("lun-ven") == [0, 1, 2, 3, 4]
    assert roster.parse_days("mon,wed,fri") == [0, 2, 4]
    assert roster.parse_days("sam-lun") == [0, 5, 6]
    assert roster.parse_days("tous") == list(range(7))
    assert roster.parse_span("8h-16h30") == ("08:00", "16:30")
    assert parse_clock("23:00").hour == 23
    with pytest.raises(RosterError, match="bad_day"):
        roster.parse_days("someday")
    with pytest.raises(RosterError, match="bad_span"):
        roster.parse_span("8 to 4")
    with pytest.raises(RosterError, match="same_time"):
        roster.parse_span("08:00-08:00")


def test_a_worker_is_available_during_a_shift_in_local_time_only(db):
    clock = FakeClock(SUNDAY_10H)
    roy = enrol(db, clock, Role.WORKER, "Marie Roy")
    roster.add_shifts(db, roy.id, "dim", "09:00-17:00", False, clock)
    assert people.is_available(db, roy.id, clock, POLICY)
    clock.advance(hours=7)  # 17:00 local: the shift has ended
    assert not people.is_available(db, roy.id, clock, POLICY)


def test_a_night_shift_runs_past_midnight_into_the_next_day(db):
    clock = FakeClock(datetime(2026, 11, 23, 6, 30, tzinfo=UTC))  # Monday 01:30 local
    roy = enrol(db, clock, Role.WORKER, "Marie Roy")
    roster.add_shifts(db, roy.id, "sun", "22:00-06:00", False, clock)
    assert people.is_available(db, roy.id, clock, POLICY)
    clock.advance(hours=5)  # Monday 06:30
    assert not people.is_available(db, roy.id, clock, POLICY)


def test_off_overrides_the_roster_until_the_next_shift_change(db):
    clock = FakeClock(SUNDAY_10H)
    roy = enrol(db, clock, Role.WORKER, "Marie Roy")
    roster.add_shifts(db, roy.id, "sun,mon", "09:00-17:00", False, clock)
    off = people.set_presence(db, roy.id, Presence.OFF, clock, POLICY)
    assert off.presence_until == datetime(2026, 11, 22, 22, 0, tzinfo=UTC)  # 17:00 local
    assert not people.is_available(db, roy.id, clock, POLICY)
    clock.advance(hours=23)  # Monday 09:00 local: the next shift, the roster rules again
    assert people.is_available(db, roy.id, clock, POLICY)


def test_on_without_any_shift_lasts_until_changed(db):
    clock = FakeClock(SUNDAY_10H)
    roy = enrol(db, clock, Role.WORKER, "Marie Roy")
    on = people.set_presence(db, roy.id, Presence.ON, clock, POLICY)
    assert on.presence_until is None
    clock.advance(days=30)
    assert people.is_available(db, roy.id, clock, POLICY)


def test_only_workers_can_hold_shifts(db):
    clock = FakeClock(SUNDAY_10H)
    officer = enrol(db, clock, Role.OFFICER, "Agent Tremblay")
    with pytest.raises(RosterError, match="not_worker"):
        roster.add_shifts(db, officer.id, "mon", "08:00-16:00", False, clock)
    with pytest.raises(RosterError, match="no_person"):
        roster.add_shifts(db, 9999, "mon", "08:00-16:00", False, clock)


def test_shifts_are_listed_by_day_and_can_be_removed(db):
    clock = FakeClock(SUNDAY_10H)
    roy = enrol(db, clock, Role.WORKER, "Marie Roy")
    added = roster.add_shifts(db, roy.id, "lun-mer", "08:00-16:00", True, clock)
    assert [s.day for s in roster.list_shifts(db)] == ["mon", "tue", "wed"]
    assert all(s.on_call for s in added)
    assert roster.remove_shift(db, added[0].id)
    assert not roster.remove_shift(db, added[0].id)
    assert len(roster.list_shifts(db)) == 2


def test_pools_widen_tier_by_tier(db):
    clock = FakeClock(SUNDAY_10H)
    officer = enrol(db, clock, Role.OFFICER, "Agent Tremblay")
    free = enrol(db, clock, Role.WORKER, "Free Worker", available=True)
    busy = enrol(db, clock, Role.WORKER, "Busy Worker", available=True)
    backup = enrol(db, clock, Role.WORKER, "Backup Worker")
    enrol(db, clock, Role.WORKER, "Off Worker")
    enrol(db, clock, Role.SUPERVISOR, "Chief Supervisor")
    roster.add_shifts(db, backup.id, "dim", "00:00-23:59", True, clock)
    for _ in range(POLICY.capacity):  # Busy Worker reaches capacity
        c = act(db, clock, relaying.open_draft, officer.id, "x")
        act(db, clock, cs.set_category, officer.id, c.id, Category.OTHER)
        act(db, clock, cs.submit, officer.id, c.id, Urgency.ADVICE, POLICY)
        assert act(db, clock, cs.accept, busy.id, c.id, POLICY).consultation is not None
    assert pool_names(db, Tier.AVAILABLE, clock) == ["Free Worker"]
    assert pool_names(db, Tier.WIDER, clock) == ["Free Worker", "Busy Worker", "Backup Worker"]
    assert pool_names(db, Tier.SUPERVISORS, clock)[-1] == "Chief Supervisor"
    assert free.id != busy.id


def test_a_worker_at_capacity_cannot_accept_another(db):
    clock = FakeClock(SUNDAY_10H)
    officer = enrol(db, clock, Role.OFFICER, "Agent Tremblay")
    roy = enrol(db, clock, Role.WORKER, "Marie Roy", available=True)
    taken = []
    for _ in range(POLICY.capacity + 1):
        c = act(db, clock, relaying.open_draft, officer.id, "x")
        act(db, clock, cs.set_category, officer.id, c.id, Category.OTHER)
        act(db, clock, cs.submit, officer.id, c.id, Urgency.ADVICE, POLICY)
        taken.append(act(db, clock, cs.accept, roy.id, c.id, POLICY).status)
    assert taken[-1] == cs.AcceptStatus.AT_CAPACITY
    assert taken[:-1] == [cs.AcceptStatus.ACCEPTED] * POLICY.capacity
