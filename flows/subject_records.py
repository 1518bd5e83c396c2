"""What Relais holds about one person, for the people the law gives rights to: the audit of
every view of their history or care plan (by person, or by user), the access request (all
of it, as data to write to a file), and erasure (the link and the free text go, the events
stay, anonymous). Called from the command line, never from the bot."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from flows.cases import case_followups, plan_versions
from flows.models import (
    Assessment,
    CarePlan,
    Consultation,
    Event,
    FollowUp,
    InboxUpdate,
    OutboxNotice,
    PendingInput,
    Person,
    SubjectEvent,
    SubjectLink,
    reference_of,
)
from flows.retention import EVENT_FREE_TEXT
from flows.store import Database
from flows.subjects import Seen, linked_consultations, subject_by_hash, subject_reference
from flows.vocabulary import ConsultationState, EventKind, InputKind, OutboxState

# Views recorded in the consultations' own event log by other features (e.g. an assessment
# viewed): every event kind whose name ends in _VIEWED belongs to the audit.
VIEWED_EVENT_KINDS = tuple(k for k in EventKind if k.name.endswith("_VIEWED"))
FREE_TEXT_KEYS = frozenset({"text", "caption", "note", "line", "latitude", "longitude"})
# An update is stored when it arrives and may be handled (replayed) well after: the raw
# payloads erased start this long before the first consultation was opened.
PAYLOAD_MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class AuditLine:
    at: datetime
    kind: str
    actor: str
    subject: str | None  # P-0007, or None once erased
    consultation: str | None
    details: dict[str, Any]


def _names(session: Session) -> dict[int, str]:
    return {p.id: p.display_name for p in session.scalars(select(Person))}


def _line(names: dict[int, str], e: SubjectEvent | Event, subject_id: int | None) -> AuditLine:
    actor = names.get(e.actor_id, f"#{e.actor_id}") if e.actor_id else "—"
    consultation = f"C-{e.consultation_id:04d}" if e.consultation_id else None
    kind = e.kind.value if isinstance(e.kind, EventKind) else str(e.kind)
    return AuditLine(
        e.at,
        kind,
        actor,
        subject_reference(subject_id) if subject_id else None,
        consultation,
        dict(e.data or {}),
    )


def audit_of_subject(db: Database, key_hash: str) -> list[AuditLine] | None:
    """Every view and change about this person, oldest first; None for an unknown key."""
    with db.unit_of_work() as session:
        subject = subject_by_hash(session, key_hash)
        if subject is None:
            return None
        names = _names(session)
        lines = [
            _line(names, e, subject.id)
            for e in session.scalars(
                select(SubjectEvent).where(SubjectEvent.subject_id == subject.id)
            )
        ]
        linked = select(SubjectLink.consultation_id).where(SubjectLink.subject_id == subject.id)
        if VIEWED_EVENT_KINDS:
            lines += [
                _line(names, e, subject.id)
                for e in session.scalars(
                    select(Event).where(
                        Event.consultation_id.in_(linked), Event.kind.in_(VIEWED_EVENT_KINDS)
                    )
                )
            ]
        return sorted(lines, key=lambda line: line.at)


def audit_of_user(db: Database, name: str) -> list[AuditLine] | None:
    """Everything this user viewed or changed about people, oldest first; None when no
    enrolled person has that name (compared without case)."""
    with db.unit_of_work() as session:
        wanted = name.strip().casefold()
        ids = [p.id for p in session.scalars(select(Person)) if p.display_name.casefold() == wanted]
        if not ids:
            return None
        names = _names(session)
        lines = [
            _line(names, e, e.subject_id)
            for e in session.scalars(select(SubjectEvent).where(SubjectEvent.actor_id.in_(ids)))
        ]
        if VIEWED_EVENT_KINDS:
            for e in session.scalars(
                select(Event).where(Event.actor_id.in_(ids), Event.kind.in_(VIEWED_EVENT_KINDS))
            ):
                link = session.get(SubjectLink, e.consultation_id)
                lines.append(_line(names, e, link.subject_id if link else None))
        return sorted(lines, key=lambda line: line.at)


def export_subject(
    db: Database, key_hash: str, now: datetime, by: str = "cli"
) -> dict[str, Any] | None:
    """Everything held about this person, as plain JSON-ready data; the export itself is
    recorded. None for an unknown key."""
    with db.unit_of_work() as session:
        subject = subject_by_hash(session, key_hash)
        if subject is None:
            return None
        names = _names(session)
        every = linked_consultations(session, subject.id)
        data: dict[str, Any] = {
            "subject": {
                "reference": subject_reference(subject.id),
                "known_since": subject.created_at.isoformat(),
                "case_owner": names.get(subject.owner_id) if subject.owner_id else None,
                "note": "The key itself is not held: only its keyed hash.",
            },
            "consultations": [_consultation(session, names, c) for c in every],
            "care_plan_versions": [
                {
                    "version": v.version,
                    "author": v.author,
                    "at": v.at.isoformat(),
                    "changed": v.changed,
                    "what_works": v.what_works,
                    "who_to_call": v.who_to_call,
                    "risks": v.risks,
                    "crisis_plan": v.crisis_plan,
                }
                for v in plan_versions(session, subject.id)
            ],
            "follow_ups": [
                {
                    "consultation": f.reference,
                    "due_at": f.due_at.isoformat(),
                    "aimed_at": f.aimed_at,
                    "note": f.note,
                    "done": f.done,
                }
                for f in case_followups(session, [c.id for c in every])
            ],
            "audit": [
                {"at": a.at.isoformat(), "kind": a.kind, "by": a.actor,
                 "consultation": a.consultation}
                for a in (
                    _line(names, e, subject.id)
                    for e in session.scalars(
                        select(SubjectEvent).where(SubjectEvent.subject_id == subject.id)
                    )
                )
            ],
        }  # fmt: skip
        session.add(
            SubjectEvent(
                kind=Seen.EXPORTED, subject_id=subject.id, at=now, data={"by": by}, actor_id=None
            )
        )
        return data


def _consultation(session: Session, names: dict[int, str], c: Consultation) -> dict[str, Any]:
    events = session.scalars(
        select(Event).where(Event.consultation_id == c.id).order_by(Event.id)
    ).all()
    assessments = session.scalars(
        select(Assessment).where(Assessment.consultation_id == c.id).order_by(Assessment.id)
    ).all()
    return {
        "reference": c.reference,
        "created_at": c.created_at.isoformat(),
        "state": c.state.value,
        "category": c.category.value if c.category else None,
        "urgency": c.urgency.value if c.urgency else None,
        "outcome": c.outcome.value if c.outcome else None,
        "officer": names.get(c.officer_id),
        "worker": names.get(c.worker_id) if c.worker_id else None,
        "request_text": c.request_text,
        "assessments": [_assessment(names, a) for a in assessments],
        "events": [
            {
                "at": e.at.isoformat(),
                "kind": e.kind.value,
                "by": names.get(e.actor_id) if e.actor_id else None,
                "data": dict(e.data or {}),
            }
            for e in events
        ],
    }


def _assessment(names: dict[int, str], a: Assessment) -> dict[str, Any]:
    """A P-38.001 assessment as the person may ask for it: the judgment, the observations
    (kept only in the assessments table, never in the events), who, and when."""

    def at(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "state": a.state.value,
        "danger": a.danger.value if a.danger else None,
        "decision": a.decision.value if a.decision else None,
        "observations": a.observations,
        "by": names.get(a.author_id),
        "started_at": at(a.started_at),
        "recorded_at": at(a.recorded_at),
        "article8_requested_at": at(a.requested_at),
        "article8_acknowledged_at": at(a.acknowledged_at),
        "article8_acknowledged_by": names.get(a.acknowledged_by_id)
        if a.acknowledged_by_id
        else None,
    }


@dataclass(frozen=True)
class _Held:
    """What erasure looks for in the notices: the person's consultations (by id, and by
    reference as the notices that are not linked to one name them, e.g. an assessment's
    steps) and the person."""

    ids: set[int]
    references: set[str]
    subject_id: int


REFERENCE_KEYS = ("ref", "reference")  # how notices name a consultation among their values


def _mentions(value: Any, held: _Held) -> bool:
    """Whether a notice's parameters carry one of these consultations (a view of it, or its
    reference) or this person (their history, case or care plan)."""
    if isinstance(value, dict):
        if value.get("__view__") == "ConsultationView" and value.get("id") in held.ids:
            return True
        if value.get("subject_id") == held.subject_id:
            return True
        if any(value.get(key) in held.references for key in REFERENCE_KEYS):
            return True
        return any(_mentions(v, held) for v in value.values())
    if isinstance(value, list):
        return any(_mentions(v, held) for v in value)
    return False


def _forget_notices(session: Session, ids: set[int], subject_id: int) -> None:
    """Notices keep what they render (the officer's words on a card, a relayed line, a
    care plan, an assessment's observations): those about this person keep only their kind
    and times; one not sent yet is not sent at all."""
    held = _Held(ids, {reference_of(i) for i in ids}, subject_id)
    rows = session.scalars(select(OutboxNotice).execution_options(yield_per=500))
    for row in rows:
        if row.consultation_id in ids or _mentions(row.params, held):
            row.params = {"erased": True}
            if row.state == OutboxState.PENDING:
                row.state = OutboxState.FAILED


@dataclass(frozen=True)
class Erased:
    consultations: int
    care_plan_versions: int
    follow_ups: int


def erase_subject(db: Database, key_hash: str, now: datetime) -> Erased | None:
    """Erase a person, in one transaction: their consultations lose the link and every free
    text (the request, the messages' words and places, notes, follow-up notes and outcome
    lines, assessments' observations, a line held for a choice, the care plan, what the
    outbox kept to render them): at least what the retention purge would remove. Events,
    outcomes, assessments' codes and times stay for the figures, anonymous. None for an
    unknown key."""
    with db.unit_of_work() as session:
        subject = subject_by_hash(session, key_hash)
        if subject is None:
            return None
        ids = [c.id for c in linked_consultations(session, subject.id)]
        followups, assessed = _forget_texts(session, ids) if ids else ([], [])
        _forget_held_lines(session, ids, followups, assessed, subject.id)
        _forget_notices(session, set(ids), subject.id)
        if ids:
            _forget_payloads(session, ids, assessed)
        plans = session.execute(delete(CarePlan).where(CarePlan.subject_id == subject.id))
        session.execute(delete(SubjectLink).where(SubjectLink.subject_id == subject.id))
        session.execute(
            update(SubjectEvent)
            .where(SubjectEvent.subject_id == subject.id)
            .values(subject_id=None, data={})
        )
        session.add(SubjectEvent(kind=Seen.ERASED, at=now, data={"consultations": len(ids)}))
        session.delete(subject)
        return Erased(len(ids), int(plans.rowcount or 0), len(followups))


def _forget_texts(session: Session, ids: list[int]) -> tuple[list[int], list[int]]:
    """The free text kept in these consultations' own rows: the request, the events' words
    and places (every key the purge removes, and more), follow-up notes and outcome lines,
    assessments' observations. Returns the follow-ups' and the assessments' ids."""
    session.execute(update(Consultation).where(Consultation.id.in_(ids)).values(request_text=""))
    for e in session.scalars(select(Event).where(Event.consultation_id.in_(ids))):
        dropped = FREE_TEXT_KEYS | set(EVENT_FREE_TEXT.get(e.kind, ()))
        if dropped & set(e.data or {}):
            e.data = {k: v for k, v in e.data.items() if k not in dropped}
    followups = list(session.scalars(select(FollowUp).where(FollowUp.consultation_id.in_(ids))))
    for f in followups:
        f.note, f.outcome_line = "", None
    assessed = list(
        session.scalars(select(Assessment.id).where(Assessment.consultation_id.in_(ids)))
    )
    session.execute(
        update(Assessment).where(Assessment.consultation_id.in_(ids)).values(observations="")
    )
    return [f.id for f in followups], assessed


def _forget_held_lines(
    session: Session, ids: list[int], followups: list[int], assessed: list[int], subject_id: int
) -> None:
    """A line held while its writer says whether it answers the bot's question: when the
    question is about this person (one of their consultations, follow-ups, assessments, or
    their care plan), or its writer holds one of their consultations now (a held line is often
    meant for another case in hand), the line goes; the question stays (its answer then
    finds no line). Held lines are transient: one too many lost is a line to type again."""
    holders = set(
        session.scalars(
            select(Consultation.worker_id).where(
                Consultation.id.in_(ids),
                Consultation.state == ConsultationState.ACTIVE,  # held now, not years ago
                Consultation.worker_id.is_not(None),
            )
        )
    )
    targets = {
        InputKind.PLAN_DATE: set(ids),
        InputKind.SUBJECT_KEY: set(ids),
        InputKind.NOTE: set(followups),
        InputKind.OUTCOME: set(followups),
        InputKind.SNOOZE_DATE: set(followups),
        InputKind.OBSERVATIONS: set(assessed),
    }
    for row in session.scalars(select(PendingInput).where(PendingInput.held_text.is_not(None))):
        if row.kind == InputKind.CARE_PLAN_FIELD:
            about = row.target_id // 10 == subject_id
        else:
            about = row.target_id in targets.get(InputKind(row.kind), set())
        if about or row.person_id in holders:
            row.held_text, row.held_message_id = None, None


def _sender(payload: str) -> int | None:
    """Who sent a raw update (its message's, press's or status change's `from`)."""
    try:
        update_ = json.loads(payload)
    except ValueError:
        return None
    for value in update_.values() if isinstance(update_, dict) else ():
        if isinstance(value, dict) and isinstance(value.get("from"), dict):
            found = value["from"].get("id")
            return found if isinstance(found, int) else None
    return None


def _forget_payloads(session: Session, ids: list[int], assessed: list[int]) -> None:
    """The inbox's raw updates hold the words as typed (for the transport period): which
    update was about which consultation is not kept, so every payload handled or set aside
    from the people who took part (officer, actors in the log, intervener, follow-up
    assignees) since just before the first consultation goes. Transport copies only: one
    still to be replayed stays; those people's other lines of that time go with them."""
    since = session.scalar(
        select(func.min(Consultation.created_at)).where(Consultation.id.in_(ids))
    )
    assert since is not None  # ids are consultations that exist
    people = set(session.scalars(select(Consultation.officer_id).where(Consultation.id.in_(ids))))
    people |= set(session.scalars(select(Event.actor_id).where(Event.consultation_id.in_(ids))))
    people |= set(session.scalars(select(Assessment.author_id).where(Assessment.id.in_(assessed))))
    people |= set(
        session.scalars(select(FollowUp.assignee_id).where(FollowUp.consultation_id.in_(ids)))
    )
    senders = set(
        session.scalars(select(Person.telegram_user_id).where(Person.id.in_(people - {None})))
    )
    rows = session.execute(
        select(InboxUpdate.update_id, InboxUpdate.payload).where(
            InboxUpdate.received_at >= since - PAYLOAD_MARGIN,
            InboxUpdate.payload != "",
            or_(InboxUpdate.handled_at.is_not(None), InboxUpdate.set_aside_at.is_not(None)),
        )
    ).all()
    gone = [update_id for update_id, payload in rows if _sender(payload) in senders]
    if gone:
        session.execute(
            update(InboxUpdate).where(InboxUpdate.update_id.in_(gone)).values(payload="")
        )
