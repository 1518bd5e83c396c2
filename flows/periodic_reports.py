"""The supervisors' weekly report (every Monday from the configured local hour: last week)
and monthly report (the 1st: last month). Each supervisor's copy is claimed once by a digest
mark inserted in the transaction that records its notice, so two passes or a restart never
send it twice; a pass started late (the bot was down) still sends the period's report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from flows.dates import local_at
from flows.models import DigestMark, Person
from flows.reports import figures, published
from flows.reports.period import Period, previous_month, previous_week
from flows.store import Clock, Database
from flows.unit import unit_of_work
from flows.vocabulary import NoticeKind, Role

KINDS = {"weekly": "weekly_report", "monthly": "monthly_report"}  # digest mark kinds


@dataclass(frozen=True)
class ReportPolicy:
    zone: ZoneInfo
    hour: int = 8  # local hour from which the report is due
    min_cell: int = 5
    grace_hours: int = 24


@dataclass(frozen=True)
class Sent:
    kind: str
    period: Period
    supervisors: list[int]


def due_reports(now: datetime, policy: ReportPolicy) -> list[tuple[str, Period, datetime]]:
    """The reports due at `now`: this week's (last week's figures) from Monday's hour, this
    month's from the 1st's hour; each with the moment it became due."""
    local = now.astimezone(policy.zone)
    today = local.date()
    monday = today - timedelta(days=today.weekday())
    found = []
    weekly_due = local_at(monday, time(policy.hour), policy.zone)
    if now >= weekly_due:
        found.append(("weekly", previous_week(now, policy.zone), weekly_due))
    monthly_due = local_at(today.replace(day=1), time(policy.hour), policy.zone)
    if now >= monthly_due:
        found.append(("monthly", previous_month(now, policy.zone), monthly_due))
    return found


def next_report_time(now: datetime, policy: ReportPolicy) -> datetime:
    """The next moment a report becomes due: the configured hour of the next Monday or 1st."""
    local = now.astimezone(policy.zone).date()
    for offset in range(0, 40):
        day = local + timedelta(days=offset)
        if day.weekday() == 0 or day.day == 1:
            moment = local_at(day, time(policy.hour), policy.zone)
            if moment > now:
                return moment
    raise AssertionError("a Monday comes within a week")


def send_due_reports(db: Database, clock: Clock, policy: ReportPolicy) -> list[Sent]:
    """Every due report to every supervisor enrolled before it was due and not yet sent it;
    the figures are computed once per report, each copy recorded in its own transaction."""
    now = clock()
    sent = []
    for kind, period, due in due_reports(now, policy):
        waiting = _waiting(db, KINDS[kind], period, due)
        if not waiting:
            continue
        report = figures.compute(db, period, now=now, grace_hours=policy.grace_hours)
        doc = published.document(report, policy.min_cell)
        done = []
        for supervisor_id in waiting:
            try:
                with unit_of_work(db, lambda: now) as unit:
                    unit.session.add(
                        DigestMark(
                            person_id=supervisor_id, kind=KINDS[kind], period=period.key,
                            sent_at=now,
                        )
                    )  # fmt: skip
                    unit.session.flush()
                    supervisor = unit.session.get_one(Person, supervisor_id)
                    unit.outbox.notify(supervisor, NoticeKind.PERIOD_REPORT, kind=kind, report=doc)
            except IntegrityError:
                continue  # another pass claimed it meanwhile
            done.append(supervisor_id)
        if done:
            sent.append(Sent(kind, period, done))
    return sent


def _waiting(db: Database, mark: str, period: Period, due: datetime) -> list[int]:
    with db.unit_of_work() as session:
        supervisors = session.scalars(
            select(Person.id)
            .where(
                Person.role == Role.SUPERVISOR,
                Person.revoked_at.is_(None),
                Person.created_at <= due,  # enrolled later: their first is the next one
            )
            .order_by(Person.id)
        ).all()
        done = set(
            session.scalars(
                select(DigestMark.person_id).where(
                    DigestMark.kind == mark, DigestMark.period == period.key
                )
            )
        )
    return [s for s in supervisors if s not in done]
