"""Call me / I'm calling you, as use cases on both databases: a number goes to the other
side only from someone who gave one (invite or own contact), the answer gives the caller
the other's number, each is an event, and without a number the person is told how to add
one. Numbers are parsed and kept in E.164."""

from __future__ import annotations

from datetime import timedelta

import pytest

from flows import calls, enrolment, phones, relaying
from flows import consultations as cs
from flows import events as event_log
from flows.calls import CallStatus
from flows.phones import PhoneStatus
from flows.vocabulary import Category, EventKind, NoticeKind, Role, Urgency
from tests.support.clock import FakeClock
from tests.support.people import POLICY, enrol
from tests.support.units import act, last_notice_id, notices


def _active(db, clock, officer, worker) -> int:
    c = act(db, clock, relaying.open_draft, officer.id, "Homme en crise")
    act(db, clock, cs.set_category, officer.id, c.id, Category.SUICIDE_RISK)
    act(db, clock, cs.submit, officer.id, c.id, Urgency.IMMEDIATE, POLICY)
    act(db, clock, cs.accept, worker.id, c.id, POLICY)
    return c.id


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("514 555 0123", "+15145550123"),
        ("(514) 555-0123", "+15145550123"),
        ("+1 514 555 0123", "+15145550123"),
        ("15145550123", "+15145550123"),  # a Telegram contact: international, no "+"
        ("+33 6 12 34 56 78", "+33612345678"),
        ("123", None),
        ("not a number", None),
        ("", None),
    ],
)
def test_numbers_are_read_as_a_person_writes_them_and_kept_in_e164(raw, expected):
    assert phones.normalise(raw, "CA") == expected


def test_call_me_sends_my_number_to_the_other_side_both_ways(any_db, clock: FakeClock):
    officer = enrol(any_db, clock, Role.OFFICER, "Julie Tremblay")
    worker = enrol(any_db, clock, Role.WORKER, "Marie Roy", available=True)
    cid = _active(any_db, clock, officer, worker)
    assert act(any_db, clock, phones.share, worker.id, "15145550123", "CA") == PhoneStatus.SAVED
    assert act(any_db, clock, phones.share, officer.id, "438 555 0199", "CA") == PhoneStatus.SAVED

    after = last_notice_id(any_db)
    assert act(any_db, clock, calls.call_me, worker.id, cid).status == CallStatus.REQUESTED
    sent = notices(any_db, after)
    request = next(p for chat, kind, p in sent if kind == NoticeKind.CALL_REQUEST)
    assert request["number"] == "+1 514-555-0123"
    assert [chat for chat, kind, _ in sent if kind == NoticeKind.CALL_REQUEST] == [officer.chat_id]
    told = [p["key"] for chat, kind, p in sent if chat == worker.chat_id]
    assert told == ["call.requested"]

    after = last_notice_id(any_db)
    assert act(any_db, clock, calls.calling_now, officer.id, cid).status == CallStatus.CALLING
    sent = notices(any_db, after)
    assert (worker.chat_id, "call.incoming") in [(c, p.get("key")) for c, _, p in sent]
    dial = next(p for c, _, p in sent if c == officer.chat_id)
    assert dial["key"] == "call.dial" and dial["values"]["number"] == "+1 514-555-0123"

    kinds = [(e.kind, e.data) for e in event_log.timeline(any_db, cid)]
    assert (EventKind.CALL_REQUESTED, {}) in kinds
    assert (EventKind.CALLING, {"answering": True}) in kinds  # answered the worker's request


def test_without_a_number_nothing_is_sent_and_the_person_is_told_how_to_add_one(
    any_db, clock: FakeClock
):
    officer = enrol(any_db, clock, Role.OFFICER, "Julie Tremblay")
    worker = enrol(any_db, clock, Role.WORKER, "Marie Roy", available=True)
    cid = _active(any_db, clock, officer, worker)
    after = last_notice_id(any_db)
    assert act(any_db, clock, calls.call_me, officer.id, cid).status == CallStatus.NO_NUMBER
    assert [(c, p["key"]) for c, _, p in notices(any_db, after)] == [
        (officer.chat_id, "call.no_number_mine")
    ]
    after = last_notice_id(any_db)
    assert act(any_db, clock, calls.calling_now, worker.id, cid).status == CallStatus.NO_NUMBER
    assert [(c, p["key"]) for c, _, p in notices(any_db, after)] == [
        (worker.chat_id, "call.no_number_theirs")
    ]
    assert not [e for e in event_log.timeline(any_db, cid) if e.kind in (EventKind.CALL_REQUESTED,)]


def test_no_call_before_a_worker_has_it_nor_for_someone_outside_it(any_db, clock: FakeClock):
    officer = enrol(any_db, clock, Role.OFFICER, "Julie Tremblay")
    worker = enrol(any_db, clock, Role.WORKER, "Marie Roy", available=True)
    other = enrol(any_db, clock, Role.WORKER, "Sam Wilson", available=True)
    act(any_db, clock, phones.share, officer.id, "514 555 0123", "CA")
    c = act(any_db, clock, relaying.open_draft, officer.id, "Homme en crise")
    assert act(any_db, clock, calls.call_me, officer.id, c.id).status == CallStatus.NOT_ACTIVE
    assert act(any_db, clock, calls.call_me, officer.id, None).status == CallStatus.NOT_ACTIVE
    act(any_db, clock, cs.set_category, officer.id, c.id, Category.SUICIDE_RISK)
    act(any_db, clock, cs.submit, officer.id, c.id, Urgency.IMMEDIATE, POLICY)
    act(any_db, clock, cs.accept, worker.id, c.id, POLICY)
    assert act(any_db, clock, calls.call_me, other.id, c.id).status == CallStatus.NOT_ACTIVE
    assert act(any_db, clock, calls.call_me, officer.id, None).status == CallStatus.REQUESTED


def test_a_call_on_a_closed_consultation_says_it_is_closed_with_its_reference(
    any_db, clock: FakeClock
):
    officer = enrol(any_db, clock, Role.OFFICER, "Julie Tremblay")
    worker = enrol(any_db, clock, Role.WORKER, "Marie Roy", available=True)
    other = enrol(any_db, clock, Role.WORKER, "Sam Wilson", available=True)
    act(any_db, clock, phones.share, officer.id, "514 555 0123", "CA")
    act(any_db, clock, phones.share, worker.id, "438 555 0199", "CA")
    cid = _active(any_db, clock, officer, worker)
    ref = act(any_db, clock, cs.close, worker, cid, POLICY).consultation.reference

    for person, use_case in [(officer, calls.call_me), (worker, calls.calling_now)]:
        after = last_notice_id(any_db)
        result = act(any_db, clock, use_case, person.id, cid)
        assert (result.status, result.consultation.reference) == (CallStatus.CLOSED, ref)
        said = [(chat, p["key"], p["values"]) for chat, _, p in notices(any_db, after)]
        assert said == [(person.chat_id, "call.closed", {"ref": ref})]  # nothing to the other
    # Someone who had no part in it learns nothing about it.
    assert act(any_db, clock, calls.call_me, other.id, cid).status == CallStatus.NOT_ACTIVE
    # Without a reference the officer has no active consultation: the general sentence.
    assert act(any_db, clock, calls.call_me, officer.id, None).status == CallStatus.NOT_ACTIVE


def test_a_number_on_the_invite_is_the_persons_once_enrolled_and_can_be_removed(
    any_db, clock: FakeClock
):
    issued = enrolment.create_invite(
        any_db, Role.WORKER, "Marie Roy", clock, timedelta(hours=1), "+15145550123"
    )
    person = enrolment.redeem_invite(any_db, issued.code, 4242, "fr", clock).person
    assert person is not None
    with any_db.unit_of_work() as session:
        assert phones.number_of(session, person.id) == "+15145550123"
    assert act(any_db, clock, phones.remove, person.id) == PhoneStatus.REMOVED
    assert act(any_db, clock, phones.remove, person.id) == PhoneStatus.NONE
    with any_db.unit_of_work() as session:
        assert phones.number_of(session, person.id) is None


def test_a_contact_without_a_usable_number_is_refused_clearly(any_db, clock: FakeClock):
    officer = enrol(any_db, clock, Role.OFFICER, "Julie Tremblay")
    after = last_notice_id(any_db)
    assert act(any_db, clock, phones.share, officer.id, "12", "CA") == PhoneStatus.INVALID
    assert [p["key"] for _, _, p in notices(any_db, after)] == ["phone.invalid"]
