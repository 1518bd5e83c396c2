"""Each use case in one unit of work, on SQLite and PostgreSQL, with an injected clock: the
state it changes and the notices it records in the outbox (who gets which kind, with the
values that matter), committed together; a use case that raises leaves neither."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from flows import consultations as cs
from flows import escalation, handover, offers, people, relaying, views
from flows import events as event_log
from flows.consultations import AcceptStatus, DraftStatus
from flows.escalation import DeclineStatus
from flows.handover import HandoverStatus
from flows.models import Consultation, InboxUpdate, Offer, OutboxNotice, RelayedMessage
from flows.outbox import Notice
from flows.people import PersonView
from flows.relaying import Incoming, RelayStatus
from flows.store import Database
from flows.unit import Unit, unit_of_work
from flows.vocabulary import (
    Category,
    ConsultationState,
    EventKind,
    NoticeKind,
    OfferState,
    Presence,
    Priority,
    Role,
    Tier,
    Urgency,
)
from tests.support.clock import FakeClock
from tests.support.messages import card_shown, delivered, location, send, text
from tests.support.people import POLICY, enrol
from tests.support.units import act, last_notice_id, notices, recorded


def drafted(db, clock, officer, words="Homme en crise sur le pont"):
    c = act(db, clock, relaying.open_draft, officer.id, words)
    act(db, clock, cs.set_category, officer.id, c.id, Category.SUICIDE_RISK)
    return c


def submitted(db, clock, officer, urgency=Urgency.IMMEDIATE) -> cs.SubmitResult:
    c = drafted(db, clock, officer)
    return act(db, clock, cs.submit, officer.id, c.id, urgency, POLICY)


def accepted(db, clock, officer, worker) -> int:
    cid = submitted(db, clock, officer).consultation.id
    assert act(db, clock, cs.accept, worker.id, cid, POLICY).status == AcceptStatus.ACCEPTED
    return cid


def who(sent: list[Notice]) -> list[tuple[int, NoticeKind]]:
    return [(n.chat_id, n.kind) for n in sent]


def said(n: Notice) -> tuple[int, str, dict]:
    assert n.kind == NoticeKind.SAY
    return n.chat_id, n.params["key"], n.params["values"]


def kinds(db, cid) -> list[EventKind]:
    return [e.kind for e in event_log.timeline(db, cid)]


def row(db, cid) -> dict:
    with db.unit_of_work() as session:
        c = session.get_one(Consultation, cid)
        return {
            "state": c.state,
            "tier": c.tier,
            "worker_id": c.worker_id,
            "due": c.escalation_due_at,
            "accepted_at": c.accepted_at,
        }


def offers_of(db, cid) -> dict[int, OfferState]:
    with db.unit_of_work() as session:
        found = session.scalars(select(Offer).where(Offer.consultation_id == cid))
        return {o.worker_id: o.state for o in found}


# --- submit --------------------------------------------------------------------------------


def test_submit_with_two_available_workers_cards_each_and_tells_the_officer(
    any_db: Database, clock: FakeClock
):
    officer = enrol(any_db, clock, Role.OFFICER, "Agent Tremblay")
    roy = enrol(any_db, clock, Role.WORKER, "Marie Roy", available=True)
    gagnon = enrol(any_db, clock, Role.WORKER, "Luc Gagnon", available=True)
    c = drafted(any_db, clock, officer)
    clock.advance(seconds=30)
    before = last_notice_id(any_db)
    result = act(any_db, clock, cs.submit, officer.id, c.id, Urgency.IMMEDIATE, POLICY, 77)
    assert result.status == DraftStatus.OK
    assert row(any_db, c.id) == {
        "state": ConsultationState.WAITING,
        "tier": Tier.AVAILABLE,
        "worker_id": None,
        "due": clock() + POLICY.window(Urgency.IMMEDIATE),
        "accepted_at": None,
    }
    assert offers_of(any_db, c.id) == {roy.id: OfferState.OPEN, gagnon.id: OfferState.OPEN}
    sent = recorded(any_db, before)
    assert who(sent) == [
        (officer.chat_id, NoticeKind.SUBMITTED),
        (roy.chat_id, NoticeKind.OFFER_CARD),
        (gagnon.chat_id, NoticeKind.OFFER_CARD),
        (officer.chat_id, NoticeKind.TOP_THREE),
    ]
    line, *cards, top = sent
    assert (line.edit_message_id, line.priority) == (77, Priority.URGENT)  # the urgency question
    assert line.params["available_now"] == 2
    assert line.params["consultation"].state == ConsultationState.WAITING
    assert line.params["consultation"].submitted_at == clock()
    assert [(n.params["offer_id"], n.params["tier"]) for n in cards] == [
        (o.offer_id, Tier.AVAILABLE) for o in result.offers
    ]
    assert all(n.priority == Priority.URGENT for n in cards)  # an immediate request
    assert [n.params["at_capacity"] or n.params["window_ran_out"] for n in cards] == [False] * 2
    assert top.params["consultation"].id == c.id
    assert kinds(any_db, c.id)[-3:] == [EventKind.SUBMITTED, EventKind.OFFERED, EventKind.OFFERED]


def test_submit_with_nobody_available_escalates_at_once_to_the_supervisors(
    any_db: Database, clock: FakeClock
):
    officer = enrol(any_db, clock, Role.OFFICER, "Agent Tremblay")
    enrol(any_db, clock, Role.WORKER, "Off Duty")
    chief = enrol(any_db, clock, Role.SUPERVISOR, "Anne Lavoie")
    c = drafted(any_db, clock, officer)
    before = last_notice_id(any_db)
    result = act(any_db, clock, cs.submit, officer.id, c.id, Urgency.URGENT, POLICY)
    assert result.available_now == 0
    assert row(any_db, c.id)["tier"] == Tier.SUPERVISORS  # the empty wider pool is passed
    assert row(any_db, c.id)["due"] == clock() + POLICY.window(Urgency.URGENT)
    assert kinds(any_db, c.id)[-5:] == [
        EventKind.SUBMITTED,
        EventKind.NO_WORKER_AVAILABLE,
        EventKind.ESCALATED,
        EventKind.OFFERED,
        EventKind.ESCALATED,
    ]
    tiers = [
        e.data["tier"] for e in event_log.timeline(any_db, c.id) if e.kind == EventKind.ESCALATED
    ]
    assert tiers == [Tier.WIDER, Tier.SUPERVISORS]
    sent = recorded(any_db, before)
    assert who(sent) == [
        (officer.chat_id, NoticeKind.SUBMITTED),
        (chief.chat_id, NoticeKind.OFFER_CARD),
        (officer.chat_id, NoticeKind.TOP_THREE),
    ]
    assert sent[0].params["available_now"] == 0
    assert sent[0].params["consultation"].tier == Tier.SUPERVISORS
    assert sent[1].params["tier"] == Tier.SUPERVISORS
    assert sent[1].params["window_ran_out"] is False  # nobody could, not nobody did


def test_submit_with_nobody_at_all_gives_the_fallback_and_keeps_it_queued(
    any_db: Database, clock: FakeClock
):
    officer = enrol(any_db, clock, Role.OFFICER, "Agent Tremblay")
    c = drafted(any_db, clock, officer)
    before = last_notice_id(any_db)
    act(any_db, clock, cs.submit, officer.id, c.id, Urgency.ADVICE, POLICY)
    state = row(any_db, c.id)
    assert (state["state"], state["tier"]) == (ConsultationState.WAITING, Tier.FALLBACK)
    assert state["due"] == clock() + POLICY.requeue_every
    assert kinds(any_db, c.id)[-1] == EventKind.FALLBACK_GIVEN
    sent = recorded(any_db, before)
    assert who(sent) == [
        (officer.chat_id, NoticeKind.SUBMITTED),
        (officer.chat_id, NoticeKind.TOP_THREE),
    ]
    assert sent[0].params["available_now"] == 0


def test_a_worker_coming_on_gets_the_card_of_what_waits(any_db: Database, clock: FakeClock):
    officer = enrol(any_db, clock, Role.OFFICER, "Agent Tremblay")
    worker = enrol(any_db, clock, Role.WORKER, "Marie Roy")
    cid = submitted(any_db, clock, officer).consultation.id
    people.set_presence(any_db, worker.id, Presence.ON, clock, POLICY)
    before = last_notice_id(any_db)
    pending = act(any_db, clock, offers.offer_waiting_to, worker.id, POLICY)
    assert [p.consultation.id for p in pending] == [cid]
    assert offers_of(any_db, cid) == {worker.id: OfferState.OPEN}
    [card] = recorded(any_db, before)
    assert (card.chat_id, card.kind) == (worker.chat_id, NoticeKind.OFFER_CARD)
    assert (card.params["offer_id"], card.params["tier"]) == (
        pending[0].target.offer_id,
        Tier.FALLBACK,
    )


# --- accept and decline --------------------------------------------------------------------


def test_accept_tells_the_taker_the_officer_and_the_other_card_and_relays_the_queue(
    any_db: Database, clock: FakeClock
):
    officer = enrol(any_db, clock, Role.OFFICER, "Agent Tremblay")
    roy = enrol(any_db, clock, Role.WORKER, "Marie Roy", available=True)
    gagnon = enrol(any_db, clock, Role.WORKER, "Luc Gagnon", available=True)
    result = submitted(any_db, clock, officer)
    cid = result.consultation.id
    card_of = {o.worker.id: 500 + i for i, o in enumerate(result.offers)}
    for o in result.offers:
        card_shown(any_db, o.offer_id, o.worker.chat_id, card_of[o.worker.id])
    assert send(any_db, clock, officer, text(officer, 30, "il a un couteau")) == RelayStatus.QUEUE
    assert send(any_db, clock, officer, location(officer, 31, (45.5, -73.6))) == RelayStatus.QUEUE
    clock.advance(seconds=20)
    before = last_notice_id(any_db)
    taken = act(any_db, clock, cs.accept, gagnon.id, cid, POLICY, card_of[gagnon.id])
    assert taken.status == AcceptStatus.ACCEPTED
    state = row(any_db, cid)
    assert (state["state"], state["worker_id"], state["accepted_at"], state["due"]) == (
        ConsultationState.ACTIVE,
        gagnon.id,
        clock(),
        None,
    )
    assert offers_of(any_db, cid) == {
        roy.id: OfferState.TAKEN_BY_OTHER,
        gagnon.id: OfferState.TAKEN_BY_ME,
    }
    sent = recorded(any_db, before)
    assert who(sent) == [
        (gagnon.chat_id, NoticeKind.CARD),
        (gagnon.chat_id, NoticeKind.ACCEPTED),
        (gagnon.chat_id, NoticeKind.RELAY),
        (gagnon.chat_id, NoticeKind.RELAY),
        (officer.chat_id, NoticeKind.SAY),
        (roy.chat_id, NoticeKind.CARD),
    ]
    mine, intro, first, second, officer_told, theirs = sent  # no history: no briefing
    assert (mine.edit_message_id, mine.params["state"]) == (card_of[gagnon.id], "mine")
    assert (intro.priority, intro.consultation_id) == (Priority.URGENT, cid)
    assert [
        (n.params["message_id"], n.params["kind"], n.params["text"]) for n in (first, second)
    ] == [
        (30, "text", "il a un couteau"),
        (31, "location", None),
    ]
    assert {n.params["sender_name"] for n in (first, second)} == {"Agent Tremblay"}
    assert {n.params["chat_id"] for n in (first, second)} == {officer.chat_id}
    assert said(officer_told) == (
        officer.chat_id,
        "consult.accepted_key",  # the key question was still open: /key from now on
        {"ref": taken.consultation.reference, "worker": "Luc Gagnon"},
    )
    assert (theirs.edit_message_id, theirs.params["state"]) == (card_of[roy.id], "taken")
    assert theirs.params["consultation"].worker.id == gagnon.id
    assert kinds(any_db, cid)[-3:] == [
        EventKind.ACCEPTED,
        EventKind.MESSAGE_RELAYED,
        EventKind.MESSAGE_RELAYED,
    ]
    with any_db.unit_of_work() as session:
        assert relaying.queued_messages(session, cid) == []  # handed over once, not again


def test_a_late_accept_records_nothing_to_send(any_db: Database, clock: FakeClock):
    officer = enrol(any_db, clock, Role.OFFICER, "Agent Tremblay")
    roy = enrol(any_db, clock, Role.WORKER, "Marie Roy", available=True)
    gagnon = enrol(any_db, clock, Role.WORKER, "Luc Gagnon", available=True)
    cid = submitted(any_db, clock, officer).consultation.id
    act(any_db, clock, cs.accept, gagnon.id, cid, POLICY)
    before = last_notice_id(any_db)
    assert act(any_db, clock, cs.accept, roy.id, cid, POLICY, 501).status == AcceptStatus.TAKEN
    assert notices(any_db, before) == []  # the edge answers the button press itself
    assert row(any_db, cid)["worker_id"] == gagnon.id


def test_decline_rewrites_the_card_and_the_last_decline_makes_it_due_now(
    any_db: Database, clock: FakeClock
):
    officer = enrol(any_db, clock, Role.OFFICER, "Agent Tremblay")
    roy = enrol(any_db, clock, Role.WORKER, "Marie Roy", available=True)
    gagnon = enrol(any_db, clock, Role.WORKER, "Luc Gagnon", available=True)
    cid = submitted(any_db, clock, officer).consultation.id
    due = row(any_db, cid)["due"]
    clock.advance(seconds=10)
    before = last_notice_id(any_db)
    first = act(any_db, clock, escalation.decline, roy.id, cid, 501)
    assert (first.status, first.escalate_now) == (DeclineStatus.DECLINED, False)
    assert offers_of(any_db, cid) == {roy.id: OfferState.DECLINED, gagnon.id: OfferState.OPEN}
    assert row(any_db, cid)["due"] == due
    [card] = recorded(any_db, before)
    assert (card.chat_id, card.kind, card.edit_message_id) == (roy.chat_id, NoticeKind.CARD, 501)
    assert card.params["state"] == "declined"
    assert kinds(any_db, cid)[-1] == EventKind.DECLINED
    before = last_notice_id(any_db)
    last = act(any_db, clock, escalation.decline, gagnon.id, cid)
    assert (last.status, last.escalate_now) == (DeclineStatus.DECLINED, True)
    assert row(any_db, cid)["due"] == clock()  # everyone said no: no waiting out the window
    assert notices(any_db, before) == []  # no card message named: nothing to rewrite
    again = act(any_db, clock, escalation.decline, roy.id, cid, 501)
    assert again.status == DeclineStatus.NOT_OPEN
    assert notices(any_db, before) == []


# --- escalation ----------------------------------------------------------------------------


def test_a_timed_escalation_step_tells_the_officer_and_cards_the_supervisors(
    any_db: Database, clock: FakeClock
):
    officer = enrol(any_db, clock, Role.OFFICER, "Agent Tremblay")
    roy = enrol(any_db, clock, Role.WORKER, "Marie Roy", available=True)
    chief = enrol(any_db, clock, Role.SUPERVISOR, "Anne Lavoie")
    cid = submitted(any_db, clock, officer, Urgency.IMMEDIATE).consultation.id
    before = last_notice_id(any_db)
    clock.advance(seconds=59)
    assert escalation.escalate_due(any_db, clock, POLICY) == []  # not yet
    assert notices(any_db, before) == []
    clock.advance(seconds=1)
    [step] = escalation.escalate_due(any_db, clock, POLICY)
    assert (step.consultation.id, step.tier, step.fallback_now) == (cid, Tier.SUPERVISORS, False)
    assert row(any_db, cid)["tier"] == Tier.SUPERVISORS  # nobody new in the wider pool
    assert row(any_db, cid)["due"] == clock() + POLICY.window(Urgency.IMMEDIATE)
    assert offers_of(any_db, cid) == {roy.id: OfferState.OPEN, chief.id: OfferState.OPEN}
    sent = recorded(any_db, before)
    assert who(sent) == [
        (officer.chat_id, NoticeKind.ESCALATED),
        (chief.chat_id, NoticeKind.OFFER_CARD),
    ]
    line, card = sent
    assert line.priority == Priority.URGENT
    assert line.params["consultation"].tier == Tier.SUPERVISORS
    assert (card.params["tier"], card.params["window_ran_out"]) == (Tier.SUPERVISORS, True)
    assert card.params["offer_id"] == step.offers[0].offer_id
    before = last_notice_id(any_db)
    assert escalation.escalate_due(any_db, clock, POLICY) == []  # that step is taken
    assert notices(any_db, before) == []


def test_the_step_after_the_supervisors_gives_the_officer_the_fallback(
    any_db: Database, clock: FakeClock
):
    officer = enrol(any_db, clock, Role.OFFICER, "Agent Tremblay")
    enrol(any_db, clock, Role.SUPERVISOR, "Anne Lavoie")
    cid = submitted(any_db, clock, officer, Urgency.URGENT).consultation.id
    assert row(any_db, cid)["tier"] == Tier.SUPERVISORS
    clock.advance(minutes=3)
    before = last_notice_id(any_db)
    [step] = escalation.escalate_due(any_db, clock, POLICY)
    assert (step.tier, step.fallback_now, step.offers) == (Tier.FALLBACK, True, [])
    assert row(any_db, cid)["due"] == clock() + POLICY.requeue_every
    [line] = recorded(any_db, before)
    assert (line.chat_id, line.kind) == (officer.chat_id, NoticeKind.ESCALATED)
    clock.advance(minutes=5)
    before = last_notice_id(any_db)
    [again] = escalation.escalate_due(any_db, clock, POLICY)  # re-offered: the officer is
    assert (again.tier, again.fallback_now) == (Tier.FALLBACK, False)  # not told twice
    assert notices(any_db, before) == []


# --- relaying ------------------------------------------------------------------------------


def test_relaying_copies_each_side_to_the_other_with_sender_and_source(
    any_db: Database, clock: FakeClock
):
    officer = enrol(any_db, clock, Role.OFFICER, "Agent Tremblay")
    worker = enrol(any_db, clock, Role.WORKER, "Marie Roy", available=True)
    cid = accepted(any_db, clock, officer, worker)
    ref = views.get_view(any_db, cid).reference
    before = last_notice_id(any_db)
    assert send(any_db, clock, officer, text(officer, 40, "il se calme")) == RelayStatus.RELAY
    [copy] = recorded(any_db, before)
    assert (copy.chat_id, copy.kind, copy.consultation_id) == (
        worker.chat_id,
        NoticeKind.RELAY,
        cid,
    )
    assert copy.priority == Priority.URGENT  # an immediate consultation
    assert {k: copy.params[k] for k in ("sender_id", "sender_name", "recipient_name")} == {
        "sender_id": officer.id,
        "sender_name": "Agent Tremblay",
        "recipient_name": "Marie Roy",
    }
    assert (copy.params["chat_id"], copy.params["message_id"]) == (officer.chat_id, 40)
    assert (copy.params["kind"], copy.params["text"], copy.params["reference"]) == (
        "text",
        "il se calme",
        ref,
    )
    before = last_notice_id(any_db)
    photo = Incoming(worker.chat_id, 41, "photo", "la carte")
    routed = send(any_db, clock, worker, photo)
    assert (routed.status, routed.consultation.id, routed.guessed) == (
        RelayStatus.RELAY,
        cid,
        False,
    )
    [back] = recorded(any_db, before)
    assert (back.chat_id, back.kind) == (officer.chat_id, NoticeKind.RELAY)
    assert (back.params["sender_name"], back.params["chat_id"], back.params["message_id"]) == (
        "Marie Roy",
        worker.chat_id,
        41,
    )
    assert (back.params["kind"], back.params["text"]) == ("photo", "la carte")
    assert kinds(any_db, cid)[-2:] == [EventKind.MESSAGE_RELAYED, EventKind.MESSAGE_RELAYED]
    before = last_notice_id(any_db)
    assert send(any_db, clock, officer, text(officer, 40, "il se calme")) == RelayStatus.NONE
    assert notices(any_db, before) == []  # a replayed update is not relayed twice


def test_a_worker_with_two_cases_who_does_not_reply_is_told_where_it_went(
    any_db: Database, clock: FakeClock
):
    first_officer = enrol(any_db, clock, Role.OFFICER, "Agent Tremblay")
    second_officer = enrol(any_db, clock, Role.OFFICER, "Agent Côté")
    worker = enrol(any_db, clock, Role.WORKER, "Marie Roy", available=True)
    first = accepted(any_db, clock, first_officer, worker)
    second = accepted(any_db, clock, second_officer, worker)
    send(any_db, clock, first_officer, text(first_officer, 10, "un"))
    delivered(any_db, clock, NoticeKind.RELAY, worker.chat_id, [500])
    send(any_db, clock, second_officer, text(second_officer, 20, "deux"))
    delivered(any_db, clock, NoticeKind.RELAY, worker.chat_id, [600])
    before = last_notice_id(any_db)
    guessed = send(any_db, clock, worker, text(worker, 61, "sans réponse"))
    assert (guessed.consultation.id, guessed.guessed) == (second, True)  # the latest
    copy, told = recorded(any_db, before)
    assert (copy.chat_id, copy.kind, copy.consultation_id) == (
        second_officer.chat_id,
        NoticeKind.RELAY,
        second,
    )
    assert said(told) == (
        worker.chat_id,
        "relay.routed_to",
        {"ref": guessed.consultation.reference, "officer": "Agent Côté"},
    )
    assert told.params["reply_to"] == 61
    before = last_notice_id(any_db)
    by_reply = send(any_db, clock, worker, text(worker, 62, "pour le premier", reply_to=500))
    assert (by_reply.consultation.id, by_reply.guessed) == (first, False)
    assert who(recorded(any_db, before)) == [(first_officer.chat_id, NoticeKind.RELAY)]


def test_a_holder_with_nothing_open_or_an_unsupported_message_is_told_so(
    any_db: Database, clock: FakeClock
):
    officer = enrol(any_db, clock, Role.OFFICER, "Agent Tremblay")
    worker = enrol(any_db, clock, Role.WORKER, "Marie Roy", available=True)
    chief = enrol(any_db, clock, Role.SUPERVISOR, "Anne Lavoie")
    before = last_notice_id(any_db)
    assert send(any_db, clock, worker, text(worker, 1, "allô")).status == RelayStatus.ANSWERED
    assert [said(n) for n in recorded(any_db, before)] == [
        (worker.chat_id, "relay.nothing_open", {})
    ]
    before = last_notice_id(any_db)
    assert send(any_db, clock, chief, text(chief, 2, "allô")).status == RelayStatus.NONE
    assert notices(any_db, before) == []  # a supervisor holding nothing: the edge's help
    accepted(any_db, clock, officer, worker)
    before = last_notice_id(any_db)
    sticker = Incoming(worker.chat_id, 3, None, None)
    assert send(any_db, clock, worker, sticker).status == RelayStatus.ANSWERED
    assert [said(n) for n in recorded(any_db, before)] == [
        (worker.chat_id, "relay.unsupported", {})
    ]


# --- drafts and the queue ------------------------------------------------------------------


def test_an_officers_words_open_a_draft_then_add_to_it_then_wait_in_the_queue(
    any_db: Database, clock: FakeClock
):
    officer = enrol(any_db, clock, Role.OFFICER, "Agent Tremblay")
    before = last_notice_id(any_db)
    assert send(any_db, clock, officer, text(officer, 1, "Homme sur le pont")) == RelayStatus.NONE
    [ask] = recorded(any_db, before)
    assert (ask.chat_id, ask.kind, ask.priority) == (
        officer.chat_id,
        NoticeKind.PROMPT,
        Priority.URGENT,
    )
    c = ask.params["consultation"]
    assert (c.state, c.request_text, c.category) == (
        ConsultationState.DRAFT,
        "Homme sur le pont",
        None,
    )

    before = last_notice_id(any_db)
    assert send(any_db, clock, officer, text(officer, 2, "il pleut")) == RelayStatus.DRAFT
    [kept] = recorded(any_db, before)  # the category question is still on screen: not again
    assert said(kept) == (officer.chat_id, "consult.draft_kept", {"ref": c.reference})
    draft = views.get_view(any_db, c.id)
    assert draft is not None and draft.request_text == "Homme sur le pont\nil pleut"

    before = last_notice_id(any_db)
    assert send(any_db, clock, officer, location(officer, 3, (45.5, -73.6))) == RelayStatus.DRAFT
    assert who(recorded(any_db, before)) == [(officer.chat_id, NoticeKind.SAY)]
    assert kinds(any_db, c.id)[-1] == EventKind.MESSAGE_QUEUED  # not text: kept for the worker

    before = last_notice_id(any_db)
    chosen = act(any_db, clock, cs.set_category, officer.id, c.id, Category.SUICIDE_RISK, 9)
    assert chosen.status == DraftStatus.OK
    [ask] = recorded(any_db, before)
    assert (ask.kind, ask.edit_message_id) == (NoticeKind.PROMPT, 9)  # now the urgency
    assert ask.params["consultation"].category == Category.SUICIDE_RISK

    act(any_db, clock, cs.submit, officer.id, c.id, Urgency.URGENT, POLICY)
    before = last_notice_id(any_db)
    assert send(any_db, clock, officer, text(officer, 4, "il s'assoit")) == RelayStatus.QUEUE
    [queued] = recorded(any_db, before)
    assert said(queued) == (officer.chat_id, "consult.queued", {"ref": c.reference})
    assert kinds(any_db, c.id)[-1] == EventKind.MESSAGE_QUEUED


def test_consult_opens_a_draft_once(any_db: Database, clock: FakeClock):
    officer = enrol(any_db, clock, Role.OFFICER, "Agent Tremblay")
    before = last_notice_id(any_db)
    act(any_db, clock, relaying.consult, officer.id, "Femme au métro")
    [ask] = recorded(any_db, before)
    assert (ask.kind, ask.params["consultation"].request_text) == (
        NoticeKind.PROMPT,
        "Femme au métro",
    )
    before = last_notice_id(any_db)
    act(any_db, clock, relaying.consult, officer.id, "encore")
    [again] = recorded(any_db, before)
    ref = ask.params["consultation"].reference
    assert said(again) == (officer.chat_id, "consult.already_open", {"ref": ref})
    assert views.open_consultation_of_officer(any_db, officer.id).request_text == "Femme au métro"


# --- hand-overs ----------------------------------------------------------------------------


def held_with_a_message(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Agent Tremblay")
    roy = enrol(db, clock, Role.WORKER, "Marie Roy", available=True)
    nadeau = enrol(db, clock, Role.WORKER, "Anne Nadeau", available=True)
    chief = enrol(db, clock, Role.SUPERVISOR, "Anne Lavoie")
    cid = accepted(db, clock, officer, roy)
    send(db, clock, officer, text(officer, 40, "il se calme"))
    return cid, officer, roy, nadeau, chief


def test_transfer_hands_it_over_and_tells_everyone_concerned(any_db: Database, clock: FakeClock):
    cid, officer, roy, nadeau, _chief = held_with_a_message(any_db, clock)
    act(any_db, clock, handover.ask_transfer, roy.id, cid, "connaît la famille", POLICY)
    before = last_notice_id(any_db)
    moved = act(any_db, clock, handover.transfer, roy.id, cid, nadeau.id, POLICY, 88)
    assert moved.status == HandoverStatus.DONE
    assert (row(any_db, cid)["worker_id"], row(any_db, cid)["state"]) == (
        nadeau.id,
        ConsultationState.ACTIVE,
    )
    assert kinds(any_db, cid)[-1] == EventKind.TRANSFERRED
    sent = recorded(any_db, before)
    assert who(sent) == [
        (roy.chat_id, NoticeKind.SAY),
        (nadeau.chat_id, NoticeKind.HANDED_OVER),
        (nadeau.chat_id, NoticeKind.BRIEFING),
        (officer.chat_id, NoticeKind.SAY),
    ]
    done, card, briefing, officer_told = sent
    ref = moved.consultation.reference
    assert said(done) == (roy.chat_id, "handover.done", {"ref": ref, "worker": "Anne Nadeau"})
    assert done.edit_message_id == 88  # the 'to whom?' question becomes the answer
    assert (card.params["note"], card.params["by_name"], card.params["by_self"]) == (
        "connaît la famille",
        "Marie Roy",
        False,
    )
    assert [(h["sender_name"], h["message_id"]) for h in briefing.params["history"]] == [
        ("Agent Tremblay", 40)
    ]
    assert said(officer_told) == (
        officer.chat_id,
        "handover.officer",
        {"ref": ref, "worker": "Anne Nadeau"},
    )


def test_take_over_gives_it_to_the_supervisor_and_tells_the_previous_holder(
    any_db: Database, clock: FakeClock
):
    cid, officer, roy, _nadeau, chief = held_with_a_message(any_db, clock)
    before = last_notice_id(any_db)
    taken = act(any_db, clock, handover.take_over, chief.id, cid)
    assert taken.status == HandoverStatus.DONE
    assert row(any_db, cid)["worker_id"] == chief.id
    assert kinds(any_db, cid)[-1] == EventKind.TAKEN_OVER
    sent = recorded(any_db, before)
    assert who(sent) == [
        (chief.chat_id, NoticeKind.HANDED_OVER),
        (chief.chat_id, NoticeKind.BRIEFING),
        (officer.chat_id, NoticeKind.SAY),
        (roy.chat_id, NoticeKind.SAY),
    ]
    card, briefing, officer_told, previous = sent
    assert (card.params["by_self"], card.params["by_name"]) == (True, "Anne Lavoie")
    assert len(briefing.params["history"]) == 1
    ref = taken.consultation.reference
    assert said(officer_told) == (
        officer.chat_id,
        "handover.officer",
        {"ref": ref, "worker": "Anne Lavoie"},
    )
    assert said(previous) == (
        roy.chat_id,
        "handover.previous",
        {"ref": ref, "worker": "Anne Lavoie"},
    )


def test_taking_over_a_waiting_one_settles_the_cards_and_relays_the_queue(
    any_db: Database, clock: FakeClock
):
    officer = enrol(any_db, clock, Role.OFFICER, "Agent Tremblay")
    roy = enrol(any_db, clock, Role.WORKER, "Marie Roy", available=True)
    chief = enrol(any_db, clock, Role.SUPERVISOR, "Anne Lavoie")
    result = submitted(any_db, clock, officer)
    cid = result.consultation.id
    card_shown(any_db, result.offers[0].offer_id, roy.chat_id, 501)
    send(any_db, clock, officer, text(officer, 30, "il a un couteau"))
    before = last_notice_id(any_db)
    act(any_db, clock, handover.take_over, chief.id, cid)
    state = row(any_db, cid)
    assert (state["state"], state["worker_id"], state["due"]) == (
        ConsultationState.ACTIVE,
        chief.id,
        None,
    )
    assert offers_of(any_db, cid) == {roy.id: OfferState.TAKEN_BY_OTHER}
    sent = recorded(any_db, before)
    assert who(sent) == [
        (chief.chat_id, NoticeKind.HANDED_OVER),
        (chief.chat_id, NoticeKind.RELAY),
        (officer.chat_id, NoticeKind.SAY),
        (roy.chat_id, NoticeKind.CARD),
    ]
    assert sent[1].params["message_id"] == 30
    assert (sent[3].edit_message_id, sent[3].params["state"]) == (501, "taken")


def test_reassign_gives_it_to_a_worker_and_tells_the_previous_holder(
    any_db: Database, clock: FakeClock
):
    cid, officer, roy, nadeau, chief = held_with_a_message(any_db, clock)
    before = last_notice_id(any_db)
    given = act(any_db, clock, handover.reassign, chief.id, cid, nadeau.id, POLICY, 99)
    assert given.status == HandoverStatus.DONE
    assert row(any_db, cid)["worker_id"] == nadeau.id
    assert kinds(any_db, cid)[-1] == EventKind.REASSIGNED
    sent = recorded(any_db, before)
    assert who(sent) == [
        (chief.chat_id, NoticeKind.SAY),
        (nadeau.chat_id, NoticeKind.HANDED_OVER),
        (nadeau.chat_id, NoticeKind.BRIEFING),
        (officer.chat_id, NoticeKind.SAY),
        (roy.chat_id, NoticeKind.SAY),
    ]
    done, card, _briefing, officer_told, previous = sent
    ref = given.consultation.reference
    assert said(done) == (chief.chat_id, "handover.done", {"ref": ref, "worker": "Anne Nadeau"})
    assert done.edit_message_id == 99
    assert (card.params["by_name"], card.params["by_self"]) == ("Anne Lavoie", False)
    assert said(officer_told)[1:] == ("handover.officer", {"ref": ref, "worker": "Anne Nadeau"})
    assert said(previous) == (
        roy.chat_id,
        "handover.previous",
        {"ref": ref, "worker": "Anne Nadeau"},
    )


# --- crash safety --------------------------------------------------------------------------


class Crash(Exception):
    pass


def accept_then_crash(unit: Unit, worker_id: int, cid: int) -> None:
    cs.accept(unit, worker_id, cid, POLICY, 501)
    raise Crash


def relay_then_crash(unit: Unit, officer: PersonView, message: Incoming) -> None:
    relaying.from_officer(unit, officer, message)
    raise Crash


def test_a_use_case_that_raises_leaves_no_notice_and_no_change(any_db: Database, clock: FakeClock):
    officer = enrol(any_db, clock, Role.OFFICER, "Agent Tremblay")
    worker = enrol(any_db, clock, Role.WORKER, "Marie Roy", available=True)
    cid = submitted(any_db, clock, officer).consultation.id
    send(any_db, clock, officer, text(officer, 30, "il a un couteau"))
    events = kinds(any_db, cid)
    before = last_notice_id(any_db)
    with pytest.raises(Crash):
        act(any_db, clock, accept_then_crash, worker.id, cid)
    assert notices(any_db, before) == []
    assert row(any_db, cid)["state"] == ConsultationState.WAITING
    assert row(any_db, cid)["worker_id"] is None
    assert offers_of(any_db, cid) == {worker.id: OfferState.OPEN}
    assert kinds(any_db, cid) == events
    with any_db.unit_of_work() as session:
        assert [q.source_message_id for q in relaying.queued_messages(session, cid)] == [30]
    retried = act(any_db, clock, cs.accept, worker.id, cid, POLICY, 501)  # the retry works
    assert retried.status == AcceptStatus.ACCEPTED
    assert [q.source_message_id for q in retried.queued_messages] == [30]


def test_a_relay_that_raises_is_relayed_when_its_update_is_replayed(
    any_db: Database, clock: FakeClock
):
    officer = enrol(any_db, clock, Role.OFFICER, "Agent Tremblay")
    worker = enrol(any_db, clock, Role.WORKER, "Marie Roy", available=True)
    cid = accepted(any_db, clock, officer, worker)
    message = text(officer, 40, "il se calme")
    with any_db.unit_of_work() as session:
        session.add(InboxUpdate(update_id=7, payload="{}", received_at=clock()))
    events = kinds(any_db, cid)
    before = last_notice_id(any_db)
    with pytest.raises(Crash), unit_of_work(any_db, clock, update_id=7) as unit:
        relay_then_crash(unit, officer, message)
    assert notices(any_db, before) == []
    assert kinds(any_db, cid) == events
    with any_db.unit_of_work() as session:
        assert session.get_one(InboxUpdate, 7).handled_at is None  # still to handle
        linked = session.scalars(
            select(RelayedMessage).where(RelayedMessage.source_message_id == 40)
        ).all()
        assert linked == []  # not 'already taken': the replay relays it
    clock.advance(seconds=1)
    with unit_of_work(any_db, clock, update_id=7) as unit:
        assert relaying.from_officer(unit, officer, message) == RelayStatus.RELAY
    assert who(recorded(any_db, before)) == [(worker.chat_id, NoticeKind.RELAY)]
    with any_db.unit_of_work() as session:
        assert session.get_one(InboxUpdate, 7).handled_at == clock()


def test_time_comes_from_the_injected_clock(any_db: Database, clock: FakeClock):
    officer = enrol(any_db, clock, Role.OFFICER, "Agent Tremblay")
    worker = enrol(any_db, clock, Role.WORKER, "Marie Roy", available=True)
    start = clock()
    cid = submitted(any_db, clock, officer).consultation.id
    clock.advance(minutes=7)
    act(any_db, clock, cs.accept, worker.id, cid, POLICY)
    view = views.get_view(any_db, cid)
    assert (view.submitted_at, view.accepted_at) == (start, start + timedelta(minutes=7))
    with any_db.unit_of_work() as session:
        times = session.scalars(select(OutboxNotice.created_at).order_by(OutboxNotice.id)).all()
    assert set(times) == {start, start + timedelta(minutes=7)}
