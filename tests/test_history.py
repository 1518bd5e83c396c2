"""The conversation so far, as a consultation's new holder receives it: every relayed
message in order, once per source message, with who wrote it; after a requeue, what the
previous holder already had is history, not news. And a draft is never cut."""

from __future__ import annotations

from flows import consultations as cs
from flows import enrolment, events, handover, offers, relaying, views
from flows.relaying import Incoming, RelayStatus
from flows.vocabulary import Category, EventKind, NoticeKind, Role, Urgency
from tests.support.messages import delivered, send, text
from tests.support.people import POLICY, enrol
from tests.support.units import act, last_notice_id, notices


def team(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Agent Julie Tremblay", telegram_user_id=1)
    roy = enrol(db, clock, Role.WORKER, "Marie Roy", available=True, telegram_user_id=2)
    nadeau = enrol(db, clock, Role.WORKER, "Anne Nadeau", available=True, telegram_user_id=3)
    chief = enrol(db, clock, Role.SUPERVISOR, "Anne Lavoie", telegram_user_id=4)
    return officer, roy, nadeau, chief


def submitted(db, clock, officer) -> int:
    c = act(db, clock, relaying.open_draft, officer.id, "Jeune en fugue")
    act(db, clock, cs.set_category, officer.id, c.id, Category.YOUTH)
    act(db, clock, cs.submit, officer.id, c.id, Urgency.URGENT, POLICY)
    return c.id


def relayed(db, clock, cid, sender, message_id, to, kind="text", words=None) -> None:
    """The sender's message through its use case, then its copy sent to the other side."""
    incoming = Incoming(sender.chat_id, message_id, kind, words)
    routed = send(db, clock, sender, incoming)
    assert getattr(routed, "status", routed) == RelayStatus.RELAY
    copy = delivered(db, clock, NoticeKind.RELAY, to.chat_id, [900 + message_id])
    assert (copy.consultation_id, copy.params["message_id"]) == (cid, message_id)


def shown(history) -> list[tuple[str, int, str, str | None]]:
    return [(h.sender.display_name, h.source_message_id, h.kind, h.text) for h in history]


def conversation(db, clock):
    """Queued before the accept, delivered on it, then three relayed both ways."""
    officer, roy, nadeau, chief = team(db, clock)
    cid = submitted(db, clock, officer)
    assert send(db, clock, officer, text(officer, 10, "Il est parti hier")) == RelayStatus.QUEUE
    accepted = act(db, clock, cs.accept, roy.id, cid, POLICY)
    assert accepted.history == []  # nobody held it before: nothing to catch up on
    [queued] = accepted.queued_messages
    assert (queued.source_message_id, queued.text) == (10, "Il est parti hier")
    copy = delivered(db, clock, NoticeKind.RELAY, roy.chat_id, [910])  # relayed on the accept
    assert copy.params["message_id"] == 10
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
    again = Incoming(officer.chat_id, 10, "text", "Il est parti hier")
    before = last_notice_id(db)
    assert send(db, clock, officer, again) == RelayStatus.NONE  # a replayed update: taken
    assert notices(db, before) == []
    with db.unit_of_work() as session:  # delivered twice, as an old requeue did
        events.record_event(
            session, cid, EventKind.MESSAGE_RELAYED, officer.id, clock(),
            kind="text", chat_id=officer.chat_id, message_id=10,
        )  # fmt: skip
        history = relaying.history_in(session, cid)
    assert shown(history) == EXPECTED
    assert {h.source_chat_id for h in history} == {officer.chat_id, roy.chat_id}


def test_transfer_take_over_and_reassign_each_carry_the_conversation_so_far(db, clock):
    cid, _officer, roy, nadeau, chief = conversation(db, clock)
    moved = act(db, clock, handover.transfer, roy.id, cid, nadeau.id, POLICY)
    assert shown(moved.history) == EXPECTED
    taken = act(db, clock, handover.take_over, chief.id, cid)
    assert shown(taken.history) == EXPECTED and taken.queued_messages == []
    given = act(db, clock, handover.reassign, chief.id, cid, roy.id, POLICY)
    assert shown(given.history) == EXPECTED


def test_after_a_requeue_what_the_previous_holder_had_is_history_not_news(db, clock):
    cid, officer, roy, nadeau, _chief = conversation(db, clock)
    enrolment.revoke(db, roy.id, clock)
    assert send(db, clock, officer, text(officer, 14, "Il se calme")) == RelayStatus.QUEUE
    assert [
        p.consultation.id for p in act(db, clock, offers.offer_waiting_to, nadeau.id, POLICY)
    ] == [cid]
    again = act(db, clock, cs.accept, nadeau.id, cid, POLICY)
    assert again.status == cs.AcceptStatus.ACCEPTED
    assert shown(again.history) == EXPECTED
    assert [(q.source_message_id, q.text) for q in again.queued_messages] == [(14, "Il se calme")]


def test_a_draft_keeps_every_word_and_refuses_what_would_pass_its_bound(db, clock):
    officer, *_ = team(db, clock)
    first = "x" * 10_000  # longer than Telegram sends: still kept whole
    c = act(db, clock, relaying.open_draft, officer.id, first)

    def queued() -> list[int]:
        return [
            e.data["message_id"]
            for e in events.timeline(db, c.id)
            if e.kind == EventKind.MESSAGE_QUEUED
        ]

    assert send(db, clock, officer, text(officer, 1, "y" * 4000)) == RelayStatus.DRAFT
    assert queued() == []  # added to the request
    room = relaying.MAX_REQUEST_TEXT - 14_001 - 1  # what is left after the joining newline
    assert send(db, clock, officer, text(officer, 2, "z" * (room + 1))) == RelayStatus.DRAFT
    assert queued() == [2]  # refused by the request, kept whole for whoever accepts
    [kept] = [e for e in events.timeline(db, c.id) if e.kind == EventKind.MESSAGE_QUEUED]
    assert kept.data["text"] == "z" * (room + 1)
    assert send(db, clock, officer, text(officer, 3, "z" * room)) == RelayStatus.DRAFT
    assert queued() == [2]
    request = views.get_view(db, c.id).request_text
    assert request == first + "\n" + "y" * 4000 + "\n" + "z" * room
    assert len(request) == relaying.MAX_REQUEST_TEXT
