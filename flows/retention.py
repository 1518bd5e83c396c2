"""Retention: free text is kept for documentation for a configured period (two years by
default), then purged, leaving the events (with their free text removed) and every figure the
reports need (kinds, times, categories, urgencies, outcomes, people). Transport copies (raw
update payloads in the inbox, sent notices in the outbox) go much sooner. Each kind of free
text is one Purger in PURGERS: another feature's text (care plans) joins the purge with one
entry there. `relais purge --dry-run` counts what would go; the daily job purges it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.orm import Session

from flows.models import (
    Assessment,
    CarePlan,
    Consultation,
    Event,
    FollowUp,
    InboxUpdate,
    OutboxNotice,
    PendingInput,
)
from flows.store import Clock, Database
from flows.vocabulary import ConsultationState, EventKind, FollowUpState, OutboxState

BATCH = 500  # rows rewritten per statement: a long purge never holds one huge transaction


@dataclass(frozen=True)
class RetentionPolicy:
    """How long free text is kept (bot/settings.py builds it from the environment)."""

    free_text: timedelta = timedelta(days=730)
    transport: timedelta = timedelta(days=30)  # inbox payloads, sent notices


@dataclass(frozen=True)
class Purger:
    """One kind of free text: which rows hold some older than the cutoff (ids), and how to
    remove it from them (the rows stay, unless they are transport copies)."""

    key: str  # short, for the log line
    name: str  # for the dry run's lines
    period: Callable[[RetentionPolicy], timedelta]
    pending: Callable[[Session, datetime], list[int]]
    clear: Callable[[Session, list[int], datetime], None]


@dataclass(frozen=True)
class Purged:
    """What one purger found (dry run) or removed, and its cutoff."""

    key: str
    name: str
    cutoff: datetime
    rows: int


def purge(
    db: Database, clock: Clock, policy: RetentionPolicy, *, dry_run: bool = False
) -> list[Purged]:
    """Run every purger (each batch its own transaction); dry_run only counts."""
    now = clock()
    done = []
    for purger in PURGERS:
        cutoff = now - purger.period(policy)
        if dry_run:
            with db.unit_of_work() as session:
                done.append(
                    Purged(purger.key, purger.name, cutoff, len(purger.pending(session, cutoff)))
                )
            continue
        total, seen = 0, set[int]()
        while True:
            with db.unit_of_work() as session:
                ids = [i for i in purger.pending(session, cutoff) if i not in seen][:BATCH]
                if ids:
                    purger.clear(session, ids, now)
            seen.update(ids)  # a row its purger cannot clear is never taken twice
            total += len(ids)
            if len(ids) < BATCH:
                break
        done.append(Purged(purger.key, purger.name, cutoff, total))
    return done


# --- the free text of events ---------------------------------------------------------------

# Which keys of which events are free text (or a place): what the purge removes from them.
EVENT_FREE_TEXT: dict[EventKind, tuple[str, ...]] = {
    EventKind.CREATED: ("text",),
    EventKind.MESSAGE_RELAYED: ("text", "latitude", "longitude"),
    EventKind.MESSAGE_QUEUED: ("text", "latitude", "longitude"),
    EventKind.TRANSFER_REQUESTED: ("note",),
    EventKind.TRANSFERRED: ("note",),
    EventKind.FOLLOWUP_DONE: ("outcome",),  # the outcome line typed at "done"
}
PURGED_MARK = "free_text_purged"  # set on an event whose free text the purge removed


def _holds_free_text(kind: EventKind, keys: tuple[str, ...]) -> ColumnElement[bool]:
    held = or_(*(Event.data[key].as_string().is_not(None) for key in keys))
    return (Event.kind == kind) & held


def _events_pending(session: Session, cutoff: datetime) -> list[int]:
    found = or_(*(_holds_free_text(k, keys) for k, keys in EVENT_FREE_TEXT.items()))
    return list(
        session.scalars(select(Event.id).where(Event.at < cutoff, found).order_by(Event.id))
    )


def _events_clear(session: Session, ids: list[int], now: datetime) -> None:
    for event_id, kind, data in session.execute(
        select(Event.id, Event.kind, Event.data).where(Event.id.in_(ids))
    ):
        kept: dict[str, Any] = {
            k: v for k, v in (data or {}).items() if k not in EVENT_FREE_TEXT.get(kind, ())
        }
        kept[PURGED_MARK] = now.date().isoformat()
        session.execute(update(Event).where(Event.id == event_id).values(data=kept))


# --- columns of free text ------------------------------------------------------------------


def _request_pending(session: Session, cutoff: datetime) -> list[int]:
    return list(
        session.scalars(
            select(Consultation.id).where(
                Consultation.state == ConsultationState.CLOSED,
                Consultation.created_at < cutoff,
                Consultation.request_text != "",
            )
        )
    )


def _request_clear(session: Session, ids: list[int], now: datetime) -> None:
    session.execute(update(Consultation).where(Consultation.id.in_(ids)).values(request_text=""))


def _followups_pending(session: Session, cutoff: datetime) -> list[int]:
    return list(
        session.scalars(
            select(FollowUp.id).where(
                FollowUp.state != FollowUpState.PENDING,
                FollowUp.created_at < cutoff,
                or_(FollowUp.note != "", FollowUp.outcome_line.is_not(None)),
            )
        )
    )


def _followups_clear(session: Session, ids: list[int], now: datetime) -> None:
    session.execute(update(FollowUp).where(FollowUp.id.in_(ids)).values(note="", outcome_line=None))


def _observations_pending(session: Session, cutoff: datetime) -> list[int]:
    return list(
        session.scalars(
            select(Assessment.id).where(
                Assessment.started_at < cutoff, Assessment.observations != ""
            )
        )
    )


def _observations_clear(session: Session, ids: list[int], now: datetime) -> None:
    session.execute(update(Assessment).where(Assessment.id.in_(ids)).values(observations=""))


def _care_plans_pending(session: Session, cutoff: datetime) -> list[int]:
    """Care plan versions written before the cutoff and since replaced: the plan in force is
    kept whatever its age (it is what the next handler must read), its history goes."""
    latest = (
        select(CarePlan.subject_id, func.max(CarePlan.version).label("v"))
        .group_by(CarePlan.subject_id)
        .subquery()
    )
    superseded = select(CarePlan.id).join(
        latest, (latest.c.subject_id == CarePlan.subject_id) & (CarePlan.version < latest.c.v)
    )
    texts = or_(
        CarePlan.what_works != "", CarePlan.who_to_call != "", CarePlan.risks != "",
        CarePlan.crisis_plan != "",
    )  # fmt: skip
    return list(session.scalars(superseded.where(CarePlan.created_at < cutoff, texts)))


def _care_plans_clear(session: Session, ids: list[int], now: datetime) -> None:
    session.execute(
        update(CarePlan)
        .where(CarePlan.id.in_(ids))
        .values(what_works="", who_to_call="", risks="", crisis_plan="")
    )


# --- transport copies ----------------------------------------------------------------------


def _payloads_pending(session: Session, cutoff: datetime) -> list[int]:
    """Raw updates already handled or set aside (an unhandled one is still to be replayed)."""
    return [
        int(i)
        for i in session.scalars(
            select(InboxUpdate.update_id).where(
                InboxUpdate.received_at < cutoff,
                InboxUpdate.payload != "",
                or_(InboxUpdate.handled_at.is_not(None), InboxUpdate.set_aside_at.is_not(None)),
            )
        )
    ]


def _payloads_clear(session: Session, ids: list[int], now: datetime) -> None:
    session.execute(update(InboxUpdate).where(InboxUpdate.update_id.in_(ids)).values(payload=""))


def _notices_pending(session: Session, cutoff: datetime) -> list[int]:
    """Notices sent (or refused for good): their parameters are copies of what was said."""
    return list(
        session.scalars(
            select(OutboxNotice.id).where(
                OutboxNotice.state != OutboxState.PENDING, OutboxNotice.created_at < cutoff
            )
        )
    )


def _notices_clear(session: Session, ids: list[int], now: datetime) -> None:
    session.execute(delete(OutboxNotice).where(OutboxNotice.id.in_(ids)))


def _held_pending(session: Session, cutoff: datetime) -> list[int]:
    """Questions left unanswered with a line held for the person's choice (long expired)."""
    return list(
        session.scalars(
            select(PendingInput.person_id).where(
                PendingInput.held_text.is_not(None), PendingInput.created_at < cutoff
            )
        )
    )


def _held_clear(session: Session, ids: list[int], now: datetime) -> None:
    session.execute(delete(PendingInput).where(PendingInput.person_id.in_(ids)))


def _free_text(policy: RetentionPolicy) -> timedelta:
    return policy.free_text


def _transport(policy: RetentionPolicy) -> timedelta:
    return policy.transport


# The purge, in order. A feature that keeps free text of its own adds one entry here.
PURGERS: list[Purger] = [
    Purger(
        "events",
        "event free text (messages, notes, places)",
        _free_text,
        _events_pending,
        _events_clear,
    ),
    Purger("requests", "consultation requests", _free_text, _request_pending, _request_clear),
    Purger(
        "followups",
        "follow-up notes and outcome lines",
        _free_text,
        _followups_pending,
        _followups_clear,
    ),
    Purger(
        "observations",
        "assessment observations",
        _free_text,
        _observations_pending,
        _observations_clear,
    ),
    Purger(
        "care_plans",
        "care plan versions since replaced",
        _free_text,
        _care_plans_pending,
        _care_plans_clear,
    ),
    Purger("payloads", "inbox update payloads", _transport, _payloads_pending, _payloads_clear),
    Purger("notices", "sent notices (outbox)", _transport, _notices_pending, _notices_clear),
    Purger("held", "lines held for a choice never made", _transport, _held_pending, _held_clear),
]
