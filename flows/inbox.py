"""The update inbox: no update's receipt is confirmed to Telegram before the inbox holds it,
either handled (the use case that handled it wrote its row in its own transaction: the fast
path, one transaction per update) or stored to be handled (when handling takes longer, or the
update may be one Telegram sends again after a restart). After a crash the stored, unhandled
ones are replayed, and an update Telegram sends again is recognised and not applied twice. An
update that cannot be handled (unparseable, or its handler failed) is set aside: kept raw for
inspection, counted, never replayed, so it cannot block the bot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Insert, Select, and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from flows.models import InboxUpdate
from flows.store import Clock, Database

KEEP_HANDLED_FOR = timedelta(days=2)  # Telegram keeps unconfirmed updates 24 h
KEEP_SET_ASIDE_FOR = timedelta(days=30)  # time to inspect what could not be handled
REASON_LENGTH = 200


class AlreadyHandled(Exception):
    """The update was handled meanwhile (by another process on the same database, or by a
    first attempt whose commit was not acknowledged): this handling is rolled back whole."""


@dataclass(frozen=True)
class Received:
    """One update as Telegram sent it; set_aside says why it cannot be handled, if so."""

    update_id: int
    payload: str
    set_aside: str | None = None


def store_new(db: Database, batch: list[Received], clock: Clock) -> set[int]:
    """Store the updates not seen before; the ids of those that are new. Storing an update
    already stored (Telegram re-sent it, or another process stored it first) is a no-op."""
    if not batch:
        return set()
    now = clock()
    rows = [
        {
            "update_id": r.update_id,
            "payload": r.payload,
            "received_at": now,
            "set_aside_at": now if r.set_aside else None,
            "set_aside_reason": r.set_aside[:REASON_LENGTH] if r.set_aside else None,
        }
        for r in {r.update_id: r for r in batch}.values()
    ]
    with db.unit_of_work() as session:
        inserted = session.scalars(_insert_new(session).values(rows))
        return {int(update_id) for update_id in inserted}


def _insert_new(session: Session) -> Insert:
    """INSERT … ON CONFLICT (update_id) DO NOTHING RETURNING update_id, for either backend."""
    table = InboxUpdate.__table__
    stmt = _dialect_insert(session.get_bind().dialect.name)
    if isinstance(stmt, (postgresql.Insert, sqlite.Insert)):
        stmt = stmt.on_conflict_do_nothing(index_elements=["update_id"])
    return stmt.returning(table.c.update_id)


def _dialect_insert(dialect: str) -> Insert:
    table = InboxUpdate.__table__
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    return insert(table)  # pragma: no cover - only SQLite and PostgreSQL are supported


def _upsert(session: Session, received: Received, now: datetime, **changes: object) -> int:
    """Insert the update's row with these changes, or apply them to the row already there
    (stored by the poller meanwhile) where they are not set yet; the rows changed (0 when
    they were set already)."""
    values = {"update_id": received.update_id, "payload": received.payload, "received_at": now}
    statement = _upsert_statement(session, tuple(changes))
    result = session.connection().execute(statement, {**values, **changes})
    return len(result.all())  # RETURNING: the row inserted or changed, none if set already


_UPSERTS: dict[tuple[str, tuple[str, ...]], Insert] = {}  # built once: every update runs one


def _upsert_statement(session: Session, changes: tuple[str, ...]) -> Insert:
    return upsert_statement(session.get_bind().dialect.name, changes)


def upsert_statement(dialect: str, changes: tuple[str, ...]) -> Insert:
    """Insert an update's row with these changes, or make them where not made yet; RETURNING
    the id when it did (built once per dialect and changes)."""
    key = (dialect, changes)
    if key not in _UPSERTS:
        stmt = _dialect_insert(dialect)
        if isinstance(stmt, (postgresql.Insert, sqlite.Insert)):
            table = InboxUpdate.__table__
            stmt = stmt.on_conflict_do_update(
                index_elements=["update_id"],
                set_={name: stmt.excluded[name] for name in changes},
                where=and_(*(table.c[name].is_(None) for name in changes)),
            )
        _UPSERTS[key] = stmt.returning(InboxUpdate.__table__.c.update_id)
    return _UPSERTS[key]


def mark_handled_in(
    session: Session, update_id: int, now: datetime, *, unstored: bool = False, once: bool = False
) -> None:
    """In the handling transaction: the update is handled. An update not stored yet (the fast
    path) gets its row now, without its content: a handled update is never replayed, its id
    is all that must be kept so that a re-send is recognised. `once`: the mark is a claim,
    made by a conditional write; when the update was marked meanwhile (another process on
    the same database handled it) AlreadyHandled rolls this handling back."""
    if unstored:
        changed = _upsert(session, Received(update_id, ""), now, handled_at=now)
    else:
        result = session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.update_id == update_id, InboxUpdate.handled_at.is_(None))
            .values(handled_at=now)
            .returning(InboxUpdate.update_id)
        )
        changed = len(result.all())
    if once and changed == 0:
        raise AlreadyHandled(update_id)


def last_update_id(db: Database) -> int:
    """The newest update the inbox holds (0 if none): Telegram may send again, after a
    restart, only what is at most this one; anything newer has never been seen."""
    with db.unit_of_work() as session:
        return int(session.scalar(select(func.max(InboxUpdate.update_id))) or 0)


def unhandled(db: Database, received_before: datetime | None = None) -> list[tuple[int, str]]:
    """Updates stored but not handled (a crash happened in between), oldest first; only those
    received before a moment, if given (with several processes: those no live one is still
    handling)."""
    query = _unhandled().with_only_columns(InboxUpdate.update_id, InboxUpdate.payload)
    if received_before is not None:
        query = query.where(InboxUpdate.received_at < received_before)
    with db.unit_of_work() as session:
        rows = session.execute(query)
        return [(int(update_id), str(payload)) for update_id, payload in rows]


def _unhandled() -> Select[tuple[InboxUpdate]]:
    return (
        select(InboxUpdate)
        .where(InboxUpdate.handled_at.is_(None), InboxUpdate.set_aside_at.is_(None))
        .order_by(InboxUpdate.update_id)
    )


def set_aside(
    db: Database, update_id: int, reason: str, clock: Clock, unstored: Received | None = None
) -> None:
    """Keep this update for inspection and never replay it (its handler failed, or it could
    not be read). One not stored yet is stored now, with its content, to be inspected."""
    with db.unit_of_work() as session:
        if unstored is not None:
            now = clock()
            _upsert(
                session, unstored, now, set_aside_at=now, set_aside_reason=reason[:REASON_LENGTH]
            )
            return
        _set_aside(session, [update_id], reason, clock)


def _set_aside(session: Session, ids: list[int], reason: str, clock: Clock) -> None:
    session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.update_id.in_(ids), InboxUpdate.set_aside_at.is_(None))
        .values(set_aside_at=clock(), set_aside_reason=reason[:REASON_LENGTH])
    )


def set_aside_count(db: Database) -> int:
    """How many updates are set aside (kept for inspection)."""
    with db.unit_of_work() as session:
        count = session.scalar(
            select(func.count())
            .select_from(InboxUpdate)
            .where(InboxUpdate.set_aside_at.is_not(None))
        )
        return int(count or 0)


def is_handled(db: Database, update_id: int) -> bool:
    with db.unit_of_work() as session:
        handled_at = session.scalar(
            select(InboxUpdate.handled_at).where(InboxUpdate.update_id == update_id)
        )
        return handled_at is not None


def mark_handled(db: Database, update_id: int, clock: Clock, *, unstored: bool = False) -> None:
    """Handled by a handler that ran no use case (the use cases mark it themselves)."""
    with db.unit_of_work() as session:
        mark_handled_in(session, update_id, clock(), unstored=unstored)


def purge_handled(db: Database, clock: Clock) -> int:
    """Forget handled updates after Telegram can no longer re-send them (and their text), and
    set-aside ones once the time to inspect them is over."""
    now = clock()
    with db.unit_of_work() as session:
        result = session.execute(
            delete(InboxUpdate).where(
                or_(
                    InboxUpdate.set_aside_at < now - KEEP_SET_ASIDE_FOR,
                    (InboxUpdate.set_aside_at.is_(None))
                    & InboxUpdate.handled_at.is_not(None)
                    & (InboxUpdate.handled_at < now - KEEP_HANDLED_FOR),
                )
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)
