"""The append-only event log: every step of every consultation, with its actor and UTC
time, recorded by the use cases; reports and the timeline read it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from flows.models import Event, Person
from flows.store import Database
from flows.vocabulary import (
    EventKind,
)

_APPEND = insert(Event.__table__)  # built once, given its values when run


def record_event(
    session: Session,
    consultation_id: int,
    kind: EventKind,
    actor_id: int | None,
    at: datetime,
    /,
    **data: Any,
) -> None:
    """Appended at once with a plain INSERT (events are never read back as objects in the
    transaction that writes them, and this keeps the ORM's flush off the hot path)."""
    session.connection().execute(
        _APPEND,
        {"consultation_id": consultation_id, "kind": kind, "actor_id": actor_id, "at": at,
         "data": data},
    )  # fmt: skip


def screening_answers(session: Session, consultation_id: int) -> list[dict[str, Any]]:
    """The officer's screening answers so far, in order: question id, its text in both
    languages (kept in the event, so a card drawn later shows what was asked), yes/no."""
    rows = session.scalars(
        select(Event.data)
        .where(
            Event.consultation_id == consultation_id,
            Event.kind == EventKind.SCREENING_ANSWERED,
        )
        .order_by(Event.id)
    )
    return [
        {"question": d["question"], "fr": d["fr"], "en": d["en"], "yes": bool(d["yes"])}
        for d in rows
    ]


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: EventKind
    actor: str | None
    data: dict[str, Any]


def timeline(db: Database, consultation_id: int) -> list[TimelineEntry]:
    with db.unit_of_work() as session:
        return entries_in(session, consultation_id)


def entries_in(session: Session, consultation_id: int) -> list[TimelineEntry]:
    """A consultation's events in the order they happened, with the actors' names (by time,
    then as written: a reminder's send is recorded after its batch went out, so a press on
    it can be written first)."""
    events = session.scalars(
        select(Event).where(Event.consultation_id == consultation_id).order_by(Event.at, Event.id)
    ).all()
    ids = {e.actor_id for e in events if e.actor_id is not None}
    names = (
        {p.id: p.display_name for p in session.scalars(select(Person).where(Person.id.in_(ids)))}
        if ids
        else {}
    )
    return [
        TimelineEntry(e.at, e.kind, names.get(e.actor_id) if e.actor_id else None, dict(e.data))
        for e in events
    ]
