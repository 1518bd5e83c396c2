"""The `relais` command given something already done or out of bounds: a revocation repeated,
a shift added twice or over another, an invite valid for ages. One sentence each, never a
traceback, and nothing done twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows import enrolment, roster
from flows.store import Database, utc_now


def worker(relais) -> tuple[int, Database]:
    code = relais("invite", "--role", "worker", "--name", "Marie Roy", "--quiet").output.strip()
    db = Database(f"sqlite:///{Path.cwd() / 'cli.db'}")
    result = enrolment.redeem_invite(db, code, 7_000_002, "fr", utc_now)
    assert result.person is not None
    return result.person.id, db


@pytest.mark.parametrize("hours", ["99999999999", "100000000", "721"])
def test_an_invite_valid_beyond_a_month_is_refused_in_one_sentence(relais, hours):
    refused = relais("invite", "--role", "officer", "--name", "X", "--ttl-hours", hours)
    assert refused.exit_code == 2
    assert "Traceback" not in refused.output and "OverflowError" not in refused.output
    assert "--ttl-hours" in refused.output and "1<=x<=720" in refused.output
    assert relais("invite", "--role", "officer", "--name", "X", "--ttl-hours", "720").exit_code == 0
    assert "720" in relais("invite", "--help").output


def test_revoking_someone_already_revoked_says_so_and_exits_1(relais):
    person_id, _db = worker(relais)
    first = relais("users", "revoke", str(person_id))
    assert first.exit_code == 0 and first.output.startswith("Revoked Marie Roy")
    again = relais("users", "revoke", str(person_id))
    assert again.exit_code == 1
    assert "Revoked" not in again.output
    assert "already revoked" in again.output and "nothing changed" in again.output


def test_a_shift_added_twice_is_kept_once_and_an_overlap_is_reported(relais):
    person_id, db = worker(relais)
    assert relais("shifts", "add", str(person_id), "mon-fri", "08:00-16:00").exit_code == 0
    again = relais("shifts", "add", str(person_id), "mon-fri", "08:00-16:00")
    assert again.exit_code == 0
    assert again.output.count("Already there, not added again") == 5
    assert "Added" not in again.output
    assert len(roster.list_shifts(db)) == 5
    over = relais("shifts", "add", str(person_id), "mon", "10:00-12:00")
    assert over.exit_code == 0
    assert "Added shift" in over.output
    assert "warning: shift 6: mon 10:00-12:00 for Marie Roy overlaps shift 1: mon" in over.output
    assert len(roster.list_shifts(db)) == 6


def test_overlaps_are_seen_across_midnight_and_the_end_of_the_week(relais):
    person_id, db = worker(relais)
    relais("shifts", "add", str(person_id), "mon", "00:00-08:00")
    relais("shifts", "add", str(person_id), "sat", "08:00-16:00")
    night = relais("shifts", "add", str(person_id), "sun", "22:00-02:00", "--on-call")
    assert night.output.count("overlaps") == 1 and "overlaps shift 1: mon" in night.output
    touching = relais("shifts", "add", str(person_id), "sat", "16:00-20:00")
    assert "overlaps" not in touching.output  # one ends when the other begins
    assert len(roster.list_shifts(db)) == 4
