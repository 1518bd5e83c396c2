"""Escalation with an injected clock (each tier, decline, fallback, re-offer, the queue) and
hand-overs (transfer, take-over, reassign), including their races on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from flows import (
    availability,
    enrolment,
    escalation,
    events,
    handover,
    messages,
    offers,
    people,
    reachability,
    relaying,
    roster,
    views,
)
from flows import consultations as cs
from flows.escalation import DeclineStatus
from flows.handover import HandoverStatus
from flows.store import Database
from flows.vocabulary import Category, EventKind, NoticeKind, Presence, Role, Tier, Urgency
from tests.support.clock import FakeClock
from tests.support.databases import database
from tests.support.followups import FU_POLICY
from tests.support.people import POLICY, enrol
from tests.support.units import act, last_notice_id, notices, recorded


def submit(db, clock, officer, urgency=Urgency.IMMEDIATE, text="Homme en crise sur le pont"):
    c = act(db, clock, relaying.open_draft, officer.id, text)
    act(db, clock, cs.set_category, officer.id, c.id, Category.SUICIDE_RISK)
    return act(db, clock, cs.submit, officer.id, c.id, urgency, POLICY)


def kinds(db, cid):
    return [e.kind for e in events.timeline(db, cid)]


def offered_to(step) -> list[str]:
    return [o.worker.display_name for o in step.offers]


def team(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Agent Tremblay")
    roy = enrol(db, clock, Role.WORKER, "Marie Roy", available=True)
    backup = enrol(db, clock, Role.WORKER, "Luc Gagnon")
    roster.add_shifts(db, backup.id, "tous", "00:00-23:59", True, clock)
    chief = enrol(db, clock, Role.SUPERVISOR, "Chef Lavoie")
    return officer, roy, backup, chief


def test_each_tier_comes_when_the_window_runs_out(db, clock):
    officer, _roy, _backup, _chief = team(db, clock)
    result = submit(db, clock, officer)
    cid = result.consultation.id
    assert [o.worker.display_name for o in result.offers] == ["Marie Roy"]
    assert result.next_due == clock() + timedelta(seconds=60)

    clock.advance(seconds=59)
    assert escalation.escalate_due(db, clock, POLICY) == []  # not yet

    clock.advance(seconds=1)
    [wider] = escalation.escalate_due(db, clock, POLICY)
    assert (wider.tier, offered_to(wider), wider.fallback_now) == (
        Tier.WIDER,
        ["Luc Gagnon"],
        False,
    )

    clock.advance(seconds=60)
    [chiefs] = escalation.escalate_due(db, clock, POLICY)
    assert (chiefs.tier, offered_to(chiefs)) == (Tier.SUPERVISORS, ["Chef Lavoie"])

    clock.advance(seconds=60)
    [fallback] = escalation.escalate_due(db, clock, POLICY)
    assert fallback.tier == Tier.FALLBACK and fallback.fallback_now and fallback.offers == []
    assert fallback.next_due == clock() + POLICY.requeue_every

    clock.advance(minutes=5)  # still queued: offered again to anyone new, no new fallback
    [again] = escalation.escalate_due(db, clock, POLICY)
    assert not again.fallback_now
    timeline = kinds(db, cid)
    assert timeline.count(EventKind.ESCALATED) == 2
    assert timeline.count(EventKind.FALLBACK_GIVEN) == 1
    assert escalation.pending_timers(db) == [(cid, clock() + POLICY.requeue_every)]


def test_an_accept_records_the_tier_of_the_card_pressed(db, clock):
    """Roy accepts from her first-tier card after the request went to the supervisors: the
    timeline's accept says tier 1 (the card), the escalation is in its own events."""
    officer, roy, _backup, _chief = team(db, clock)
    cid = submit(db, clock, officer).consultation.id
    for _ in range(2):
        clock.advance(seconds=60)
        escalation.escalate_due(db, clock, POLICY)
    act(db, clock, cs.accept, roy.id, cid, POLICY)
    [accepted] = [e for e in events.timeline(db, cid) if e.kind == EventKind.ACCEPTED]
    assert accepted.data["tier"] == Tier.AVAILABLE
    assert kinds(db, cid).count(EventKind.ESCALATED) == 2


def test_a_request_back_in_the_queue_long_after_it_was_sent_has_waited_for_nobody(db, clock):
    """Roy held it for ten minutes, then blocked the bot: the request is back in the queue
    and goes at once to the on-call backup. That card must say nobody on shift could take
    it, not "nobody accepted in time": nobody has had it for a window yet."""
    officer, roy, backup, _chief = team(db, clock)
    cid = submit(db, clock, officer).consultation.id
    act(db, clock, cs.accept, roy.id, cid, POLICY)
    clock.advance(minutes=10)
    act(db, clock, reachability.became_unreachable, roy.telegram_user_id)
    before = last_notice_id(db)
    escalation.escalate_due(db, clock, POLICY)
    [card] = [n for n in recorded(db, before) if n.kind == NoticeKind.OFFER_CARD]
    assert card.chat_id == backup.chat_id
    assert card.params["window_ran_out"] is False


def test_windows_follow_the_urgency(db, clock):
    officer, *_ = team(db, clock)
    for urgency, seconds in [(Urgency.URGENT, 180), (Urgency.ADVICE, 900)]:
        result = submit(db, clock, officer, urgency)
        assert result.next_due == clock() + timedelta(seconds=seconds)
        act(db, clock, cs.close, officer, result.consultation.id, POLICY)


def test_an_escalation_step_is_taken_once_however_many_passes_run(any_db: Database):
    clock = FakeClock()
    officer, *_ = team(any_db, clock)
    submit(any_db, clock, officer)
    clock.advance(seconds=61)
    steps: list[int] = []
    barrier = threading.Barrier(4)

    def run() -> None:
        barrier.wait()
        steps.extend(s.tier for s in escalation.escalate_due(any_db, clock, POLICY))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert steps == [Tier.WIDER]


def test_when_everyone_offered_declines_it_escalates_at_once(db, clock):
    officer, roy, _backup, _chief = team(db, clock)
    cid = submit(db, clock, officer).consultation.id
    declined = act(db, clock, escalation.decline, roy.id, cid)
    assert declined.status == DeclineStatus.DECLINED and declined.escalate_now
    assert act(db, clock, escalation.decline, roy.id, cid).status == DeclineStatus.NOT_OPEN
    [step] = escalation.escalate_due(db, clock, POLICY)  # no waiting for the window
    assert step.tier == Tier.WIDER
    assert offered_to(step) == ["Luc Gagnon"]  # the one who declined is not asked again


def offered_for_a_decline(db, clock, case: str):
    """A request offered to Marie Roy: alone (first tier), beside Anne Nadeau, or alone again
    after the officer was given the fallback (she came on later)."""
    officer = enrol(db, clock, Role.OFFICER, "Agent Tremblay")
    if case == "fallback":
        submitted = submit(db, clock, officer)
        roy = enrol(db, clock, Role.WORKER, "Marie Roy")
        act(db, clock, availability.go_on, roy.id, POLICY)
    else:
        roy = enrol(db, clock, Role.WORKER, "Marie Roy", available=True)
        if case == "beside another":
            enrol(db, clock, Role.WORKER, "Anne Nadeau", available=True)
        submitted = submit(db, clock, officer)
    cid = submitted.consultation.id
    return roy, cid


@pytest.mark.parametrize(
    ("case", "moves_on_now"),
    [("alone", True), ("beside another", False), ("fallback", False)],
)
def test_a_decline_moves_a_request_on_now_exactly_when_going_off_would(
    tmp_path, clock, case: str, moves_on_now: bool
):
    """The last open offer declined makes the request due now; one declined while another is
    open, or once the officer has the fallback, leaves it to its timer. Before, decline had
    its own copy of the rule, which said escalate_now at the fallback tier though it made
    nothing due (the handler then ran the escalation pass for nothing), where going off
    (hurry_offers_to) said no: one rule now, _due_now_if_nobody_left."""
    (tmp_path / "decline").mkdir()
    (tmp_path / "off").mkdir()
    with database("sqlite", tmp_path / "decline") as db:
        roy, cid = offered_for_a_decline(db, clock, case)
        [(_, due_before)] = escalation.pending_timers(db)
        clock.advance(seconds=10)
        declined = act(db, clock, escalation.decline, roy.id, cid)
        [(_, due_after)] = escalation.pending_timers(db)
    with database("sqlite", tmp_path / "off") as db:
        roy, cid = offered_for_a_decline(db, clock, case)
        gone = act(db, clock, availability.go_off, roy.id, POLICY)
    assert declined.status == DeclineStatus.DECLINED
    assert (declined.escalate_now, gone.escalate_now) == (moves_on_now, moves_on_now)
    assert due_after == (clock() if moves_on_now else due_before)


def test_with_nobody_anywhere_the_officer_gets_the_fallback_at_once(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Agent Tremblay")
    result = submit(db, clock, officer)
    assert result.consultation.tier == Tier.FALLBACK
    assert EventKind.FALLBACK_GIVEN in kinds(db, result.consultation.id)


def test_a_worker_coming_on_gets_queued_consultations_most_urgent_first(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Agent Tremblay")
    other = enrol(db, clock, Role.OFFICER, "Agent Bouchard")
    advice = submit(db, clock, officer, Urgency.ADVICE).consultation
    clock.advance(minutes=1)
    immediate = submit(db, clock, other, Urgency.IMMEDIATE).consultation
    queue = escalation.waiting_queue(db)
    assert [e.consultation.id for e in queue] == [immediate.id, advice.id]
    roy = enrol(db, clock, Role.WORKER, "Marie Roy")
    people.set_presence(db, roy.id, Presence.ON, clock, POLICY)
    pending = act(db, clock, offers.offer_waiting_to, roy.id, POLICY)
    assert [p.consultation.id for p in pending] == [immediate.id, advice.id]
    assert act(db, clock, offers.offer_waiting_to, roy.id, POLICY) == []  # offered once only
    assert (
        act(db, clock, cs.accept, roy.id, immediate.id, POLICY).status == cs.AcceptStatus.ACCEPTED
    )


def accepted(db, clock, officer, worker):
    cid = submit(db, clock, officer).consultation.id
    assert act(db, clock, cs.accept, worker.id, cid, POLICY).status == cs.AcceptStatus.ACCEPTED
    return cid


def test_transfer_hands_over_with_the_note(db, clock):
    officer, roy, _backup, _chief = team(db, clock)
    nadeau = enrol(db, clock, Role.WORKER, "Anne Nadeau", available=True)
    cid = accepted(db, clock, officer, roy)
    choice = act(db, clock, handover.ask_transfer, roy.id, cid, "Il a bu, calme", POLICY)
    assert choice is not None
    assert [p.display_name for p in choice.candidates] == ["Anne Nadeau"]
    moved = act(db, clock, handover.transfer, roy.id, cid, nadeau.id, POLICY)
    assert moved.status == HandoverStatus.DONE
    assert moved.consultation.worker.id == nadeau.id and moved.note == "Il a bu, calme"
    again = act(db, clock, handover.transfer, roy.id, cid, nadeau.id, POLICY)
    assert again.status == HandoverStatus.NOT_YOURS
    assert kinds(db, cid)[-2:] == [EventKind.TRANSFER_REQUESTED, EventKind.TRANSFERRED]


def test_transfer_refuses_a_worker_who_is_off_or_full(db, clock):
    officer, roy, backup, _chief = team(db, clock)
    cid = accepted(db, clock, officer, roy)
    off = act(db, clock, handover.transfer, roy.id, cid, backup.id, POLICY)  # on call, not on shift
    assert off.status == HandoverStatus.TARGET_UNAVAILABLE
    assert views.get_view(db, cid).worker.id == roy.id


def test_a_supervisor_takes_over_or_reassigns_waiting_and_active_consultations(db, clock):
    officer, roy, _backup, chief = team(db, clock)
    nadeau = enrol(db, clock, Role.WORKER, "Anne Nadeau", available=True)
    waiting = submit(db, clock, officer).consultation.id
    taken = act(db, clock, handover.take_over, chief.id, waiting)
    assert taken.status == HandoverStatus.DONE and taken.consultation.worker.id == chief.id
    assert act(db, clock, cs.accept, roy.id, waiting, POLICY).status == cs.AcceptStatus.TAKEN
    active = accepted(db, clock, enrol(db, clock, Role.OFFICER, "Agent B"), roy)
    moved = act(db, clock, handover.reassign, chief.id, active, nadeau.id, POLICY)
    assert moved.status == HandoverStatus.DONE and moved.previous.id == roy.id
    refused = act(db, clock, handover.reassign, roy.id, active, roy.id, POLICY)
    assert refused.status == HandoverStatus.NOT_YOURS
    assert EventKind.TAKEN_OVER in kinds(db, waiting)
    assert EventKind.REASSIGNED in kinds(db, active)


def test_accept_transfer_and_take_over_racing_leave_exactly_one_holder(any_db: Database):
    clock = FakeClock()
    officer, roy, _backup, chief = team(any_db, clock)
    nadeau = enrol(any_db, clock, Role.WORKER, "Anne Nadeau", available=True)
    for _round in range(15):
        cid = submit(any_db, clock, officer).consultation.id
        barrier = threading.Barrier(3)
        done: list[str] = []

        def roy_accepts(cid=cid, barrier=barrier, done=done) -> None:
            barrier.wait()
            if (
                act(any_db, clock, cs.accept, roy.id, cid, POLICY).status
                == cs.AcceptStatus.ACCEPTED
            ):
                done.append("roy")

        def nadeau_accepts(cid=cid, barrier=barrier, done=done) -> None:
            barrier.wait()
            if (
                act(any_db, clock, cs.accept, nadeau.id, cid, POLICY).status
                == cs.AcceptStatus.ACCEPTED
            ):
                done.append("nadeau")

        def chief_takes(cid=cid, barrier=barrier, done=done) -> None:
            barrier.wait()
            if act(any_db, clock, handover.take_over, chief.id, cid).status == HandoverStatus.DONE:
                done.append("chief")

        threads = [threading.Thread(target=f) for f in (roy_accepts, nadeau_accepts, chief_takes)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        holder = views.get_view(any_db, cid).worker
        assert holder is not None
        assert done.count("roy") + done.count("nadeau") <= 1, done  # never two accepts
        # a take-over succeeds only on what it read, so when it succeeds it came last
        expected = "chief" if "chief" in done else done[0]
        assert {"roy": roy.id, "nadeau": nadeau.id, "chief": chief.id}[expected] == holder.id
        act(any_db, clock, cs.close, holder, cid, POLICY)


def test_a_revoked_workers_consultations_go_back_to_the_queue(db, clock):
    officer, roy, _backup, _chief = team(db, clock)
    nadeau = enrol(db, clock, Role.WORKER, "Anne Nadeau", available=True)
    cid = accepted(db, clock, officer, roy)
    enrolment.revoke(db, roy.id, clock)
    back = views.get_view(db, cid)
    assert back.state == cs.ConsultationState.WAITING and back.worker is None
    [step] = escalation.escalate_due(db, clock, POLICY)  # the bot's next pass
    assert step.tier == Tier.AVAILABLE
    assert offered_to(step) == ["Anne Nadeau"]  # offered again, though she saw it before
    assert act(db, clock, cs.accept, roy.id, cid, POLICY).status == cs.AcceptStatus.NOT_OFFERED
    assert act(db, clock, cs.accept, nadeau.id, cid, POLICY).status == cs.AcceptStatus.ACCEPTED
    assert EventKind.REQUEUED in kinds(db, cid)


def test_re_offers_after_a_revocation_follow_the_queue_order(db, clock):
    """Issue 9 item 9: immediate before urgent before advice, oldest first, whatever order
    the revoked worker had accepted them in."""
    officers = [enrol(db, clock, Role.OFFICER, f"Agent {n}") for n in ("A", "B", "C", "D")]
    leaving = enrol(db, clock, Role.WORKER, "Marie Roy", available=True)
    policy = cs.RoutingPolicy(capacity=4)
    order = [Urgency.ADVICE, Urgency.URGENT, Urgency.ADVICE, Urgency.IMMEDIATE]
    refs = []
    for officer, urgency in zip(officers, order, strict=True):
        c = act(db, clock, relaying.open_draft, officer.id, "situation")
        result = act(db, clock, cs.submit, officer.id, c.id, urgency, policy)
        assert (
            act(db, clock, cs.accept, leaving.id, c.id, policy).status == cs.AcceptStatus.ACCEPTED
        )
        refs.append(result.consultation.reference)
        clock.advance(seconds=1)
    enrol(db, clock, Role.WORKER, "Sam Wilson", available=True)
    enrolment.revoke(db, leaving.id, clock)

    steps = escalation.escalate_due(db, clock, policy)

    assert [s.consultation.reference for s in steps] == [refs[3], refs[1], refs[0], refs[2]]


def test_a_request_offered_only_to_a_worker_revoked_escalates_at_once(db, clock):
    officer, roy, _backup, _chief = team(db, clock)
    cid = submit(db, clock, officer).consultation.id  # offered to Roy alone
    enrolment.revoke(db, roy.id, clock)
    [step] = escalation.escalate_due(db, clock, POLICY)  # the next pass, not the window's end
    assert step.consultation.id == cid and step.tier == Tier.WIDER


def test_a_request_offered_only_to_a_worker_gone_off_escalates_at_once(db, clock):
    officer, roy, _backup, _chief = team(db, clock)
    cid = submit(db, clock, officer).consultation.id
    gone = act(db, clock, availability.go_off, roy.id, POLICY)
    assert gone.escalate_now
    [step] = escalation.escalate_due(db, clock, POLICY)
    assert step.consultation.id == cid and offered_to(step) == ["Luc Gagnon"]
    # Roy's card stays open: pressing it after /off is a deliberate accept
    assert act(db, clock, cs.accept, roy.id, cid, POLICY).status == cs.AcceptStatus.ACCEPTED


def test_going_off_leaves_a_request_also_offered_to_others_to_its_window(db, clock):
    officer, roy, _backup, _chief = team(db, clock)
    enrol(db, clock, Role.WORKER, "Anne Nadeau", available=True)
    submit(db, clock, officer)  # offered to Roy and Nadeau
    assert not act(db, clock, availability.go_off, roy.id, POLICY).escalate_now
    assert escalation.escalate_due(db, clock, POLICY) == []


def test_a_revoked_officers_open_consultations_end_and_their_holder_is_told(db, clock):
    officer, roy, _backup, _chief = team(db, clock)
    cid = accepted(db, clock, officer, roy)
    before = last_notice_id(db)

    enrolment.revoke(db, officer.id, clock)

    assert views.get_view(db, cid).state == cs.ConsultationState.CLOSED
    to_roy = [(kind, p.get("key")) for chat, kind, p in notices(db, before)
              if chat == roy.telegram_user_id]  # fmt: skip
    assert ("say", "close.officer_revoked") in to_roy and ("outcome_prompt", None) in to_roy
    assert not [chat for chat, _, _ in notices(db, before) if chat == officer.telegram_user_id]
    relayed = act(
        db, clock, messages.receive, roy.telegram_user_id,
        relaying.Incoming(roy.chat_id, 5, "text", "Avez-vous son nom ?"), FU_POLICY,
    )  # fmt: skip
    assert relayed.heard == messages.Heard.DONE
    assert not [chat for chat, _, _ in notices(db, before) if chat == officer.telegram_user_id]


def test_a_revoked_officers_waiting_request_is_withdrawn(db, clock):
    officer, roy, _backup, _chief = team(db, clock)
    cid = submit(db, clock, officer).consultation.id
    enrolment.revoke(db, officer.id, clock)
    assert views.get_view(db, cid).state == cs.ConsultationState.CLOSED
    assert escalation.escalate_due(db, clock, POLICY) == []  # offered to nobody more
    assert act(db, clock, cs.accept, roy.id, cid, POLICY).status != cs.AcceptStatus.ACCEPTED
