"""P-38.001 assessments as use cases, on SQLite and PostgreSQL: the steps (danger, typed
observations, decision), the article 8 request to the officer and its acknowledgement as
events, each reading recorded as ASSESSMENT_VIEWED, and what a wrong press is told."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.i18n import t
from bot.render import assessments as assessment_cards
from flows import access, assessments, handover, messages, relaying
from flows import consultations as cs
from flows import events as event_log
from flows.assessments import Status
from flows.followups import FollowUpPolicy
from flows.models import Assessment
from flows.relaying import Incoming
from flows.vocabulary import (
    LANGUAGES,
    AssessmentState,
    Category,
    Danger,
    Decision,
    EventKind,
    NoticeKind,
    Priority,
    Role,
    Urgency,
)
from tests.support.people import POLICY, enrol
from tests.support.units import act, last_notice_id, recorded

ZONE = ZoneInfo("America/Montreal")
FOLLOWUPS = FollowUpPolicy(zone=ZONE)


def active_case(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Julie Tremblay")
    worker = enrol(db, clock, Role.WORKER, "Marie Roy", available=True)
    c = act(db, clock, relaying.open_draft, officer.id, "Homme en crise sur le balcon")
    act(db, clock, cs.set_category, officer.id, c.id, Category.MENTAL_HEALTH)
    act(db, clock, cs.submit, officer.id, c.id, Urgency.IMMEDIATE, POLICY)
    act(db, clock, cs.accept, worker.id, c.id, POLICY)
    return officer, worker, c.id


def typed(db, clock, person, words: str, message_id: int = 500):
    incoming = Incoming(person.telegram_user_id, message_id, "text", words)
    return act(db, clock, messages.receive, person.telegram_user_id, incoming, FOLLOWUPS)


def assessed(db, clock, worker, cid, danger=Danger.SELF, decision=Decision.ARTICLE_8):
    started = act(db, clock, assessments.start, worker.id, cid, ZONE)
    aid = started.assessment.id
    act(db, clock, assessments.set_danger, worker.id, aid, danger, ZONE)
    typed(db, clock, worker, "Agitée, parle de se jeter du balcon, refuse de parler.")
    return aid, act(db, clock, assessments.decide, worker.id, aid, decision, ZONE)


def kinds(db, cid):
    return [e.kind for e in event_log.timeline(db, cid)]


def test_an_assessment_goes_danger_then_typed_observations_then_decision(any_db, clock):
    officer, worker, cid = active_case(any_db, clock)
    before = last_notice_id(any_db)
    started = act(any_db, clock, assessments.start, worker.id, None, ZONE)  # their only case
    assert started.status == Status.ASKED
    step = recorded(any_db, before)
    assert [(n.chat_id, n.kind, n.params["state"]) for n in step] == [
        (worker.chat_id, NoticeKind.ASSESSMENT_STEP, "danger")
    ]
    aid = started.assessment.id
    act(any_db, clock, assessments.set_danger, worker.id, aid, Danger.BOTH, ZONE, 77)
    asked = recorded(any_db, before)[-1]
    assert (asked.params["state"], asked.edit_message_id) == ("observations", 77)

    typed(any_db, clock, worker, "  Agitée, couteau de cuisine, voix menaçantes.  ")
    with any_db.unit_of_work() as session:
        a = session.get_one(Assessment, aid)
        assert (a.state, a.danger, a.observations) == (
            AssessmentState.DECISION,
            Danger.BOTH,
            "Agitée, couteau de cuisine, voix menaçantes.",
        )
    assert recorded(any_db, before)[-1].params["state"] == "decision"
    clock.advance(minutes=2)
    result = act(any_db, clock, assessments.decide, worker.id, aid, Decision.VOLUNTARY, ZONE)
    assert result.status == Status.RECORDED
    assert result.assessment.recorded_at == clock.now
    assert kinds(any_db, cid)[-2:] == [EventKind.ASSESSMENT_STARTED, EventKind.ASSESSMENT_RECORDED]
    data = event_log.timeline(any_db, cid)[-1].data
    assert data == {"assessment": aid, "danger": "both", "decision": "voluntary"}
    assert "Agitée" not in str(data)  # the observations live in the assessment, not the event
    assert all(n.chat_id != officer.chat_id for n in recorded(any_db, before))  # no request


def test_a_request_under_article_8_reaches_the_officer_timestamped_and_is_acknowledged_once(
    any_db, clock
):
    officer, worker, cid = active_case(any_db, clock)
    before = last_notice_id(any_db)
    aid, result = assessed(any_db, clock, worker, cid)
    assert result.status == Status.REQUESTED
    request = [n for n in recorded(any_db, before) if n.chat_id == officer.chat_id]
    assert [(n.kind, n.priority) for n in request] == [
        (NoticeKind.ARTICLE8_REQUEST, Priority.URGENT)
    ]
    assert request[0].params["assessment"]["requested_at"] == clock.now
    assert kinds(any_db, cid)[-2:] == [EventKind.ASSESSMENT_RECORDED, EventKind.ARTICLE8_REQUESTED]

    clock.advance(seconds=40)
    before = last_notice_id(any_db)
    acked = act(any_db, clock, assessments.acknowledge, officer.id, aid, ZONE, 901)
    assert acked.status == Status.ACKNOWLEDGED
    assert acked.assessment.acknowledged_at == clock.now
    assert acked.assessment.acknowledged_by == "Julie Tremblay"
    sent = recorded(any_db, before)
    assert [(n.chat_id, n.kind, n.edit_message_id) for n in sent] == [
        (officer.chat_id, NoticeKind.ARTICLE8_REQUEST, 901),  # the button goes, the time shows
        (worker.chat_id, NoticeKind.SAY, None),
    ]
    assert sent[1].params["key"] == "assessment.acknowledged_to_author"
    last = event_log.timeline(any_db, cid)[-1]
    assert (last.kind, last.actor) == (EventKind.ARTICLE8_ACKNOWLEDGED, "Julie Tremblay")

    clock.advance(seconds=5)
    again = act(any_db, clock, assessments.acknowledge, officer.id, aid, ZONE, 901)
    assert again.status == Status.ALREADY
    assert again.assessment.acknowledged_at == acked.assessment.acknowledged_at
    assert kinds(any_db, cid).count(EventKind.ARTICLE8_ACKNOWLEDGED) == 1


def test_only_the_consultations_officer_can_acknowledge_and_only_a_request(db, clock):
    officer, worker, cid = active_case(db, clock)
    other = enrol(db, clock, Role.OFFICER, "Paul Gagnon")
    aid, _ = assessed(db, clock, worker, cid, decision=Decision.NO_TRANSPORT)
    assert act(db, clock, assessments.acknowledge, officer.id, aid, ZONE, None).status == (
        Status.NOT_YOURS  # no request was made
    )
    aid2, _ = assessed(db, clock, worker, cid)
    for intruder in (other, worker):
        result = act(db, clock, assessments.acknowledge, intruder.id, aid2, ZONE, None)
        assert result.status == Status.NOT_YOURS
    assert EventKind.ARTICLE8_ACKNOWLEDGED not in kinds(db, cid)


def test_no_article_8_request_without_a_grave_and_immediate_danger(db, clock):
    _officer, worker, cid = active_case(db, clock)
    aid, result = assessed(db, clock, worker, cid, danger=Danger.NONE)
    assert result.status == Status.INCONSISTENT
    assert EventKind.ARTICLE8_REQUESTED not in kinds(db, cid)
    later = act(db, clock, assessments.decide, worker.id, aid, Decision.NO_TRANSPORT, ZONE)
    assert later.status == Status.RECORDED  # nothing was lost: another decision is taken


def test_empty_or_too_long_observations_are_refused_and_the_bot_still_waits(db, clock):
    _officer, worker, cid = active_case(db, clock)
    aid = act(db, clock, assessments.start, worker.id, cid, ZONE).assessment.id
    act(db, clock, assessments.set_danger, worker.id, aid, Danger.SELF, ZONE)
    before = last_notice_id(db)
    typed(db, clock, worker, "x" * (assessments.MAX_OBSERVATIONS + 1), 501)
    assert recorded(db, before)[-1].params["key"] == "assessment.observations_too_long"
    typed(db, clock, worker, "Calme à présent, accepte de voir son médecin.", 502)
    with db.unit_of_work() as session:
        a = session.get_one(Assessment, aid)
        assert (a.state, a.observations) == (
            AssessmentState.DECISION,
            "Calme à présent, accepte de voir son médecin.",
        )
    assert EventKind.MESSAGE_RELAYED not in kinds(db, cid)[-3:]  # taken, not relayed


def test_only_the_holder_can_assess_and_a_second_press_changes_nothing(db, clock):
    officer, worker, cid = active_case(db, clock)
    colleague = enrol(db, clock, Role.WORKER, "Sam Wilson", available=True)
    assert act(db, clock, assessments.start, colleague.id, cid, ZONE).status == Status.NOT_YOURS
    aid = act(db, clock, assessments.start, worker.id, cid, ZONE).assessment.id
    resumed = act(db, clock, assessments.start, worker.id, cid, ZONE)
    assert resumed.assessment.id == aid  # resumed, not a second one
    assert act(db, clock, assessments.set_danger, colleague.id, aid, Danger.SELF, ZONE).status == (
        Status.NOT_YOURS
    )
    act(db, clock, assessments.set_danger, worker.id, aid, Danger.SELF, ZONE)
    again = act(db, clock, assessments.set_danger, worker.id, aid, Danger.NONE, ZONE)
    assert again.status == Status.ALREADY and again.assessment.danger == Danger.SELF
    assert act(db, clock, assessments.start, officer.id, cid, ZONE).status == Status.NOT_YOURS


def test_every_reading_of_an_assessment_is_an_event_with_its_reader(any_db, clock):
    officer, worker, cid = active_case(any_db, clock)
    supervisor = enrol(any_db, clock, Role.SUPERVISOR, "Chef Lavoie")
    aid, _ = assessed(any_db, clock, worker, cid)
    for reader in (officer, worker, supervisor):
        shown = act(any_db, clock, assessments.read, reader.id, cid)
        assert [a.id for a in shown] == [aid]
    viewed = [e for e in event_log.timeline(any_db, cid) if e.kind == EventKind.ASSESSMENT_VIEWED]
    assert [(e.actor, e.data["assessments"]) for e in viewed] == [
        ("Julie Tremblay", [aid]),
        ("Marie Roy", [aid]),
        ("Chef Lavoie", [aid]),
    ]
    assert all(e.kind.value.endswith("_viewed") for e in viewed)
    before = last_notice_id(any_db)
    act(any_db, clock, assessments.show, officer.id, cid, ZONE)
    listing = recorded(any_db, before)
    assert [(n.chat_id, n.kind) for n in listing] == [(officer.chat_id, NoticeKind.ASSESSMENT_LIST)]
    assert listing[0].params["assessments"][0]["observations"].startswith("Agitée")


def test_a_refused_reading_records_no_view(db, clock):
    _officer, worker, cid = active_case(db, clock)
    assessed(db, clock, worker, cid)
    stranger_officer = enrol(db, clock, Role.OFFICER, "Paul Gagnon")
    before = last_notice_id(db)
    result = act(db, clock, assessments.show, stranger_officer.id, cid, ZONE)
    assert result.status == Status.NOT_YOURS
    assert recorded(db, before)[-1].params["key"] == "access.refused"
    assert EventKind.ASSESSMENT_VIEWED not in kinds(db, cid)
    with db.unit_of_work() as session:
        assert session.scalars(select(Assessment)).all()  # still there, untouched
    assert access.Refused  # the exception the read use cases raise


def halfway(db, clock, worker, cid):
    """The danger judged and the observations typed: the decision is on screen."""
    aid = act(db, clock, assessments.start, worker.id, cid, ZONE).assessment.id
    act(db, clock, assessments.set_danger, worker.id, aid, Danger.OTHERS, ZONE)
    typed(db, clock, worker, "Agité, armé.")
    return aid


def test_no_article8_request_once_the_consultation_is_closed(any_db, clock):
    _officer, worker, cid = active_case(any_db, clock)
    aid = halfway(any_db, clock, worker, cid)
    act(any_db, clock, cs.close, worker, cid, POLICY)
    before = last_notice_id(any_db)

    result = act(any_db, clock, assessments.decide, worker.id, aid, Decision.ARTICLE_8, ZONE)

    assert result.status == Status.NOT_HELD
    assert EventKind.ARTICLE8_REQUESTED not in kinds(any_db, cid)
    assert recorded(any_db, before) == []  # the officer gets nothing
    with any_db.unit_of_work() as session:
        assert session.get_one(Assessment, aid).state == AssessmentState.DECISION


def test_no_article8_request_from_a_former_holder_after_a_take_over(any_db, clock):
    officer, worker, cid = active_case(any_db, clock)
    chief = enrol(any_db, clock, Role.SUPERVISOR, "Anne Lavoie")
    aid = halfway(any_db, clock, worker, cid)
    act(any_db, clock, handover.take_over, chief.id, cid)
    before = last_notice_id(any_db)

    result = act(any_db, clock, assessments.decide, worker.id, aid, Decision.ARTICLE_8, ZONE)

    assert result.status == Status.NOT_HELD
    assert officer.chat_id not in [n.chat_id for n in recorded(any_db, before)]
    assert EventKind.ARTICLE8_REQUESTED not in kinds(any_db, cid)


def test_observations_typed_after_the_close_are_not_kept(any_db, clock):
    _officer, worker, cid = active_case(any_db, clock)
    aid = act(any_db, clock, assessments.start, worker.id, cid, ZONE).assessment.id
    act(any_db, clock, assessments.set_danger, worker.id, aid, Danger.SELF, ZONE)
    act(any_db, clock, cs.close, worker, cid, POLICY)
    before = last_notice_id(any_db)

    typed(any_db, clock, worker, "Observations tardives après fermeture")

    said = [n.params.get("key") for n in recorded(any_db, before) if n.chat_id == worker.chat_id]
    assert "assessment.not_held" in said
    with any_db.unit_of_work() as session:
        a = session.get_one(Assessment, aid)
        assert a.observations == "" and a.state == AssessmentState.OBSERVATIONS


# --- what the messages say (defects found by an exploratory tester, 2026-12) ----------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_acknowledge_button_is_an_action_not_the_words_shown_once_it_is_done(lang):
    button = t(lang, "assessment.acknowledge_button")
    done = [t(lang, "assessment.ack_toast"), t(lang, "assessment.acknowledged", at="")]
    assert all(button.casefold() not in words.casefold() for words in done), (button, done)
    assert button.rstrip(".") != t(lang, "assessment.ack_toast").rstrip(".")


def rendered(lang: str, notice) -> str:
    """A notice of the assessment as its recipient reads it, in `lang`."""
    p = notice.params
    if notice.kind == NoticeKind.ARTICLE8_REQUEST:
        return assessment_cards.article8_request(lang, p["assessment"], ZONE).text
    return assessment_cards.step(lang, p["assessment"], p["state"], ZONE).text


def shown_steps(db, clock, worker, cid, lang: str) -> list[str]:
    """Every message of one assessment as its author and the officer read it, in `lang`."""
    before = last_notice_id(db)
    aid = act(db, clock, assessments.start, worker.id, cid, ZONE).assessment.id
    act(db, clock, assessments.set_danger, worker.id, aid, Danger.OTHERS, ZONE, 70)
    typed(db, clock, worker, "Agité, armé.")
    act(db, clock, assessments.decide, worker.id, aid, Decision.ARTICLE_8, ZONE, 71)
    kinds = (NoticeKind.ASSESSMENT_STEP, NoticeKind.ARTICLE8_REQUEST)
    texts = [rendered(lang, n) for n in recorded(db, before) if n.kind in kinds]
    listing = act(db, clock, assessments.read, worker.id, cid)
    texts.append(assessment_cards.listing(lang, "C-0001", [a.as_params() for a in listing], ZONE))
    return texts


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_of_the_assessment_says_who_judges_and_who_decides(db, clock, lang):
    _officer, worker, cid = active_case(db, clock)
    texts = shown_steps(db, clock, worker, cid, lang)
    assert len(texts) == 6  # danger, observations, decision, summary, request, listing
    roles = t(lang, "assessment.roles")
    assert [roles in text for text in texts] == [True] * len(texts), texts


def test_the_acknowledgement_rewrites_the_intervener_summary(any_db, clock):
    officer, worker, cid = active_case(any_db, clock)
    aid = halfway(any_db, clock, worker, cid)
    act(any_db, clock, assessments.decide, worker.id, aid, Decision.ARTICLE_8, ZONE, 640)
    clock.advance(seconds=40)
    before = last_notice_id(any_db)

    act(any_db, clock, assessments.acknowledge, officer.id, aid, ZONE, 901)

    to_worker = [n for n in recorded(any_db, before) if n.chat_id == worker.chat_id]
    edits = [n for n in to_worker if n.edit_message_id is not None]
    assert [(n.kind, n.edit_message_id, n.params["state"]) for n in edits] == [
        (NoticeKind.ASSESSMENT_STEP, 640, "recorded")  # the summary the decision question became
    ]
    for lang in LANGUAGES:
        text = assessment_cards.step(lang, edits[0].params["assessment"], "recorded", ZONE).text
        at = f"{clock.now.astimezone(ZONE):%Y-%m-%d %H:%M:%S}"
        acked = t(lang, "assessment.acknowledged_line", at=at, officer="Julie Tremblay")
        assert acked in text and t(lang, "assessment.not_acknowledged_line") not in text
        assert t(lang, "assessment.roles") in text


def test_a_button_of_a_question_that_no_longer_counts_loses_its_buttons_when_pressed(any_db, clock):
    _officer, worker, cid = active_case(any_db, clock)
    chief = enrol(any_db, clock, Role.SUPERVISOR, "Anne Lavoie")
    aid = halfway(any_db, clock, worker, cid)
    act(any_db, clock, handover.take_over, chief.id, cid)
    before = last_notice_id(any_db)

    result = act(any_db, clock, assessments.decide, worker.id, aid, Decision.ARTICLE_8, ZONE, 650)

    assert result.status == Status.NOT_HELD
    edits = [n for n in recorded(any_db, before) if n.edit_message_id == 650]
    assert [(n.chat_id, n.kind) for n in edits] == [(worker.chat_id, NoticeKind.ASSESSMENT_STEP)]
    for lang in LANGUAGES:
        p = edits[0].params
        shown = assessment_cards.step(lang, p["assessment"], p["state"], ZONE, p.get("void"))
        assert shown.keyboard is None
        ref = p["assessment"]["reference"]
        assert t(lang, "assessment.question_void", ref=ref) in shown.text
        assert t(lang, "assessment.roles") in shown.text


def test_a_stale_copy_of_the_decision_question_loses_its_buttons_when_pressed(db, clock):
    _officer, worker, cid = active_case(db, clock)
    aid = halfway(db, clock, worker, cid)
    act(db, clock, assessments.start, worker.id, cid, ZONE)  # asked again: a second copy
    act(db, clock, assessments.decide, worker.id, aid, Decision.VOLUNTARY, ZONE, 661)
    before = last_notice_id(db)

    again = act(db, clock, assessments.decide, worker.id, aid, Decision.OTHER, ZONE, 660)
    twice = act(db, clock, assessments.decide, worker.id, aid, Decision.OTHER, ZONE, 661)

    assert (again.status, twice.status) == (Status.ALREADY, Status.ALREADY)
    edits = [(n.edit_message_id, n.params.get("void")) for n in recorded(db, before)]
    assert edits == [(660, True)]  # the summary itself (661) is never rewritten by a double tap
