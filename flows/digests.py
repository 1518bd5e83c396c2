"""The digests: the handover message each worker gets when their rostered shift begins, and
the supervisors' daily summary with the overdue list, each claimed once (a mark per person and
period) so two passes never send it twice. The mark and the notice are one transaction: a
digest claimed is a digest in the outbox, sent even after a crash. When shifts begin is the
roster's to say."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from flows import followups, roster
from flows.dates import local_at
from flows.events import record_event
from flows.followups import LIST_LIMIT, FollowUpPolicy, FollowUpView, listed
from flows.models import Consultation, DigestMark, FollowUp, Person, Shift
from flows.people import PersonView, view_of
from flows.store import Clock, Database
from flows.unit import Unit, unit_of_work
from flows.views import ConsultationView, view_in
from flows.vocabulary import ConsultationState, EventKind, FollowUpState, NoticeKind, Role

OVERDUE_LIMIT = 200  # lines of the supervisors' overdue list (one message, split by the sender)


def _local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def _claim(unit: Unit, person_id: int, kind: str, period: str) -> None:
    """The digest's mark, inserted now: a second claim of the same person and period breaks
    the unique constraint (IntegrityError) and its transaction, notice included, rolls back."""
    unit.session.add(DigestMark(person_id=person_id, kind=kind, period=period, sent_at=unit.now))
    unit.session.flush()


@dataclass(frozen=True)
class Digest:
    """The shift handover message for one arriving worker."""

    person: PersonView
    open_consultations: list[ConsultationView]
    waiting: int
    due_today: list[FollowUpView]
    overdue: list[FollowUpView]


def due_shift_digests(db: Database, clock: Clock, policy: FollowUpPolicy) -> list[Digest]:
    """Every worker whose rostered shift is under way and who has not had its handover
    digest yet: the digest is claimed (marked) once per shift, in the transaction that
    records it in the outbox."""
    now = clock()
    local = now.astimezone(policy.zone)
    with db.unit_of_work() as session:
        rows = session.execute(
            select(Shift, Person)
            .join(Person, Person.id == Shift.person_id)
            .where(Shift.on_call.is_(False), Person.revoked_at.is_(None))
        ).all()
        starting: dict[int, datetime] = {}
        for shift, person in rows:
            begin = roster.shift_start(shift, local, policy.zone)
            if begin is not None:
                starting[person.id] = begin
        sent = {
            (int(pid), str(period))
            for pid, period in session.execute(
                select(DigestMark.person_id, DigestMark.period).where(
                    DigestMark.kind == "shift", DigestMark.person_id.in_(list(starting))
                )
            )
        }  # checked first, so the sweep does not hit the unique constraint every time
    digests = []
    for person_id, begin in sorted(starting.items()):
        period = begin.strftime("%Y-%m-%dT%H:%M")
        if (person_id, period) in sent:
            continue
        try:
            with unit_of_work(db, lambda: now) as unit:
                _claim(unit, person_id, "shift", period)
                digest = _digest_in(unit.session, person_id, now, policy)
                unit.outbox.notify(
                    digest.person, NoticeKind.SHIFT_DIGEST, **digest_params(digest, policy.zone)
                )
        except IntegrityError:
            continue  # another pass claimed it meanwhile
        digests.append(digest)
    return digests


def digest_params(d: Digest, zone: ZoneInfo) -> dict[str, Any]:
    """The digest as a notice carries it: ids and values, lists as their lines."""
    return {
        "name": d.person.display_name,
        "open_consultations": d.open_consultations,
        "waiting": d.waiting,
        "due_today": [listed(f) for f in d.due_today[:LIST_LIMIT]],
        "due_today_count": len(d.due_today),
        "overdue": [listed(f) for f in d.overdue[:LIST_LIMIT]],
        "overdue_count": len(d.overdue),
        "zone": zone.key,
    }


def _digest(db: Database, person_id: int, now: datetime, policy: FollowUpPolicy) -> Digest:
    with db.unit_of_work() as session:
        return _digest_in(session, person_id, now, policy)


def _digest_in(session: Session, person_id: int, now: datetime, policy: FollowUpPolicy) -> Digest:
    today = _local_day(now, policy.zone)
    end_of_day = local_at(today + timedelta(days=1), time(0), policy.zone)
    person = session.get_one(Person, person_id)
    mine = (FollowUp.assignee_id == person_id) | FollowUp.assignee_id.is_(None)
    pending = session.scalars(
        select(FollowUp)
        .where(FollowUp.state == FollowUpState.PENDING, mine, FollowUp.due_at < end_of_day)
        .order_by(FollowUp.due_at)
    ).all()
    late = [f for f in pending if f.due_at <= now - policy.grace]
    today_rows = [f for f in pending if f not in late]
    open_rows = session.scalars(
        select(Consultation)
        .where(
            Consultation.worker_id == person_id,
            Consultation.state == ConsultationState.ACTIVE,
        )
        .order_by(Consultation.id)
    ).all()
    waiting = session.scalar(
        select(func.count())
        .select_from(Consultation)
        .where(Consultation.state == ConsultationState.WAITING)
    )
    return Digest(
        view_of(person),
        [view_in(session, c) for c in open_rows],
        int(waiting or 0),
        [followups.view(session, f) for f in today_rows],
        [followups.view(session, f) for f in late],
    )


@dataclass(frozen=True)
class Summary:
    """The supervisors' daily summary, with the overdue list."""

    supervisors: list[PersonView]
    waiting: int
    active: int
    due_today: int
    done_yesterday: int
    overdue: list[FollowUpView]


def due_supervisor_summary(db: Database, clock: Clock, policy: FollowUpPolicy) -> Summary | None:
    """Once a day, from the configured hour: the summary and the overdue list, to every
    supervisor not yet sent today's (claimed per supervisor, each claim in the transaction
    that records their notice). Each follow-up listed as overdue for the first time gets its
    followup_overdue event."""
    now = clock()
    local = now.astimezone(policy.zone)
    if local.hour < policy.summary_hour:
        return None
    today = local.date()
    hour = local_at(today, time(policy.summary_hour), policy.zone)
    with db.unit_of_work() as session:
        supervisors = session.scalars(
            select(Person)
            .where(
                Person.role == Role.SUPERVISOR,
                Person.revoked_at.is_(None),
                Person.created_at <= hour,  # enrolled later today: their first is tomorrow's
            )
            .order_by(Person.id)
        ).all()
        done = set(
            session.scalars(
                select(DigestMark.person_id).where(
                    DigestMark.kind == "summary", DigestMark.period == today.isoformat()
                )
            )
        )
        ids = [s.id for s in supervisors if s.id not in done]
    sent: list[Summary] = []
    for supervisor_id in ids:  # each claimed with its notice, in its own transaction
        try:
            with unit_of_work(db, lambda: now) as unit:
                _claim(unit, supervisor_id, "summary", today.isoformat())
                summary = _summary_in(unit.session, [supervisor_id], now, today, policy)
                [supervisor] = summary.supervisors
                unit.outbox.notify(
                    supervisor, NoticeKind.DAILY_SUMMARY, **summary_params(summary, policy)
                )
        except IntegrityError:
            continue  # another pass claimed it meanwhile
        sent.append(summary)
    if not sent:
        return None
    return dataclasses.replace(sent[-1], supervisors=[s.supervisors[0] for s in sent])


def summary_params(s: Summary, policy: FollowUpPolicy) -> dict[str, Any]:
    """The summary as a notice carries it: the counts, and the overdue list as its lines."""
    return {
        "waiting": s.waiting,
        "active": s.active,
        "due_today": s.due_today,
        "done_yesterday": s.done_yesterday,
        "overdue": [listed(f) for f in s.overdue[:OVERDUE_LIMIT]],
        "overdue_count": len(s.overdue),
        "grace_hours": int(policy.grace.total_seconds() // 3600),
        "zone": policy.zone.key,
    }


def _summary_in(
    session: Session, claimed: list[int], now: datetime, today: date, policy: FollowUpPolicy
) -> Summary:
    """The figures of the day; each follow-up listed as overdue for the first time gets its
    followup_overdue event (once: the row remembers the day it was first listed)."""
    start = local_at(today, time(0), policy.zone)
    end = local_at(today + timedelta(days=1), time(0), policy.zone)

    def count(*where: object) -> int:
        return int(session.scalar(select(func.count()).select_from(FollowUp).where(*where)) or 0)

    states = dict(
        session.execute(
            select(Consultation.state, func.count())
            .where(Consultation.state.in_((ConsultationState.WAITING, ConsultationState.ACTIVE)))
            .group_by(Consultation.state)
        ).all()
    )
    due_today = count(
        FollowUp.state == FollowUpState.PENDING, FollowUp.due_at >= start, FollowUp.due_at < end
    )
    done_yesterday = count(
        FollowUp.state == FollowUpState.DONE,
        FollowUp.done_at >= local_at(today - timedelta(days=1), time(0), policy.zone),
        FollowUp.done_at < start,
    )
    late_rows = session.scalars(
        select(FollowUp)
        .where(FollowUp.state == FollowUpState.PENDING, FollowUp.due_at <= now - policy.grace)
        .order_by(FollowUp.due_at, FollowUp.id)
    ).all()
    for f in late_rows:
        if f.overdue_notified_on is None:
            record_event(
                session,
                f.consultation_id,
                EventKind.FOLLOWUP_OVERDUE,
                None,
                now,
                followup=f.id,
                due_at=f.due_at.isoformat(),
            )
        f.overdue_notified_on = today.isoformat()
    people = {
        p.id: view_of(p) for p in session.scalars(select(Person).where(Person.id.in_(claimed)))
    }
    return Summary(
        [people[i] for i in claimed],
        int(states.get(ConsultationState.WAITING, 0)),
        int(states.get(ConsultationState.ACTIVE, 0)),
        due_today,
        done_yesterday,
        [followups.view(session, f) for f in late_rows],
    )


def next_shift_start(db: Database, clock: Clock, zone: ZoneInfo) -> datetime | None:
    """The next moment a rostered (not on-call) shift begins, for the digest timer."""
    now = clock()
    with db.unit_of_work() as session:
        shifts = list(session.scalars(select(Shift).where(Shift.on_call.is_(False))))
    return roster.next_start(shifts, now, zone)


def next_summary_time(now: datetime, policy: FollowUpPolicy) -> datetime:
    local = now.astimezone(policy.zone)
    today = local_at(local.date(), time(policy.summary_hour), policy.zone)
    return (
        today
        if today > now
        else local_at(local.date() + timedelta(days=1), time(policy.summary_hour), policy.zone)
    )
