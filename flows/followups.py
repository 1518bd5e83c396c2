"""The follow-up lifecycle after a consultation closes: planning at closing (a fixed choice
or a typed date), the note, done with its outcome line, snooze, reassign, and the lists
(a person's pending follow-ups, the overdue ones). Each person's action is one use case that
changes the rows and records what they (and a new assignee) are told, in one transaction.
Reminder delivery is flows/reminders.py, digests flows/digests.py, the pending question
flows/conversation.py. No Telegram here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from flows import conversation, routing
from flows.dates import WhenError, local_at, parse_when
from flows.events import record_event
from flows.models import Consultation, FollowUp, Person
from flows.outbox import Recipient
from flows.people import PersonView, view_of
from flows.routing import RoutingPolicy
from flows.store import Clock, Database
from flows.unit import Unit
from flows.views import ConsultationView, view_in
from flows.vocabulary import (
    ConsultationState,
    Delivery,
    EventKind,
    FollowUpState,
    InputKind,
    NoticeKind,
    Plan,
    Role,
    Snooze,
)

MAX_NOTE = 500
NIGHT_ENDS_HOUR = 5  # "tomorrow morning" pressed before this is the morning coming
MAX_OUTCOME_LINE = 500
LIST_LIMIT = 60  # lines of /followups; the count says how many there are in all


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
        local = now.astimezone(policy.zone)
        this_morning = local_at(local.date(), time(policy.morning_hour), policy.zone)
        if local.hour < NIGHT_ENDS_HOUR and this_morning > now:  # pressed at 00:30: 09:00
            return this_morning
        tomorrow = local.date() + timedelta(days=1)
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


def view(session: Session, f: FollowUp) -> FollowUpView:
    """The view of one row, read in this session."""
    c = session.get_one(Consultation, f.consultation_id)
    assignee = session.get(Person, f.assignee_id) if f.assignee_id else None
    return view_from(f, view_in(session, c), view_of(assignee) if assignee else None)


def view_from(f: FollowUp, c: ConsultationView, assignee: PersonView | None) -> FollowUpView:
    """The view of a row whose consultation and assignee views are already at hand."""
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


def get(db: Database, followup_id: int) -> FollowUpView | None:
    with db.unit_of_work() as session:
        f = session.get(FollowUp, followup_id)
        return view(session, f) if f else None


def listed(f: FollowUpView) -> dict[str, Any]:
    """A follow-up as a line of a list is made of (values a notice can carry)."""
    return {
        "reference": f.consultation.reference,
        "due_at": f.due_at,
        "assignee": f.assignee.display_name if f.assignee else None,
        "note": f.note,
    }


# --- what people are told ------------------------------------------------------------------


def _tell(
    unit: Unit,
    person: Recipient,
    key: str,
    zone: ZoneInfo,
    *,
    edit: int | None = None,
    **values: Any,
) -> None:
    """One follow-up sentence of the catalogs; its times are shown in the service's zone.
    With edit, it rewrites that message of theirs (and its buttons go)."""
    unit.outbox.notify(
        person, NoticeKind.FOLLOWUP_LINE, edit=edit, key=key, zone=zone.key, values=values
    )


def _scheduled(
    unit: Unit, person: Recipient, f: FollowUpView, zone: ZoneInfo, edit: int | None = None
) -> None:
    """The follow-up is planned: its due time, and the note asked, with a no-note button."""
    unit.outbox.notify(
        person,
        NoticeKind.FOLLOWUP_SCHEDULED,
        edit=edit,
        followup_id=f.id,
        reference=f.consultation.reference,
        due_at=f.due_at,
        zone=zone.key,
    )


# --- planning at closing -------------------------------------------------------------------


def ask_plan(unit: Unit, worker_id: int, consultation_id: int) -> None:
    """After the outcome: the holder is asked whether to plan a follow-up (the buttons)."""
    c = unit.session.get_one(Consultation, consultation_id)
    unit.outbox.notify(
        unit.session.get_one(Person, worker_id),
        NoticeKind.FOLLOWUP_PLAN,
        consultation=view_in(unit.session, c),
    )


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
    unit: Unit,
    person_id: int,
    consultation_id: int,
    choice: Plan,
    zone: ZoneInfo,
    prompt_message: int | None = None,
) -> PlanResult:
    """The worker's choice at closing; the question's message says what came of it (the
    due time and the note asked, none, already planned, or the typed date asked)."""
    session, now = unit.session, unit.now
    c = session.get(Consultation, consultation_id)
    if c is None or c.worker_id != person_id or c.state != ConsultationState.CLOSED:
        return PlanResult(PlanStatus.NOT_YOURS)
    person = session.get_one(Person, person_id)
    existing = _pending_of(session, c.id)
    if existing is not None:
        _tell(
            unit,
            person,
            "followup.already",
            zone,
            edit=prompt_message,
            ref=c.reference,
            due=existing.due_at,
        )
        return PlanResult(PlanStatus.ALREADY, view(session, existing), c.reference)
    if choice == Plan.NONE:
        conversation.forget(session, person_id)
        _tell(unit, person, "followup.none", zone, edit=prompt_message, ref=c.reference)
        return PlanResult(PlanStatus.NONE, reference=c.reference)
    if choice == Plan.CUSTOM:
        conversation.expect(session, person_id, InputKind.PLAN_DATE, c.id, now)
        _tell(unit, person, "followup.ask_date", zone, edit=prompt_message, ref=c.reference)
        return PlanResult(PlanStatus.ASK_DATE, reference=c.reference)
    due = plan_due(choice, now, zone)
    assert due is not None
    shown = view(session, _create(session, c, person_id, due, now, choice.value))
    _scheduled(unit, person, shown, zone, prompt_message)
    return PlanResult(PlanStatus.SCHEDULED, shown, c.reference)


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
    conversation.expect(session, person_id, InputKind.NOTE, f.id, now)
    return f


def skip_note(
    unit: Unit,
    person_id: int,
    followup_id: int,
    zone: ZoneInfo,
    prompt_message: int | None = None,
) -> FollowUpView | None:
    """'No note' pressed: stop waiting for one; the question's message says so."""
    session = unit.session
    conversation.forget_if(session, person_id, InputKind.NOTE, followup_id)
    f = session.get(FollowUp, followup_id)
    if f is None:
        return None
    if prompt_message is not None:
        person = session.get_one(Person, person_id)
        _tell(unit, person, "followup.no_note_ok", zone, edit=prompt_message, due=f.due_at)
    return view(session, f)


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
    unit: Unit,
    person: PersonView,
    text: str,
    policy: FollowUpPolicy,
    typed_at: datetime | None = None,
) -> Answer:
    """A typed message from someone the bot asked something: a date, a note or an outcome.
    They are told what came of it (or why it cannot be used); nothing when nothing was asked.
    A date is read from when it was typed (typed_at, Telegram's date), not from when the bot
    handles it: 'demain 9h' typed at 23:59 and read after a restart at 00:02 is that day."""
    result = _answer(unit, person, text, policy, typed_at)
    box, f, zone = unit.outbox, result.followup, policy.zone
    status = result.status
    if status == AnswerStatus.INVALID_DATE:
        box.say(person, result.error_key)
    elif status == AnswerStatus.EMPTY:
        box.say(person, "followup.empty_answer")
    elif f is None:
        pass  # nothing was asked
    elif status == AnswerStatus.SCHEDULED:
        _scheduled(unit, person, f, zone)
    elif status == AnswerStatus.NOTE_SAVED:
        _tell(unit, person, "followup.note_saved", zone, due=f.due_at)
    elif status == AnswerStatus.DONE:
        box.say(person, "followup.done", ref=f.consultation.reference, line=f.outcome_line or "")
    elif status == AnswerStatus.SNOOZED:
        _tell(unit, person, "followup.snoozed", zone, ref=f.consultation.reference, due=f.due_at)
    elif status == AnswerStatus.ALREADY_PLANNED:
        _tell(unit, person, "followup.already", zone, ref=f.consultation.reference, due=f.due_at)
    else:
        box.say(person, "followup.already_done", ref=f.consultation.reference)
    return result


def _answer(
    unit: Unit, person: PersonView, text: str, policy: FollowUpPolicy, typed_at: datetime | None
) -> Answer:
    session, now = unit.session, unit.now
    words = " ".join(text.split())
    asked = conversation.pending(session, person.id, now)
    if asked is None:
        return Answer(AnswerStatus.NOTHING)
    kind, target = asked
    if not words:
        return Answer(AnswerStatus.EMPTY)
    if kind in (InputKind.PLAN_DATE, InputKind.SNOOZE_DATE):
        try:
            typed = now if typed_at is None else min(typed_at, now)  # a clock ahead: now
            due = parse_when(words, typed, policy.zone, person.language, policy.morning_hour)
        except WhenError as error:
            return Answer(AnswerStatus.INVALID_DATE, error_key=error.key)
        if kind == InputKind.PLAN_DATE:
            c = session.get_one(Consultation, target)
            existing = _pending_of(session, c.id)
            if existing is not None:  # planned meanwhile (another press): say so
                conversation.forget(session, person.id)
                return Answer(AnswerStatus.ALREADY_PLANNED, view(session, existing))
            f = _create(session, c, person.id, due, now, Plan.CUSTOM.value)
            return Answer(AnswerStatus.SCHEDULED, view(session, f), reference=c.reference)
        conversation.forget(session, person.id)
        return _snooze(session, person.id, target, due, now, "custom")
    conversation.forget(session, person.id)
    f = session.get_one(FollowUp, target)
    if kind == InputKind.NOTE:
        f.note, f.updated_at = words[:MAX_NOTE], now
        return Answer(AnswerStatus.NOTE_SAVED, view(session, f))
    return _complete(session, person.id, f, words[:MAX_OUTCOME_LINE], now)


# --- done, snooze, reassign (the reminder's buttons) --------------------------------------


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
        return Act(ActStatus.NOT_PENDING, view(session, f))
    return f


def start_done(unit: Unit, person_id: int, followup_id: int) -> Act:
    """Done pressed: the outcome line is asked before anything is marked."""
    session = unit.session
    f = _pending(session, person_id, followup_id)
    if isinstance(f, Act):
        return f
    conversation.expect(session, person_id, InputKind.OUTCOME, f.id, unit.now)
    shown = view(session, f)
    unit.outbox.say(
        session.get_one(Person, person_id), "followup.ask_outcome", ref=shown.consultation.reference
    )
    return Act(ActStatus.ASK_OUTCOME, shown)


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
        return Answer(AnswerStatus.ALREADY_DONE, view(session, f))
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
    return Answer(AnswerStatus.DONE, view(session, f))


def snooze(
    unit: Unit,
    person_id: int,
    followup_id: int,
    choice: Snooze,
    policy: FollowUpPolicy,
    reminder_message: int | None = None,
) -> Act:
    """Snooze pressed: the reminder moves (its message says to when), or a custom time is
    asked."""
    session, now = unit.session, unit.now
    f = _pending(session, person_id, followup_id)
    if isinstance(f, Act):
        return f
    person = session.get_one(Person, person_id)
    due = snooze_due(choice, now, policy)
    if due is None:
        conversation.expect(session, person_id, InputKind.SNOOZE_DATE, f.id, now)
        shown = view(session, f)
        unit.outbox.say(person, "followup.ask_snooze_date", ref=shown.consultation.reference)
        return Act(ActStatus.ASK_DATE, shown)
    result = _snooze(session, person_id, f.id, due, now, choice.value)
    moved = result.followup
    assert moved is not None
    if reminder_message is not None:
        _tell(
            unit,
            person,
            "followup.snoozed",
            policy.zone,
            edit=reminder_message,
            ref=moved.consultation.reference,
            due=moved.due_at,
        )
    return Act(ActStatus.SNOOZED, moved)


def _snooze(
    session: Session, person_id: int, followup_id: int, due: datetime, now: datetime, how: str
) -> Answer:
    f = session.get_one(FollowUp, followup_id)
    if f.state != FollowUpState.PENDING:
        return Answer(AnswerStatus.ALREADY_DONE, view(session, f))
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
    return Answer(AnswerStatus.SNOOZED, view(session, f))


def reassign_candidates(
    unit: Unit, person_id: int, followup_id: int, routing_policy: RoutingPolicy
) -> tuple[FollowUpView | None, list[PersonView]]:
    """Reassign pressed: the workers one could give it to, everyone active, the available
    ones first, offered to the presser as buttons (with the team's pool)."""
    session = unit.session
    f = session.get(FollowUp, followup_id)
    if f is None:
        return None, []
    workers = session.scalars(
        select(Person)
        .where(Person.role == Role.WORKER, Person.revoked_at.is_(None))
        .order_by(Person.display_name)
    ).all()
    workers = [w for w in workers if w.id != f.assignee_id]
    workers.sort(key=lambda w: not routing.is_available(session, w, unit.now, routing_policy))
    shown, candidates = view(session, f), [view_of(w) for w in workers[:20]]
    unit.outbox.notify(
        session.get_one(Person, person_id),
        NoticeKind.FOLLOWUP_ASSIGNEES,
        followup_id=f.id,
        reference=shown.consultation.reference,
        workers=candidates,
    )
    return shown, candidates


def reassign(
    unit: Unit,
    person_id: int,
    followup_id: int,
    target_id: int | None,
    zone: ZoneInfo,
    choice_message: int | None = None,
) -> Act:
    """To another worker, or to the pool (None); the choice's message says to whom, and a
    new assignee who is not the presser hears of it (unless it is due: then the reminder
    itself is delivered again at once, to its new holder)."""
    session, now = unit.session, unit.now
    f = _pending(session, person_id, followup_id)
    if isinstance(f, Act):
        return f
    target = session.get(Person, target_id) if target_id is not None else None
    if target_id is not None and (
        target is None or not target.active or target.role != Role.WORKER
    ):
        return Act(ActStatus.TARGET_UNAVAILABLE, view(session, f))
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
    shown = view(session, f)
    presser, ref = session.get_one(Person, person_id), shown.consultation.reference
    if target is None:
        if choice_message is not None:
            _tell(unit, presser, "followup.reassigned_pool", zone, edit=choice_message, ref=ref)
    else:
        if target.id != person_id and f.due_at > now:
            _tell(
                unit,
                target,
                "followup.reassigned_to_you",
                zone,
                ref=ref,
                by=presser.display_name,
                due=f.due_at,
                note=f.note or "—",
            )
        if choice_message is not None:
            _tell(
                unit,
                presser,
                "followup.reassigned",
                zone,
                edit=choice_message,
                ref=ref,
                name=target.display_name,
            )
    return Act(ActStatus.REASSIGNED, shown, view_of(previous) if previous else None)


# --- lists ---------------------------------------------------------------------------------


def _pending_for(session: Session, person: PersonView) -> list[FollowUpView]:
    query = select(FollowUp).where(FollowUp.state == FollowUpState.PENDING)
    if person.role != Role.SUPERVISOR:
        query = query.where((FollowUp.assignee_id == person.id) | FollowUp.assignee_id.is_(None))
    rows = session.scalars(query.order_by(FollowUp.due_at, FollowUp.id).limit(200))
    return [view(session, f) for f in rows]


def pending_for(db: Database, person: PersonView) -> list[FollowUpView]:
    """A worker's own pending follow-ups and the pool's; everyone's for supervisors."""
    with db.unit_of_work() as session:
        return _pending_for(session, person)


def show_pending(unit: Unit, person: PersonView, zone: ZoneInfo) -> list[FollowUpView]:
    """/followups: the person's pending follow-ups (and the pool's; everyone's for
    supervisors), listed for them."""
    items = _pending_for(unit.session, person)
    unit.outbox.notify(
        person,
        NoticeKind.FOLLOWUP_LIST,
        zone=zone.key,
        total=len(items),
        items=[listed(f) for f in items[:LIST_LIMIT]],
    )
    return items


def overdue(db: Database, clock: Clock, policy: FollowUpPolicy) -> list[FollowUpView]:
    """Pending follow-ups not done within the grace after their due time, oldest first."""
    now = clock()
    with db.unit_of_work() as session:
        rows = session.scalars(
            select(FollowUp)
            .where(FollowUp.state == FollowUpState.PENDING, FollowUp.due_at <= now - policy.grace)
            .order_by(FollowUp.due_at, FollowUp.id)
        )
        return [view(session, f) for f in rows]
