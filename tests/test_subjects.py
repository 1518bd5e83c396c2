"""People seen before, through the use cases, on SQLite and PostgreSQL: the subject key given
and corrected, the history on the offer card, the recurring flag at its threshold, case
owners and owner-first routing, the care plan shown to the next handler, follow-ups aimed at
the person or the family, and every view recorded."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from flows import cases, conversation, escalation, messages, people, relaying
from flows import consultations as cs
from flows import followups as fu
from flows.cases import CaseStatus, KeyStatus
from flows.models import Offer, Subject, SubjectEvent, SubjectLink
from flows.subject_keys import hash_of
from flows.subjects import Seen, SubjectHistory, subject_of
from flows.vocabulary import (
    Category,
    ConsultationState,
    InputKind,
    NoticeKind,
    Outcome,
    Plan,
    Presence,
    Role,
    Tier,
    Urgency,
)
from tests.support.followups import FU_POLICY, MTL
from tests.support.messages import card_shown, text
from tests.support.people import POLICY, enrol
from tests.support.units import act, last_notice_id, notices

KEY = "JT 1987"


def team(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Agent Julie Tremblay")
    roy = enrol(db, clock, Role.WORKER, "Marie Roy", available=True)
    gagnon = enrol(db, clock, Role.WORKER, "Luc Gagnon", available=True)
    return officer, roy, gagnon


def about(db, clock, officer, key=KEY, urgency=Urgency.URGENT, category=Category.MENTAL_HEALTH):
    """A request about the person with this key (given before the urgency), submitted."""
    c = act(db, clock, relaying.open_draft, officer.id, "Homme agité sur son balcon")
    act(db, clock, cs.set_category, officer.id, c.id, category)
    if key is not None:
        assert act(db, clock, cases.give_key, officer.id, key, POLICY).status == KeyStatus.LINKED
    return act(db, clock, cs.submit, officer.id, c.id, urgency, POLICY)


def handled(db, clock, officer, worker, key=KEY, outcome=Outcome.REFERRED, **kw):
    """A consultation about this person, accepted by worker, closed with an outcome."""
    result = about(db, clock, officer, key, **kw)
    cid = result.consultation.id
    act(db, clock, cs.accept, worker.id, cid, POLICY)
    act(db, clock, cs.close, worker, cid, POLICY)
    act(db, clock, cs.record_outcome, worker.id, cid, outcome)
    return cid


def offer_cards(db, before):
    return [(chat, p) for chat, kind, p in notices(db, before) if kind == NoticeKind.OFFER_CARD]


def seen(db, kind, actor_id=None):
    with db.unit_of_work() as session:
        rows = session.scalars(select(SubjectEvent).where(SubjectEvent.kind == kind)).all()
        return [(r.actor_id, r.subject_id, r.consultation_id) for r in rows
                if actor_id is None or r.actor_id == actor_id]  # fmt: skip


def subject_id_of(db, cid):
    with db.unit_of_work() as session:
        return subject_of(session, cid)


# --- the key ------------------------------------------------------------------------------


def test_only_the_keyed_hash_is_stored(any_db, clock):
    officer, _, _ = team(any_db, clock)
    cid = about(any_db, clock, officer).consultation.id
    with any_db.unit_of_work() as session:
        subject = session.scalars(select(Subject)).one()
        assert subject.key_hash == hash_of(KEY, POLICY.subjects.secret)
        assert session.get_one(SubjectLink, cid).subject_id == subject.id
    for table in ("subjects", "subject_links", "subject_events", "events", "outbox"):
        with any_db.engine.connect() as conn:
            dump = str(conn.exec_driver_sql(f"SELECT * FROM {table}").fetchall())
        assert "JT 1987" not in dump and "I:JT:1987" not in dump, table


def test_an_officer_types_the_key_while_the_draft_waits_for_its_urgency(any_db, clock):
    officer, _, _ = team(any_db, clock)
    c = act(any_db, clock, relaying.open_draft, officer.id, "Femme désorientée")
    act(any_db, clock, cs.set_category, officer.id, c.id, Category.ELDER)
    before = last_notice_id(any_db)
    receipt = act(
        any_db, clock, messages.receive, officer.telegram_user_id, text(officer, 5, "t.j. 1987"),
        FU_POLICY, POLICY,
    )  # fmt: skip
    assert receipt.heard == messages.Heard.AWAITED
    assert subject_id_of(any_db, c.id) is not None
    said = [p["key"] for _, kind, p in notices(any_db, before) if kind == NoticeKind.SAY]
    assert said == ["subject.noted_draft"]
    view = act(any_db, clock, lambda unit: relaying.view_in(unit.session, unit.session.get(
        relaying.Consultation, c.id)))  # fmt: skip
    assert view.request_text == "Femme désorientée"  # the key is not the officer's words


def test_words_that_are_not_a_key_are_added_to_the_draft_as_usual(any_db, clock):
    officer, _, _ = team(any_db, clock)
    c = act(any_db, clock, relaying.open_draft, officer.id, "Femme désorientée")
    act(any_db, clock, cs.set_category, officer.id, c.id, Category.ELDER)
    message = text(officer, 5, "Elle a 80 ans")
    act(any_db, clock, messages.receive, officer.telegram_user_id, message, FU_POLICY, POLICY)
    assert subject_id_of(any_db, c.id) is None
    with any_db.unit_of_work() as session:
        assert session.get_one(relaying.Consultation, c.id).request_text.endswith("Elle a 80 ans")


def test_without_a_key_the_request_goes_out_at_once_and_asks_for_it_after(any_db, clock):
    officer, _, _ = team(any_db, clock)
    before = last_notice_id(any_db)
    result = about(any_db, clock, officer, key=None, urgency=Urgency.IMMEDIATE)
    assert result.consultation.state == ConsultationState.WAITING
    assert len(offer_cards(any_db, before)) == 2
    [submitted] = [p for _, kind, p in notices(any_db, before) if kind == NoticeKind.SUBMITTED]
    assert submitted["ask_key"] is True
    cid = result.consultation.id
    # The key comes as the case waits: the cards already out are rewritten with the history.
    with any_db.unit_of_work() as session:
        offers = session.scalars(select(Offer).where(Offer.consultation_id == cid)).all()
    for offer, message_id in zip(offers, (70, 71), strict=True):
        card_shown(any_db, offer.id, 1, message_id)
    before = last_notice_id(any_db)
    receipt = act(
        any_db, clock, messages.receive, officer.telegram_user_id, text(officer, 9, "JT 1987"),
        FU_POLICY, POLICY,
    )  # fmt: skip
    assert receipt.heard == messages.Heard.AWAITED
    rewritten = [(n[2]["tier"], n[2]["history"]) for n in notices(any_db, before)
                 if n[1] == NoticeKind.SUBJECT_CARD]  # fmt: skip
    assert len(rewritten) == 2
    assert all(isinstance(h, SubjectHistory) and h.count == 0 for _, h in rewritten)


def test_after_the_key_question_a_message_that_is_no_key_is_queued_for_the_worker(any_db, clock):
    officer, _, _ = team(any_db, clock)
    cid = about(any_db, clock, officer, key=None, urgency=Urgency.IMMEDIATE).consultation.id
    before = last_notice_id(any_db)
    message = text(officer, 9, "Il a un couteau")
    act(any_db, clock, messages.receive, officer.telegram_user_id, message, FU_POLICY, POLICY)
    said = [p["key"] for _, kind, p in notices(any_db, before) if kind == NoticeKind.SAY]
    assert said == ["consult.queued"]
    assert subject_id_of(any_db, cid) is None


@pytest.mark.parametrize("number", ["514-555-0123", "(438) 555-0199", "+1 514 555 0123"])
def test_a_phone_number_typed_after_the_key_question_is_queued_for_the_worker(
    any_db, clock, number
):
    """A number to call is the officer's words for the worker, never hashed away as a file
    number (a file number written as one is still taken: the next test)."""
    officer, _, _ = team(any_db, clock)
    cid = about(any_db, clock, officer, key=None, urgency=Urgency.IMMEDIATE).consultation.id
    before = last_notice_id(any_db)
    message = text(officer, 9, number)
    receipt = act(
        any_db, clock, messages.receive, officer.telegram_user_id, message, FU_POLICY, POLICY
    )
    assert receipt.heard == messages.Heard.DONE
    said = [p["key"] for _, kind, p in notices(any_db, before) if kind == NoticeKind.SAY]
    assert said == ["consult.queued"]
    assert subject_id_of(any_db, cid) is None


def test_a_file_number_typed_after_the_key_question_is_the_key(any_db, clock):
    officer, _, _ = team(any_db, clock)
    cid = about(any_db, clock, officer, key=None, urgency=Urgency.IMMEDIATE).consultation.id
    message = text(officer, 9, "2024-012345")
    receipt = act(
        any_db, clock, messages.receive, officer.telegram_user_id, message, FU_POLICY, POLICY
    )
    assert receipt.heard == messages.Heard.AWAITED
    assert subject_id_of(any_db, cid) is not None


def test_once_a_worker_holds_the_case_a_line_that_reads_as_a_key_is_relayed(any_db, clock):
    """The key question stays open after an immediate request; a phone number typed once the
    worker has the case is meant for the worker, not taken for a file number."""
    officer, roy, _ = team(any_db, clock)
    cid = about(any_db, clock, officer, key=None, urgency=Urgency.IMMEDIATE).consultation.id
    act(any_db, clock, cs.accept, roy.id, cid, POLICY)
    before = last_notice_id(any_db)
    message = text(officer, 9, "514-555-0123")
    receipt = act(
        any_db, clock, messages.receive, officer.telegram_user_id, message, FU_POLICY, POLICY
    )
    assert receipt.heard == messages.Heard.DONE
    assert subject_id_of(any_db, cid) is None
    relayed = [chat for chat, kind, _ in notices(any_db, before) if kind == NoticeKind.RELAY]
    assert relayed == [roy.telegram_user_id]


def test_at_the_accept_the_key_question_ends_and_the_officer_is_told_to_use_key(any_db, clock):
    """The invitation to type the key must not outlive the accept: from then on the
    officer's lines are the worker's, and the key goes by /key."""
    officer, roy, _ = team(any_db, clock)
    cid = about(any_db, clock, officer, key=None, urgency=Urgency.IMMEDIATE).consultation.id
    before = last_notice_id(any_db)
    act(any_db, clock, cs.accept, roy.id, cid, POLICY)
    said = [p.get("key") for chat, _, p in notices(any_db, before) if chat == officer.chat_id]
    assert "consult.accepted_key" in said
    with any_db.unit_of_work() as session:
        assert conversation.pending(session, officer.id, clock()) is None


def test_one_tap_skips_the_key_and_later_text_is_never_taken_for_one(any_db, clock):
    officer, _, _ = team(any_db, clock)
    cid = about(any_db, clock, officer, key=None, urgency=Urgency.IMMEDIATE).consultation.id
    assert act(any_db, clock, cases.skip_key, officer.id, cid, 44)
    message = text(officer, 9, "AB 1990")
    act(any_db, clock, messages.receive, officer.telegram_user_id, message, FU_POLICY, POLICY)
    assert subject_id_of(any_db, cid) is None
    someone_else = enrol(any_db, clock, Role.OFFICER, "Agent Autre")
    assert not act(any_db, clock, cases.skip_key, someone_else.id, cid, 44)


def test_the_holder_adds_or_corrects_the_key_and_gets_the_history(any_db, clock):
    officer, roy, gagnon = team(any_db, clock)
    earlier = handled(any_db, clock, officer, gagnon, key="AB 1970")
    cid = about(any_db, clock, officer, key=KEY).consultation.id
    act(any_db, clock, cs.accept, roy.id, cid, POLICY)
    before = last_notice_id(any_db)
    result = act(any_db, clock, cases.give_key, roy.id, "ba 1970", POLICY)
    assert result.status == KeyStatus.CORRECTED
    assert subject_id_of(any_db, cid) == subject_id_of(any_db, earlier)
    [history] = [p["history"] for chat, kind, p in notices(any_db, before)
                 if kind == NoticeKind.SUBJECT_HISTORY and chat == roy.chat_id]  # fmt: skip
    assert history.count == 1 and history.last_handler == "Luc Gagnon"
    assert act(any_db, clock, cases.give_key, roy.id, "BA 1970", POLICY).status == KeyStatus.SAME
    assert act(any_db, clock, cases.give_key, roy.id, "bonjour", POLICY).status == (
        KeyStatus.NOT_A_KEY
    )
    assert seen(any_db, Seen.KEY_CORRECTED) == [(roy.id, subject_id_of(any_db, cid), cid)]


@pytest.mark.parametrize("number", ["514-555-0123", "(438) 555-0199", "+1 514 555 0123"])
def test_key_refuses_a_phone_number_as_the_typed_key_does(any_db, clock, number):
    """/key 514-555-0123 is a number to call, not a file number: nothing is linked, and the
    giver reads what a key is (the officer and the holder alike)."""
    officer, roy, _ = team(any_db, clock)
    cid = about(any_db, clock, officer, key=None, urgency=Urgency.IMMEDIATE).consultation.id
    act(any_db, clock, cs.accept, roy.id, cid, POLICY)
    for giver in (officer, roy):
        before = last_notice_id(any_db)
        result = act(any_db, clock, cases.give_key, giver.id, number, POLICY)
        assert result.status == KeyStatus.NOT_A_KEY
        said = [p["key"] for chat, kind, p in notices(any_db, before) if kind == NoticeKind.SAY]
        assert said == ["subject.not_a_key"]
    assert subject_id_of(any_db, cid) is None
    assert act(any_db, clock, cases.give_key, roy.id, "2024-012345", POLICY).status == (
        KeyStatus.LINKED
    )


def test_a_bare_key_command_gets_the_usage_hint_with_or_without_an_open_case(any_db, clock):
    officer, roy, _ = team(any_db, clock)
    cid = handled(any_db, clock, officer, roy)  # closed: nothing open any more
    for person in (officer, roy):
        for raw in ("", "  "):
            before = last_notice_id(any_db)
            result = act(any_db, clock, cases.give_key, person.id, raw, POLICY)
            assert result.status == KeyStatus.NOT_A_KEY
            said = [p["key"] for _, kind, p in notices(any_db, before) if kind == NoticeKind.SAY]
            assert said == ["subject.not_a_key"]
    assert act(any_db, clock, cases.give_key, officer.id, "AB 1970", POLICY).status == (
        KeyStatus.NOTHING_OPEN
    )
    assert subject_id_of(any_db, cid) is not None


# --- history on the offer card -------------------------------------------------------------


def test_the_offer_card_tells_the_persons_history(any_db, clock):
    officer, roy, gagnon = team(any_db, clock)
    handled(any_db, clock, officer, gagnon, outcome=Outcome.REFERRED)
    clock.advance(days=20)
    last = handled(any_db, clock, officer, roy, outcome=Outcome.HANDED_TO_FAMILY,
                   category=Category.SUBSTANCE)  # fmt: skip
    act(any_db, clock, fu.plan, roy.id, last, Plan.DAYS_3, MTL)
    clock.advance(days=5)
    handled(any_db, clock, officer, roy, key="ZZ 2000")  # someone else
    before = last_notice_id(any_db)
    cid = about(any_db, clock, officer).consultation.id
    cards = offer_cards(any_db, before)
    assert {chat for chat, _ in cards} == {roy.chat_id, gagnon.chat_id}
    history = cards[0][1]["history"]
    assert history.count == 2
    assert history.last_reference == f"C-{last:04d}"
    assert history.last_category == Category.SUBSTANCE
    assert history.last_outcome == Outcome.HANDED_TO_FAMILY
    assert history.last_followup == "pending"
    assert history.last_handler == "Marie Roy"
    assert history.care_plan is False and history.owner is None
    assert history.last_at == clock.now - timedelta(days=5)
    viewed = seen(any_db, Seen.HISTORY_VIEWED)
    assert (roy.id, subject_id_of(any_db, cid), cid) in viewed
    assert (gagnon.id, subject_id_of(any_db, cid), cid) in viewed


def test_history_looks_back_twelve_months_only(any_db, clock):
    officer, roy, _ = team(any_db, clock)
    handled(any_db, clock, officer, roy)
    clock.advance(days=366)
    before = last_notice_id(any_db)
    about(any_db, clock, officer)
    assert all(p["history"].count == 0 for _, p in offer_cards(any_db, before))


def test_a_card_about_nobody_known_has_no_history(any_db, clock):
    officer, _, _ = team(any_db, clock)
    before = last_notice_id(any_db)
    about(any_db, clock, officer, key=None)
    assert all("history" not in p for _, p in offer_cards(any_db, before))
    assert seen(any_db, Seen.HISTORY_VIEWED) == []


# --- recurring --------------------------------------------------------------------------


def test_three_consultations_in_ninety_days_flag_the_person_as_recurring(any_db, clock):
    officer, roy, gagnon = team(any_db, clock)
    supervisor = enrol(any_db, clock, Role.SUPERVISOR, "Chef Lavoie")
    handled(any_db, clock, officer, roy)
    clock.advance(days=40)
    before = last_notice_id(any_db)
    second = handled(any_db, clock, officer, roy)
    assert offer_cards(any_db, before)[0][1]["history"].recurring is False
    assert act(any_db, clock, cases.list_recurring, supervisor.id, POLICY).entries == []
    clock.advance(days=40)
    before = last_notice_id(any_db)
    handled(any_db, clock, officer, gagnon, category=Category.SUBSTANCE)
    history = offer_cards(any_db, before)[0][1]["history"]
    assert history.recurring is True and history.recent == 3
    [entry] = act(any_db, clock, cases.list_recurring, supervisor.id, POLICY).entries
    assert entry.subject_id == subject_id_of(any_db, second)
    assert entry.count == 3 and entry.last_at == clock.now
    assert entry.categories == ["mental_health", "substance"]
    assert entry.owner is None and entry.care_plan is False
    clock.advance(days=11)  # the first one is now 91 days old
    assert act(any_db, clock, cases.list_recurring, supervisor.id, POLICY).entries == []


def test_the_recurring_threshold_and_window_are_settings(any_db, clock):
    officer, roy, _ = team(any_db, clock)
    supervisor = enrol(any_db, clock, Role.SUPERVISOR, "Chef Lavoie")
    handled(any_db, clock, officer, roy)
    clock.advance(days=10)
    handled(any_db, clock, officer, roy)
    two_in_a_week = replace(POLICY, subjects=replace(POLICY.subjects, recurring_count=2))
    assert len(act(any_db, clock, cases.list_recurring, supervisor.id, two_in_a_week).entries) == 1
    short = replace(POLICY, subjects=replace(POLICY.subjects, recurring_count=2, recurring_days=7))
    assert act(any_db, clock, cases.list_recurring, supervisor.id, short).entries == []


def test_a_worker_lists_only_the_recurring_people_they_may_see(any_db, clock):
    officer, roy, gagnon = team(any_db, clock)
    people.set_presence(any_db, gagnon.id, Presence.OFF, clock, POLICY)
    for _ in range(3):
        handled(any_db, clock, officer, roy)
    assert len(act(any_db, clock, cases.list_recurring, roy.id, POLICY).entries) == 1
    assert act(any_db, clock, cases.list_recurring, gagnon.id, POLICY).entries == []
    assert seen(any_db, Seen.RECURRING_VIEWED, roy.id)


# --- ownership and owner-first routing -------------------------------------------------


def owned_by(db, clock, officer, owner):
    cid = handled(db, clock, officer, owner)
    sid = subject_id_of(db, cid)
    assert act(db, clock, cases.take_case, owner.id, sid).status == CaseStatus.OK
    return sid


def test_the_next_consultation_goes_first_to_the_owner_when_available(any_db, clock):
    officer, roy, gagnon = team(any_db, clock)
    owned_by(any_db, clock, officer, roy)
    before = last_notice_id(any_db)
    result = about(any_db, clock, officer, urgency=Urgency.URGENT)
    assert [o.worker.id for o in result.offers] == [roy.id]
    window = POLICY.window(Urgency.URGENT)
    assert result.next_due == clock.now + window / 2  # inside the same window
    [submitted] = [p for _, kind, p in notices(any_db, before) if kind == NoticeKind.SUBMITTED]
    assert submitted["owner_first"] is True
    submitted_at = clock.now
    clock.advance(seconds=window.total_seconds() / 2)
    [step] = escalation.escalate_due(any_db, clock, POLICY)
    assert step.tier == Tier.AVAILABLE  # the first pool, not yet the wider one
    assert [o.worker.id for o in step.offers] == [gagnon.id]
    assert step.next_due == submitted_at + window
    before = last_notice_id(any_db)
    act(any_db, clock, cs.accept, roy.id, result.consultation.id, POLICY)
    said = [p["key"] for chat, kind, p in notices(any_db, before)
            if kind == NoticeKind.SAY and chat == officer.chat_id]  # fmt: skip
    assert said == ["cases.owner_accepted"]


def test_the_owner_declining_hands_the_consultation_to_the_first_pool_at_once(any_db, clock):
    officer, roy, gagnon = team(any_db, clock)
    owned_by(any_db, clock, officer, roy)
    cid = about(any_db, clock, officer).consultation.id
    assert act(any_db, clock, escalation.decline, roy.id, cid).escalate_now
    [step] = escalation.escalate_due(any_db, clock, POLICY)
    assert [o.worker.id for o in step.offers] == [gagnon.id] and step.tier == Tier.AVAILABLE


def test_an_owner_who_is_not_available_gets_no_head_start(any_db, clock):
    officer, roy, gagnon = team(any_db, clock)
    owned_by(any_db, clock, officer, roy)
    people.set_presence(any_db, roy.id, Presence.OFF, clock, POLICY)
    third = enrol(any_db, clock, Role.WORKER, "Ana Pereira", available=True)
    before = last_notice_id(any_db)
    result = about(any_db, clock, officer)
    assert [o.worker.id for o in result.offers] == [gagnon.id, third.id]
    assert result.next_due == clock.now + POLICY.window(Urgency.URGENT)
    [submitted] = [p for _, kind, p in notices(any_db, before) if kind == NoticeKind.SUBMITTED]
    assert "owner_first" not in submitted
    before = last_notice_id(any_db)
    act(any_db, clock, cs.accept, gagnon.id, result.consultation.id, POLICY)
    said = [p["key"] for chat, kind, p in notices(any_db, before)
            if kind == NoticeKind.SAY and chat == officer.chat_id]  # fmt: skip
    assert said == ["consult.accepted"]


def test_a_case_is_taken_given_up_and_handed_to_a_colleague(any_db, clock):
    officer, roy, gagnon = team(any_db, clock)
    sid = owned_by(any_db, clock, officer, roy)
    assert act(any_db, clock, cases.take_case, roy.id, sid).status == CaseStatus.ALREADY
    assert act(any_db, clock, cases.give_up_case, gagnon.id, sid).status == CaseStatus.REFUSED
    assert act(any_db, clock, cases.hand_case, gagnon.id, sid, gagnon.id).status == (
        CaseStatus.REFUSED
    )
    before = last_notice_id(any_db)
    assert act(any_db, clock, cases.hand_case, roy.id, sid, gagnon.id).status == CaseStatus.OK
    told = {(chat, p["key"]) for chat, kind, p in notices(any_db, before) if kind == "say"}
    assert told == {(roy.chat_id, "case.handed"), (gagnon.chat_id, "case.handed_to_you")}
    with any_db.unit_of_work() as session:
        assert session.get_one(Subject, sid).owner_id == gagnon.id
    assert act(any_db, clock, cases.give_up_case, gagnon.id, sid).status == CaseStatus.OK
    with any_db.unit_of_work() as session:
        assert session.get_one(Subject, sid).owner_id is None
    kinds = [k for k in (Seen.OWNER_TAKEN, Seen.OWNER_HANDED, Seen.OWNER_GIVEN_UP)
             if seen(any_db, k)]  # fmt: skip
    assert len(kinds) == 3


# --- the care plan ----------------------------------------------------------------------


def write(db, clock, owner, sid, part, words):
    assert act(db, clock, cases.edit_care_plan, owner.id, sid, part).status == CaseStatus.OK
    message = text(owner, 100 + part, words)
    act(db, clock, messages.receive, owner.telegram_user_id, message, FU_POLICY, POLICY)


def test_the_owner_writes_a_versioned_care_plan(any_db, clock):
    officer, roy, gagnon = team(any_db, clock)
    sid = owned_by(any_db, clock, officer, roy)
    write(any_db, clock, roy, sid, 0, "Parler doucement, lui proposer un café")
    clock.advance(hours=1)
    write(any_db, clock, roy, sid, 3, "Appeler sa sœur avant toute chose")
    with any_db.unit_of_work() as session:
        versions = cases.plan_versions(session, sid)
    assert [(v.version, v.changed, v.author) for v in versions] == [
        (1, "what_works", "Marie Roy"),
        (2, "crisis_plan", "Marie Roy"),
    ]
    assert versions[1].what_works == "Parler doucement, lui proposer un café"
    assert versions[1].crisis_plan == "Appeler sa sœur avant toute chose"
    assert versions[1].at == clock.now
    assert act(any_db, clock, cases.edit_care_plan, gagnon.id, sid, 0).status == (
        CaseStatus.REFUSED
    )


def test_the_care_plan_is_shown_to_whoever_handles_the_next_consultation(any_db, clock):
    officer, roy, gagnon = team(any_db, clock)
    sid = owned_by(any_db, clock, officer, roy)
    write(any_db, clock, roy, sid, 2, "Garde un couteau dans la cuisine")
    people.set_presence(any_db, roy.id, Presence.OFF, clock, POLICY)
    cid = about(any_db, clock, officer).consultation.id
    before = last_notice_id(any_db)
    act(any_db, clock, cs.accept, gagnon.id, cid, POLICY)
    [plan] = [p for chat, kind, p in notices(any_db, before)
              if kind == NoticeKind.CARE_PLAN and chat == gagnon.chat_id]  # fmt: skip
    assert plan["plan"].risks == "Garde un couteau dans la cuisine"
    assert plan["plan"].version == 1 and plan["editable"] is False
    assert (gagnon.id, sid, cid) in seen(any_db, Seen.CARE_PLAN_VIEWED)


# --- follow-ups aimed at the person or the family --------------------------------------


def test_a_follow_up_aimed_at_the_family_shows_on_the_case(any_db, clock):
    officer, roy, gagnon = team(any_db, clock)
    cid = handled(any_db, clock, officer, roy)
    planned = act(any_db, clock, fu.plan, roy.id, cid, Plan.HOURS_24, MTL)
    fid = planned.followup.id
    assert not act(any_db, clock, cases.aim_followup, gagnon.id, fid, "family")
    assert act(any_db, clock, cases.aim_followup, roy.id, fid, "family")
    act(any_db, clock, messages.receive, roy.telegram_user_id,
        text(roy, 200, "Appeler la mère demain"), FU_POLICY, POLICY)  # fmt: skip
    before = last_notice_id(any_db)
    sid = subject_id_of(any_db, cid)
    assert act(any_db, clock, cases.show_case, roy.id, sid, POLICY).status == CaseStatus.OK
    [case] = [p for _, kind, p in notices(any_db, before) if kind == NoticeKind.CASE]
    [line] = case["followups"]
    assert (line.aimed_at, line.note, line.done) == ("family", "Appeler la mère demain", False)
    assert case["lines"][0].reference == f"C-{cid:04d}"
    assert (roy.id, sid, None) in seen(any_db, Seen.CASE_VIEWED)


# --- who may see what ---------------------------------------------------------------------


def test_each_forbidden_read_is_refused(any_db, clock):
    officer, roy, gagnon = team(any_db, clock)
    people.set_presence(any_db, gagnon.id, Presence.OFF, clock, POLICY)
    sid = owned_by(any_db, clock, officer, roy)  # gagnon was never offered it
    write(any_db, clock, roy, sid, 0, "Le calme")
    supervisor = enrol(any_db, clock, Role.SUPERVISOR, "Chef Lavoie")
    other_officer = enrol(any_db, clock, Role.OFFICER, "Agent Autre")
    before = len(seen(any_db, Seen.CASE_VIEWED)) + len(seen(any_db, Seen.CARE_PLAN_VIEWED))
    for person in (officer, other_officer, gagnon):
        assert act(any_db, clock, cases.show_case, person.id, sid, POLICY).status == (
            CaseStatus.REFUSED
        )
        assert act(any_db, clock, cases.show_care_plan, person.id, sid, POLICY).status == (
            CaseStatus.REFUSED
        )
        assert act(any_db, clock, cases.take_case, person.id, sid).status == CaseStatus.REFUSED
        assert act(any_db, clock, cases.ask_hand, person.id, sid).status == CaseStatus.REFUSED
    for person in (officer, other_officer):
        assert act(any_db, clock, cases.list_recurring, person.id, POLICY).status == (
            CaseStatus.REFUSED
        )
    after = len(seen(any_db, Seen.CASE_VIEWED)) + len(seen(any_db, Seen.CARE_PLAN_VIEWED))
    assert after == before  # nothing was shown, nothing recorded as viewed
    assert act(any_db, clock, cases.show_case, supervisor.id, sid, POLICY).status == CaseStatus.OK
    assert act(any_db, clock, cases.show_care_plan, supervisor.id, sid, POLICY).status == (
        CaseStatus.OK
    )
    assert act(any_db, clock, cases.show_case, roy.id, sid, POLICY).status == CaseStatus.OK


def test_an_officer_never_sees_a_history_even_when_giving_the_key(any_db, clock):
    officer, roy, _ = team(any_db, clock)
    owned_by(any_db, clock, officer, roy)
    before = last_notice_id(any_db)
    about(any_db, clock, officer)
    to_officer = [(kind, p) for chat, kind, p in notices(any_db, before) if chat == officer.chat_id]
    assert all("history" not in p and kind not in (NoticeKind.CASE, NoticeKind.CARE_PLAN,
               NoticeKind.SUBJECT_HISTORY) for kind, p in to_officer)  # fmt: skip


def test_an_unknown_case_answers_as_a_forbidden_one_but_to_supervisors(any_db, clock):
    """Trying references must not tell a worker which people are on record."""
    officer, roy, gagnon = team(any_db, clock)
    people.set_presence(any_db, gagnon.id, Presence.OFF, clock, POLICY)
    sid = owned_by(any_db, clock, officer, roy)  # gagnon was never offered it
    supervisor = enrol(any_db, clock, Role.SUPERVISOR, "Chef Lavoie")
    show = cases.show_case
    assert act(any_db, clock, show, gagnon.id, sid, POLICY).status == CaseStatus.REFUSED
    assert act(any_db, clock, show, gagnon.id, sid + 1, POLICY).status == CaseStatus.REFUSED
    assert act(any_db, clock, show, supervisor.id, sid + 1, POLICY).status == CaseStatus.UNKNOWN


def test_a_worker_offered_a_consultation_may_then_see_that_persons_case(any_db, clock):
    officer, roy, gagnon = team(any_db, clock)
    people.set_presence(any_db, gagnon.id, Presence.OFF, clock, POLICY)
    sid = subject_id_of(any_db, handled(any_db, clock, officer, roy))
    assert act(any_db, clock, cases.show_case, gagnon.id, sid, POLICY).status == (
        CaseStatus.REFUSED
    )
    people.set_presence(any_db, gagnon.id, Presence.ON, clock, POLICY)
    about(any_db, clock, officer)  # offered to both
    assert act(any_db, clock, cases.show_case, gagnon.id, sid, POLICY).status == CaseStatus.OK


def test_a_typed_care_plan_answer_waits_only_for_its_owner(any_db, clock):
    officer, roy, _ = team(any_db, clock)
    sid = owned_by(any_db, clock, officer, roy)
    act(any_db, clock, cases.edit_care_plan, roy.id, sid, 1)
    act(any_db, clock, cases.give_up_case, roy.id, sid)
    before = last_notice_id(any_db)
    message = text(roy, 300, "Sa sœur : 514-555-0000")
    act(any_db, clock, messages.receive, roy.telegram_user_id, message, FU_POLICY, POLICY)
    said = [p["key"] for _, kind, p in notices(any_db, before) if kind == NoticeKind.SAY]
    assert said == ["case.not_owner"]
    with any_db.unit_of_work() as session:
        assert cases.current_plan(session, sid) is None
        assert cases.conversation.pending(session, roy.id, clock.now) is None
    assert InputKind.CARE_PLAN_FIELD.value == "care_plan_field"


def test_a_colleague_given_the_consultation_gets_the_history_and_the_care_plan(any_db, clock):
    from flows import handover

    officer, roy, gagnon = team(any_db, clock)
    sid = owned_by(any_db, clock, officer, roy)
    write(any_db, clock, roy, sid, 1, "Sa sœur, le soir")
    cid = about(any_db, clock, officer).consultation.id
    act(any_db, clock, cs.accept, roy.id, cid, POLICY)
    before = last_notice_id(any_db)
    act(any_db, clock, handover.transfer, roy.id, cid, gagnon.id, POLICY)
    to_gagnon = {kind: p for chat, kind, p in notices(any_db, before) if chat == gagnon.chat_id}
    assert to_gagnon[NoticeKind.SUBJECT_HISTORY]["history"].count == 1
    assert to_gagnon[NoticeKind.CARE_PLAN]["plan"].who_to_call == "Sa sœur, le soir"
    assert (gagnon.id, sid, cid) in seen(any_db, Seen.CARE_PLAN_VIEWED)
