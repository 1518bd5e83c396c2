"""The evaluation figures of a period, each an aggregate query over the facts and calendar
tables (flows/reports/facts.py): counts, time to accept and officer time (median and p90,
nearest rank, by window functions), escalation and missed requests, outcomes, load by hour and
weekday, consultations per week by category, referrals by resource, follow-ups, and repeat
consultations when subjects are recorded. Raw numbers here; suppression of small cells is
flows/reports/suppression.py, wording is the edge's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    case,
    cast,
    func,
    insert,
    literal,
    select,
)

from flows.models import Event, Person
from flows.reports import facts as f
from flows.reports import repeats
from flows.reports.period import Period
from flows.store import Database
from flows.vocabulary import EventKind

Progress = Callable[[str], None]


class Grouping(StrEnum):
    CATEGORY = "category"
    URGENCY = "urgency"
    WORKER = "worker"
    UNIT = "unit"
    MONTH = "month"


# Bins of the time-to-accept distribution, in seconds (upper bounds; the last is open).
ACCEPT_BINS = (60, 180, 300, 600, 900, 1800)


@dataclass(frozen=True)
class Spread:
    """A duration's distribution in a group: how many had one, median and p90 (seconds)."""

    n: int
    median_s: float | None
    p90_s: float | None


@dataclass(frozen=True)
class Summary:
    """One group's headline figures (the whole period when key is None)."""

    key: str | None
    consultations: int
    answered: int
    escalated: int
    fallback: int
    missed: int
    incident_numbers: int
    closed: int
    article8_requests: int  # consultations with a request under article 8 of P-38.001
    accept: Spread
    officer: Spread
    outcomes: dict[str, int]
    followups: dict[str, int]


@dataclass(frozen=True)
class Report:
    period: Period
    by: Grouping | None
    generated_at: datetime
    total: Summary
    groups: list[Summary]
    group_names: dict[str, str]  # worker id -> name (other groupings name themselves)
    load_by_hour: list[int]  # 24 local hours
    load_by_weekday: list[int]  # Monday first
    per_week: dict[str, dict[str, int]]  # local Monday -> category -> consultations
    per_day: dict[str, int]  # local date -> consultations (days with none are absent)
    accept_histogram: list[int]  # len(ACCEPT_BINS) + 1 bins
    referrals: list[tuple[str, str, int]]  # resource id, category, referrals
    repeats: repeats.Repeats | None  # None: subjects are not recorded (yet)
    grace_hours: int = 24
    notes: list[str] = field(default_factory=list)


FOLLOWUP_STATES = ("scheduled", "done_on_time", "done_late", "overdue", "pending")
NOT_RECORDED = "not_recorded"


def compute(
    db: Database,
    period: Period,
    *,
    by: Grouping | None = None,
    now: datetime | None = None,
    grace_hours: int = 24,
    progress: Progress | None = None,
) -> Report:
    """Every figure of the period, in one read-only transaction."""
    step = progress or (lambda _label: None)
    moment = now or datetime.now(UTC)
    with f.reading(db) as conn:
        step("facts")
        f.build(conn, period)
        try:
            _followup_states(conn, period, moment, grace_hours)
            step("figures")
            report = _figures(conn, period, by, moment, grace_hours, step)
        finally:
            FOLLOWUPS.drop(conn, checkfirst=True)
            f.drop(conn)
    return report


def _key(by: Grouping | None) -> Any:
    facts = f.FACTS.c
    if by is None:
        return literal("all")
    return {
        Grouping.CATEGORY: facts.category,
        Grouping.URGENCY: facts.urgency,
        Grouping.WORKER: facts.worker_id,
        Grouping.UNIT: facts.unit,
        Grouping.MONTH: facts.local_month,
    }[by]


_PEOPLE = Person.__table__
_E = Event.__table__


def _base() -> Any:
    """The facts table: one row per consultation, its calendar and unit copied in."""
    return f.FACTS


def _name(value: Any) -> str | None:
    return None if value is None else str(value)


def _figures(
    conn: Connection,
    period: Period,
    by: Grouping | None,
    now: datetime,
    grace_hours: int,
    step: Progress,
) -> Report:
    keyed = [None] if by is None else [None, by]
    summaries: dict[Grouping | None, list[Summary]] = {}
    for grouping in keyed:
        summaries[grouping] = _summaries(conn, grouping)
        step(f"groups:{grouping or 'all'}")
    [total] = summaries[None] or [_empty(None)]
    groups = summaries.get(by, []) if by is not None else []
    step("load")
    return Report(
        period=period,
        by=by,
        generated_at=now,
        total=total,
        groups=groups,
        group_names=_worker_names(conn, groups) if by == Grouping.WORKER else {},
        load_by_hour=_load(conn, f.FACTS.c.local_hour, 24),
        load_by_weekday=_load(conn, f.FACTS.c.weekday, 7),
        per_week=_per_week(conn),
        per_day=_per_day(conn),
        accept_histogram=_histogram(conn),
        referrals=_referrals(conn),
        repeats=repeats.figures(conn),
        grace_hours=grace_hours,
    )


def _empty(key: str | None) -> Summary:
    none = Spread(0, None, None)
    return Summary(key, 0, 0, 0, 0, 0, 0, 0, 0, none, none, {}, dict.fromkeys(FOLLOWUP_STATES, 0))


def _summaries(conn: Connection, by: Grouping | None) -> list[Summary]:
    key = _key(by).label("k")
    c = f.FACTS.c
    rows = conn.execute(
        select(
            key,
            func.count(),
            func.count(c.accept_s),
            func.sum(c.escalated),
            func.sum(c.fallback),
            func.sum(c.missed),
            func.sum(c.incident),
            func.sum(c.closed),
            func.sum(c.article8),
        )
        .select_from(_base())
        .group_by(key)
    ).all()
    accept, officer = _spreads(conn, by)
    outcomes = _outcomes(conn, by)
    followups = _followups(conn, by)
    found = []
    for k, n, answered, escalated, fallback, missed, incident, closed, article8 in rows:
        name = _name(k)
        found.append(
            Summary(
                key=None if by is None else name,
                consultations=int(n),
                answered=int(answered),
                escalated=int(escalated or 0),
                fallback=int(fallback or 0),
                missed=int(missed or 0),
                incident_numbers=int(incident or 0),
                closed=int(closed or 0),
                article8_requests=int(article8 or 0),
                accept=accept.get(name, Spread(0, None, None)),
                officer=officer.get(name, Spread(0, None, None)),
                outcomes=outcomes.get(name, {}),
                followups=followups.get(name, dict.fromkeys(FOLLOWUP_STATES, 0)),
            )
        )
    return sorted(found, key=lambda s: (s.key is None, s.key or ""))


Spreads = dict[str | None, Spread]


def _spreads(conn: Connection, by: Grouping | None) -> tuple[Spreads, Spreads]:
    """Time to accept and officer time per group: median and p90 by nearest rank (the value
    of rank ceil(p * n) in ascending order, in exact integer arithmetic, the same on both
    databases). The database groups the durations and hands each group's values over as one
    string (`group_concat` / `string_agg`), sorted here: SQLite has no percentile function,
    and window functions over 50,000 rows took 0.15-0.25 s per figure there, fetching the
    rows one by one about as long."""
    c = f.FACTS.c
    key = _key(by)
    rows = conn.execute(
        select(
            key,
            func.aggregate_strings(cast(c.accept_s, Text), ","),
            func.aggregate_strings(cast(c.officer_s, Text), ","),
        )
        .select_from(_base())
        .group_by(key)
    ).all()
    accept: Spreads = {}
    officer: Spreads = {}
    for k, accepts, officers in rows:
        if accepts:
            accept[_name(k)] = _spread(accepts)
        if officers:
            officer[_name(k)] = _spread(officers)
    return accept, officer


def _spread(joined: str) -> Spread:
    values = sorted(map(float, joined.split(",")))
    return Spread(
        len(values), _round(nearest_rank(values, 1, 2)), _round(nearest_rank(values, 9, 10))
    )


def nearest_rank(ordered: list[float], num: int, den: int) -> float | None:
    """The p = num/den quantile of ascending values by nearest rank: the value of rank
    ceil(p * n), computed in integers so that 0.9 * 70 is rank 63, not 64."""
    if not ordered:
        return None
    rank = -(-len(ordered) * num // den)
    return ordered[max(rank, 1) - 1]


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


def _outcomes(conn: Connection, by: Grouping | None) -> dict[str | None, dict[str, int]]:
    key = _key(by).label("k")
    outcome = func.coalesce(f.FACTS.c.outcome, NOT_RECORDED).label("o")
    rows = conn.execute(
        select(key, outcome, func.count()).select_from(_base()).group_by(key, outcome)
    ).all()
    found: dict[str | None, dict[str, int]] = {}
    for k, o, n in rows:
        found.setdefault(_name(k), {})[str(o)] = int(n)
    return found


FOLLOWUPS = Table(
    "report_followups",
    MetaData(),
    Column("consultation_id", Integer),
    Column("state", String(16)),
    prefixes=["TEMPORARY"],
)


def _followup_states(conn: Connection, period: Period, now: datetime, grace_hours: int) -> None:
    """Each follow-up of the period's consultations and its state, once per report (every
    grouping counts them from this table): done on time (within the grace after its due
    time, snoozes included), done late, overdue (not done, past due + grace now) or still
    pending."""
    e = _E.c
    steps = (
        select(
            e.consultation_id.label("cid"),
            e.data["followup"].as_integer().label("fid"),
            e.kind.label("kind"),
            e.data["due_at"].as_string().label("due"),
            e.data["late_by_s"].as_integer().label("late_s"),
        )
        .where(
            e.kind.in_(
                (EventKind.FOLLOWUP_SCHEDULED, EventKind.FOLLOWUP_SNOOZED, EventKind.FOLLOWUP_DONE)
            ),
            e.at >= period.start_utc,  # a follow-up comes after its consultation was sent
            e.consultation_id.in_(select(f.FACTS.c.consultation_id).scalar_subquery()),
        )
        .subquery()
    )
    done = steps.c.kind == EventKind.FOLLOWUP_DONE
    each = (
        select(
            steps.c.cid,
            steps.c.fid,
            func.max(case((~done, steps.c.due))).label("due"),
            func.min(case((done, steps.c.late_s))).label("late_s"),
            func.max(case((done, 1), else_=0)).label("done"),
        )
        .group_by(steps.c.cid, steps.c.fid)
        .subquery()
    )
    grace = grace_hours * 3600
    threshold = (now - timedelta(hours=grace_hours)).astimezone(UTC).isoformat()
    state = case(
        (and_(each.c.done == 1, func.coalesce(each.c.late_s, 0) <= grace), "done_on_time"),
        (each.c.done == 1, "done_late"),
        (each.c.due < threshold, "overdue"),
        else_="pending",
    )
    FOLLOWUPS.drop(conn, checkfirst=True)
    FOLLOWUPS.create(conn)
    conn.execute(
        insert(FOLLOWUPS).from_select(["consultation_id", "state"], select(each.c.cid, state))
    )


def _followups(conn: Connection, by: Grouping | None) -> dict[str | None, dict[str, int]]:
    key = _key(by).label("k")
    state = FOLLOWUPS.c.state
    rows = conn.execute(
        select(key, state, func.count())
        .select_from(
            _base().join(FOLLOWUPS, FOLLOWUPS.c.consultation_id == f.FACTS.c.consultation_id)
        )
        .group_by(key, state)
    ).all()
    found: dict[str | None, dict[str, int]] = {}
    for k, st, n in rows:
        counts = found.setdefault(_name(k), dict.fromkeys(FOLLOWUP_STATES, 0))
        counts[str(st)] += int(n)
        counts["scheduled"] += int(n)
    return found


def _load(conn: Connection, column: Any, size: int) -> list[int]:
    counts = [0] * size
    for k, n in conn.execute(
        select(column, func.count()).select_from(_base()).group_by(column)
    ).all():
        counts[int(k)] = int(n)
    return counts


def _per_week(conn: Connection) -> dict[str, dict[str, int]]:
    week, category = f.FACTS.c.local_week, f.FACTS.c.category
    found: dict[str, dict[str, int]] = {}
    for w, cat, n in conn.execute(
        select(week, category, func.count())
        .select_from(_base())
        .group_by(week, category)
        .order_by(week)
    ).all():
        found.setdefault(str(w), {})[str(cat)] = int(n)
    return found


def _per_day(conn: Connection) -> dict[str, int]:
    day = f.FACTS.c.local_date
    rows = conn.execute(select(day, func.count()).select_from(_base()).group_by(day)).all()
    return {str(d): int(n) for d, n in rows}


def _histogram(conn: Connection) -> list[int]:
    value = f.FACTS.c.accept_s
    bins = case(
        *((value < upper, index) for index, upper in enumerate(ACCEPT_BINS)),
        else_=len(ACCEPT_BINS),
    ).label("bin")
    counts = [0] * (len(ACCEPT_BINS) + 1)
    for b, n in conn.execute(
        select(bins, func.count()).where(value.is_not(None)).group_by(bins)
    ).all():
        counts[int(b)] = int(n)
    return counts


def _referrals(conn: Connection) -> list[tuple[str, str, int]]:
    e = _E.c
    resource = e.data["resource"].as_string().label("r")
    category = f.FACTS.c.category
    rows = conn.execute(
        select(resource, category, func.count())
        .select_from(_E.join(f.FACTS, f.FACTS.c.consultation_id == e.consultation_id))
        .where(e.kind == EventKind.REFERRAL_SENT)
        .group_by(resource, category)
        .order_by(func.count().desc(), resource)
    ).all()
    return [(str(r), str(cat), int(n)) for r, cat, n in rows]


def _worker_names(conn: Connection, groups: list[Summary]) -> dict[str, str]:
    ids = [int(g.key) for g in groups if g.key is not None and g.key.isdigit()]
    if not ids:
        return {}
    rows = conn.execute(
        select(_PEOPLE.c.id, _PEOPLE.c.display_name).where(_PEOPLE.c.id.in_(ids))
    ).all()
    return {str(i): str(name) for i, name in rows}
