"""Quick screening at the scene, as use cases on both databases: the shipped questions file
is valid and a broken one is refused with where and why; after the urgency the officer gets
the category's first question while the request is already out; each answer is an event,
redraws the open cards (or tells the holder), and a "yes" that calls for it raises the
urgency and brings the escalation forward; one tap skips the rest; a double tap is stale."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update

from flows import consultations as cs
from flows import events as event_log
from flows import intake, offers, people, relaying, screening
from flows.models import Consultation, Offer
from flows.screening import ScreeningError, ScreenStatus
from flows.vocabulary import Category, EventKind, NoticeKind, Presence, Role, Urgency
from tests.support.clock import FakeClock
from tests.support.people import POLICY, enrol
from tests.support.units import act, last_notice_id, notices

SHIPPED = Path(__file__).resolve().parents[1] / "screening.yaml"
QUESTIONS = screening.load(SHIPPED)


def _submitted(db, clock, officer, category=Category.SUICIDE_RISK, urgency=Urgency.ADVICE):
    c = act(db, clock, relaying.open_draft, officer.id, "Homme sur le pont")
    act(db, clock, cs.set_category, officer.id, c.id, category)
    return act(db, clock, intake.submit, officer.id, c.id, urgency, POLICY, QUESTIONS)


def _card_landed(db, consultation_id: int) -> None:
    with db.unit_of_work() as session:
        session.execute(
            update(Offer)
            .where(Offer.consultation_id == consultation_id)
            .values(chat_id=Offer.worker_id + 5000, message_id=77)
        )


def test_the_shipped_file_asks_a_few_questions_for_every_category():
    for category in Category:
        asked = QUESTIONS.for_category(category)
        assert 1 <= len(asked) <= 4, category
        for question in asked:
            q = QUESTIONS.questions[question]
            assert q.fr.endswith("?") and q.en.endswith("?")


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("questions: [oops", "cannot be read as YAML"),
        ("questions:\n  weapon: {fr: 'Arme ?'}\n", "questions.weapon.en"),
        ("questions: {}\ncategories:\n  suicide_risk: [weapon]\n", "unknown questions"),
        ("categories:\n  bridges: []\n", "unknown categories"),
        ("- a list\n", "expected a mapping"),
        ("questions:\n  w: {fr: 'Arme ?', en: 'Weapon?', raises_to: soon}\n", "raises_to"),
    ],
)
def test_a_broken_file_is_refused_with_where_and_why(tmp_path, content, says):
    path = tmp_path / "screening.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ScreeningError, match=says):
        screening.load(path)


def test_the_first_question_follows_the_request_which_went_out_first(any_db, clock: FakeClock):
    officer = enrol(any_db, clock, Role.OFFICER, "Julie Tremblay")
    worker = enrol(any_db, clock, Role.WORKER, "Marie Roy", available=True)
    after = last_notice_id(any_db)
    result = _submitted(any_db, clock, officer)
    sent = notices(any_db, after)
    kinds = [(chat, kind) for chat, kind, _ in sent]
    assert kinds.index((worker.chat_id, NoticeKind.OFFER_CARD)) < kinds.index(
        (officer.chat_id, NoticeKind.SCREENING_QUESTION)
    )
    question = next(p for _, kind, p in sent if kind == NoticeKind.SCREENING_QUESTION)
    assert (question["index"], question["total"]) == (0, 4)
    assert question["fr"] == QUESTIONS.questions["weapon"].fr
    assert result.consultation is not None


def test_a_yes_that_calls_for_it_raises_the_urgency_and_brings_escalation_forward(
    any_db, clock: FakeClock
):
    officer = enrol(any_db, clock, Role.OFFICER, "Julie Tremblay")
    worker = enrol(any_db, clock, Role.WORKER, "Marie Roy", available=True)
    cid = _submitted(any_db, clock, officer, urgency=Urgency.ADVICE).consultation.id
    _card_landed(any_db, cid)
    with any_db.unit_of_work() as session:
        due_before = session.get_one(Consultation, cid).escalation_due_at
    clock.advance(seconds=10)
    after = last_notice_id(any_db)
    result = act(any_db, clock, screening.answer, officer.id, cid, 0, True, QUESTIONS, POLICY, 900)
    assert result.status == ScreenStatus.ASKED
    assert result.consultation.urgency == Urgency.IMMEDIATE
    assert result.next_due is not None and result.next_due < due_before
    sent = notices(any_db, after)
    card = next(p for chat, kind, p in sent if kind == NoticeKind.CARD)
    assert card["state"] == "open"
    assert card["screening"] == [
        {"question": "weapon", "fr": QUESTIONS.questions["weapon"].fr,
         "en": QUESTIONS.questions["weapon"].en, "yes": True}
    ]  # fmt: skip
    following = next(p for _, kind, p in sent if kind == NoticeKind.SCREENING_QUESTION)
    assert following["index"] == 1
    timeline = [(e.kind, e.data) for e in event_log.timeline(any_db, cid)]
    assert (EventKind.URGENCY_RAISED, {"urgency": "immediate", "previous": "advice"}) in timeline
    assert [chat for chat, kind, _ in sent if kind == NoticeKind.CARD] == [worker.id + 5000]


def test_a_double_tap_is_stale_and_changes_nothing(any_db, clock: FakeClock):
    officer = enrol(any_db, clock, Role.OFFICER, "Julie Tremblay")
    enrol(any_db, clock, Role.WORKER, "Marie Roy", available=True)
    cid = _submitted(any_db, clock, officer).consultation.id
    first = act(any_db, clock, screening.answer, officer.id, cid, 0, False, QUESTIONS, POLICY)
    again = act(any_db, clock, screening.answer, officer.id, cid, 0, True, QUESTIONS, POLICY)
    assert (first.status, again.status) == (ScreenStatus.ASKED, ScreenStatus.STALE)
    answered = [
        e for e in event_log.timeline(any_db, cid) if e.kind == EventKind.SCREENING_ANSWERED
    ]
    assert [e.data["yes"] for e in answered] == [False]


def test_another_officer_cannot_answer(any_db, clock: FakeClock):
    officer = enrol(any_db, clock, Role.OFFICER, "Julie Tremblay")
    other = enrol(any_db, clock, Role.OFFICER, "Paul Gagnon")
    cid = _submitted(any_db, clock, officer).consultation.id
    result = act(any_db, clock, screening.answer, other.id, cid, 0, True, QUESTIONS, POLICY)
    assert result.status == ScreenStatus.STALE
    assert act(any_db, clock, screening.skip, other.id, cid, None).status == ScreenStatus.STALE


def test_one_tap_skips_the_rest(any_db, clock: FakeClock):
    officer = enrol(any_db, clock, Role.OFFICER, "Julie Tremblay")
    cid = _submitted(any_db, clock, officer).consultation.id
    assert act(any_db, clock, screening.skip, officer.id, cid, 55).status == ScreenStatus.SKIPPED
    result = act(any_db, clock, screening.answer, officer.id, cid, 0, True, QUESTIONS, POLICY)
    assert result.status == ScreenStatus.STALE
    assert EventKind.SCREENING_SKIPPED in [e.kind for e in event_log.timeline(any_db, cid)]


def test_answers_after_the_accept_go_to_the_holder_and_on_later_cards(any_db, clock: FakeClock):
    officer = enrol(any_db, clock, Role.OFFICER, "Julie Tremblay")
    worker = enrol(any_db, clock, Role.WORKER, "Marie Roy", available=True)
    cid = _submitted(any_db, clock, officer).consultation.id
    act(any_db, clock, cs.accept, worker.id, cid, POLICY)
    after = last_notice_id(any_db)
    act(any_db, clock, screening.answer, officer.id, cid, 0, False, QUESTIONS, POLICY)
    update_ = next(
        (chat, p) for chat, kind, p in notices(any_db, after) if kind == NoticeKind.SCREENING_UPDATE
    )
    assert update_[0] == worker.chat_id and update_[1]["answers"][0]["yes"] is False


def test_a_card_drawn_after_the_answers_shows_them(any_db, clock: FakeClock):
    officer = enrol(any_db, clock, Role.OFFICER, "Julie Tremblay")
    cid = _submitted(any_db, clock, officer).consultation.id  # nobody there: it waits
    act(any_db, clock, screening.answer, officer.id, cid, 0, True, QUESTIONS, POLICY)
    worker = enrol(any_db, clock, Role.WORKER, "Marie Roy")
    people.set_presence(any_db, worker.id, Presence.ON, clock, POLICY)
    after = last_notice_id(any_db)
    act(any_db, clock, offers.offer_waiting_to, worker.id, POLICY)
    [card] = [p for chat, kind, p in notices(any_db, after) if kind == NoticeKind.OFFER_CARD]
    assert [(a["question"], a["yes"]) for a in card["screening"]] == [("weapon", True)]


def test_a_category_without_questions_and_an_empty_file_ask_nothing(any_db, clock: FakeClock):
    officer = enrol(any_db, clock, Role.OFFICER, "Julie Tremblay")
    after = last_notice_id(any_db)
    c = act(any_db, clock, relaying.open_draft, officer.id, "Homme sur le pont")
    act(any_db, clock, cs.set_category, officer.id, c.id, Category.OTHER)
    act(
        any_db,
        clock,
        intake.submit,
        officer.id,
        c.id,
        Urgency.URGENT,
        POLICY,
        screening.NO_QUESTIONS,
    )
    assert NoticeKind.SCREENING_QUESTION not in [kind for _, kind, _ in notices(any_db, after)]
