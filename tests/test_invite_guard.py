"""Wrong invite codes from one account are slowed down, then refused for a while, even with
a good code; a good code in time clears the count; each account counts on its own."""

from __future__ import annotations

from datetime import timedelta

from flows import enrolment, invite_guard
from flows.enrolment import RedeemStatus
from flows.vocabulary import Role
from tests.support.units import act, last_notice_id, notices

ACCOUNT, OTHER = 5551, 5552


def code(db, clock):
    return enrolment.create_invite(db, Role.WORKER, "Marie Roy", clock, timedelta(hours=1)).code


def start(db, clock, value, account=ACCOUNT):
    return act(db, clock, enrolment.enrol, value, account, "fr")


def refusal_keys(db, after):
    return [p.get("key", kind) for _chat, kind, p in notices(db, after)]


def test_the_first_wrong_codes_are_refused_without_any_wait(db, clock):
    before = last_notice_id(db)
    for _ in range(invite_guard.FREE_TRIES - 1):
        assert start(db, clock, "WRONGWRONG12").status == RedeemStatus.INVALID
    good = code(db, clock)
    assert start(db, clock, good).status == RedeemStatus.ENROLLED
    assert refusal_keys(db, before)[:-1] == ["refusal.invite"] * (invite_guard.FREE_TRIES - 1)


def test_a_hundred_wrong_codes_in_six_seconds_then_a_good_one_is_refused(db, clock):
    good = code(db, clock)
    statuses = []
    for _ in range(100):
        statuses.append(start(db, clock, "WRONGWRONG12").status)
        clock.advance(seconds=0.06)
    # three free tries, one more once the 2 s pause is over; the next pause is 4 s
    assert statuses.count(RedeemStatus.INVALID) == invite_guard.FREE_TRIES + 1
    assert statuses.count(RedeemStatus.THROTTLED) == 100 - invite_guard.FREE_TRIES - 1
    before = last_notice_id(db)
    assert start(db, clock, good).status == RedeemStatus.THROTTLED  # not even checked
    [(_chat, _kind, params)] = notices(db, before)
    assert params["key"] == "refusal.invite_slow" and params["values"]["seconds"] >= 1


def test_waiting_out_each_pause_still_locks_the_account_after_the_limit(db, clock):
    good = code(db, clock)
    for _ in range(invite_guard.LOCK_AFTER):
        assert start(db, clock, "WRONGWRONG12").status == RedeemStatus.INVALID
        clock.advance(seconds=invite_guard.MAX_WAIT.total_seconds())
    before = last_notice_id(db)
    assert start(db, clock, good).status == RedeemStatus.THROTTLED
    assert refusal_keys(db, before) == ["refusal.invite_locked"]

    clock.advance(seconds=invite_guard.LOCK_FOR.total_seconds())
    assert start(db, clock, good).status == RedeemStatus.ENROLLED


def test_a_good_code_clears_the_count_and_other_accounts_are_not_slowed(db, clock):
    for _ in range(invite_guard.FREE_TRIES + 1):
        start(db, clock, "WRONGWRONG12")
    assert start(db, clock, code(db, clock), account=OTHER).status == RedeemStatus.ENROLLED
    clock.advance(seconds=invite_guard.MAX_WAIT.total_seconds())
    assert start(db, clock, code(db, clock)).status == RedeemStatus.ENROLLED
    with db.unit_of_work() as session:
        gate = invite_guard.check(session, ACCOUNT, clock())
    assert gate.verdict == invite_guard.Verdict.ALLOWED and gate.failures == 0


def test_someone_enrolled_typing_a_code_again_is_never_slowed(db, clock):
    assert start(db, clock, code(db, clock)).status == RedeemStatus.ENROLLED
    for _ in range(invite_guard.LOCK_AFTER + 2):
        assert start(db, clock, "WRONGWRONG12").status == RedeemStatus.ALREADY_ENROLLED
