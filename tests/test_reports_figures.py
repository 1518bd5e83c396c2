"""Each figure of the evaluation report on a generated event log with known answers, on
SQLite and PostgreSQL: counts, medians and p90 (nearest rank), escalation and missed requests,
outcomes, follow-ups, load by local hour, grouping, and period boundaries by local dates
across a daylight-saving change."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from flows.models import Subject, SubjectLink
from flows.reports import figures, repeats
from flows.reports.figures import Grouping
from flows.reports.period import Period, previous_month, previous_week
from flows.store import Database
from flows.vocabulary import Category, EventKind, Role, Urgency
from tests.support.eventlog import EventLog

ZONE = ZoneInfo("America/Montreal")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def log(any_db: Database) -> EventLog:
    return EventLog(any_db)


def _week(log: EventLog) -> tuple[int, int, int]:
    """Six consultations on Tuesday 2026-11-10 (EST, UTC-5) with known answers."""
    officer = log.person("Agent Tremblay", Role.OFFICER, unit="PDQ 21")
    roy = log.person("Marie Roy")
    gagnon = log.person("Luc Gagnon")
    base = utc(2026, 11, 10, 14, 0)  # 09:00 local
    for i, (accept, worker, cleared, outcome) in enumerate(
        [
            (30, roy, 1800, "resolved_on_scene"),
            (60, roy, 2400, "referred"),
            (90, gagnon, 3000, "involuntary_p38"),
            (120, roy, None, "referred"),
            (600, gagnon, 3600, "referred"),
        ]
    ):
        log.consultation(
            base + timedelta(hours=i),
            officer,
            category=Category.MENTAL_HEALTH if i < 3 else Category.SUBSTANCE,
            accept_s=accept,
            worker=worker,
            cleared_s=cleared,
            escalated=i == 4,
            outcome=outcome,
            closed_s=4000,
            incident="2026-1" if i < 2 else None,
        )
    log.consultation(  # nobody took it: the fallback, then closed by the officer
        base + timedelta(hours=8), officer, category=Category.SUBSTANCE, escalated=True,
        fallback=True, closed_s=900,
    )  # fmt: skip
    return officer, roy, gagnon


def test_each_headline_figure_has_its_known_value(log: EventLog, any_db: Database):
    _week(log)
    period = Period(date(2026, 11, 9), date(2026, 11, 15), ZONE)
    report = figures.compute(any_db, period, now=NOW)
    t = report.total
    assert (t.consultations, t.answered, t.escalated, t.fallback, t.missed) == (6, 5, 2, 1, 1)
    assert (t.incident_numbers, t.closed) == (2, 6)
    assert (t.accept.n, t.accept.median_s, t.accept.p90_s) == (5, 90.0, 600.0)
    # officer time: first message (30 s before sending) to scene cleared
    assert (t.officer.n, t.officer.median_s, t.officer.p90_s) == (4, 2430.0, 3630.0)
    assert t.outcomes == {
        "resolved_on_scene": 1, "referred": 3, "involuntary_p38": 1, "not_recorded": 1,
    }  # fmt: skip
    assert report.load_by_hour[9:15] == [1, 1, 1, 1, 1, 0]
    assert report.load_by_hour[17] == 1
    assert report.load_by_weekday == [0, 6, 0, 0, 0, 0, 0]
    assert report.per_week == {"2026-11-09": {"mental_health": 3, "substance": 3}}
    assert report.accept_histogram == [1, 3, 0, 0, 1, 0, 0]  # <1 min, <3, <5, <10, <15...
    assert report.repeats is not None and report.repeats.linked_consultations == 0  # no keys


def test_figures_by_category_worker_and_unit(log: EventLog, any_db: Database):
    _officer, roy, gagnon = _week(log)
    period = Period(date(2026, 11, 9), date(2026, 11, 15), ZONE)
    by_category = figures.compute(any_db, period, by=Grouping.CATEGORY, now=NOW)
    assert [(g.key, g.consultations, g.missed) for g in by_category.groups] == [
        ("mental_health", 3, 0),
        ("substance", 3, 1),
    ]
    assert by_category.groups[0].accept.median_s == 60.0
    by_worker = figures.compute(any_db, period, by=Grouping.WORKER, now=NOW)
    assert [(g.key, g.consultations) for g in by_worker.groups] == [
        (str(roy), 3), (str(gagnon), 2), (None, 1),
    ]  # fmt: skip
    assert by_worker.group_names == {str(roy): "Marie Roy", str(gagnon): "Luc Gagnon"}
    by_unit = figures.compute(any_db, period, by=Grouping.UNIT, now=NOW)
    assert [(g.key, g.consultations) for g in by_unit.groups] == [("PDQ 21", 6)]
    assert by_unit.total.consultations == 6


def test_period_boundaries_are_local_dates_across_the_autumn_change(
    log: EventLog, any_db: Database
):
    """2026-11-01: 02:00 EDT becomes 01:00 EST. The period of Oct 31 - Nov 1 runs from
    04:00 UTC to 05:00 UTC two days later (49 hours)."""
    officer = log.person("Agent Tremblay", Role.OFFICER)
    for moment in (
        utc(2026, 10, 31, 3, 59),  # Oct 30, 23:59 EDT: before
        utc(2026, 10, 31, 4, 0),  # Oct 31, 00:00 EDT: first instant
        utc(2026, 11, 1, 5, 30),  # 01:30 EDT (the first one)
        utc(2026, 11, 1, 6, 30),  # 01:30 EST (the second one)
        utc(2026, 11, 2, 4, 59),  # Nov 1, 23:59 EST: last minute
        utc(2026, 11, 2, 5, 0),  # Nov 2, 00:00 EST: after
    ):
        log.consultation(moment, officer)
    period = Period(date(2026, 10, 31), date(2026, 11, 1), ZONE)
    assert period.end_utc - period.start_utc == timedelta(hours=49)
    report = figures.compute(any_db, period, now=NOW)
    assert report.total.consultations == 4
    assert report.load_by_hour[0] == 1 and report.load_by_hour[1] == 2
    assert report.load_by_hour[23] == 1
    by_month = figures.compute(any_db, period, by=Grouping.MONTH, now=NOW)
    assert [(g.key, g.consultations) for g in by_month.groups] == [
        ("2026-10", 1), ("2026-11", 3),
    ]  # fmt: skip


def test_the_spring_change_makes_a_23_hour_day():
    day = Period(date(2027, 3, 14), date(2027, 3, 14), ZONE)
    assert day.end_utc - day.start_utc == timedelta(hours=23)


def test_previous_week_and_month_are_whole_local_periods():
    monday_morning = utc(2026, 12, 7, 13, 0)  # Monday 08:00 EST
    assert previous_week(monday_morning, ZONE) == Period(
        date(2026, 11, 30), date(2026, 12, 6), ZONE
    )
    first = utc(2026, 12, 1, 4, 30)  # Nov 30, 23:30 EST: still November locally
    assert previous_month(first, ZONE) == Period(date(2026, 10, 1), date(2026, 10, 31), ZONE)
    assert previous_month(utc(2026, 12, 1, 13), ZONE) == Period(
        date(2026, 11, 1), date(2026, 11, 30), ZONE
    )


def test_follow_ups_done_on_time_late_overdue_and_pending(log: EventLog, any_db: Database):
    officer = log.person("Agent Tremblay", Role.OFFICER)
    roy = log.person("Marie Roy")
    sent = utc(2026, 11, 10, 14, 0)
    due = sent + timedelta(days=1)

    def followup(fid: int, *, snoozed_to=None, done_late_by=None):
        steps = [
            (10, EventKind.FOLLOWUP_SCHEDULED, roy, {"followup": fid, "due_at": due.isoformat()})
        ]
        if snoozed_to is not None:
            steps.append(
                (
                    20,
                    EventKind.FOLLOWUP_SNOOZED,
                    roy,
                    {"followup": fid, "due_at": snoozed_to.isoformat()},
                )
            )
        if done_late_by is not None:
            steps.append(
                (
                    30,
                    EventKind.FOLLOWUP_DONE,
                    roy,
                    {"followup": fid, "outcome": "ok", "late_by_s": done_late_by},
                )
            )
        return steps

    log.consultation(sent, officer, accept_s=10, worker=roy, closed_s=100, extra=[
        *followup(101, done_late_by=0),
        *followup(102, done_late_by=30 * 3600),
    ])  # fmt: skip
    log.consultation(sent, officer, accept_s=10, worker=roy, closed_s=100, extra=[
        *followup(103),  # due Nov 11: overdue on Dec 1
        *followup(104, snoozed_to=NOW + timedelta(days=2)),  # snoozed: still pending
    ])  # fmt: skip
    period = Period(date(2026, 11, 1), date(2026, 11, 30), ZONE)
    report = figures.compute(any_db, period, now=NOW, grace_hours=24)
    assert report.total.followups == {
        "scheduled": 4, "done_on_time": 1, "done_late": 1, "overdue": 1, "pending": 1,
    }  # fmt: skip


def test_referrals_are_counted_by_resource_and_category(log: EventLog, any_db: Database):
    officer = log.person("Agent Tremblay", Role.OFFICER)
    roy = log.person("Marie Roy")
    sent = utc(2026, 11, 10, 14, 0)
    for category, resources in (
        (Category.HOMELESSNESS, ["shelter-a", "shelter-a"]),
        (Category.SUBSTANCE, ["detox-b"]),
    ):
        log.consultation(sent, officer, category=category, accept_s=5, worker=roy, extra=[
            (50 + i, EventKind.REFERRAL_SENT, roy, {"resource": r}) for i, r in enumerate(resources)
        ])  # fmt: skip
    report = figures.compute(any_db, Period(date(2026, 11, 10), date(2026, 11, 10), ZONE), now=NOW)
    assert report.referrals == [("shelter-a", "homelessness", 2), ("detox-b", "substance", 1)]


def test_repeat_figures_from_the_consultations_linked_to_a_subject(log: EventLog, any_db: Database):
    """Which consultation was about whom is the subjects' link (a keyed hash only); three
    people here, one seen three times, one twice, one once; a consultation without a key
    is not linked."""
    officer = log.person("Agent Tremblay", Role.OFFICER)
    sent = utc(2026, 11, 10, 14, 0)
    about = ["h1", "h1", "h1", "h2", "h3", "h3", None]
    cids = [
        log.consultation(sent + timedelta(hours=i), officer, urgency=Urgency.ADVICE)
        for i in range(len(about))
    ]
    with any_db.unit_of_work() as session:
        subjects = {}
        for key in ("h1", "h2", "h3"):
            subjects[key] = Subject(key_hash=key * 32, created_at=sent)
            session.add(subjects[key])
        session.flush()
        for cid, key in zip(cids, about, strict=True):
            if key is not None:
                session.add(
                    SubjectLink(consultation_id=cid, subject_id=subjects[key].id, linked_at=sent)
                )
    report = figures.compute(any_db, Period(date(2026, 11, 10), date(2026, 11, 10), ZONE), now=NOW)
    assert report.repeats == repeats.Repeats(
        subjects=3, repeat_subjects=2, repeat_consultations=3, linked_consultations=6,
        per_subject={"1": 1, "2": 1, "3": 1, "4+": 0},
    )  # fmt: skip


def test_an_empty_period_has_zero_figures(any_db: Database):
    report = figures.compute(any_db, Period(date(2026, 1, 1), date(2026, 1, 31), ZONE), now=NOW)
    assert report.total.consultations == 0
    assert report.total.accept.median_s is None


def test_nearest_rank_is_computed_in_integers():
    values = [float(v) for v in range(1, 71)]
    assert figures.nearest_rank(values, 9, 10) == 63.0  # 0.9 * 70 is 63.00000000000001 in floats
    assert figures.nearest_rank(values, 1, 2) == 35.0
    assert figures.nearest_rank([4.0], 9, 10) == 4.0
    assert figures.nearest_rank([1.0, 2.0, 3.0], 1, 2) == 2.0
    assert figures.nearest_rank([], 1, 2) is None


def _article8(log: EventLog) -> tuple[int, int]:
    """Seven consultations on 2026-11-10: three with an article 8 request (one of them with
    two, from two assessments), one of them of another category; four without."""
    officer = log.person("Agent Tremblay", Role.OFFICER, unit="PDQ 21")
    roy = log.person("Marie Roy")
    base = utc(2026, 11, 10, 14, 0)
    requests = [2, 1, 1, 0, 0, 0, 0]
    for i, n in enumerate(requests):
        steps = [
            (300 + 60 * j, EventKind.ARTICLE8_REQUESTED, roy, {"assessment": 10 * i + j})
            for j in range(n)
        ]
        log.consultation(
            base + timedelta(hours=i), officer, accept_s=60, worker=roy,
            category=Category.YOUTH if i == 2 else Category.MENTAL_HEALTH,
            outcome="involuntary_p38" if n else "referred", closed_s=4000, extra=steps,
        )  # fmt: skip
    return officer, roy


def test_article_8_requests_are_counted_by_consultation(log: EventLog, any_db: Database):
    """Before: no figure counted the article8_requested events at all."""
    _article8(log)
    period = Period(date(2026, 11, 10), date(2026, 11, 10), ZONE)
    report = figures.compute(any_db, period, now=NOW)
    assert (report.total.consultations, report.total.article8_requests) == (7, 3)
    by_category = figures.compute(any_db, period, by=Grouping.CATEGORY, now=NOW)
    assert [(g.key, g.article8_requests) for g in by_category.groups] == [
        ("mental_health", 2), ("youth", 1),
    ]  # fmt: skip
