"""People seen before: the subject a consultation is about (found or created from the keyed
hash of its key), their history as a worker's card shows it (earlier consultations of the
last twelve months, the last one's category, outcome, follow-up and handler, whether a care
plan exists), the recurring flag, who may see what, and the record of every view."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from flows.models import (
    CarePlan,
    Consultation,
    FollowUp,
    Offer,
    Person,
    Subject,
    SubjectEvent,
    SubjectLink,
)
from flows.outbox import VIEWS
from flows.subject_policy import SubjectPolicy
from flows.vocabulary import Category, ConsultationState, FollowUpState, Outcome, Role


class Seen:
    """What a subject event records (subject_events.kind): views are the audit."""

    HISTORY_VIEWED = "history_viewed"
    CARE_PLAN_VIEWED = "care_plan_viewed"
    CASE_VIEWED = "case_viewed"
    RECURRING_VIEWED = "recurring_viewed"
    EXPORTED = "exported"
    KEY_LINKED = "key_linked"
    KEY_CORRECTED = "key_corrected"  # recorded for the person the consultation is now about
    KEY_UNLINKED = "key_unlinked"  # for the person it was about before (not whom it went to)
    OWNER_TAKEN = "owner_taken"
    OWNER_GIVEN_UP = "owner_given_up"
    OWNER_HANDED = "owner_handed"
    CARE_PLAN_CHANGED = "care_plan_changed"
    ERASED = "erased"


def subject_reference(subject_id: int) -> str:
    """The short reference a person's case is known by in the bot, e.g. P-0007."""
    return f"P-{subject_id:04d}"


def parse_subject_reference(text: str) -> int | None:
    cleaned = text.strip().upper().removeprefix("P").lstrip("-").strip()
    return int(cleaned) if cleaned.isdigit() and 0 < len(cleaned) <= 9 else None


def record(
    session: Session,
    kind: str,
    actor_id: int | None,
    at: datetime,
    *,
    subject_id: int | None = None,
    consultation_id: int | None = None,
    **data: Any,
) -> None:
    """Append one subject event (a view, a change) in the use case's transaction."""
    session.add(
        SubjectEvent(
            kind=kind,
            subject_id=subject_id,
            consultation_id=consultation_id,
            actor_id=actor_id,
            at=at,
            data=data,
        )
    )


# --- the link ---------------------------------------------------------------------------------


def subject_by_hash(session: Session, key_hash: str) -> Subject | None:
    return session.scalar(select(Subject).where(Subject.key_hash == key_hash))


def find_or_create(session: Session, key_hash: str, now: datetime) -> Subject:
    """The subject of this hash; created at once if new (two first consultations about one
    person at the same moment meet the unique index and share one row)."""
    found = subject_by_hash(session, key_hash)
    if found is not None:
        return found
    try:
        with session.begin_nested():
            subject = Subject(key_hash=key_hash, created_at=now)
            session.add(subject)
        return subject
    except IntegrityError:
        existing = subject_by_hash(session, key_hash)
        assert existing is not None
        return existing


def link_of(session: Session, consultation_id: int) -> SubjectLink | None:
    return session.get(SubjectLink, consultation_id)


def subject_of(session: Session, consultation_id: int) -> int | None:
    link = link_of(session, consultation_id)
    return link.subject_id if link is not None else None


# --- history ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubjectHistory:
    """What a worker is shown about a person: plain values (a notice parameter)."""

    subject_id: int
    reference: str
    count: int  # earlier consultations within the history window
    last_reference: str | None
    last_at: datetime | None
    last_category: Category | None
    last_outcome: Outcome | None
    last_followup: str | None  # 'pending', 'done', or None without one
    last_handler: str | None
    care_plan: bool
    owner: str | None
    recurring: bool
    recent: int  # consultations within the recurring window, this one included
    recurring_days: int
    zone: str  # the service's zone, for the dates shown
    categories: list[str] = field(default_factory=list)


VIEWS["SubjectHistory"] = SubjectHistory


def linked_consultations(
    session: Session, subject_id: int, since: datetime | None = None
) -> list[Consultation]:
    """Every consultation about this person (since that moment), newest first."""
    query = (
        select(Consultation)
        .join(SubjectLink, SubjectLink.consultation_id == Consultation.id)
        .where(SubjectLink.subject_id == subject_id)
        .order_by(Consultation.created_at.desc(), Consultation.id.desc())
    )
    if since is not None:
        query = query.where(Consultation.created_at >= since)
    return list(session.scalars(query))


def has_care_plan(session: Session, subject_id: int) -> bool:
    found = session.scalar(select(CarePlan.id).where(CarePlan.subject_id == subject_id).limit(1))
    return found is not None


def name_of(session: Session, person_id: int | None) -> str | None:
    if person_id is None:
        return None
    person = session.get(Person, person_id)
    return person.display_name if person is not None else None


def _followup_state(session: Session, consultation_id: int) -> str | None:
    states = list(
        session.scalars(select(FollowUp.state).where(FollowUp.consultation_id == consultation_id))
    )
    if FollowUpState.PENDING in states:
        return "pending"
    if FollowUpState.DONE in states:
        return "done"
    return None


def history_of(
    session: Session,
    subject_id: int,
    now: datetime,
    policy: SubjectPolicy,
    exclude: int | None = None,
) -> SubjectHistory:
    """The person's history as of now, without the consultation being offered."""
    subject = session.get_one(Subject, subject_id)
    days = max(policy.history_days, policy.recurring_days)
    every = linked_consultations(session, subject_id, now - timedelta(days=days))
    since = now - timedelta(days=policy.history_days)
    earlier = [c for c in every if c.id != exclude and c.created_at >= since]
    recent_since = now - timedelta(days=policy.recurring_days)
    recent = [c for c in every if c.created_at >= recent_since]
    last = earlier[0] if earlier else None
    categories = sorted({c.category.value for c in earlier if c.category is not None})
    return SubjectHistory(
        subject_id=subject_id,
        reference=subject_reference(subject_id),
        count=len(earlier),
        last_reference=last.reference if last else None,
        last_at=last.created_at if last else None,
        last_category=last.category if last else None,
        last_outcome=last.outcome if last else None,
        last_followup=_followup_state(session, last.id) if last else None,
        last_handler=name_of(session, last.worker_id) if last else None,
        care_plan=has_care_plan(session, subject_id),
        owner=name_of(session, subject.owner_id),
        recurring=len(recent) >= policy.recurring_count,
        recent=len(recent),
        recurring_days=policy.recurring_days,
        zone=policy.zone,
        categories=categories,
    )


def history_for(
    session: Session,
    consultation_id: int,
    viewer_id: int,
    now: datetime,
    policy: SubjectPolicy,
) -> SubjectHistory | None:
    """The history a worker offered (or handling) this consultation sees, recorded as a
    view; None when the consultation is about nobody known."""
    return history_for_all(session, consultation_id, [viewer_id], now, policy)


def history_for_all(
    session: Session,
    consultation_id: int,
    viewer_ids: list[int],
    now: datetime,
    policy: SubjectPolicy,
) -> SubjectHistory | None:
    """The same history for every worker a consultation is offered to: read once, one view
    recorded per worker."""
    subject_id = subject_of(session, consultation_id)
    if subject_id is None or not viewer_ids:
        return None
    history = history_of(session, subject_id, now, policy, exclude=consultation_id)
    for viewer_id in viewer_ids:
        record(
            session,
            Seen.HISTORY_VIEWED,
            viewer_id,
            now,
            subject_id=subject_id,
            consultation_id=consultation_id,
        )
    return history


# --- recurring --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecurringEntry:
    subject_id: int
    reference: str
    count: int
    last_at: datetime
    categories: list[str]
    owner: str | None
    care_plan: bool


def recurring(session: Session, now: datetime, policy: SubjectPolicy) -> list[RecurringEntry]:
    """Everyone with at least the threshold of consultations in the window, most seen first."""
    since = now - timedelta(days=policy.recurring_days)
    rows = session.execute(
        select(SubjectLink.subject_id, func.count(), func.max(Consultation.created_at))
        .join(Consultation, Consultation.id == SubjectLink.consultation_id)
        .where(Consultation.created_at >= since)
        .group_by(SubjectLink.subject_id)
        .having(func.count() >= policy.recurring_count)
    ).all()
    entries = []
    for subject_id, count, last_at in rows:
        subject = session.get_one(Subject, subject_id)
        cats = session.scalars(
            select(Consultation.category)
            .join(SubjectLink, SubjectLink.consultation_id == Consultation.id)
            .where(SubjectLink.subject_id == subject_id, Consultation.created_at >= since)
        )
        entries.append(
            RecurringEntry(
                subject_id=int(subject_id),
                reference=subject_reference(int(subject_id)),
                count=int(count),
                last_at=_aware(last_at),
                categories=sorted({c.value for c in cats if c is not None}),
                owner=name_of(session, subject.owner_id),
                care_plan=has_care_plan(session, subject_id),
            )
        )
    return sorted(entries, key=lambda e: (-e.count, -e.last_at.timestamp()))


def _aware(value: datetime) -> datetime:
    """SQL aggregates skip the column type: SQLite hands back a naive (UTC) time."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def is_recurring(session: Session, subject_id: int, now: datetime, policy: SubjectPolicy) -> bool:
    since = now - timedelta(days=policy.recurring_days)
    count = session.scalar(
        select(func.count())
        .select_from(SubjectLink)
        .join(Consultation, Consultation.id == SubjectLink.consultation_id)
        .where(SubjectLink.subject_id == subject_id, Consultation.created_at >= since)
    )
    return int(count or 0) >= policy.recurring_count


# --- who may see what ---------------------------------------------------------------------


def may_see_subject(session: Session, person: Person, subject_id: int) -> bool:
    """Supervisors see every person's history; a worker sees that of people whose case they
    own or whose consultations they were offered or handled; officers never see any."""
    if not person.active:
        return False
    if person.role == Role.SUPERVISOR:
        return True
    if person.role != Role.WORKER:
        return False
    subject = session.get(Subject, subject_id)
    if subject is None:
        return False
    if subject.owner_id == person.id:
        return True
    linked = select(SubjectLink.consultation_id).where(SubjectLink.subject_id == subject_id)
    handled = session.scalar(
        select(Consultation.id)
        .where(Consultation.id.in_(linked), Consultation.worker_id == person.id)
        .limit(1)
    )
    if handled is not None:
        return True
    offered = session.scalar(
        select(Offer.id)
        .where(Offer.consultation_id.in_(linked), Offer.worker_id == person.id)
        .limit(1)
    )
    return offered is not None


def may_list_recurring(person: Person) -> bool:
    return person.active and person.role in (Role.WORKER, Role.SUPERVISOR)


def is_open(c: Consultation) -> bool:
    return c.state != ConsultationState.CLOSED
