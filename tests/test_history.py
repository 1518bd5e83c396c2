"""The conversation so far, as a consultation's new holder receives it: every relayed
message in order, once per source message, with who wrote it; after a requeue, what the
previous holder already had is history, not news. And a draft is never cut."""

from __future__ import annotations

from flows import consultations as cs
from flows import enrolment, handover
from flows.vocabulary import Category, Role, Urgency
from tests.support.people import POLICY, enrol


def team(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Agent Julie Tremblay", telegram_user_id=1)
    roy = enrol(db, clock, Role.WORKER, "Marie Roy", available=True, telegram_user_id=2)
    nadeau = enrol(db, clock, Role.WORKER, "Anne Nadeau", available=True, telegram_user_id=3)
    chief = enrol(db, clock, Role.SUPERVISOR, "Anne Lavoie", telegram_user_id=4)
    return officer, roy, nadeau, chief


def submitted(db, clock, officer) -> int:
    c = cs.open_draft(db, officer.id, "Jeune en fugue", clock)
    cs.set_category(db, officer.id, c.id, Category.YOUTH, clock)
    cs.submit(db, officer.id, c.id, Urgency.URGENT, clock, POLICY)
    return c.id


def relayed(db, clock, cid, sender, message_id, to, kind="text", text=None) -> None:
    """As bot/handlers/relay.py records a copy: source, delivered copies, the event."""
    source = (sender.chat_id, message_id)
    cs.record_relay(db, cid, sender.id, source, [(to.chat_id, 900 + message_id)], kind, text, clock)


def shown(history) -> list[tuple[str, int, str, str | None]]:
    return [(h.sender.display_name, h.source_message_id, h.kind, h.text) for h in history]


def conversation(db, clock):
    """Queued before the accept, delivered on it, then three relayed both ways."""
    officer, roy, nadeau, chief = team(db, clock)
    cid = submitted(db, clock, officer)
    cs.queue_message(db, cid, officer.id, (officer.chat_id, 10), "text", "Il est parti hier", clock)
    accepted = cs.accept(db, roy.id, cid, clock, POLICY)
    assert accepted.history == []  # nobody held it before: nothing to catch up on
    [queued] = accepted.queued_messages
    relayed(db, clock, cid, officer, queued.source_message_id, roy, "text", queued.text)
    relayed(db, clock, cid, roy, 11, officer, "text", "Où dort-il ?")
    relayed(db, clock, cid, officer, 12, roy, "photo", "la chambre")
    relayed(db, clock, cid, officer, 13, roy, "location")
    return cid, officer, roy, nadeau, chief


EXPECTED = [
    ("Agent Julie Tremblay", 10, "text", "Il est parti hier"),
    ("Marie Roy", 11, "text", "Où dort-il ?"),
    ("Agent Julie Tremblay", 12, "photo", "la chambre"),
    ("Agent Julie Tremblay", 13, "location", None),
]


def test_the_history_is_every_relayed_message_in_order_once_with_its_author(db, clock):
    cid, officer, roy, *_ = conversation(db, clock)
    relayed(db, clock, cid, officer, 10, roy, "text", None)  # delivered twice (old requeue)
    with db.unit_of_work() as session:
        history = cs.history_in(session, cid)
    assert shown(history) == EXPECTED
    assert {h.source_chat_id for h in history} == {officer.chat_id, roy.chat_id}


def test_transfer_take_over_and_reassign_each_carry_the_conversation_so_far(db, clock):
    cid, _officer, roy, nadeau, chief = conversation(db, clock)
    moved = handover.transfer(db, roy.id, cid, nadeau.id, clock, POLICY)
    assert shown(moved.history) == EXPECTED
    taken = handover.take_over(db, chief.id, cid, clock)
    assert shown(taken.history) == EXPECTED and taken.queued_messages == []
    given = handover.reassign(db, chief.id, cid, roy.id, clock, POLICY)
    assert shown(given.history) == EXPECTED


def test_after_a_requeue_what_the_previous_holder_had_is_history_not_news(db, clock):
    cid, officer, roy, nadeau, _chief = conversation(db, clock)
    enrolment.revoke(db, roy.id, clock)
    cs.queue_message(db, cid, officer.id, (officer.chat_id, 14), "text", "Il se calme", clock)
    assert [p.consultation.id for p in cs.offer_waiting_to(db, nadeau.id, clock, POLICY)] == [cid]
    again = cs.accept(db, nadeau.id, cid, clock, POLICY)
    assert again.status == cs.AcceptStatus.ACCEPTED
    assert shown(again.history) == EXPECTED
    assert [(q.source_message_id, q.text) for q in again.queued_messages] == [(14, "Il se calme")]


def test_a_draft_keeps_every_word_and_refuses_what_would_pass_its_bound(db, clock):
    officer, *_ = team(db, clock)
    first = "x" * 10_000  # longer than Telegram sends: still kept whole
    c = cs.open_draft(db, officer.id, first, clock)
    assert cs.add_to_draft(db, officer.id, c.id, "y" * 4000)
    room = cs.MAX_REQUEST_TEXT - 14_001 - 1  # what is left after the joining newline
    assert not cs.add_to_draft(db, officer.id, c.id, "z" * (room + 1))
    assert cs.add_to_draft(db, officer.id, c.id, "z" * room)
    text = cs.get_view(db, c.id).request_text
    assert text == first + "\n" + "y" * 4000 + "\n" + "z" * room
    assert len(text) == cs.MAX_REQUEST_TEXT
