"""Invites and enrolment: one-time, expiring, hashed codes bound to one Telegram account."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select

from flows import enrolment, outbox, people
from flows.enrolment import RedeemStatus
from flows.models import Invite
from flows.store import Database
from flows.vocabulary import Role
from tests.support.clock import FakeClock
from tests.support.units import act, last_notice_id, notices

TTL = timedelta(hours=72)


def test_a_valid_code_enrols_the_account_with_the_invites_role_and_name(db, clock):
    issued = enrolment.create_invite(db, Role.WORKER, "Marie Roy", clock, TTL)
    result = enrolment.redeem_invite(db, issued.code, 42, "en-CA", clock)
    assert result.status == RedeemStatus.ENROLLED
    assert result.person is not None
    assert (result.person.role, result.person.display_name, result.person.language) == (
        Role.WORKER,
        "Marie Roy",
        "en",
    )
    assert people.find_by_telegram_id(db, 42) == result.person


def test_codes_are_stored_only_as_hashes(db, clock):
    issued = enrolment.create_invite(db, Role.OFFICER, "Agent Tremblay", clock, TTL)
    with db.unit_of_work() as session:
        stored = session.scalars(select(Invite.code_hash)).all()
    assert issued.code not in stored
    assert stored == [enrolment.hash_code(issued.code)]


def test_a_code_works_once(db, clock):
    issued = enrolment.create_invite(db, Role.OFFICER, "Agent Tremblay", clock, TTL)
    assert enrolment.redeem_invite(db, issued.code, 1, "fr", clock).status == RedeemStatus.ENROLLED
    second = enrolment.redeem_invite(db, issued.code, 2, "fr", clock)
    assert second.status == RedeemStatus.INVALID
    assert people.find_by_telegram_id(db, 2) is None


def test_an_expired_code_is_refused(db, clock):
    issued = enrolment.create_invite(db, Role.OFFICER, "Agent Tremblay", clock, TTL)
    clock.advance(hours=72, seconds=1)
    assert enrolment.redeem_invite(db, issued.code, 1, "fr", clock).status == RedeemStatus.INVALID


def test_a_wrong_code_is_refused(db, clock):
    enrolment.create_invite(db, Role.OFFICER, "Agent Tremblay", clock, TTL)
    assert enrolment.redeem_invite(db, "NOTACODE", 1, "fr", clock).status == RedeemStatus.INVALID


def test_codes_are_read_case_insensitively_and_ignore_dashes(db, clock):
    issued = enrolment.create_invite(db, Role.OFFICER, "Agent Tremblay", clock, TTL)
    typed = "-".join([issued.code[:6].lower(), issued.code[6:]])
    assert enrolment.redeem_invite(db, typed, 1, "fr", clock).status == RedeemStatus.ENROLLED


def test_an_enrolled_account_does_not_consume_a_second_code(db, clock):
    first = enrolment.create_invite(db, Role.OFFICER, "Agent Tremblay", clock, TTL)
    second = enrolment.create_invite(db, Role.WORKER, "Someone Else", clock, TTL)
    enrolment.redeem_invite(db, first.code, 1, "fr", clock)
    again = enrolment.redeem_invite(db, second.code, 1, "fr", clock)
    assert again.status == RedeemStatus.ALREADY_ENROLLED
    assert enrolment.redeem_invite(db, second.code, 2, "fr", clock).status == RedeemStatus.ENROLLED


def test_a_revoked_person_is_unknown_and_can_be_enrolled_again(db, clock):
    issued = enrolment.create_invite(db, Role.OFFICER, "Agent Tremblay", clock, TTL)
    person = enrolment.redeem_invite(db, issued.code, 1, "fr", clock).person
    assert person is not None
    enrolment.revoke(db, person.id, clock)
    assert people.find_by_telegram_id(db, 1) is None
    renewed = enrolment.create_invite(db, Role.WORKER, "Agent Tremblay", clock, TTL)
    result = enrolment.redeem_invite(db, renewed.code, 1, "fr", clock)
    assert result.status == RedeemStatus.ENROLLED
    assert result.person is not None and result.person.role == Role.WORKER


def test_revoking_an_unknown_id_says_so(db, clock):
    assert enrolment.revoke(db, 999, clock) is None


def test_two_accounts_racing_for_one_code_enrol_exactly_one(any_db: Database):
    clock = FakeClock()
    for round_ in range(20):
        issued = enrolment.create_invite(any_db, Role.OFFICER, f"Agent {round_}", clock, TTL)
        results: list[RedeemStatus] = []
        barrier = threading.Barrier(2)

        def redeem(user_id: int, code=issued.code, barrier=barrier, results=results) -> None:
            barrier.wait()
            results.append(enrolment.redeem_invite(any_db, code, user_id, "fr", clock).status)

        threads = [
            threading.Thread(target=redeem, args=(10_000 + round_ * 2 + i,)) for i in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == [RedeemStatus.ENROLLED, RedeemStatus.INVALID]


def test_enrolling_binds_the_account_and_records_the_welcome_for_its_role(db, clock):
    issued = enrolment.create_invite(db, Role.WORKER, "Marie Roy", clock, TTL)
    result = act(db, clock, enrolment.enrol, issued.code, 42, "en-CA")
    assert result.status == RedeemStatus.ENROLLED
    assert result.person is not None
    [(chat, kind, params)] = notices(db)
    assert (chat, kind) == (42, "welcome")
    assert params["person"] == result.person
    assert params["already"] is False


def test_an_enrolled_account_is_told_the_code_was_not_used(db, clock):
    first = enrolment.create_invite(db, Role.OFFICER, "Agent Tremblay", clock, TTL)
    second = enrolment.create_invite(db, Role.WORKER, "Someone Else", clock, TTL)
    act(db, clock, enrolment.enrol, first.code, 1, "fr")
    after = last_notice_id(db)
    result = act(db, clock, enrolment.enrol, second.code, 1, "fr")
    assert result.status == RedeemStatus.ALREADY_ENROLLED
    [(_, kind, params)] = notices(db, after)
    assert kind == "welcome" and params["already"] is True
    assert enrolment.redeem_invite(db, second.code, 2, "fr", clock).status == RedeemStatus.ENROLLED


def test_a_bad_code_records_one_refusal_in_the_strangers_language(db, clock):
    result = act(db, clock, enrolment.enrol, "NOTACODE", 77, "en-US")
    assert result.status == RedeemStatus.INVALID
    assert notices(db) == [(77, "say", {"key": "refusal.invite", "values": {}})]
    [notice] = outbox.unsent(db)
    assert notice.language == "en" and notice.person_id is None


def test_choosing_a_language_keeps_it_and_says_so_in_that_language(db, clock):
    issued = enrolment.create_invite(db, Role.OFFICER, "Agent Tremblay", clock, TTL)
    person = enrolment.redeem_invite(db, issued.code, 5, "fr", clock).person
    assert person is not None
    updated = act(db, clock, enrolment.choose_language, person.id, "en")
    assert updated.language == "en"
    assert people.get(db, person.id).language == "en"
    [notice] = outbox.unsent(db)
    assert (notice.chat_id, notice.language, notice.params["key"]) == (5, "en", "lang.set")
