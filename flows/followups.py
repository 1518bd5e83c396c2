"""Follow-ups after a consultation closes: planning at closing (with dates typed in French or
English), reminders delivered exactly once from the database, done / snooze / reassign, the
overdue list, shift handover digests and the supervisors' daily summary. No Telegram here.

Delivery, and why it is built this way. The row is the source of truth; timers only wake the
bot. A due reminder is *claimed* with one conditional UPDATE (delivery 'scheduled' -> 'sending',
attempts + 1, claimed_at), committed *before* the send, so two passes (a timer and the sweep,
or two processes) never both send it. After the send the row is recorded 'sent' (reminded_at,
late). A crash between the claim and the record leaves the row 'sending'; on the next start
`recover_unconfirmed` finds it. We cannot know whether the message left before the crash, and
a reminder that silently vanishes is a person nobody calls, so we choose to send it once more,
flagged `unconfirmed` (the text says it may be a repeat, and its buttons act on the same row,
so Done on either copy is the same Done). A row found 'sending' that is already `unconfirmed`
is taken as delivered and never sent a third time: at most one duplicate, ever, and it is
detected and shown as such. Recording the send *before* sending would make a crash lose the
reminder instead, which is the failure this issue exists to prevent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from flows import roster, routing
from flows.consultations import ConsultationView, record_event, view_in
from flows.dates import WhenError, local_at, parse_when
from flows.models import Consultation, DigestMark, Event, FollowUp, PendingInput, Person, Shift
from flows.people import PersonView, view_of
from flows.routing import RoutingPolicy
from flows.store import Clock, Database
from flows.vocabulary import (
    ConsultationState,
    Delivery,
    EventKind,
    FollowUpState,
    InputKind,
    Plan,
    Role,
    Snooze,
)

MAX_NOTE = 500
MAX_OUTCOME_LINE = 500
INPUT_TTL = timedelta(minutes=30)  # a question left unanswered longer is forgotten
CLAIM_BATCH = 500
RETRY_AFTER = timedelta(seconds=60)  # a reminder nobody could receive is tried again after this


@dataclass(frozen=True)
class FollowUpPolicy:
    """The service's follow-up settings (bot/settings.py builds it from the environment)."""

    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("America/Montreal"))
    grace: timedelta = timedelta(hours=24)  # not done this long after due: overdue
    late_after: timedelta = timedelta(seconds=60)  # delivered later than due + this: late
    morning_hour: int = 9
    summary_hour: int = 8


# --- what a choice means ----------------------------------------------------------------


def plan_due(plan: Plan, now: datetime, zone: ZoneInfo) -> datetime | None:
    """The due time of a fixed choice: 24 h is 24 hours; days and weeks keep the local
    wall-clock time, so a week from 10:00 is 10:00 even across a daylight-saving change."""
    if plan == Plan.HOURS_24:
        return now + timedelta(hours=24)
    days = {Plan.DAYS_3: 3, Plan.WEEK: 7}.get(plan)
    if days is None:
        return None
    local = now.astimezone(zone)
    return local_at(local.date() + timedelta(days=days), local.time().replace(microsecond=0), zone)


def snooze_due(choice: Snooze, now: datetime, policy: FollowUpPolicy) -> datetime | None:
    if choice == Snooze.HOUR:
        return now + timedelta(hours=1)
    if choice == Snooze.MORNING:
        tomorrow = now.astimezone(policy.zone).date() + timedelta(days=1)
        return local_at(tomorrow, time(policy.morning_hour), policy.zone)
    return None


# --- views ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FollowUpView:
    id: int
    consultation: ConsultationView
    assignee: PersonView | None
    due_at: datetime
    note: str
    state: FollowUpState
    delivery: Delivery
    late: bool
    unconfirmed: bool
    snoozed: int
    outcome_line: str | None
    reminded_at: datetime | None


def _view(session: Session, f: FollowUp) -> FollowUpView:
    c = session.get_one(Consultation, f.consultation_id)
    assignee = session.get(Person, f.assignee_id) if f.assignee_id else None
    return _view_fast(f, view_in(session, c), view_of(assignee) if assignee else None)


def get(db: Database, followup_id: int) -> FollowUpView | None:
    with db.unit_of_work() as session:
        f = session.get(FollowUp, followup_id)
        return _view(session, f) if f else None


# --- pending input -------------------------------------------------------------------------


def _expect(session: Session, person_id: int, kind: InputKind, target: int, now: datetime) -> None:
    session.execute(delete(PendingInput).where(PendingInput.person_id == person_id))
    session.add(
        PendingInput(person_id=person_id, kind=kind.value, target_id=target, created_at=now)
    )


def _forget(session: Session, person_id: int) -> None:
    session.execute(delete(PendingInput).where(PendingInput.person_id == person_id))


def awaiting(db: Database, person_id: int, clock: Clock) -> InputKind | None:
    """What this person's next message answers, if anything (expired questions are dropped)."""
    with db.unit_of_work() as session:
        row = session.get(PendingInput, person_id)
        if row is None:
            return None
        if row.created_at + INPUT_TTL < clock():
            session.delete(row)
            return None
        return InputKind(row.kind)


# --- planning at closing -------------------------------------------------------------------


class PlanStatus(StrEnum):
    SCHEDULED = "scheduled"  # then the note is asked
    NONE = "none"
    ASK_DATE = "ask_date"
    ALREADY = "already"  # a follow-up is already pending for this consultation
    NOT_YOURS = "not_yours"


@dataclass(frozen=True)
class PlanResult:
    status: PlanStatus
    followup: FollowUpView | None = None
    reference: str = ""


def plan(
    db: Database, person_id: int, consultation_id: int, choice: Plan, clock: Clock, zone: ZoneInfo
) -> PlanResult:
    """The worker's choice at closing. A custom choice waits for a typed date."""
    now = clock()
    with db.unit_of_work() as session:
        c = session.get(Consultation, consultation_id)
        if c is None or c.worker_id != person_id or c.state != ConsultationState.CLOSED:
            return PlanResult(PlanStatus.NOT_YOURS)
        existing = _pending_of(session, c.id)
        if existing is not None:
            return PlanResult(PlanStatus.ALREADY, _view(session, existing), c.reference)
        if choice == Plan.NONE:
            _forget(session, person_id)
            return PlanResult(PlanStatus.NONE, reference=c.reference)
        if choice == Plan.CUSTOM:
            _expect(session, person_id, InputKind.PLAN_DATE, c.id, now)
            return PlanResult(PlanStatus.ASK_DATE, reference=c.reference)
        due = plan_due(choice, now, zone)
        assert due is not None
        f = _create(session, c, person_id, due, now, choice.value)
        return PlanResult(PlanStatus.SCHEDULED, _view(session, f), c.reference)


def _pending_of(session: Session, consultation_id: int) -> FollowUp | None:
    return session.scalar(
        select(FollowUp).where(
            FollowUp.consultation_id == consultation_id, FollowUp.state == FollowUpState.PENDING
        )
    )


def _create(
    session: Session, c: Consultation, person_id: int, due: datetime, now: datetime, how: str
) -> FollowUp:
    f = FollowUp(
        consultation_id=c.id,
        assignee_id=person_id,
        created_by_id=person_id,
        due_at=due,
        note="",
        state=FollowUpState.PENDING,
        delivery=Delivery.SCHEDULED,
        attempts=0,
        unconfirmed=False,
        late=False,
        snoozed=0,
        created_at=now,
        updated_at=now,
    )
    session.add(f)
    session.flush()
    record_event(
        session,
        c.id,
        EventKind.FOLLOWUP_SCHEDULED,
        person_id,
        now,
        followup=f.id,
        due_at=due.isoformat(),
        choice=how,
    )
    _expect(session, person_id, InputKind.NOTE, f.id, now)
    return f


def skip_note(db: Database, person_id: int, followup_id: int) -> FollowUpView | None:
    """'No note' pressed: stop waiting for one."""
    with db.unit_of_work() as session:
        row = session.get(PendingInput, person_id)
        if row and row.kind == InputKind.NOTE and row.target_id == followup_id:
            session.delete(row)
        f = session.get(FollowUp, followup_id)
        return _view(session, f) if f else None


# --- typed answers -------------------------------------------------------------------------


class AnswerStatus(StrEnum):
    NOTHING = "nothing"  # not waiting for anything: the message is someone else's business
    INVALID_DATE = "invalid_date"  # error_key says why; still waiting
    SCHEDULED = "scheduled"  # custom date accepted; the note is asked next
    NOTE_SAVED = "note_saved"
    DONE = "done"
    ALREADY_DONE = "already_done"
    SNOOZED = "snoozed"
    EMPTY = "empty"  # an empty line where words were needed; still waiting
    ALREADY_PLANNED = "already_planned"


@dataclass(frozen=True)
class Answer:
    status: AnswerStatus
    followup: FollowUpView | None = None
    error_key: str = ""
    reference: str = ""


def answer(
    db: Database,
    person: PersonView,
    text: str,
    clock: Clock,
    policy: FollowUpPolicy,
) -> Answer:
    """A typed message from someone the bot asked something: a date, a note or an outcome."""
    now = clock()
    words = " ".join(text.split())
    with db.unit_of_work() as session:
        row = session.get(PendingInput, person.id)
        if row is None or row.created_at + INPUT_TTL < now:
            if row is not None:
                session.delete(row)
            return Answer(AnswerStatus.NOTHING)
        kind, target = InputKind(row.kind), row.target_id
        if not words:
            return Answer(AnswerStatus.EMPTY)
        if kind in (InputKind.PLAN_DATE, InputKind.SNOOZE_DATE):
            try:
                due = parse_when(words, now, policy.zone, person.language, policy.morning_hour)
            except WhenError as error:
                return Answer(AnswerStatus.INVALID_DATE, error_key=error.key)
            if kind == InputKind.PLAN_DATE:
                c = session.get_one(Consultation, target)
                existing = _pending_of(session, c.id)
                if existing is not None:  # planned meanwhile (another press): say so
                    _forget(session, person.id)
                    return Answer(AnswerStatus.ALREADY_PLANNED, _view(session, existing))
                f = _create(session, c, person.id, due, now, Plan.CUSTOM.value)
                return Answer(AnswerStatus.SCHEDULED, _view(session, f), reference=c.reference)
            _forget(session, person.id)
            return _snooze(session, person.id, target, due, now, "custom")
        _forget(session, person.id)
        f = session.get_one(FollowUp, target)
        if kind == InputKind.NOTE:
            f.note, f.updated_at = words[:MAX_NOTE], now
            return Answer(AnswerStatus.NOTE_SAVED, _view(session, f))
        return _complete(session, person.id, f, words[:MAX_OUTCOME_LINE], now)


# --- delivery ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reminder:
    """One claimed reminder and who gets it; `whose` is set when it goes to others."""

    followup: FollowUpView
    recipients: list[PersonView]
    whose: PersonView | None
    repeat: bool  # sent again after a crash: it may have arrived already


def pending_due_times(db: Database) -> list[datetime]:
    """Every distinct due time of a reminder still to deliver (for the timers on start)."""
    with db.unit_of_work() as session:
        rows = session.scalars(
            select(FollowUp.due_at)
            .where(
                FollowUp.state == FollowUpState.PENDING,
                FollowUp.delivery != Delivery.SENT,
            )
            .distinct()
        )
        return list(rows)


def recover_unconfirmed(db: Database, clock: Clock) -> tuple[int, int]:
    """On start: rows a crash left 'sending'. Sent once more, flagged, if never resent;
    taken as delivered otherwise. Returns (to resend, taken as delivered)."""
    now = clock()
    with db.unit_of_work() as session:
        again = session.execute(
            update(FollowUp)
            .where(FollowUp.delivery == Delivery.SENDING, FollowUp.unconfirmed.is_(False))
            .values(delivery=Delivery.SCHEDULED, unconfirmed=True, claimed_at=None, updated_at=now)
        )
        settled = session.execute(
            update(FollowUp)
            .where(FollowUp.delivery == Delivery.SENDING, FollowUp.unconfirmed.is_(True))
            .values(delivery=Delivery.SENT, reminded_at=FollowUp.claimed_at, updated_at=now)
        )
        return int(getattr(again, "rowcount", 0)), int(getattr(settled, "rowcount", 0))


def claim_due(
    db: Database, clock: Clock, routing_policy: RoutingPolicy, limit: int = CLAIM_BATCH
) -> list[Reminder]:
    """Claim up to `limit` due reminders in one conditional UPDATE (so no other pass can take
    them) and say who gets each: the assignee when active and available, otherwise the
    workers available now (then the assignee anyway, then the supervisors)."""
    now = clock()
    with db.unit_of_work() as session:
        ids = list(
            session.scalars(
                select(FollowUp.id)
                .where(
                    FollowUp.state == FollowUpState.PENDING,
                    FollowUp.delivery == Delivery.SCHEDULED,
                    FollowUp.due_at <= now,
                    FollowUp.claimed_at.is_(None) | (FollowUp.claimed_at <= now - RETRY_AFTER),
                )
                .order_by(FollowUp.due_at, FollowUp.id)
                .limit(limit)
            )
        )
        if not ids:
            return []
        claimed = set(
            session.scalars(
                update(FollowUp)
                .where(
                    FollowUp.id.in_(ids),
                    FollowUp.state == FollowUpState.PENDING,
                    FollowUp.delivery == Delivery.SCHEDULED,
                )
                .values(
                    delivery=Delivery.SENDING,
                    claimed_at=now,
                    attempts=FollowUp.attempts + 1,
                    updated_at=now,
                )
                .returning(FollowUp.id)
            )
        )
        rows = session.scalars(select(FollowUp).where(FollowUp.id.in_(claimed))).all()
        staff = select(Person).where(Person.role.in_((Role.WORKER, Role.SUPERVISOR)))
        people = {p.id: p for p in session.scalars(staff)}  # assignees are staff too
        shifts = list(session.scalars(select(Shift)))
        available = [
            p
            for p in people.values()
            if p.role == Role.WORKER
            and roster.standing(p, shifts, now, routing_policy.zone).available
        ]
        supervisors = [p for p in people.values() if p.role == Role.SUPERVISOR and p.active]
        consultations = {
            c.id: view_in(session, c)
            for c in session.scalars(
                select(Consultation).where(Consultation.id.in_({f.consultation_id for f in rows}))
            )
        }
        views = {p.id: view_of(p) for p in people.values()}
        reminders = []
        for f in sorted(rows, key=lambda r: (r.due_at, r.id)):
            assignee = people.get(f.assignee_id) if f.assignee_id else None
            recipients, whose = _recipients(assignee, available, supervisors)
            mine = views[assignee.id] if assignee else None
            reminders.append(
                Reminder(
                    _view_fast(f, consultations[f.consultation_id], mine),
                    [views[p.id] for p in recipients],
                    mine if whose else None,
                    f.unconfirmed,
                )
            )
        return reminders


def _recipients(
    assignee: Person | None, available: list[Person], supervisors: list[Person]
) -> tuple[list[Person], bool]:
    """(who gets it, whether it is someone else's). A supervisor has no shift to be off:
    one who held the consultation gets their own reminder."""
    if (
        assignee is not None
        and assignee.active
        and (assignee in available or assignee.role == Role.SUPERVISOR)
    ):
        return [assignee], False
    others = [p for p in available if assignee is None or p.id != assignee.id]
    if others:
        return others, assignee is not None
    if assignee is not None and assignee.active:
        return [assignee], False
    return supervisors, assignee is not None


def _view_fast(f: FollowUp, c: ConsultationView, assignee: PersonView | None) -> FollowUpView:
    return FollowUpView(
        id=f.id,
        consultation=c,
        assignee=assignee,
        due_at=f.due_at,
        note=f.note,
        state=f.state,
        delivery=f.delivery,
        late=f.late,
        unconfirmed=f.unconfirmed,
        snoozed=f.snoozed,
        outcome_line=f.outcome_line,
        reminded_at=f.reminded_at,
    )


@dataclass(frozen=True)
class Delivered:
    followup_id: int
    consultation_id: int
    recipient_ids: list[int]  # empty: nobody could be reached, try again later
    at: datetime
    due_at: datetime


def record_delivered(db: Database, delivered: Iterable[Delivered], late_after: timedelta) -> int:
    """Record the sends of a batch ('sent', reminded_at, late) with their events; a reminder
    nobody received goes back to 'scheduled' for the sweep. Returns how many were late."""
    late_count = 0
    sent_rows, retry_ids, events = [], [], []
    with db.unit_of_work() as session:
        for d in delivered:
            if not d.recipient_ids:
                retry_ids.append(d.followup_id)
                continue
            late = d.at > d.due_at + late_after
            late_count += late
            sent_rows.append(
                {
                    "id": d.followup_id,
                    "delivery": Delivery.SENT,
                    "reminded_at": d.at,
                    "late": late,
                    "updated_at": d.at,
                }
            )
            events.append(
                {
                    "consultation_id": d.consultation_id,
                    "kind": EventKind.FOLLOWUP_REMINDED,
                    "actor_id": None,
                    "at": d.at,
                    "data": {
                        "followup": d.followup_id,
                        "to": d.recipient_ids,
                        "late": late,
                        "lateness_s": round((d.at - d.due_at).total_seconds(), 3),
                    },
                }
            )
        if sent_rows:  # in bulk: thousands of reminders can come due in the same second
            session.execute(update(FollowUp), sent_rows)
            session.execute(insert(Event), events)
        if retry_ids:
            session.execute(
                update(FollowUp)
                .where(FollowUp.id.in_(retry_ids), FollowUp.delivery == Delivery.SENDING)
                .values(delivery=Delivery.SCHEDULED)
            )
    return late_count


# --- the reminder's buttons ----------------------------------------------------------------


class ActStatus(StrEnum):
    ASK_OUTCOME = "ask_outcome"
    ASK_DATE = "ask_date"
    SNOOZED = "snoozed"
    REASSIGNED = "reassigned"
    NOT_PENDING = "not_pending"  # done or cancelled meanwhile
    NOT_ALLOWED = "not_allowed"
    TARGET_UNAVAILABLE = "target_unavailable"


@dataclass(frozen=True)
class Act:
    status: ActStatus
    followup: FollowUpView | None = None
    previous: PersonView | None = None


def _may_act(session: Session, person_id: int) -> bool:
    """Any active worker or supervisor: reminders go to colleagues when the assignee is off."""
    person = session.get(Person, person_id)
    if person is None or not person.active:
        return False
    return person.role in (Role.WORKER, Role.SUPERVISOR)


def _pending(session: Session, person_id: int, followup_id: int) -> FollowUp | Act:
    f = session.get(FollowUp, followup_id)
    if f is None or not _may_act(session, person_id):
        return Act(ActStatus.NOT_ALLOWED)
    if f.state != FollowUpState.PENDING:
        return Act(ActStatus.NOT_PENDING, _view(session, f))
    return f


def start_done(db: Database, person_id: int, followup_id: int, clock: Clock) -> Act:
    """Done pressed: the outcome line is asked before anything is marked."""
    with db.unit_of_work() as session:
        f = _pending(session, person_id, followup_id)
        if isinstance(f, Act):
            return f
        _expect(session, person_id, InputKind.OUTCOME, f.id, clock())
        return Act(ActStatus.ASK_OUTCOME, _view(session, f))


def _complete(session: Session, person_id: int, f: FollowUp, line: str, now: datetime) -> Answer:
    done = session.execute(
        update(FollowUp)
        .where(FollowUp.id == f.id, FollowUp.state == FollowUpState.PENDING)
        .values(
            state=FollowUpState.DONE,
            outcome_line=line,
            done_by_id=person_id,
            done_at=now,
            updated_at=now,
        )
        .returning(FollowUp.id)
    ).first()
    session.refresh(f)
    if done is None:
        return Answer(AnswerStatus.ALREADY_DONE, _view(session, f))
    record_event(
        session,
        f.consultation_id,
        EventKind.FOLLOWUP_DONE,
        person_id,
        now,
        followup=f.id,
        outcome=line,
        late_by_s=max(int((now - f.due_at).total_seconds()), 0),
    )
    return Answer(AnswerStatus.DONE, _view(session, f))


def snooze(
    db: Database,
    person_id: int,
    followup_id: int,
    choice: Snooze,
    clock: Clock,
    policy: FollowUpPolicy,
) -> Act:
    now = clock()
    with db.unit_of_work() as session:
        f = _pending(session, person_id, followup_id)
        if isinstance(f, Act):
            return f
        due = snooze_due(choice, now, policy)
        if due is None:
            _expect(session, person_id, InputKind.SNOOZE_DATE, f.id, now)
            return Act(ActStatus.ASK_DATE, _view(session, f))
        result = _snooze(session, person_id, f.id, due, now, choice.value)
        return Act(ActStatus.SNOOZED, result.followup)


def _snooze(
    session: Session, person_id: int, followup_id: int, due: datetime, now: datetime, how: str
) -> Answer:
    f = session.get_one(FollowUp, followup_id)
    if f.state != FollowUpState.PENDING:
        return Answer(AnswerStatus.ALREADY_DONE, _view(session, f))
    f.due_at, f.delivery, f.snoozed, f.updated_at = due, Delivery.SCHEDULED, f.snoozed + 1, now
    f.unconfirmed, f.late, f.overdue_notified_on, f.claimed_at = False, False, None, None
    record_event(
        session,
        f.consultation_id,
        EventKind.FOLLOWUP_SNOOZED,
        person_id,
        now,
        followup=f.id,
        due_at=due.isoformat(),
        choice=how,
    )
    return Answer(AnswerStatus.SNOOZED, _view(session, f))


def reassign_candidates(
    db: Database, followup_id: int, clock: Clock, routing_policy: RoutingPolicy
) -> tuple[FollowUpView | None, list[PersonView]]:
    """Workers one could hand it to: everyone active, the available ones first."""
    now = clock()
    with db.unit_of_work() as session:
        f = session.get(FollowUp, followup_id)
        if f is None:
            return None, []
        workers = session.scalars(
            select(Person)
            .where(Person.role == Role.WORKER, Person.revoked_at.is_(None))
            .order_by(Person.display_name)
        ).all()
        workers = [w for w in workers if w.id != f.assignee_id]
        workers.sort(key=lambda w: not routing.is_available(session, w, now, routing_policy))
        return _view(session, f), [view_of(w) for w in workers[:20]]


def reassign(
    db: Database, person_id: int, followup_id: int, target_id: int | None, clock: Clock
) -> Act:
    """To another worker, or to the pool (None). If it is already due, it is delivered
    again at once, to its new holder."""
    now = clock()
    with db.unit_of_work() as session:
        f = _pending(session, person_id, followup_id)
        if isinstance(f, Act):
            return f
        if target_id is not None:
            target = session.get(Person, target_id)
            if target is None or not target.active or target.role != Role.WORKER:
                return Act(ActStatus.TARGET_UNAVAILABLE, _view(session, f))
        previous = session.get(Person, f.assignee_id) if f.assignee_id else None
        f.assignee_id, f.updated_at = target_id, now
        if f.due_at <= now:
            f.delivery, f.unconfirmed, f.claimed_at = Delivery.SCHEDULED, False, None
        record_event(
            session,
            f.consultation_id,
            EventKind.FOLLOWUP_REASSIGNED,
            person_id,
            now,
            followup=f.id,
            to=target_id,
            previous=previous.id if previous else None,
        )
        return Act(ActStatus.REASSIGNED, _view(session, f), view_of(previous) if previous else None)


# --- lists, overdue, digests ---------------------------------------------------------------


def pending_for(db: Database, person: PersonView) -> list[FollowUpView]:
    """/followups: a worker's own pending follow-ups and the pool's; everyone's for supervisors."""
    with db.unit_of_work() as session:
        query = select(FollowUp).where(FollowUp.state == FollowUpState.PENDING)
        if person.role != Role.SUPERVISOR:
            query = query.where(
                (FollowUp.assignee_id == person.id) | FollowUp.assignee_id.is_(None)
            )
        rows = session.scalars(query.order_by(FollowUp.due_at, FollowUp.id).limit(200))
        return [_view(session, f) for f in rows]


def _local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def overdue(db: Database, clock: Clock, policy: FollowUpPolicy) -> list[FollowUpView]:
    """Pending follow-ups not done within the grace after their due time, oldest first."""
    now = clock()
    with db.unit_of_work() as session:
        rows = session.scalars(
            select(FollowUp)
            .where(FollowUp.state == FollowUpState.PENDING, FollowUp.due_at <= now - policy.grace)
            .order_by(FollowUp.due_at, FollowUp.id)
        )
        return [_view(session, f) for f in rows]


def _claim_mark(db: Database, person_id: int, kind: str, period: str, now: datetime) -> bool:
    """Insert the digest's mark; False when it was already sent (unique constraint)."""
    try:
        with db.unit_of_work() as session:
            session.add(DigestMark(person_id=person_id, kind=kind, period=period, sent_at=now))
        return True
    except IntegrityError:
        return False


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
    digest yet: the digest is claimed (marked) here, once per shift."""
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
        if _claim_mark(db, person_id, "shift", period, now):
            digests.append(_digest(db, person_id, now, policy))
    return digests


def _digest(db: Database, person_id: int, now: datetime, policy: FollowUpPolicy) -> Digest:
    today = _local_day(now, policy.zone)
    end_of_day = local_at(today + timedelta(days=1), time(0), policy.zone)
    with db.unit_of_work() as session:
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
            [_view(session, f) for f in today_rows],
            [_view(session, f) for f in late],
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
    supervisor not yet sent today's (claimed per supervisor). Each follow-up listed as
    overdue for the first time gets its followup_overdue event."""
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
    claimed = [i for i in ids if _claim_mark(db, i, "summary", today.isoformat(), now)]
    if not claimed:
        return None
    start = local_at(today, time(0), policy.zone)
    end = local_at(today + timedelta(days=1), time(0), policy.zone)
    with db.unit_of_work() as session:

        def count(*where: object) -> int:
            return int(
                session.scalar(select(func.count()).select_from(FollowUp).where(*where)) or 0
            )

        states = dict(
            session.execute(
                select(Consultation.state, func.count())
                .where(
                    Consultation.state.in_((ConsultationState.WAITING, ConsultationState.ACTIVE))
                )
                .group_by(Consultation.state)
            ).all()
        )
        due_today = count(
            FollowUp.state == FollowUpState.PENDING, FollowUp.due_at >= start, FollowUp.due_at < end
        )
        done_yesterday = count(
            FollowUp.state == FollowUpState.DONE,
            FollowUp.done_at >= start - timedelta(days=1),
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
            [_view(session, f) for f in late_rows],
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
