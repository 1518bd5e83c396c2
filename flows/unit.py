"""One user action, one transaction: a use case receives a Unit (the session, the moment it
happens, the outbox) and everything it changes and every notice it records commit together.
Given the update being handled, the unit also marks it handled in that same transaction, so a
replayed update finds its effects and its mark, or neither."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from flows.inbox import mark_handled_in
from flows.outbox import Outbox
from flows.store import Clock, Database


@dataclass
class Unit:
    session: Session
    clock: Clock
    now: datetime
    outbox: Outbox
    # The update being handled was never stored: no earlier handling can have left effects
    # (a handled update's row commits with them), so a replay's checks can be skipped.
    first_sight: bool = False


@contextmanager
def unit_of_work(
    db: Database, clock: Clock, *, update_id: int | None = None, unstored: bool = False
) -> Iterator[Unit]:
    """A transaction with its outbox: committed when the block ends, rolled back (notices
    included) if it raises. `unstored`: the update is not in the inbox yet (the fast path),
    its row is written here."""
    with db.unit_of_work() as session:
        now = clock()
        first_sight = unstored and update_id is not None
        unit = Unit(session, clock, now, Outbox(session, now), first_sight=first_sight)
        yield unit
        if update_id is not None:
            mark_handled_in(session, update_id, now, unstored=unstored, once=True)
