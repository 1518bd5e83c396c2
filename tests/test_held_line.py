"""A worker the bot asked something (a follow-up's note for a closed case) who also holds
another consultation: a plain line may be the answer or meant for that officer. It is held,
nothing passed on nor taken, until one tap says which; a reply to the question still answers
it at once, and with no other consultation in hand the line answers as before."""

from __future__ import annotations

from sqlalchemy import select

from flows import consultations as cs
from flows import conversation, messages, relaying
from flows import followups as fu
from flows.messages import Heard
from flows.models import FollowUp, RelayedMessage
from flows.relaying import Incoming
from flows.vocabulary import Category, InputKind, NoticeKind, Plan, Role, Urgency
from tests.support.followups import FU_POLICY, MTL, closed_case
from tests.support.people import POLICY, enrol
from tests.support.units import act, last_notice_id, notices


def asked_for_a_note(db, clock):
    """Roy closed Julie's C-0001 and planned a follow-up in 24 h: the bot asks for its note;
    meanwhile Roy holds Luc's consultation."""
    first, roy, _julie = closed_case(db, clock)
    act(db, clock, fu.plan, roy.id, first.id, Plan.HOURS_24, MTL)
    luc = enrol(db, clock, Role.OFFICER, "Luc Côté")
    second = act(db, clock, relaying.open_draft, luc.id, "Femme au métro")
    act(db, clock, cs.set_category, luc.id, second.id, Category.SUICIDE_RISK)
    act(db, clock, cs.submit, luc.id, second.id, Urgency.IMMEDIATE, POLICY)
    act(db, clock, cs.accept, roy.id, second.id, POLICY)
    return first, second, roy, luc


def line(roy, message_id, text, reply_to=None):
    return Incoming(roy.chat_id, message_id, "text", text, reply_to=reply_to)


def receive(db, clock, roy, message):
    return act(db, clock, messages.receive, roy.telegram_user_id, message, FU_POLICY, POLICY)


def relayed(db, message_id):
    with db.unit_of_work() as session:
        return session.scalars(
            select(RelayedMessage).where(RelayedMessage.source_message_id == message_id)
        ).all()


def note_of(db, consultation_id):
    with db.unit_of_work() as session:
        return session.scalar(
            select(FollowUp.note).where(FollowUp.consultation_id == consultation_id)
        )


def test_a_line_that_may_be_for_an_officer_is_held_and_nothing_else_happens(db, clock):
    first, second, roy, _luc = asked_for_a_note(db, clock)
    before = last_notice_id(db)

    receipt = receive(db, clock, roy, line(roy, 500, "Proposez-lui de s'asseoir"))

    assert receipt.heard == Heard.AWAITED and receipt.answer is None
    [(chat, kind, params)] = notices(db, before)
    assert (chat, kind, params["key"]) == (roy.telegram_user_id, "say", "held.which_case")
    assert params["values"] == {
        "ref": second.reference, "officer": "Luc Côté", "asked": first.reference,
    }  # fmt: skip
    assert params["buttons"] == ["held_line", 500]  # the line, not the holder
    assert relayed(db, 500) == [] and note_of(db, first.id) in (None, "")


def test_pass_it_on_relays_the_held_line_to_the_officer_and_keeps_the_question(db, clock):
    _first, second, roy, luc = asked_for_a_note(db, clock)
    receive(db, clock, roy, line(roy, 500, "Proposez-lui de s'asseoir"))
    before = last_notice_id(db)

    act(db, clock, messages.settle_held, roy.id, 500, True, FU_POLICY, POLICY)

    [link] = relayed(db, 500)
    assert link.consultation_id == second.id
    [(chat, kind, params)] = notices(db, before)
    assert (chat, kind) == (luc.telegram_user_id, NoticeKind.RELAY.value)
    assert params["text"] == "Proposez-lui de s'asseoir"
    with db.unit_of_work() as session:  # the note is still asked for
        assert conversation.pending(session, roy.id, clock())[0] == InputKind.NOTE
    again = act(db, clock, messages.settle_held, roy.id, 500, True, FU_POLICY, POLICY)
    assert again.heard == Heard.DONE and len(relayed(db, 500)) == 1  # a second tap: once
    assert notices(db, before)[-1][2]["key"] == "held.gone"


def test_its_my_answer_takes_the_held_line_as_the_note(db, clock):
    first, _second, roy, luc = asked_for_a_note(db, clock)
    receive(db, clock, roy, line(roy, 500, "Rappeler sa sœur avant midi"))
    before = last_notice_id(db)

    receipt = act(db, clock, messages.settle_held, roy.id, 500, False, FU_POLICY, POLICY)

    assert receipt.answer is not None and receipt.answer.status == fu.AnswerStatus.NOTE_SAVED
    assert note_of(db, first.id) == "Rappeler sa sœur avant midi"
    assert relayed(db, 500) == []
    assert luc.telegram_user_id not in [chat for chat, _, _ in notices(db, before)]


def test_a_reply_to_the_question_answers_it_at_once(db, clock):
    first, _second, roy, _luc = asked_for_a_note(db, clock)
    receipt = receive(db, clock, roy, line(roy, 500, "Rappeler sa sœur", reply_to=499))
    assert receipt.answer is not None and receipt.answer.status == fu.AnswerStatus.NOTE_SAVED
    assert note_of(db, first.id) == "Rappeler sa sœur"


def test_with_no_other_consultation_in_hand_the_line_answers_as_before(db, clock):
    first, roy, _julie = closed_case(db, clock)
    act(db, clock, fu.plan, roy.id, first.id, Plan.HOURS_24, MTL)
    receipt = receive(db, clock, roy, line(roy, 500, "Rappeler sa sœur"))
    assert receipt.answer is not None and receipt.answer.status == fu.AnswerStatus.NOTE_SAVED


def test_a_second_line_before_the_choice_joins_the_first(db, clock):
    _first, _second, roy, luc = asked_for_a_note(db, clock)
    receive(db, clock, roy, line(roy, 500, "Proposez-lui de s'asseoir"))
    receive(db, clock, roy, line(roy, 501, "et parlez doucement"))
    before = last_notice_id(db)
    assert notices(db, before - 1)[-1][2]["buttons"] == ["held_line", 500]  # one line, one name

    act(db, clock, messages.settle_held, roy.id, 500, True, FU_POLICY, POLICY)

    [(chat, _kind, params)] = notices(db, before)
    assert chat == luc.telegram_user_id
    assert params["text"] == "Proposez-lui de s'asseoir\net parlez doucement"


def test_a_tap_on_a_question_about_a_line_no_longer_held_settles_nothing(db, clock):
    """Line 500 held, then a later question dropped it and line 501 is held: the first
    question's buttons name 500, so tapped now they neither pass 501 on nor take it as the
    answer; the holder hears the choice was made, and 501's own question still settles it."""
    first, _second, roy, luc = asked_for_a_note(db, clock)
    receive(db, clock, roy, line(roy, 500, "Proposez-lui de s'asseoir"))
    with db.unit_of_work() as session:  # the bot asks again: the earlier line is dropped
        conversation.expect(session, roy.id, InputKind.NOTE, _note_target(db, first.id), clock())
    receive(db, clock, roy, line(roy, 501, "Rappeler sa sœur avant midi"))
    before = last_notice_id(db)

    stale = act(db, clock, messages.settle_held, roy.id, 500, True, FU_POLICY, POLICY)

    assert stale.heard == Heard.DONE and relayed(db, 501) == [] and relayed(db, 500) == []
    [(chat, _kind, params)] = notices(db, before)
    assert (chat, params["key"]) == (roy.telegram_user_id, "held.gone")
    assert note_of(db, first.id) in (None, "")

    act(db, clock, messages.settle_held, roy.id, 501, True, FU_POLICY, POLICY)
    assert len(relayed(db, 501)) == 1
    assert luc.telegram_user_id in [chat for chat, _, _ in notices(db, before)]


def _note_target(db, consultation_id):
    with db.unit_of_work() as session:
        return session.scalar(
            select(FollowUp.id).where(FollowUp.consultation_id == consultation_id)
        )
