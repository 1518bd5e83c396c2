"""One row of facts per consultation of a period, computed in the database from the event log
into a temporary table: the period's `submitted` events first (a small table of their own),
then one GROUP BY pass over those consultations' events; with a calendar table that maps each
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

from flows.models import Event, Person, UTCDateTime
from flows.reports.period import Period, local_midnight
from flows.reports.sqlfn import hour_key, seconds_between, unindexed, utc_hour
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
    Column("article8", Integer),  # 1: a request under article 8 of P-38.001 was sent
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

SENT = Table(
    "report_sent",
    _META,
    Column("cid", Integer, primary_key=True),  # walked in id order by the facts' one pass
    Column("sent_at", UTCDateTime()),
    Column("bucket", String(13)),
    prefixes=["TEMPORARY"],
)
TABLES = (FACTS, CALENDAR, SENT)

_DAY, _HOUR, _TICK = timedelta(days=1), timedelta(hours=1), timedelta(microseconds=1)
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
    EventKind.ARTICLE8_REQUESTED,
)


# A report reads much of the event log once: memory-mapped reads and a larger page cache for
# that connection only (the bot's own connections keep SQLite's defaults).
READ_PRAGMAS = (
    "PRAGMA temp_store=MEMORY",
    "PRAGMA mmap_size=1073741824",
    "PRAGMA cache_size=-131072",
)


# On PostgreSQL, for the report's transaction only: the one pass hash-aggregates some 300,000
# events (the default 4 MB spilled its sort to disk), and JIT compilation cost more than it
# saved on these statements.
PG_SETTINGS = ("SET LOCAL work_mem = '64MB'", "SET LOCAL jit = off")


@contextmanager
def reading(db: Database) -> Iterator[Connection]:
    """A connection for a report run. On SQLite a separate engine whose transactions begin
    DEFERRED: the run only reads the database (its temporary tables live apart), so it never
    takes the write lock the bot's use cases need (theirs begin IMMEDIATE). On PostgreSQL
    the pool's connection with PG_SETTINGS for this transaction."""
    engine, own = _engine(db)
    try:
        with engine.connect() as conn, conn.begin():
            if conn.dialect.name == "postgresql":
                for setting in PG_SETTINGS:
                    conn.exec_driver_sql(setting)
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
    for table in TABLES:
        table.drop(conn, checkfirst=True)
        table.create(conn)
    _fill_calendar(conn, period)
    conn.execute(insert(SENT).from_select([c.name for c in SENT.columns], _sent(period)))
    if conn.dialect.name == "postgresql":  # no autovacuum on temporary tables: the planner
        conn.exec_driver_sql(f"ANALYZE {SENT.name}")  # would guess 1,000 rows
    conn.execute(insert(FACTS).from_select([c.name for c in FACTS.columns], _facts_select()))
    return int(conn.scalar(select(func.count()).select_from(FACTS)) or 0)


def drop(conn: Connection) -> None:
    for table in TABLES:
        table.drop(conn, checkfirst=True)


def _fill_calendar(conn: Connection, period: Period) -> None:
    """The calendar's rows; on PostgreSQL by COPY on the report's own connection (an INSERT
    of a year's 8,760 rows took 0.2 s there, most of the calendar's time)."""
    rows = _calendar_rows(period)
    if (conn.dialect.name, conn.dialect.driver) != ("postgresql", "psycopg"):  # psycopg 3's COPY
        conn.execute(insert(CALENDAR), list(rows))
        return
    names = [c.name for c in CALENDAR.columns]
    sql = f"COPY {CALENDAR.name} ({', '.join(names)}) FROM STDIN"
    with conn.connection.dbapi_connection.cursor() as cursor, cursor.copy(sql) as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row([row[name] for name in names])


def _calendar_rows(period: Period) -> Iterator[dict[str, Any]]:
    """Each UTC hour of the period with its local date and hour. Within a local date whose
    UTC offset holds all day the local hour is the hours since local midnight; only the days
    of a change of offset are converted hour by hour (zone look-ups for each of a year's
    8,760 hours were most of the calendar's time)."""
    zone, moment = period.zone, period.start_utc
    day, begin = period.start, period.start_utc
    while moment < period.end_utc:
        end = local_midnight(day + _DAY, zone)
        steady = begin.astimezone(zone).utcoffset() == (end - _TICK).astimezone(zone).utcoffset()
        names = {
            "local_date": day.isoformat(),
            "local_week": (day - timedelta(days=day.weekday())).isoformat(),
            "local_month": day.isoformat()[:7],
            "weekday": day.weekday(),
        }
        while moment < end and moment < period.end_utc:
            hour = (moment - begin) // _HOUR if steady else moment.astimezone(zone).hour
            yield {"bucket": hour_key(moment), "local_hour": hour, **names}
            moment += _HOUR
        day, begin = day + _DAY, end


def _sent(period: Period) -> Any:
    """The period's consultations: their `submitted` event's consultation and time, read
    from the (kind, at, consultation) index alone."""
    e = _E.c
    return select(e.consultation_id, e.at, utc_hour(e.at)).where(
        e.kind == EventKind.SUBMITTED, e.at >= period.start_utc, e.at < period.end_utc
    )


def _facts_select() -> Any:
    """One pass over the events of the period's consultations, grouped by consultation, each
    figure's moment, actor, presence or value a conditional aggregate
    (`min(CASE WHEN kind = ... THEN at END)`).
    SQLite walks the sent consultations in id order, reads each one's events from the
    (consultation, kind, at, actor) index and groups as it goes (no sort; the JSON of an
    event is read only for the category and urgency, the outcome and a supervisor's
    hand-over); PostgreSQL hash-joins
    the events to the sent table and aggregates them in one pass."""
    e, s = _E.c, SENT.c
    k = e.kind

    def first(*kinds: EventKind) -> Any:
        return func.min(case((k.in_(kinds), e.at)))

    def actor(kind: EventKind) -> Any:
        return func.max(case((k == kind, e.actor_id)))

    def flag(kind: EventKind) -> Any:
        return func.max(case((k == kind, 1), else_=0))

    given = (EventKind.TAKEN_OVER, EventKind.REASSIGNED)
    per = (
        select(
            s.cid,
            s.bucket,
            s.sent_at,
            func.max(case((k == EventKind.SUBMITTED, e.data["category"].as_string()))).label(
                "category"
            ),
            func.max(case((k == EventKind.SUBMITTED, e.data["urgency"].as_string()))).label(
                "urgency"
            ),
            first(EventKind.CREATED).label("created_at"),
            first(*ANSWERED).label("answered_at"),
            first(EventKind.SCENE_CLEARED).label("cleared_at"),
            actor(EventKind.CREATED).label("officer_id"),
            actor(EventKind.ACCEPTED).label("accepted_by"),
            # a supervisor's take-over or reassignment: the holder is data["to"] (rare)
            func.max(case((k.in_(given), e.data["to"].as_integer()))).label("given_to"),
            flag(EventKind.ESCALATED).label("escalated"),
            flag(EventKind.FALLBACK_GIVEN).label("fallback"),
            flag(EventKind.INCIDENT_NUMBER_SET).label("incident"),
            flag(EventKind.CLOSED).label("closed"),
            flag(EventKind.ARTICLE8_REQUESTED).label("article8"),
            func.max(case((k == EventKind.OUTCOME_RECORDED, e.data["outcome"].as_string()))).label(
                "outcome"
            ),
        )
        .select_from(SENT.join(_E, e.consultation_id == s.cid))
        .where(unindexed(k).in_(_KINDS))
        .group_by(s.cid)  # the other columns of SENT depend on its key, cid
        .subquery("per")
    )
    cal, people = CALENDAR.c, _PEOPLE.c
    return select(
        per.c.cid,
        per.c.bucket,
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
        per.c.article8,
        cal.local_date,
        cal.local_week,
        cal.local_month,
        cal.local_hour,
        cal.weekday,
        people.unit,
    ).select_from(
        per.join(CALENDAR, CALENDAR.c.bucket == per.c.bucket).outerjoin(
            _PEOPLE, people.id == per.c.officer_id
        )
    )
