"""Consultations in the domain: open, choose, submit and offer, accept (first wins), relay
routing, queueing before an accept, close and outcome; every step is an event."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from flows import consultations as cs
from flows import events, offers, people, relaying, views
from flows.consultations import AcceptStatus, CloseStatus, DraftStatus, OutcomeStatus
from flows.relaying import RelayStatus
from flows.store import Database
from flows.vocabulary import (
    Category,
    ConsultationState,
    EventKind,
    NoticeKind,
    Outcome,
    Presence,
    Role,
    Tier,
    Urgency,
)
from tests.support.clock import FakeClock
from tests.support.messages import card_shown, delivered, location, send, text
from tests.support.people import POLICY, enrol
from tests.support.units import act, last_notice_id, notices


def submitted(db, clock, officer, text="Homme en crise sur le pont", urgency=Urgency.IMMEDIATE):
    c = act(db, clock, relaying.open_draft, officer.id, text)
    act(db, clock, cs.set_category, officer.id, c.id, Category.SUICIDE_RISK)
    return act(db, clock, cs.submit, officer.id, c.id, urgency, POLICY)


def kinds(db, consultation_id):
    return [e.kind for e in events.timeline(db, consultation_id)]


def test_an_officers_words_open_a_draft_with_a_reference(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Agent Tremblay")
    c = act(db, clock, relaying.open_draft, officer.id, "Femme désorientée au métro")
    assert c.reference == f"C-{c.id:04d}"
    assert c.state == ConsultationState.DRAFT
    assert c.request_text == "Femme désorientée au métro"
    assert kinds(db, c.id) == [EventKind.CREATED]


def test_submitting_offers_the_request_to_every_available_worker_only(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Agent Tremblay")
    roy = enrol(db, clock, Role.WORKER, "Marie Roy", available=True)
    gagnon = enrol(db, clock, Role.WORKER, "Luc Gagnon", available=True)
    enrol(db, clock, Role.WORKER, "Off Duty")
    result = submitted(db, clock, officer)
    assert result.status == DraftStatus.OK
    assert [o.worker.id for o in result.offers] == [roy.id, gagnon.id]
    assert result.consultation is not None
    assert result.consultation.state == ConsultationState.WAITING
    assert kinds(db, result.consultation.id)[-3:] == [
        EventKind.SUBMITTED,
        EventKind.OFFERED,
        EventKind.OFFERED,
    ]


def test_with_nobody_available_the_request_waits_and_says_so(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Agent Tremblay")
    result = submitted(db, clock, officer)
    assert result.offers == []
    assert result.consultation is not None
    assert result.consultation.state == ConsultationState.WAITING
    assert result.consultation.tier == Tier.FALLBACK  # empty tiers are passed at once
    assert kinds(db, result.consultation.id)[-4:] == [
        EventKind.NO_WORKER_AVAILABLE,
        EventKind.ESCALATED,
        EventKind.ESCALATED,
        EventKind.FALLBACK_GIVEN,
    ]
    assert result.next_due == clock() + POLICY.requeue_every


def test_a_worker_coming_on_is_offered_what_is_waiting(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Agent Tremblay")
    worker = enrol(db, clock, Role.WORKER, "Marie Roy")
    result = submitted(db, clock, officer)
    people.set_presence(db, worker.id, Presence.ON, clock, POLICY)
    pending = act(db, clock, offers.offer_waiting_to, worker.id, POLICY)
    assert [p.consultation.id for p in pending] == [result.consultation.id]
    assert act(db, clock, offers.offer_waiting_to, worker.id, POLICY) == []  # never offered twice


def test_someone_elses_draft_cannot_be_changed(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Agent Tremblay")
    other = enrol(db, clock, Role.OFFICER, "Agent Côté")
    c = act(db, clock, relaying.open_draft, officer.id, "x")
    assert (
        act(db, clock, cs.set_category, other.id, c.id, Category.YOUTH).status
        == DraftStatus.NOT_YOURS
    )
    assert (
        act(db, clock, cs.submit, other.id, c.id, Urgency.ADVICE, POLICY).status
        == DraftStatus.NOT_YOURS
    )
    assert (
        act(db, clock, cs.submit, officer.id, 9999, Urgency.ADVICE, POLICY).status
        == DraftStatus.NOT_YOURS
    )


def test_a_submitted_request_cannot_be_submitted_again(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Agent Tremblay")
    result = submitted(db, clock, officer)
    again = act(db, clock, cs.submit, officer.id, result.consultation.id, Urgency.ADVICE, POLICY)
    assert again.status == DraftStatus.NO_LONGER_DRAFT


def test_the_first_accept_wins_and_the_others_learn_who_took_it(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Agent Tremblay")
    roy = enrol(db, clock, Role.WORKER, "Marie Roy", available=True)
    gagnon = enrol(db, clock, Role.WORKER, "Luc Gagnon", available=True)
    result = submitted(db, clock, officer)
    cid = result.consultation.id
    for offer in result.offers:
        card_shown(db, offer.offer_id, offer.worker.chat_id, 7)
    before = last_notice_id(db)
    first = act(db, clock, cs.accept, gagnon.id, cid, POLICY)
    assert first.status == AcceptStatus.ACCEPTED
    assert first.consultation.worker.id == gagnon.id
    assert [card.worker.id for card in first.other_cards] == [roy.id]
    cards = [(chat, p["state"]) for chat, kind, p in notices(db, before) if kind == NoticeKind.CARD]
    assert cards == [(roy.chat_id, "taken")]
    late = act(db, clock, cs.accept, roy.id, cid, POLICY)
    assert late.status == AcceptStatus.TAKEN
    assert late.consultation.worker.id == gagnon.id
    assert act(db, clock, cs.accept, gagnon.id, cid, POLICY).status == AcceptStatus.ALREADY_YOURS


def test_accepting_without_an_offer_is_refused_and_changes_nothing(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Agent Tremblay")
    enrol(db, clock, Role.WORKER, "Marie Roy", available=True)
    outsider = enrol(db, clock, Role.WORKER, "Not Offered")
    result = submitted(db, clock, officer)
    refused = act(db, clock, cs.accept, outsider.id, result.consultation.id, POLICY)
    assert refused.status == AcceptStatus.NOT_OFFERED
    assert views.get_view(db, result.consultation.id).state == ConsultationState.WAITING
    assert act(db, clock, cs.accept, outsider.id, 424242, POLICY).status == AcceptStatus.NOT_OFFERED


@pytest.mark.parametrize("workers", [2, 5])
def test_workers_accepting_at_the_same_instant_get_exactly_one_winner(any_db: Database, workers):
    clock = FakeClock()
    officer = enrol(any_db, clock, Role.OFFICER, "Agent Tremblay")
    team = [enrol(any_db, clock, Role.WORKER, f"W{i}", available=True) for i in range(workers)]
    for _round in range(25):
        result = submitted(any_db, clock, officer)
        cid = result.consultation.id
        barrier = threading.Barrier(workers)
        outcomes: list[AcceptStatus] = []

        def press(worker_id: int, cid: int = cid, barrier=barrier, outcomes=outcomes) -> None:
            barrier.wait()
            outcomes.append(act(any_db, clock, cs.accept, worker_id, cid, POLICY).status)

        threads = [threading.Thread(target=press, args=(w.id,)) for w in team]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert outcomes.count(AcceptStatus.ACCEPTED) == 1, outcomes
        assert outcomes.count(AcceptStatus.TAKEN) == workers - 1, outcomes
        assert kinds(any_db, cid).count(EventKind.ACCEPTED) == 1
        act(any_db, clock, cs.close, officer, cid, POLICY)


def test_officer_messages_before_an_accept_are_queued_and_handed_over_on_accept(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Agent Tremblay")
    worker = enrol(db, clock, Role.WORKER, "Marie Roy", available=True)
    result = submitted(db, clock, officer)
    cid = result.consultation.id
    before = last_notice_id(db)
    assert send(db, clock, officer, location(officer, 55, None)) == RelayStatus.QUEUE
    assert send(db, clock, officer, text(officer, 56, "il a un couteau")) == RelayStatus.QUEUE
    assert [(chat, kind) for chat, kind, _ in notices(db, before)] == [
        (officer.chat_id, NoticeKind.SAY),
        (officer.chat_id, NoticeKind.SAY),
    ]  # told it waits, and nothing reaches the worker yet
    assert kinds(db, cid)[-2:] == [EventKind.MESSAGE_QUEUED, EventKind.MESSAGE_QUEUED]
    accepted = act(db, clock, cs.accept, worker.id, cid, POLICY)
    assert [(q.source_message_id, q.kind, q.text) for q in accepted.queued_messages] == [
        (55, "location", None),
        (56, "text", "il a un couteau"),
    ]


def test_after_the_accept_each_side_relays_to_the_other(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Agent Tremblay")
    worker = enrol(db, clock, Role.WORKER, "Marie Roy", available=True)
    cid = submitted(db, clock, officer).consultation.id
    act(db, clock, cs.accept, worker.id, cid, POLICY)
    before = last_notice_id(db)
    assert send(db, clock, officer, text(officer, 40, "il se calme")) == RelayStatus.RELAY
    [(chat, kind, params)] = notices(db, before)
    assert (chat, kind, params["sender_id"]) == (worker.chat_id, NoticeKind.RELAY, officer.id)
    before = last_notice_id(db)
    to_officer = send(db, clock, worker, text(worker, 41, "restez avec lui"))
    assert (to_officer.status, to_officer.recipient.id, to_officer.guessed) == (
        RelayStatus.RELAY,
        officer.id,
        False,
    )
    [(chat, kind, params)] = notices(db, before)
    assert (chat, kind, params["sender_id"]) == (officer.chat_id, NoticeKind.RELAY, worker.id)


def test_a_worker_with_two_cases_routes_by_reply_or_else_to_the_latest_and_is_told(db, clock):
    first_officer = enrol(db, clock, Role.OFFICER, "Agent Tremblay")
    second_officer = enrol(db, clock, Role.OFFICER, "Agent Côté")
    worker = enrol(db, clock, Role.WORKER, "Marie Roy", available=True)
    first = submitted(db, clock, first_officer).consultation.id
    second = submitted(db, clock, second_officer).consultation.id
    act(db, clock, cs.accept, worker.id, first, POLICY)
    clock.advance(seconds=5)
    act(db, clock, cs.accept, worker.id, second, POLICY)
    assert send(db, clock, first_officer, text(first_officer, 10, "x")) == RelayStatus.RELAY
    delivered(db, clock, NoticeKind.RELAY, worker.chat_id, [500])  # its copy to the worker
    before = last_notice_id(db)
    by_reply = send(db, clock, worker, text(worker, 60, "a", reply_to=500))
    assert (by_reply.consultation.id, by_reply.guessed) == (first, False)
    assert [(chat, kind) for chat, kind, _ in notices(db, before)] == [
        (first_officer.chat_id, NoticeKind.RELAY)
    ]  # not told where it went: the reply said it
    before = last_notice_id(db)
    guessed = send(db, clock, worker, text(worker, 61, "b"))
    assert guessed.guessed is True
    assert guessed.consultation.id == first  # the one with the latest relayed message
    relay, told = notices(db, before)
    assert relay[:2] == (first_officer.chat_id, NoticeKind.RELAY)
    assert told == (
        worker.chat_id,
        NoticeKind.SAY,
        {
            "key": "relay.routed_to",
            "values": {"ref": guessed.consultation.reference, "officer": "Agent Tremblay"},
            "reply_to": 61,
        },
    )


def test_the_officer_closes_and_can_then_open_a_new_consultation(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Agent Tremblay")
    worker = enrol(db, clock, Role.WORKER, "Marie Roy", available=True)
    cid = submitted(db, clock, officer).consultation.id
    act(db, clock, cs.accept, worker.id, cid, POLICY)
    closed = act(db, clock, cs.close, officer, None, POLICY)
    assert closed.status == CloseStatus.CLOSED
    assert views.open_consultation_of_officer(db, officer.id) is None
    before = last_notice_id(db)
    assert send(db, clock, worker, text(worker, 70, "encore là ?")).status == RelayStatus.ANSWERED
    assert notices(db, before) == [
        (worker.chat_id, NoticeKind.SAY, {"key": "relay.nothing_open", "values": {}})
    ]  # nothing relayed to the officer of the closed one
    before = last_notice_id(db)
    assert send(db, clock, officer, text(officer, 71, "Autre appel")) == RelayStatus.NONE
    fresh = views.open_consultation_of_officer(db, officer.id)
    assert fresh is not None and fresh.id != cid
    assert (fresh.state, fresh.request_text) == (ConsultationState.DRAFT, "Autre appel")
    assert [(chat, kind) for chat, kind, _ in notices(db, before)] == [
        (officer.chat_id, NoticeKind.PROMPT)
    ]


def test_closing_before_an_accept_withdraws_the_offers(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Agent Tremblay")
    enrol(db, clock, Role.WORKER, "Marie Roy", available=True)
    result = submitted(db, clock, officer)
    offer = result.offers[0]
    card_shown(db, offer.offer_id, offer.worker.chat_id, 9)
    closed = act(db, clock, cs.close, officer, None, POLICY)
    assert [(c.chat_id, c.message_id) for c in closed.withdrawn_cards] == [
        (offer.worker.chat_id, 9)
    ]
    late = act(db, clock, cs.accept, offer.worker.id, result.consultation.id, POLICY)
    assert late.status == AcceptStatus.CLOSED


def test_a_worker_with_several_cases_is_asked_which_to_close(db, clock):
    worker = enrol(db, clock, Role.WORKER, "Marie Roy", available=True)
    ids = []
    for name in ("Agent Tremblay", "Agent Côté"):
        officer = enrol(db, clock, Role.OFFICER, name)
        cid = submitted(db, clock, officer).consultation.id
        act(db, clock, cs.accept, worker.id, cid, POLICY)
        ids.append(cid)
    choice = act(db, clock, cs.close, worker, None, POLICY)
    assert choice.status == CloseStatus.CHOOSE
    assert [c.id for c in choice.choices] == ids
    assert act(db, clock, cs.close, worker, ids[1], POLICY).status == CloseStatus.CLOSED


def test_nobody_closes_someone_elses_consultation(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Agent Tremblay")
    stranger = enrol(db, clock, Role.OFFICER, "Agent Côté")
    cid = submitted(db, clock, officer).consultation.id
    assert act(db, clock, cs.close, stranger, cid, POLICY).status == CloseStatus.NOT_YOURS


def test_the_worker_records_the_outcome_once(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Agent Tremblay")
    worker = enrol(db, clock, Role.WORKER, "Marie Roy", available=True)
    cid = submitted(db, clock, officer).consultation.id
    act(db, clock, cs.accept, worker.id, cid, POLICY)
    early = act(db, clock, cs.record_outcome, worker.id, cid, Outcome.REFERRED)
    assert early.status == OutcomeStatus.NOT_CLOSED
    act(db, clock, cs.close, officer, None, POLICY)
    assert act(db, clock, cs.record_outcome, officer.id, cid, Outcome.REFERRED).status == (
        OutcomeStatus.NOT_YOURS
    )
    done = act(db, clock, cs.record_outcome, worker.id, cid, Outcome.REFERRED)
    assert (done.status, done.consultation.outcome) == (OutcomeStatus.RECORDED, Outcome.REFERRED)
    again = act(db, clock, cs.record_outcome, worker.id, cid, Outcome.JUDICIAL)
    assert (again.status, again.consultation.outcome) == (
        OutcomeStatus.ALREADY_RECORDED,
        Outcome.REFERRED,
    )


def test_every_step_of_a_round_trip_is_an_event_with_actor_and_utc_time(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Agent Tremblay")
    worker = enrol(db, clock, Role.WORKER, "Marie Roy", available=True)
    cid = submitted(db, clock, officer).consultation.id
    act(db, clock, cs.accept, worker.id, cid, POLICY)
    assert send(db, clock, officer, text(officer, 2, "bonjour")) == RelayStatus.RELAY
    act(db, clock, cs.close, worker, cid, POLICY)
    act(db, clock, cs.record_outcome, worker.id, cid, Outcome.RESOLVED_ON_SCENE)
    entries = events.timeline(db, cid)
    assert [e.kind for e in entries] == [
        EventKind.CREATED,
        EventKind.CATEGORY_SET,
        EventKind.SUBMITTED,
        EventKind.OFFERED,
        EventKind.ACCEPTED,
        EventKind.MESSAGE_RELAYED,
        EventKind.CLOSED,
        EventKind.OUTCOME_RECORDED,
    ]
    assert entries[4].actor == "Marie Roy"
    assert all(e.at.utcoffset().total_seconds() == 0 for e in entries)


@pytest.mark.parametrize(
    ("text", "expected"), [("C-0042", 42), ("c42", 42), ("42", 42), ("C-", None), ("abc", None)]
)
def test_references_are_parsed_leniently(text, expected):
    assert views.parse_reference(text) == expected


def test_a_message_after_the_accept_is_relayed_not_queued(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Agent Tremblay")
    worker = enrol(db, clock, Role.WORKER, "Marie Roy", available=True)
    cid = submitted(db, clock, officer).consultation.id
    assert send(db, clock, officer, text(officer, 10, "avant")) == RelayStatus.QUEUE
    accepted = act(db, clock, cs.accept, worker.id, cid, POLICY)
    assert [q.text for q in accepted.queued_messages] == ["avant"]
    # routed and stored in one transaction: after the accept it is relayed, never queued
    before = last_notice_id(db)
    assert send(db, clock, officer, text(officer, 11, "pendant")) == RelayStatus.RELAY
    [(chat, kind, params)] = notices(db, before)
    assert (chat, kind, params["text"]) == (worker.chat_id, NoticeKind.RELAY, "pendant")
    assert kinds(db, cid)[-1] == EventKind.MESSAGE_RELAYED
    with db.unit_of_work() as session:
        assert [q.text for q in relaying.queued_messages(session, cid)] == []


def test_a_message_racing_the_accept_is_either_handed_over_or_relayed_never_lost(
    any_db: Database,
):
    clock = FakeClock()
    officer = enrol(any_db, clock, Role.OFFICER, "Agent Tremblay")
    worker = enrol(any_db, clock, Role.WORKER, "Marie Roy", available=True)
    for n in range(15):
        cid = submitted(any_db, clock, officer).consultation.id
        before = last_notice_id(any_db)
        barrier = threading.Barrier(2)
        results: dict[str, Any] = {}

        def accept(cid: int = cid, barrier=barrier, results=results) -> None:
            barrier.wait()
            results["accept"] = act(any_db, clock, cs.accept, worker.id, cid, POLICY)

        def message(n: int = n, barrier=barrier, results=results) -> None:
            barrier.wait()
            results["message"] = send(any_db, clock, officer, text(officer, 1000 + n, "vite"))

        threads = [threading.Thread(target=accept), threading.Thread(target=message)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results["accept"].status == AcceptStatus.ACCEPTED
        handed = [q.source_message_id for q in results["accept"].queued_messages]
        assert results["message"] in (RelayStatus.QUEUE, RelayStatus.RELAY)
        assert handed == ([1000 + n] if results["message"] == RelayStatus.QUEUE else [])
        relays = [
            p["message_id"]
            for chat, kind, p in notices(any_db, before)
            if kind == NoticeKind.RELAY and chat == worker.chat_id
        ]
        assert relays == [1000 + n]  # the worker gets it exactly once, either way
        act(any_db, clock, cs.close, officer, cid, POLICY)
