"""What the record of a send does beyond marking it: a relay that could not be delivered
tells its sender and says so in the timeline, beside the line's `message_relayed`."""

from __future__ import annotations

from bot import message_links
from flows import consultations as cs
from flows import events, messages, reachability
from flows.relaying import Incoming
from flows.unit import unit_of_work
from flows.vocabulary import EventKind, NoticeKind, Role
from tests.support.followups import FU_POLICY
from tests.support.people import POLICY, enrol
from tests.support.units import act
from tests.test_escalation import submit


def test_a_relay_not_delivered_is_in_the_timeline_and_its_sender_is_told(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Julie Tremblay")
    roy = enrol(db, clock, Role.WORKER, "Marie Roy", available=True)
    cid = submit(db, clock, officer).consultation.id
    act(db, clock, cs.accept, roy.id, cid, POLICY)
    line = Incoming(officer.chat_id, 700, "text", "Il sort un couteau")
    with unit_of_work(db, clock) as unit:
        messages.receive(unit, officer.telegram_user_id, line, FU_POLICY, POLICY)
    [relay] = [n for n in unit.outbox.recorded if n.kind == NoticeKind.RELAY]

    with db.unit_of_work() as session:
        caused = message_links.record(session, relay, [], False, clock)

    kinds = [e.kind for e in events.timeline(db, cid)]
    assert kinds[-2:] == [EventKind.MESSAGE_RELAYED, EventKind.RELAY_FAILED]
    assert events.timeline(db, cid)[-1].data["message_id"] == 700
    assert [(n.chat_id, n.params["key"]) for n in caused] == [(officer.chat_id, "relay.failed")]


def test_a_relay_to_an_officer_who_blocked_the_bot_says_so_with_the_reference(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Julie Tremblay")
    roy = enrol(db, clock, Role.WORKER, "Marie Roy", available=True)
    c = submit(db, clock, officer).consultation
    act(db, clock, cs.accept, roy.id, c.id, POLICY)
    act(db, clock, reachability.became_unreachable, officer.telegram_user_id)
    line = Incoming(roy.chat_id, 701, "text", "Je suis en route")
    with unit_of_work(db, clock) as unit:
        messages.receive(unit, roy.telegram_user_id, line, FU_POLICY, POLICY)
    [relay] = [n for n in unit.outbox.recorded if n.kind == NoticeKind.RELAY]

    with db.unit_of_work() as session:
        caused = message_links.record(session, relay, [], False, clock)

    [told] = caused
    assert (told.chat_id, told.params["key"]) == (roy.chat_id, "relay.failed_blocked")
    assert told.params["values"] == {"ref": c.reference, "name": "Julie Tremblay"}
    assert EventKind.RELAY_FAILED in [e.kind for e in events.timeline(db, c.id)]


def test_an_officers_line_to_a_holder_who_blocked_the_bot_keeps_the_fallback(db, clock):
    """The holder blocked the bot just after the officer's line went out: the case is back in
    the queue, so the officer must hear the usual sentence with the fallback line, never the
    holder's "reach them another way or close the consultation"."""
    officer = enrol(db, clock, Role.OFFICER, "Julie Tremblay")
    roy = enrol(db, clock, Role.WORKER, "Marie Roy", available=True)
    cid = submit(db, clock, officer).consultation.id
    act(db, clock, cs.accept, roy.id, cid, POLICY)
    line = Incoming(officer.chat_id, 702, "text", "Il s'approche du bord")
    with unit_of_work(db, clock) as unit:
        messages.receive(unit, officer.telegram_user_id, line, FU_POLICY, POLICY)
    [relay] = [n for n in unit.outbox.recorded if n.kind == NoticeKind.RELAY]
    act(db, clock, reachability.became_unreachable, roy.telegram_user_id)

    with db.unit_of_work() as session:
        caused = message_links.record(session, relay, [], False, clock)

    assert [(n.chat_id, n.params["key"]) for n in caused] == [(officer.chat_id, "relay.failed")]


def test_a_holders_line_that_failed_names_the_case_without_the_public_line(db, clock):
    """A social worker whose line did not reach the officer hears which case (they may hold
    several), never "call 811": the fallback line is the officer's."""
    officer = enrol(db, clock, Role.OFFICER, "Julie Tremblay")
    roy = enrol(db, clock, Role.WORKER, "Marie Roy", available=True)
    c = submit(db, clock, officer).consultation
    act(db, clock, cs.accept, roy.id, c.id, POLICY)
    line = Incoming(roy.chat_id, 703, "text", "J'arrive dans dix minutes")
    with unit_of_work(db, clock) as unit:
        messages.receive(unit, roy.telegram_user_id, line, FU_POLICY, POLICY)
    [relay] = [n for n in unit.outbox.recorded if n.kind == NoticeKind.RELAY]

    with db.unit_of_work() as session:
        [told] = message_links.record(session, relay, [], False, clock)

    assert (told.chat_id, told.params["key"]) == (roy.chat_id, "relay.failed_holder")
    assert told.params["values"] == {"ref": c.reference, "name": "Julie Tremblay"}
