"""A person who blocked the bot is recorded as unreachable: their open offers count as
declined at once (the request moves on), supervisors are told once, routing offers them
nothing, and they are reachable again when they unblock."""

from __future__ import annotations

from sqlalchemy import select

from flows import availability, escalation, people, reachability, views
from flows import consultations as cs
from flows.models import Offer
from flows.vocabulary import ConsultationState, EventKind, NoticeKind, OfferState, Role
from tests.support.people import POLICY, enrol
from tests.support.units import act, last_notice_id, notices
from tests.test_escalation import kinds, submit


def team(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Agent Tremblay")
    roy = enrol(db, clock, Role.WORKER, "Marie Roy", available=True)
    chief = enrol(db, clock, Role.SUPERVISOR, "Chef Lavoie")
    return officer, roy, chief


def says(db, after, chat_id):
    return [p.get("key") for chat, kind, p in notices(db, after) if chat == chat_id]


def test_a_worker_who_blocked_the_bot_declines_their_open_offer_at_once(db, clock):
    officer, roy, chief = team(db, clock)
    cid = submit(db, clock, officer).consultation.id
    before = last_notice_id(db)

    result = act(db, clock, reachability.became_unreachable, roy.telegram_user_id)

    assert (result.changed, result.reachable, result.declined) == (True, False, [cid])
    assert result.escalate_now  # nobody else was offered it: the next tier comes now
    assert EventKind.DECLINED in kinds(db, cid)
    [step] = escalation.escalate_due(db, clock, POLICY)
    assert step.consultation.id == cid
    assert says(db, before, chief.telegram_user_id)[0] == "reach.blocked"


def test_supervisors_are_told_once_however_often_telegram_says_it(db, clock):
    _officer, roy, chief = team(db, clock)
    before = last_notice_id(db)
    act(db, clock, reachability.became_unreachable, roy.telegram_user_id)
    again = act(db, clock, reachability.became_unreachable, roy.telegram_user_id)
    assert not again.changed
    assert says(db, before, chief.telegram_user_id) == ["reach.blocked"]


def test_an_unreachable_worker_is_offered_nothing_until_they_unblock(db, clock):
    officer, roy, chief = team(db, clock)
    act(db, clock, reachability.became_unreachable, roy.telegram_user_id)
    assert people.available_workers(db, clock, POLICY) == []
    first = submit(db, clock, officer)
    assert "Marie Roy" not in [o.worker.display_name for o in first.offers]

    before = last_notice_id(db)
    back = act(db, clock, reachability.became_reachable, roy.telegram_user_id, POLICY)
    assert (back.changed, back.reachable) == (True, True)
    assert says(db, before, chief.telegram_user_id) == ["reach.unblocked"]
    assert [w.id for w in people.available_workers(db, clock, POLICY)] == [roy.id]
    second = submit(db, clock, officer)
    assert [o.worker.display_name for o in second.offers] == ["Marie Roy"]


def test_a_stranger_blocking_the_bot_changes_nothing(db, clock):
    team(db, clock)
    before = last_notice_id(db)
    result = act(db, clock, reachability.became_unreachable, 987654)
    assert result.person is None and not result.changed
    assert notices(db, before) == []


def offer_states(db, cid):
    with db.unit_of_work() as session:
        return [o.state for o in session.scalars(select(Offer).where(Offer.consultation_id == cid))]


def cards_to(db, after, chat_id):
    return [
        p["consultation"].id for chat, kind, p in notices(db, after)
        if chat == chat_id and kind == NoticeKind.OFFER_CARD
    ]  # fmt: skip


def test_a_worker_who_unblocks_is_offered_at_once_what_waits(db, clock):
    officer, roy, chief = team(db, clock)
    declined = submit(db, clock, officer).consultation.id  # offered to her, declined at the block
    act(db, clock, reachability.became_unreachable, roy.telegram_user_id)
    escalation.escalate_due(db, clock, POLICY)  # on to the supervisors, then the fallback
    later = submit(db, clock, officer, text="Femme confuse au métro").consultation.id
    before = last_notice_id(db)

    back = act(db, clock, reachability.became_reachable, roy.telegram_user_id, POLICY)

    assert back.offered == [declined, later]
    assert sorted(cards_to(db, before, roy.telegram_user_id)) == sorted([declined, later])
    assert offer_states(db, declined) == [OfferState.OPEN, OfferState.OPEN]  # hers and chief's
    assert says(db, before, chief.telegram_user_id) == ["reach.unblocked"]
    act(db, clock, cs.accept, roy.id, declined, POLICY)
    assert views.get_view(db, declined).worker.id == roy.id


def test_a_decline_the_worker_chose_stays_declined_when_they_unblock(db, clock):
    officer, roy, _chief = team(db, clock)
    cid = submit(db, clock, officer).consultation.id
    act(db, clock, escalation.decline, roy.id, cid)  # "Can't take it"
    act(db, clock, reachability.became_unreachable, roy.telegram_user_id)
    before = last_notice_id(db)

    back = act(db, clock, reachability.became_reachable, roy.telegram_user_id, POLICY)

    assert back.offered == []
    assert cards_to(db, before, roy.telegram_user_id) == []
    assert OfferState.DECLINED in offer_states(db, cid)


def test_a_worker_who_unblocks_while_off_is_offered_the_declined_case_at_on(db, clock):
    officer, roy, _chief = team(db, clock)
    cid = submit(db, clock, officer).consultation.id
    act(db, clock, reachability.became_unreachable, roy.telegram_user_id)
    escalation.escalate_due(db, clock, POLICY)
    act(db, clock, availability.go_off, roy.id, POLICY)
    back = act(db, clock, reachability.became_reachable, roy.telegram_user_id, POLICY)
    assert back.offered == []  # not available: nothing offered at the unblock
    before = last_notice_id(db)

    act(db, clock, availability.go_on, roy.id, POLICY)  # /on offers what waits

    assert cards_to(db, before, roy.telegram_user_id) == [cid]


def test_a_holder_who_blocked_the_bot_has_their_cases_requeued_at_once(db, clock):
    officer, roy, chief = team(db, clock)
    cid = submit(db, clock, officer).consultation.id
    act(db, clock, cs.accept, roy.id, cid, POLICY)
    before = last_notice_id(db)

    result = act(db, clock, reachability.became_unreachable, roy.telegram_user_id)

    assert result.requeued == [cid] and result.escalate_now  # nothing waits for a window
    view = views.get_view(db, cid)
    assert view.state == ConsultationState.WAITING and view.worker is None
    assert EventKind.REQUEUED in kinds(db, cid)
    [(told, values)] = [
        (p.get("key"), p.get("values")) for chat, _, p in notices(db, before)
        if chat == chief.telegram_user_id
    ]  # fmt: skip
    assert told == "reach.blocked_holding" and values["refs"] == view.reference
    [step] = escalation.escalate_due(db, clock, POLICY)  # offered again, the officer told
    assert step.consultation.id == cid
    officer_lines = [p for chat, kind, p in notices(db, before) if chat == officer.telegram_user_id]
    assert officer_lines[-1]["requeued"] is True


def test_an_officer_who_blocks_the_bot_mid_consultation_is_told_as_an_officer(db, clock):
    officer, roy, chief = team(db, clock)
    c = submit(db, clock, officer).consultation
    act(db, clock, cs.accept, roy.id, c.id, POLICY)
    before = last_notice_id(db)

    result = act(db, clock, reachability.became_unreachable, officer.telegram_user_id)

    assert result.changed and result.requeued == []  # the case stays with its holder
    told = {
        chat: (p.get("key"), p.get("values")) for chat, _, p in notices(db, before)
    }  # fmt: skip
    assert told[chief.telegram_user_id] == (
        "reach.officer_blocked",
        {"name": "Agent Tremblay", "refs": c.reference},
    )
    assert told[roy.telegram_user_id] == (
        "relay.failed_blocked",
        {"ref": c.reference, "name": "Agent Tremblay"},
    )


def test_an_officer_with_nothing_in_progress_who_blocks_the_bot(db, clock):
    officer, _roy, chief = team(db, clock)
    before = last_notice_id(db)
    act(db, clock, reachability.became_unreachable, officer.telegram_user_id)
    assert says(db, before, chief.telegram_user_id) == ["reach.officer_blocked_idle"]


def test_an_officer_who_unblocks_the_bot_is_told_as_an_officer(db, clock):
    officer, roy, chief = team(db, clock)
    c = submit(db, clock, officer).consultation
    act(db, clock, cs.accept, roy.id, c.id, POLICY)
    act(db, clock, reachability.became_unreachable, officer.telegram_user_id)
    before = last_notice_id(db)

    back = act(db, clock, reachability.became_reachable, officer.telegram_user_id, POLICY)

    assert (back.changed, back.reachable, back.offered) == (True, True, [])
    told = {
        chat: (p.get("key"), p.get("values")) for chat, _, p in notices(db, before)
    }  # fmt: skip
    assert told[chief.telegram_user_id] == (
        "reach.officer_unblocked",
        {"name": "Agent Tremblay", "refs": c.reference},
    )
    assert told[roy.telegram_user_id] == (
        "reach.counterpart_unblocked",
        {"ref": c.reference, "name": "Agent Tremblay"},
    )
