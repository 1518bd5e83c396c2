"""One user action, one transaction: a use case receives a Unit (the session, the moment it
happens, the outbox) and everything it changes and every notice it records commit together.
Given the update being handled, the unit also marks it handled in that same transaction, so a
replayed update finds its effects and its mark, or neither."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from flows.models import InboxUpdate
from flows.outbox import Outbox
from flows.store import Clock, Database


@dataclass
class Unit:
    session: Session
    clock: Clock
    now: datetime
    outbox: Outbox


@contextmanager
def unit_of_work(db: Database, clock: Clock, *, update_id: int | None = None) -> Iterator[Unit]:
    """A transaction with its outbox: committed when the block ends, rolled back (notices
    included) if it raises."""
    with db.unit_of_work() as session:
        now = clock()
        unit = Unit(session, clock, now, Outbox(session, now))
        yield unit
        if update_id is not None:
            session.execute(
                update(InboxUpdate)
                .where(InboxUpdate.update_id == update_id, InboxUpdate.handled_at.is_(None))
                .values(handled_at=now)
            )
