"""The update inbox: each Telegram update is stored before its receipt is confirmed to
Telegram and marked once handled. After a crash the unhandled ones are replayed, and an
update Telegram sends again is recognised and not applied twice."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select, update

from flows.models import InboxUpdate
from flows.store import Clock, Database

KEEP_HANDLED_FOR = timedelta(days=2)  # Telegram keeps unconfirmed updates 24 h


def store_new(db: Database, batch: list[tuple[int, str]], clock: Clock) -> set[int]:
    """Store the updates not seen before; the ids of those that are new."""
    if not batch:
        return set()
    ids = [update_id for update_id, _ in batch]
    now = clock()
    with db.unit_of_work() as session:
        known = set(
            session.scalars(select(InboxUpdate.update_id).where(InboxUpdate.update_id.in_(ids)))
        )
        fresh = {update_id for update_id in ids if update_id not in known}
        session.add_all(
            InboxUpdate(update_id=update_id, payload=payload, received_at=now)
            for update_id, payload in batch
            if update_id in fresh
        )
        return fresh


def unhandled(db: Database) -> list[tuple[int, str]]:
    """Updates stored but not handled (a crash happened in between), oldest first."""
    with db.unit_of_work() as session:
        rows = session.execute(
            select(InboxUpdate.update_id, InboxUpdate.payload)
            .where(InboxUpdate.handled_at.is_(None))
            .order_by(InboxUpdate.update_id)
        )
        return [(int(update_id), str(payload)) for update_id, payload in rows]


def is_handled(db: Database, update_id: int) -> bool:
    with db.unit_of_work() as session:
        handled_at = session.scalar(
            select(InboxUpdate.handled_at).where(InboxUpdate.update_id == update_id)
        )
        return handled_at is not None


def mark_handled(db: Database, update_id: int, clock: Clock) -> None:
    with db.unit_of_work() as session:
        session.execute(
            update(InboxUpdate).where(InboxUpdate.update_id == update_id).values(handled_at=clock())
        )


def purge_handled(db: Database, clock: Clock) -> int:
    """Forget handled updates after Telegram can no longer re-send them (and their text)."""
    with db.unit_of_work() as session:
        result = session.execute(
            delete(InboxUpdate).where(
                InboxUpdate.handled_at.is_not(None),
                InboxUpdate.handled_at < clock() - KEEP_HANDLED_FOR,
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)
