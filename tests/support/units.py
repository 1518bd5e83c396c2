"""Running use cases in tests: each call is one unit of work (one transaction), as the bot
runs them; `notices` reads what they recorded in the outbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import select

from flows.models import OutboxNotice
from flows.outbox import Notice, as_notice, decode
from flows.store import Clock, Database
from flows.unit import Unit, unit_of_work

P = ParamSpec("P")
R = TypeVar("R")


def act(
    db: Database, clock: Clock, use_case: Callable[Concatenate[Unit, P], R], *args: Any, **kw: Any
) -> R:
    """One use case in its own transaction, as Services.act runs it."""
    with unit_of_work(db, clock) as unit:
        return use_case(unit, *args, **kw)


def notices(db: Database, after: int = 0) -> list[tuple[int, str, dict[str, Any]]]:
    """(chat id, kind, parameters) of every notice recorded after the row id `after`."""
    with db.unit_of_work() as session:
        rows = session.scalars(
            select(OutboxNotice).where(OutboxNotice.id > after).order_by(OutboxNotice.id)
        )
        return [(row.chat_id, str(row.kind), decode(row.params)) for row in rows]


def last_notice_id(db: Database) -> int:
    with db.unit_of_work() as session:
        found = session.scalar(select(OutboxNotice.id).order_by(OutboxNotice.id.desc()).limit(1))
        return int(found or 0)


def recorded(db: Database, after: int = 0) -> list[Notice]:
    """Every notice recorded after the row id `after`, whole (priority, message to edit)."""
    with db.unit_of_work() as session:
        rows = session.scalars(
            select(OutboxNotice).where(OutboxNotice.id > after).order_by(OutboxNotice.id)
        )
        return [as_notice(row) for row in rows]
