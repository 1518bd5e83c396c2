"""The ledger of handled Telegram updates: Telegram re-sends unconfirmed updates after a
restart, and a handled one must not be applied twice."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from flows.models import ProcessedUpdate
from flows.store import Clock, Database

KEEP_FOR = timedelta(days=2)  # Telegram keeps unconfirmed updates 24 h


def was_processed(db: Database, update_id: int) -> bool:
    with db.unit_of_work() as session:
        return session.get(ProcessedUpdate, update_id) is not None


def mark_processed(db: Database, update_id: int, clock: Clock) -> None:
    try:
        with db.unit_of_work() as session:
            session.add(ProcessedUpdate(update_id=update_id, at=clock()))
    except IntegrityError:
        pass  # already marked: handling twice is what the ledger prevents, marking twice is fine


def purge_old(db: Database, clock: Clock) -> int:
    with db.unit_of_work() as session:
        result = session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.at < clock() - KEEP_FOR)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def last_processed(db: Database) -> int | None:
    with db.unit_of_work() as session:
        return session.scalar(
            select(ProcessedUpdate.update_id).order_by(ProcessedUpdate.update_id.desc()).limit(1)
        )
