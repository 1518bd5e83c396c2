"""The supervisors' weekly and monthly reports with an injected clock: due from Monday's (or
the 1st's) configured local hour, sent once to each supervisor enrolled before, with last
week's (last month's) figures; the notice renders as text and a chart image."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.render.notices import Context, Photo, Text, steps_of
from flows import periodic_reports
from flows.periodic_reports import ReportPolicy
from flows.store import Database
from flows.vocabulary import NoticeKind, Role
from tests.support.clock import FakeClock
from tests.support.eventlog import EventLog
from tests.support.people import enrol
from tests.support.units import last_notice_id, recorded

ZONE = ZoneInfo("America/Montreal")
POLICY = ReportPolicy(zone=ZONE, hour=8, min_cell=5)


def test_the_weekly_report_is_due_from_monday_at_the_hour_and_sent_once(any_db: Database):
    clock = FakeClock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    chief = enrol(any_db, clock, Role.SUPERVISOR, "Chef Lavoie")
    other = enrol(any_db, clock, Role.SUPERVISOR, "Chef Martin", language_code="en")
    enrol(any_db, clock, Role.WORKER, "Marie Roy")
    log = EventLog(any_db)
    officer = log.person("Agent Tremblay", Role.OFFICER)
    for i in range(6):  # Tue 2026-11-24, within last week for Monday Nov 30
        log.consultation(datetime(2026, 11, 24, 15, i, tzinfo=UTC), officer, accept_s=60)
    clock.now = datetime(2026, 11, 30, 12, 59, tzinfo=UTC)  # Monday 07:59 EST
    assert periodic_reports.send_due_reports(any_db, clock, POLICY) == []
    clock.now = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)  # 08:00 EST
    before = last_notice_id(any_db)
    [sent] = periodic_reports.send_due_reports(any_db, clock, POLICY)
    assert (sent.kind, sent.period.start.isoformat(), sent.period.end.isoformat()) == (
        "weekly", "2026-11-23", "2026-11-29",
    )  # fmt: skip
    notices = recorded(any_db, before)
    assert [(n.chat_id, n.kind) for n in notices] == [
        (chief.chat_id, NoticeKind.PERIOD_REPORT),
        (other.chat_id, NoticeKind.PERIOD_REPORT),
    ]
    assert notices[0].params["report"]["total"]["consultations"] == 6
    clock.advance(hours=3)
    assert periodic_reports.send_due_reports(any_db, clock, POLICY) == []  # once
    late = enrol(any_db, clock, Role.SUPERVISOR, "Chef Nouveau")
    assert periodic_reports.send_due_reports(any_db, clock, POLICY) == []
    clock.now = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)  # Tuesday the 1st, 08:00 EST
    before = last_notice_id(any_db)
    [monthly] = periodic_reports.send_due_reports(any_db, clock, POLICY)
    assert (monthly.kind, monthly.period.start.isoformat()) == ("monthly", "2026-11-01")
    assert late.id in monthly.supervisors  # enrolled before the 1st: theirs too
    assert {n.params["kind"] for n in recorded(any_db, before)} == {"monthly"}


def test_a_report_due_while_the_bot_was_down_goes_out_when_it_is_back(db: Database):
    clock = FakeClock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    enrol(db, clock, Role.SUPERVISOR, "Chef Lavoie")
    clock.now = datetime(2026, 12, 3, 20, 0, tzinfo=UTC)  # Thursday: Monday was missed
    kinds = [s.kind for s in periodic_reports.send_due_reports(db, clock, POLICY)]
    assert kinds == ["weekly", "monthly"]


def test_the_next_report_time_is_the_next_monday_or_first_at_the_hour():
    monday = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
    assert periodic_reports.next_report_time(monday - timedelta(minutes=1), POLICY) == monday
    assert periodic_reports.next_report_time(monday, POLICY) == datetime(
        2026, 12, 1, 13, 0, tzinfo=UTC
    )  # the 1st
    spring = datetime(2027, 3, 15, 12, 0, tzinfo=UTC)  # Monday 08:00 EDT after the change
    assert periodic_reports.next_report_time(datetime(2027, 3, 9, 14, tzinfo=UTC), POLICY) == spring


def test_the_period_report_renders_as_text_then_a_chart(db: Database):
    clock = FakeClock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    enrol(db, clock, Role.SUPERVISOR, "Chef Lavoie")
    clock.now = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
    periodic_reports.send_due_reports(db, clock, POLICY)
    notice = next(n for n in recorded(db) if n.kind == NoticeKind.PERIOD_REPORT)
    text, photo = steps_of(notice, Context(None, clock.now, "811"))  # type: ignore[arg-type]
    assert isinstance(text, Text) and text.text.startswith("📊 Rapport hebdomadaire, 23 nov.")
    assert "Aucune consultation" in text.text
    assert isinstance(photo, Photo) and photo.png.startswith(b"\x89PNG")
