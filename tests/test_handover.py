"""Hand-overs that have nothing to do: to the person who already holds the consultation, of
one that is closed or does not exist. Nothing is recorded and nobody is told again; a typed
command is answered about the reference typed, a button as a button."""

from __future__ import annotations

from bot.i18n import t
from bot.render import answers
from flows import consultations as cs
from flows import events as event_log
from flows import handover, relaying
from flows.handover import HandoverStatus
from flows.store import Database
from flows.vocabulary import Category, EventKind, Role, Urgency
from tests.support.clock import FakeClock
from tests.support.people import POLICY, enrol
from tests.support.units import act, last_notice_id, notices

OFFICER, ROY, NADEAU, CHIEF = 7_000_001, 7_000_002, 7_000_003, 7_000_004


def team(db: Database, clock: FakeClock):
    officer = enrol(db, clock, Role.OFFICER, "Agent Tremblay", telegram_user_id=OFFICER)
    roy = enrol(db, clock, Role.WORKER, "Marie Roy", telegram_user_id=ROY, available=True)
    nadeau = enrol(db, clock, Role.WORKER, "Anne Nadeau", telegram_user_id=NADEAU, available=True)
    chief = enrol(db, clock, Role.SUPERVISOR, "Anne Lavoie", telegram_user_id=CHIEF)
    return officer, roy, nadeau, chief


def held(db: Database, clock: FakeClock, officer, worker) -> int:
    draft = act(db, clock, relaying.open_draft, officer.id, "Homme en crise sur le pont")
    act(db, clock, cs.set_category, officer.id, draft.id, Category.SUICIDE_RISK)
    cid = act(db, clock, cs.submit, officer.id, draft.id, Urgency.IMMEDIATE, POLICY).consultation.id
    assert act(db, clock, cs.accept, worker.id, cid, POLICY).status == cs.AcceptStatus.ACCEPTED
    return cid


def closed(db: Database, clock: FakeClock, officer, worker) -> int:
    cid = held(db, clock, officer, worker)
    act(db, clock, cs.close, worker, cid, POLICY)
    return cid


def kinds(db: Database, cid: int) -> list[EventKind]:
    return [e.kind for e in event_log.timeline(db, cid)]


def said(db: Database, after: int) -> list[tuple[int, str, dict]]:
    return [(chat, p["key"], p["values"]) for chat, _kind, p in notices(db, after)]


def test_a_second_takeover_by_the_holder_records_nothing_and_tells_nobody_again(db, clock):
    officer, roy, _nadeau, chief = team(db, clock)
    cid = held(db, clock, officer, roy)
    assert act(db, clock, handover.take_over, chief.id, cid, typed=True).status == "done"
    events, before = kinds(db, cid), last_notice_id(db)
    again = act(db, clock, handover.take_over, chief.id, cid, typed=True)
    assert again.status == HandoverStatus.ALREADY_HOLDER
    assert kinds(db, cid) == events
    assert said(db, before) == [(CHIEF, "handover.already_yours", {"ref": "C-0001"})]


def test_a_takeover_button_pressed_again_is_answered_and_says_nothing_else(db, clock):
    officer, roy, _nadeau, chief = team(db, clock)
    cid = held(db, clock, officer, roy)
    act(db, clock, handover.take_over, chief.id, cid)
    before = last_notice_id(db)
    again = act(db, clock, handover.take_over, chief.id, cid)
    assert again.status == HandoverStatus.ALREADY_HOLDER
    assert notices(db, before) == []  # the button's answer says it
    answer = answers.handover_refusal("en", again, chief)
    assert answer.text == "You already handle C-0001. Nothing was changed."


def test_reassigning_to_the_current_holder_changes_nothing(db, clock):
    officer, roy, _nadeau, chief = team(db, clock)
    cid = held(db, clock, officer, roy)
    events, before = kinds(db, cid), last_notice_id(db)
    same = act(db, clock, handover.reassign, chief.id, cid, roy.id, POLICY, 99)
    assert same.status == HandoverStatus.ALREADY_HOLDER
    assert kinds(db, cid) == events and notices(db, before) == []
    answer = answers.handover_refusal("fr", same, chief)
    assert answer.text == "C-0001 est déjà suivie par Marie Roy. Rien n'a été modifié."


def test_a_transfer_to_oneself_changes_nothing(db, clock):
    officer, roy, _nadeau, _chief = team(db, clock)
    cid = held(db, clock, officer, roy)
    events, before = kinds(db, cid), last_notice_id(db)
    same = act(db, clock, handover.transfer, roy.id, cid, roy.id, POLICY)
    assert same.status == HandoverStatus.ALREADY_HOLDER
    assert kinds(db, cid) == events and notices(db, before) == []


def test_a_typed_takeover_of_an_unknown_reference_names_it(db, clock):
    _officer, _roy, _nadeau, chief = team(db, clock)
    refused = act(db, clock, handover.take_over, chief.id, 9999, typed=True)
    assert refused.status == HandoverStatus.NOT_FOUND
    assert said(db, 0)[-1] == (CHIEF, "handover.no_such", {"ref": "C-9999"})
    assert t("en", "handover.no_such", ref="C-9999") == "No consultation C-9999."


def test_a_typed_transfer_says_whether_the_reference_is_unknown_not_theirs_or_closed(db, clock):
    officer, roy, nadeau, _chief = team(db, clock)
    cid = held(db, clock, officer, roy)
    gone = closed(db, clock, enrol(db, clock, Role.OFFICER, "Agent B"), nadeau)
    before = last_notice_id(db)
    assert act(db, clock, handover.ask_transfer, nadeau.id, cid, "", POLICY) is None
    assert act(db, clock, handover.ask_transfer, nadeau.id, 9999, "", POLICY) is None
    assert act(db, clock, handover.ask_transfer, nadeau.id, gone, "", POLICY) is None
    assert said(db, before) == [
        (NADEAU, "handover.not_yours", {"ref": "C-0001"}),
        (NADEAU, "handover.no_such", {"ref": "C-9999"}),
        (NADEAU, "handover.closed", {"ref": "C-0002"}),
    ]
    assert t("en", "handover.not_yours", ref="C-0001") == "C-0001 is not yours."
    assert t("fr", "handover.not_yours", ref="C-0001") == "C-0001 n'est pas à vous."


def test_a_transfer_button_that_is_not_theirs_is_refused_as_a_button(db, clock):
    officer, roy, nadeau, _chief = team(db, clock)
    cid = held(db, clock, officer, roy)
    before = last_notice_id(db)
    act(db, clock, handover.ask_transfer, nadeau.id, cid, "", POLICY, typed=False)
    assert said(db, before) == [(NADEAU, "callback.invalid", {})]
    forged = act(db, clock, handover.transfer, nadeau.id, 9999, roy.id, POLICY)
    assert answers.handover_refusal("en", forged, nadeau).text == t("en", "callback.invalid")


def test_reassign_of_an_unknown_or_closed_consultation_shows_no_picker(db, clock):
    officer, roy, _nadeau, chief = team(db, clock)
    gone = closed(db, clock, officer, roy)
    before = last_notice_id(db)
    assert act(db, clock, handover.ask_reassign, chief.id, 9999, POLICY) is None
    assert act(db, clock, handover.ask_reassign, chief.id, gone, POLICY) is None
    assert said(db, before) == [
        (CHIEF, "handover.no_such", {"ref": "C-9999"}),
        (CHIEF, "handover.closed", {"ref": "C-0001"}),
    ]
    assert t("en", "handover.closed", ref="C-0001") == "C-0001 is closed."
