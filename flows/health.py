"""What the database says about the service's health, for `/healthz`, `/metrics` and
`relais health`: is it reachable (and on SQLite still the file at the configured path), how
old is the oldest notice not yet sent (a dispatcher stuck, or Telegram unreachable for long),
how many updates wait unhandled and requests wait for a worker. Read-only: nothing here
changes a row or the schema."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text

from flows.models import Consultation, InboxUpdate, OutboxNotice
from flows.store import Database
from flows.vocabulary import ConsultationState, OutboxState


@dataclass(frozen=True)
class Figures:
    outbox_pending: int
    outbox_oldest_seconds: float  # 0 when nothing is pending
    inbox_unhandled: int
    inbox_oldest_seconds: float
    waiting_requests: int
    moved_file: str | None = None  # SQLite: the configured path no longer names the file open


def figures(db: Database, now: datetime) -> Figures:
    """The database's side of health, in one short read."""
    with db.unit_of_work() as session:
        session.execute(text("select 1"))
        pending, oldest = session.execute(
            select(func.count(OutboxNotice.id), func.min(OutboxNotice.created_at)).where(
                OutboxNotice.state == OutboxState.PENDING
            )
        ).one()
        unhandled, first = session.execute(
            select(func.count(InboxUpdate.update_id), func.min(InboxUpdate.received_at)).where(
                InboxUpdate.handled_at.is_(None), InboxUpdate.set_aside_at.is_(None)
            )
        ).one()
        waiting = session.scalar(
            select(func.count(Consultation.id)).where(
                Consultation.state == ConsultationState.WAITING
            )
        )
    moved = db.moved_file()
    return Figures(
        moved_file=None if moved is None else str(moved),
        outbox_pending=int(pending or 0),
        outbox_oldest_seconds=_age(now, oldest),
        inbox_unhandled=int(unhandled or 0),
        inbox_oldest_seconds=_age(now, first),
        waiting_requests=int(waiting or 0),
    )


def _age(now: datetime, then: datetime | None) -> float:
    if then is None:
        return 0.0
    if then.tzinfo is None:  # SQLite hands back naive UTC from an aggregate
        then = then.replace(tzinfo=now.tzinfo)
    return max(0.0, (now - then).total_seconds())
