"""One row of facts per consultation of a period, computed in the database from the event log
(one GROUP BY over its events) into a temporary table, with a calendar table that maps each
UTC hour of the period to its local date, week, month, hour and weekday. Every figure is then
an aggregate over these two tables: the work stays in SQL, whatever the number of rows."""

from __future__ import annotations

from collections.abc import Iterator
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

from flows.models import Event
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
        dbapi_connection.execute("PRAGMA temp_store=MEMORY")

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
    conn.execute(insert(FACTS).from_select([c.name for c in FACTS.columns], _facts_select(period)))
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


def _first(kind: EventKind | tuple[EventKind, ...]) -> Any:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return func.min(case((_E.c.kind.in_(kinds), _E.c.at)))


def _flag(kind: EventKind) -> Any:
    return func.max(case((_E.c.kind == kind, 1), else_=0))


def _facts_select(period: Period) -> Any:
    """One GROUP BY over the events of the period's consultations (only the kinds figures
    read), then the durations between the moments it found."""
    sent = (
        select(_E.c.consultation_id)
        .where(
            _E.c.kind == EventKind.SUBMITTED,
            _E.c.at >= period.start_utc,
            _E.c.at < period.end_utc,
        )
        .scalar_subquery()
    )
    per = (
        select(
            _E.c.consultation_id.label("cid"),
            _first(EventKind.SUBMITTED).label("sent_at"),
            _first(EventKind.CREATED).label("created_at"),
            _first(ANSWERED).label("answered_at"),
            _first(EventKind.SCENE_CLEARED).label("cleared_at"),
            func.max(
                case((_E.c.kind == EventKind.SUBMITTED, _E.c.data["category"].as_string()))
            ).label("category"),
            func.max(
                case((_E.c.kind == EventKind.SUBMITTED, _E.c.data["urgency"].as_string()))
            ).label("urgency"),
            func.max(case((_E.c.kind == EventKind.CREATED, _E.c.actor_id))).label("officer_id"),
            func.max(case((_E.c.kind == EventKind.ACCEPTED, _E.c.actor_id))).label("accepted_by"),
            func.max(
                case(
                    (
                        _E.c.kind.in_((EventKind.TAKEN_OVER, EventKind.REASSIGNED)),
                        _E.c.data["to"].as_integer(),
                    )
                )
            ).label("given_to"),
            _flag(EventKind.ESCALATED).label("escalated"),
            _flag(EventKind.FALLBACK_GIVEN).label("fallback"),
            func.max(
                case((_E.c.kind == EventKind.OUTCOME_RECORDED, _E.c.data["outcome"].as_string()))
            ).label("outcome"),
            _flag(EventKind.INCIDENT_NUMBER_SET).label("incident"),
            _flag(EventKind.CLOSED).label("closed"),
        )
        .where(_E.c.consultation_id.in_(sent), _E.c.kind.in_(_KINDS))
        .group_by(_E.c.consultation_id)
        .subquery()
    )
    return select(
        per.c.cid,
        utc_hour(per.c.sent_at),
        per.c.category,
        per.c.urgency,
        per.c.officer_id,
        func.coalesce(per.c.accepted_by, per.c.given_to),
        seconds_between(per.c.answered_at, per.c.sent_at),
        seconds_between(per.c.cleared_at, per.c.created_at),
        per.c.escalated,
        per.c.fallback,
        case((and_(per.c.fallback == 1, per.c.answered_at.is_(None)), 1), else_=literal(0)),
        per.c.outcome,
        per.c.incident,
        per.c.closed,
    )
