"""The fallback reached with no intervener in time is said explicitly in the timeline (the
situation of article 8's second paragraph, P-38.001), with its times: in flows/ (the mark),
in the bot's /timeline (both languages) and in `relais consultations show`."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from flows import consultations as cs
from flows import escalation, people, relaying, timelines
from flows import events as event_log
from flows.vocabulary import Category, NoticeKind, Presence, Role, Urgency
from tests.support.people import POLICY, enrol
from tests.support.units import act, last_notice_id, recorded

ZONE = ZoneInfo("America/Montreal")


def submitted(db, clock, officer, urgency=Urgency.IMMEDIATE) -> int:
    c = act(db, clock, relaying.open_draft, officer.id, "Homme agité dans le métro")
    act(db, clock, cs.set_category, officer.id, c.id, Category.MENTAL_HEALTH)
    act(db, clock, cs.submit, officer.id, c.id, urgency, POLICY)
    return c.id


def test_nobody_at_all_marks_the_fallback_at_once_then_the_intervener_who_came_later(any_db, clock):
    officer = enrol(any_db, clock, Role.OFFICER, "Julie Tremblay")
    worker = enrol(any_db, clock, Role.WORKER, "Marie Roy")  # not available
    asked_at = clock.now
    cid = submitted(any_db, clock, officer)
    mark = timelines.fallback_mark(event_log.timeline(any_db, cid))
    assert mark == timelines.FallbackMark(asked_at, asked_at, None)

    clock.advance(minutes=7)
    people.set_presence(any_db, worker.id, Presence.ON, clock, POLICY)
    escalation.escalate_due(any_db, clock, POLICY)  # the requeue offers it to her
    assert act(any_db, clock, cs.accept, worker.id, cid, POLICY).status == cs.AcceptStatus.ACCEPTED
    mark = timelines.fallback_mark(event_log.timeline(any_db, cid))
    assert mark == timelines.FallbackMark(asked_at, asked_at, asked_at + timedelta(minutes=7))


def test_windows_running_out_mark_the_fallback_with_the_time_it_took(any_db, clock):
    officer = enrol(any_db, clock, Role.OFFICER, "Julie Tremblay")
    enrol(any_db, clock, Role.WORKER, "Marie Roy", available=True)  # offered, never answers
    asked_at = clock.now
    cid = submitted(any_db, clock, officer)
    assert timelines.fallback_mark(event_log.timeline(any_db, cid)) is None  # offered, waiting
    clock.advance(seconds=POLICY.windows[Urgency.IMMEDIATE].total_seconds() + 1)
    escalation.escalate_due(any_db, clock, POLICY)
    mark = timelines.fallback_mark(event_log.timeline(any_db, cid))
    assert mark is not None
    assert (mark.requested_at, mark.fallback_at, mark.intervener_at) == (
        asked_at,
        clock.now,
        None,
    )


def test_a_consultation_taken_in_time_has_no_mark(db, clock):
    officer = enrol(db, clock, Role.OFFICER, "Julie Tremblay")
    worker = enrol(db, clock, Role.WORKER, "Marie Roy", available=True)
    cid = submitted(db, clock, officer)
    act(db, clock, cs.accept, worker.id, cid, POLICY)
    clock.advance(hours=1)
    escalation.escalate_due(db, clock, POLICY)
    assert timelines.fallback_mark(event_log.timeline(db, cid)) is None


def test_the_bot_timeline_says_it_in_both_languages_with_the_times(db, clock):
    from bot.render import assessments as cards  # the edge's rendering of the notice

    officer = enrol(db, clock, Role.OFFICER, "Julie Tremblay")
    cid = submitted(db, clock, officer)
    before = last_notice_id(db)
    act(db, clock, timelines.show, officer.id, cid, ZONE)
    (notice,) = recorded(db, before)
    assert notice.kind == NoticeKind.TIMELINE
    local = clock.now.astimezone(ZONE)
    for lang, words in (("fr", "2e alinéa de l'article 8"), ("en", "2nd paragraph of article 8")):
        text = cards.timeline(
            lang,
            notice.params["consultation"],
            notice.params["entries"],
            notice.params["fallback"],
            ZONE,
        )
        assert words in text
        assert f"{local:%Y-%m-%d %H:%M}" in text  # the request's and the fallback's times
        lines = text.splitlines()
        fallback_given = next(
            i for i, line in enumerate(lines) if "secours" in line or "allback" in line
        )
        assert "⚠️" in lines[fallback_given + 1]  # the mark right under the fallback event


def test_the_cli_timeline_says_it_too(db, clock):
    from bot.timeline import timeline_lines

    officer = enrol(db, clock, Role.OFFICER, "Julie Tremblay")
    cid = submitted(db, clock, officer)
    lines = timeline_lines(db, cid, ZONE)
    marks = [line for line in lines if "No intervener available in time" in line]
    assert len(marks) == 1
    assert "2nd paragraph of article 8 of the P-38.001 act" in marks[0]
    assert f"{clock.now.astimezone(ZONE):%Y-%m-%d %H:%M}" in marks[0]
