"""One row of facts per consultation of a period, computed in the database from the event log
(one GROUP BY over its events) into a temporary table, with a calendar table that maps each
UTC hour of the period to its local date, week, month, hour and weekday. Every figure is then
an aggregate over these two tables: the work stays in SQL, whatever the number of rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    create_engine,
    event,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.engine import make_url

from flows.models import Event, Person
from flows.reports.period import Period
from flows.reports.sqlfn import hour_key, seconds_between, utc_hour
from flows.store import Database
from flows.vocabulary import EventKind

_META = MetaData()

FACTS = Table(
    "report_facts",
    _META,
    Column("consultation_id", Integer, primary_key=True),
    Column("bucket", String(13)),  # the UTC hour it was sent out: joins CALENDAR
    Column("category", String(32)),
    Column("urgency", String(32)),
    Column("officer_id", Integer),
    Column("worker_id", Integer),  # who accepted it (or the holder a supervisor gave it to)
    Column("accept_s", Float),  # sent out -> first holder; NULL: never answered
    Column("officer_s", Float),  # officer's first message -> scene cleared; NULL: not given
    Column("escalated", Integer),  # 1: offered past tier 1
    Column("fallback", Integer),  # 1: the officer was given the fallback
    Column("missed", Integer),  # 1: the fallback, and nobody ever took it
    Column("outcome", String(32)),
    Column("incident", Integer),  # 1: an incident number was given
    Column("closed", Integer),
    # the local calendar of its sending and the officer's unit, copied in once so that every
    # figure is a GROUP BY over this one table
    Column("local_date", String(10)),
    Column("local_week", String(10)),
    Column("local_month", String(7)),
    Column("local_hour", Integer),
    Column("weekday", Integer),
    Column("unit", String(80)),
    prefixes=["TEMPORARY"],
)

CALENDAR = Table(
    "report_calendar",
    _META,
    Column("bucket", String(13), primary_key=True),
    Column("local_date", String(10)),
    Column("local_week", String(10)),  # the Monday of its local week
    Column("local_month", String(7)),
    Column("local_hour", Integer),
    Column("weekday", Integer),  # 0 = Monday
    prefixes=["TEMPORARY"],
)

_E = Event.__table__
_PEOPLE = Person.__table__
ANSWERED = (EventKind.ACCEPTED, EventKind.TAKEN_OVER, EventKind.REASSIGNED)
_KINDS = (
    EventKind.CREATED,
    EventKind.SUBMITTED,
    *ANSWERED,
    EventKind.ESCALATED,
    EventKind.FALLBACK_GIVEN,
    EventKind.OUTCOME_RECORDED,
    EventKind.SCENE_CLEARED,
    EventKind.INCIDENT_NUMBER_SET,
    EventKind.CLOSED,
)


# A report reads much of the event log once: memory-mapped reads and a larger page cache for
# that connection only (the bot's own connections keep SQLite's defaults).
READ_PRAGMAS = (
    "PRAGMA temp_store=MEMORY",
    "PRAGMA mmap_size=1073741824",
    "PRAGMA cache_size=-131072",
)


@contextmanager
def reading(db: Database) -> Iterator[Connection]:
    """A connection for a report run. On SQLite a separate engine whose transactions begin
    DEFERRED: the run only reads the database (its temporary tables live apart), so it never
    takes the write lock the bot's use cases need (theirs begin IMMEDIATE)."""
    engine, own = _engine(db)
    try:
        with engine.connect() as conn, conn.begin():
            yield conn
    finally:
        if own:
            engine.dispose()


def _engine(db: Database) -> tuple[Engine, bool]:
    url = make_url(db.url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return db.engine, False
    engine = create_engine(db.url, connect_args={"timeout": 30}, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        for pragma in READ_PRAGMAS:
            dbapi_connection.execute(pragma)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine, True


def build(conn: Connection, period: Period) -> int:
    """Fill the calendar and the facts of the consultations sent out in the period; the
    number of consultations."""
    for table in (FACTS, CALENDAR):
        table.drop(conn, checkfirst=True)
        table.create(conn)
    conn.execute(insert(CALENDAR), list(_calendar_rows(period)))
    facts = _facts_select(period) if conn.dialect.name == "sqlite" else _facts_grouped(period)
    conn.execute(insert(FACTS).from_select([c.name for c in FACTS.columns], facts))
    return int(conn.scalar(select(func.count()).select_from(FACTS)) or 0)


def drop(conn: Connection) -> None:
    for table in (FACTS, CALENDAR):
        table.drop(conn, checkfirst=True)


def _calendar_rows(period: Period) -> Iterator[dict[str, Any]]:
    moment, end = period.start_utc, period.end_utc
    while moment < end:
        local = moment.astimezone(period.zone)
        day = local.date()
        yield {
            "bucket": hour_key(moment),
            "local_date": day.isoformat(),
            "local_week": (day - timedelta(days=day.weekday())).isoformat(),
            "local_month": day.isoformat()[:7],
            "local_hour": local.hour,
            "weekday": day.weekday(),
        }
        moment += timedelta(hours=1)


def _facts_select(period: Period) -> Any:
    """The period's consultations (their `submitted` event: when, category, urgency) and, for
    each, the first moment, actor or presence of each other kind of event it had: correlated
    look-ups on the (consultation, kind, at, actor) index, which answer from the index alone
    (no sort, no temporary table), then the durations between those moments."""
    e = _E.c
    sent = (
        select(
            e.consultation_id.label("cid"),
            e.at.label("sent_at"),
            e.data["category"].as_string().label("category"),
            e.data["urgency"].as_string().label("urgency"),
        )
        .where(e.kind == EventKind.SUBMITTED, e.at >= period.start_utc, e.at < period.end_utc)
        .subquery("sent")
    )

    def of(value: Callable[[Any], Any], *kinds: EventKind) -> Any:
        other = _E.alias()
        return (
            select(value(other.c))
            .where(other.c.consultation_id == sent.c.cid, other.c.kind.in_(kinds))
            .scalar_subquery()
        )

    def first(*kinds: EventKind) -> Any:
        return of(lambda c: func.min(c.at), *kinds)

    def actor(kind: EventKind) -> Any:
        return of(lambda c: func.max(c.actor_id), kind)

    def has(kind: EventKind) -> Any:
        return case((of(lambda c: func.count(), kind) > 0, 1), else_=0)

    created, answered = first(EventKind.CREATED), first(*ANSWERED)
    given = of(lambda c: func.max(c.data["to"].as_integer()), *ANSWERED[1:])
    cal, people = CALENDAR.c, _PEOPLE.c
    officer = actor(EventKind.CREATED)
    per = select(
        sent.c.cid,
        sent.c.sent_at,
        sent.c.category,
        sent.c.urgency,
        officer.label("officer_id"),
        func.coalesce(actor(EventKind.ACCEPTED), given).label("worker_id"),
        answered.label("answered_at"),
        created.label("created_at"),
        first(EventKind.SCENE_CLEARED).label("cleared_at"),
        has(EventKind.ESCALATED).label("escalated"),
        has(EventKind.FALLBACK_GIVEN).label("fallback"),
        of(lambda c: func.max(c.data["outcome"].as_string()), EventKind.OUTCOME_RECORDED).label(
            "outcome"
        ),
        has(EventKind.INCIDENT_NUMBER_SET).label("incident"),
        has(EventKind.CLOSED).label("closed"),
    ).subquery("per")
    return select(
        per.c.cid,
        cal.bucket,
        per.c.category,
        per.c.urgency,
        per.c.officer_id,
        per.c.worker_id,
        seconds_between(per.c.answered_at, per.c.sent_at),
        seconds_between(per.c.cleared_at, per.c.created_at),
        per.c.escalated,
        per.c.fallback,
        case((and_(per.c.fallback == 1, per.c.answered_at.is_(None)), 1), else_=literal(0)),
        per.c.outcome,
        per.c.incident,
        per.c.closed,
        cal.local_date,
        cal.local_week,
        cal.local_month,
        cal.local_hour,
        cal.weekday,
        people.unit,
    ).select_from(
        per.join(CALENDAR, CALENDAR.c.bucket == utc_hour(per.c.sent_at)).outerjoin(
            _PEOPLE, people.id == per.c.officer_id
        )
    )


def _facts_grouped(period: Period) -> Any:
    """The same facts by one GROUP BY over (consultation, kind) pivoted to one row per
    consultation: PostgreSQL hash-aggregates it in one pass, where it would run each
    correlated look-up of `_facts_select` as a subplan per row."""
    e = _E.c
    sent = (
        select(
            e.consultation_id.label("cid"),
            e.at.label("sent_at"),
            e.data["category"].as_string().label("category"),
            e.data["urgency"].as_string().label("urgency"),
        )
        .where(e.kind == EventKind.SUBMITTED, e.at >= period.start_utc, e.at < period.end_utc)
        .subquery("sent")
    )
    ids = select(sent.c.cid).scalar_subquery()
    steps = (
        select(
            e.consultation_id.label("cid"),
            e.kind.label("kind"),
            func.min(e.at).label("at"),
            func.max(e.actor_id).label("actor"),
        )
        .where(e.consultation_id.in_(ids), e.kind.in_(_KINDS))
        .group_by(e.consultation_id, e.kind)
        .subquery("steps")
    )
    k = steps.c.kind

    def first(*kinds: EventKind) -> Any:
        return func.min(case((k.in_(kinds), steps.c.at)))

    def actor(kind: EventKind) -> Any:
        return func.max(case((k == kind, steps.c.actor)))

    def flag(kind: EventKind) -> Any:
        return func.max(case((k == kind, 1), else_=0))

    per = (
        select(
            steps.c.cid,
            first(EventKind.CREATED).label("created_at"),
            first(*ANSWERED).label("answered_at"),
            first(EventKind.SCENE_CLEARED).label("cleared_at"),
            actor(EventKind.CREATED).label("officer_id"),
            actor(EventKind.ACCEPTED).label("accepted_by"),
            func.max(case((k.in_((EventKind.TAKEN_OVER, EventKind.REASSIGNED)), 1))).label("given"),
            flag(EventKind.ESCALATED).label("escalated"),
            flag(EventKind.FALLBACK_GIVEN).label("fallback"),
            flag(EventKind.INCIDENT_NUMBER_SET).label("incident"),
            flag(EventKind.CLOSED).label("closed"),
        )
        .group_by(steps.c.cid)
        .subquery("per")
    )
    outcome = (
        select(e.consultation_id.label("cid"), func.max(e.data["outcome"].as_string()).label("o"))
        .where(e.kind == EventKind.OUTCOME_RECORDED, e.consultation_id.in_(ids))
        .group_by(e.consultation_id)
        .subquery("outcome")
    )
    given = (  # a supervisor's take-over or reassignment: the holder is data["to"] (rare)
        select(e.consultation_id.label("cid"), func.max(e.data["to"].as_integer()).label("to"))
        .where(
            e.kind.in_((EventKind.TAKEN_OVER, EventKind.REASSIGNED)),
            e.consultation_id.in_(ids),
        )
        .group_by(e.consultation_id)
        .subquery("given")
    )
    cal, people = CALENDAR.c, _PEOPLE.c
    return select(
        sent.c.cid,
        cal.bucket,
        sent.c.category,
        sent.c.urgency,
        per.c.officer_id,
        func.coalesce(per.c.accepted_by, given.c.to),
        seconds_between(per.c.answered_at, sent.c.sent_at),
        seconds_between(per.c.cleared_at, per.c.created_at),
        per.c.escalated,
        per.c.fallback,
        case((and_(per.c.fallback == 1, per.c.answered_at.is_(None)), 1), else_=literal(0)),
        outcome.c.o,
        per.c.incident,
        per.c.closed,
        cal.local_date,
        cal.local_week,
        cal.local_month,
        cal.local_hour,
        cal.weekday,
        people.unit,
    ).select_from(
        sent.join(per, per.c.cid == sent.c.cid)
        .join(CALENDAR, CALENDAR.c.bucket == utc_hour(sent.c.sent_at))
        .outerjoin(outcome, outcome.c.cid == sent.c.cid)
        .outerjoin(given, given.c.cid == sent.c.cid)
        .outerjoin(_PEOPLE, people.id == per.c.officer_id)
    )
