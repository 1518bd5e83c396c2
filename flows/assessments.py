"""P-38.001 assessments (Quebec): in a consultation, whoever holds it records the danger they
judge (to self, to others, both, none grave and immediate), their main observations (typed)
and their decision (a request under article 8, voluntary transport, no transport, other). A
request under article 8 goes to the officer as its own timestamped message, acknowledged with
one button. Each step is one use case with its event; Relais records and transmits, it never
decides: the judgment is the intervener's and the transport decision the officer's. Every
reading of an assessment is an event of its own (who read it, when)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from flows import access, conversation
from flows.events import record_event
from flows.models import Assessment, Consultation, Person
from flows.people import PersonView
from flows.unit import Unit
from flows.views import ConsultationView, view_in
from flows.vocabulary import (
    AssessmentState,
    ConsultationState,
    Danger,
    Decision,
    EventKind,
    InputKind,
    NoticeKind,
    Priority,
)

MAX_OBSERVATIONS = 2000  # a few short paragraphs: what the intervener saw and heard


class Status(StrEnum):
    ASKED = "asked"  # the next question is on its way
    RECORDED = "recorded"
    REQUESTED = "requested"  # recorded, and the article 8 request sent to the officer
    ACKNOWLEDGED = "acknowledged"
    ALREADY = "already"  # this step was answered before (a second press)
    CHOOSE = "choose"  # several consultations in hand: say which
    NOTHING_OPEN = "nothing_open"
    EMPTY = "empty"  # no words where observations were asked; still waiting
    TOO_LONG = "too_long"  # longer than MAX_OBSERVATIONS; still waiting, nothing kept
    INCONSISTENT = "inconsistent"  # an article 8 request with no grave and immediate danger
    NOT_YOURS = "not_yours"  # not the author (or not the officer), unknown, or forged
    NOT_HELD = "not_held"  # its consultation closed or handed over since: nothing recorded


@dataclass(frozen=True)
class AssessmentView:
    id: int
    consultation_id: int
    reference: str
    author: str
    state: AssessmentState
    danger: Danger | None
    observations: str
    decision: Decision | None
    started_at: datetime
    recorded_at: datetime | None
    requested_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None

    def as_params(self) -> dict[str, Any]:
        """The view as a notice parameter (plain values, times and enums encoded)."""
        return {
            "id": self.id,
            "reference": self.reference,
            "author": self.author,
            "danger": self.danger,
            "observations": self.observations,
            "decision": self.decision,
            "recorded_at": self.recorded_at,
            "requested_at": self.requested_at,
            "acknowledged_at": self.acknowledged_at,
            "acknowledged_by": self.acknowledged_by,
        }


@dataclass(frozen=True)
class Result:
    status: Status
    assessment: AssessmentView | None = None
    choices: list[ConsultationView] = field(default_factory=list)


def _view(session: Session, a: Assessment) -> AssessmentView:
    c = session.get_one(Consultation, a.consultation_id)
    author = session.get_one(Person, a.author_id)
    acknowledger = session.get(Person, a.acknowledged_by_id) if a.acknowledged_by_id else None
    return AssessmentView(
        id=a.id,
        consultation_id=c.id,
        reference=c.reference,
        author=author.display_name,
        state=a.state,
        danger=a.danger,
        observations=a.observations,
        decision=a.decision,
        started_at=a.started_at,
        recorded_at=a.recorded_at,
        requested_at=a.requested_at,
        acknowledged_at=a.acknowledged_at,
        acknowledged_by=acknowledger.display_name if acknowledger else None,
    )


def _step(
    unit: Unit,
    person: Person | PersonView,
    a: AssessmentView,
    zone: ZoneInfo,
    edit: int | None,
    *,
    void: bool = False,
) -> None:
    """The assessment's next question (or, once recorded, its summary) for its author; void:
    a pressed question that no longer counts, rewritten without buttons. Not linked to the
    consultation (no consultation_id): a reply to the question is its answer, never a
    message relayed to the officer."""
    extra = {"void": True} if void else {}
    unit.outbox.notify(
        person,
        NoticeKind.ASSESSMENT_STEP,
        edit=edit,
        assessment=a.as_params(),
        state=a.state,
        zone=zone.key,
        **extra,
    )


# --- starting ------------------------------------------------------------------------------


def start(unit: Unit, holder_id: int, consultation_id: int | None, zone: ZoneInfo) -> Result:
    """/assessment: begin (or resume) an assessment in a consultation the person holds; the
    danger question comes first. Without a reference: their only active consultation."""
    session, now = unit.session, unit.now
    holder = session.get_one(Person, holder_id)
    c = _held(unit, holder, consultation_id)
    if isinstance(c, Result):
        return c
    a = session.scalar(
        select(Assessment).where(
            Assessment.consultation_id == c.id,
            Assessment.author_id == holder_id,
            Assessment.state != AssessmentState.RECORDED,
        )
    )
    if a is None:
        a = Assessment(
            consultation_id=c.id,
            author_id=holder_id,
            state=AssessmentState.DANGER,
            observations="",
            started_at=now,
        )
        session.add(a)
        session.flush()
        record_event(session, c.id, EventKind.ASSESSMENT_STARTED, holder_id, now, assessment=a.id)
    if a.state == AssessmentState.OBSERVATIONS:
        conversation.expect(session, holder_id, InputKind.OBSERVATIONS, a.id, now)
    shown = _view(session, a)
    _step(unit, holder, shown, zone, None)
    return Result(Status.ASKED, shown)


def _held(unit: Unit, holder: Person, consultation_id: int | None) -> Consultation | Result:
    session = unit.session
    if consultation_id is None:
        active = list(
            session.scalars(
                select(Consultation)
                .where(
                    Consultation.worker_id == holder.id,
                    Consultation.state == ConsultationState.ACTIVE,
                )
                .order_by(Consultation.id)
            )
        )
        if not active:
            unit.outbox.say(holder, "assessment.nothing_open")
            return Result(Status.NOTHING_OPEN)
        if len(active) > 1:
            refs = ", ".join(c.reference for c in active)
            unit.outbox.say(holder, "assessment.which", refs=refs)
            return Result(Status.CHOOSE, choices=[view_in(session, c) for c in active])
        return active[0]
    c = session.get(Consultation, consultation_id)
    if c is None or c.worker_id != holder.id or c.state != ConsultationState.ACTIVE:
        unit.outbox.say(holder, "assessment.not_held")
        return Result(Status.NOT_YOURS)
    return c


def _own(session: Session, author_id: int, assessment_id: int) -> Assessment | None:
    a = session.get(Assessment, assessment_id)
    return a if a is not None and a.author_id == author_id else None


def _still_held(session: Session, a: Assessment) -> bool:
    """Only whoever holds the consultation now may go on with its assessment: a button or a
    line from before it was closed, transferred or taken over records nothing (an article 8
    request from someone no longer in charge must never reach the officer)."""
    c = session.get_one(Consultation, a.consultation_id)
    return c.state == ConsultationState.ACTIVE and c.worker_id == a.author_id


def _not_held(
    unit: Unit, author: Person | PersonView, a: Assessment, zone: ZoneInfo, pressed: int | None
) -> Result:
    """Nothing recorded: the consultation is no longer the author's; the question pressed
    loses its buttons."""
    conversation.forget_if(unit.session, author.id, InputKind.OBSERVATIONS, a.id)
    shown = _view(unit.session, a)
    _void(unit, author, shown, zone, pressed)
    return Result(Status.NOT_HELD, shown)


def _void(
    unit: Unit, author: Person | PersonView, a: AssessmentView, zone: ZoneInfo, pressed: int | None
) -> None:
    """A question that no longer counts, pressed: its message is rewritten without buttons,
    saying so (nothing happens when the pressed message is not known)."""
    if pressed is not None:
        _step(unit, author, a, zone, pressed, void=True)


# --- the danger, the observations, the decision --------------------------------------------


def set_danger(
    unit: Unit,
    author_id: int,
    assessment_id: int,
    danger: Danger,
    zone: ZoneInfo,
    prompt_message: int | None = None,
) -> Result:
    """The danger judged; the question's message becomes the request for observations,
    which the author types next."""
    session, now = unit.session, unit.now
    a = _own(session, author_id, assessment_id)
    if a is None:
        return Result(Status.NOT_YOURS)
    if a.state != AssessmentState.DANGER:
        return Result(Status.ALREADY, _view(session, a))
    if not _still_held(session, a):
        return _not_held(unit, session.get_one(Person, author_id), a, zone, prompt_message)
    a.danger, a.state = danger, AssessmentState.OBSERVATIONS
    conversation.expect(session, author_id, InputKind.OBSERVATIONS, a.id, now)
    shown = _view(session, a)
    _step(unit, session.get_one(Person, author_id), shown, zone, prompt_message)
    return Result(Status.ASKED, shown)


def observe(
    unit: Unit, author: PersonView, assessment_id: int, text: str, zone: ZoneInfo
) -> Result:
    """The typed observations (the bot was waiting for them): kept, then the decision is
    asked. Empty or too long: the author is told why and the bot waits for another try."""
    session = unit.session
    a = _own(session, author.id, assessment_id)
    if a is None or a.state != AssessmentState.OBSERVATIONS:
        conversation.forget_if(session, author.id, InputKind.OBSERVATIONS, assessment_id)
        return Result(Status.NOT_YOURS)
    if not _still_held(session, a):
        unit.outbox.say(author, "assessment.not_held")
        return _not_held(unit, author, a, zone, None)
    words = text.strip()
    if not words:
        unit.outbox.say(author, "assessment.observations_empty")
        return Result(Status.EMPTY, _view(session, a))
    if len(words) > MAX_OBSERVATIONS:
        unit.outbox.say(
            author, "assessment.observations_too_long", limit=MAX_OBSERVATIONS, length=len(words)
        )
        return Result(Status.TOO_LONG, _view(session, a))
    conversation.forget(session, author.id)
    a.observations, a.state = words, AssessmentState.DECISION
    shown = _view(session, a)
    _step(unit, author, shown, zone, None)
    return Result(Status.ASKED, shown)


def decide(
    unit: Unit,
    author_id: int,
    assessment_id: int,
    decision: Decision,
    zone: ZoneInfo,
    prompt_message: int | None = None,
) -> Result:
    """The decision: the assessment is recorded (an event with the danger and the decision);
    a request under article 8 goes at once to the officer, timestamped, with a button to
    acknowledge it, and is an event of its own."""
    session, now = unit.session, unit.now
    a = _own(session, author_id, assessment_id)
    if a is None:
        return Result(Status.NOT_YOURS)
    if a.state == AssessmentState.RECORDED:
        return _recorded_before(unit, a, zone, prompt_message)
    if a.state != AssessmentState.DECISION:
        return Result(Status.NOT_YOURS, _view(session, a))
    if not _still_held(session, a):
        return _not_held(unit, session.get_one(Person, author_id), a, zone, prompt_message)
    if decision == Decision.ARTICLE_8 and a.danger == Danger.NONE:
        return Result(Status.INCONSISTENT, _view(session, a))
    claimed = session.execute(
        update(Assessment)
        .where(Assessment.id == a.id, Assessment.state == AssessmentState.DECISION)
        .values(
            decision=decision,
            state=AssessmentState.RECORDED,
            recorded_at=now,
            summary_message_id=prompt_message,
        )
        .returning(Assessment.id)
    ).first()
    session.refresh(a)
    if claimed is None:
        return _recorded_before(unit, a, zone, prompt_message)
    c = session.get_one(Consultation, a.consultation_id)
    record_event(
        session,
        c.id,
        EventKind.ASSESSMENT_RECORDED,
        author_id,
        now,
        assessment=a.id,
        danger=a.danger.value if a.danger else None,
        decision=decision.value,
    )
    author = session.get_one(Person, author_id)
    status = Status.RECORDED
    if decision == Decision.ARTICLE_8:
        a.requested_at = now
        record_event(
            session,
            c.id,
            EventKind.ARTICLE8_REQUESTED,
            author_id,
            now,
            assessment=a.id,
            danger=a.danger.value if a.danger else None,
        )
        status = Status.REQUESTED
    shown = _view(session, a)
    _step(unit, author, shown, zone, prompt_message)
    if status == Status.REQUESTED:
        officer = session.get_one(Person, c.officer_id)
        unit.outbox.notify(
            officer,
            NoticeKind.ARTICLE8_REQUEST,
            priority=Priority.URGENT,
            consultation_id=c.id,
            assessment=shown.as_params(),
            zone=zone.key,
        )
    return Result(status, shown)


def _recorded_before(unit: Unit, a: Assessment, zone: ZoneInfo, pressed: int | None) -> Result:
    """A decision pressed once the assessment was recorded: nothing changes. A copy of the
    question other than the one that became the summary (it was asked again) loses its
    buttons; a second tap on the summary's own question leaves the summary as it is."""
    shown = _view(unit.session, a)
    if pressed is not None and a.summary_message_id not in (None, pressed):
        _void(unit, unit.session.get_one(Person, a.author_id), shown, zone, pressed)
    return Result(Status.ALREADY, shown)


# --- the officer's acknowledgement ---------------------------------------------------------


def acknowledge(
    unit: Unit, officer_id: int, assessment_id: int, zone: ZoneInfo, request_message: int | None
) -> Result:
    """The officer's one button: the request was received (the first press counts). The
    request's message shows when; its author is told, and their summary shows it too."""
    session, now = unit.session, unit.now
    a = session.get(Assessment, assessment_id)
    c = session.get(Consultation, a.consultation_id) if a is not None else None
    if a is None or c is None or c.officer_id != officer_id or a.requested_at is None:
        return Result(Status.NOT_YOURS)
    claimed = session.execute(
        update(Assessment)
        .where(Assessment.id == a.id, Assessment.acknowledged_at.is_(None))
        .values(acknowledged_at=now, acknowledged_by_id=officer_id)
        .returning(Assessment.id)
    ).first()
    session.refresh(a)
    shown = _view(session, a)
    if claimed is None:
        return Result(Status.ALREADY, shown)
    record_event(
        session,
        c.id,
        EventKind.ARTICLE8_ACKNOWLEDGED,
        officer_id,
        now,
        assessment=a.id,
        requested_at=a.requested_at.isoformat(),
    )
    officer = session.get_one(Person, officer_id)
    unit.outbox.notify(
        officer,
        NoticeKind.ARTICLE8_REQUEST,
        edit=request_message,
        consultation_id=c.id,
        assessment=shown.as_params(),
        zone=zone.key,
    )
    author = session.get_one(Person, a.author_id)
    if a.summary_message_id is not None:
        _step(unit, author, shown, zone, a.summary_message_id)
    unit.outbox.say(
        author,
        "assessment.acknowledged_to_author",
        consultation_id=c.id,
        ref=c.reference,
        officer=officer.display_name,
        at=_local(now, zone),
    )
    return Result(Status.ACKNOWLEDGED, shown)


def _local(at: datetime, zone: ZoneInfo) -> str:
    return f"{at.astimezone(zone):%Y-%m-%d %H:%M:%S}"


# --- reading -------------------------------------------------------------------------------


def read(unit: Unit, reader_id: int, consultation_id: int) -> list[AssessmentView]:
    """A consultation's recorded assessments for one reader, or access.Refused. The reading
    is an event (who, when, which assessments), even when there is none to read."""
    session = unit.session
    reader, c = access.readable(session, reader_id, consultation_id)
    rows = session.scalars(
        select(Assessment)
        .where(Assessment.consultation_id == c.id, Assessment.state == AssessmentState.RECORDED)
        .order_by(Assessment.id)
    )
    shown = [_view(session, a) for a in rows]
    record_event(
        session,
        c.id,
        EventKind.ASSESSMENT_VIEWED,
        reader.id,
        unit.now,
        assessments=[a.id for a in shown],
        role=reader.role.value,
    )
    return shown


def show(unit: Unit, reader_id: int, consultation_id: int, zone: ZoneInfo) -> Result:
    """/assessments C-0042: the reader gets the consultation's assessments (a recorded
    reading), or one sentence saying they may not read them."""
    session = unit.session
    reader = session.get_one(Person, reader_id)
    try:
        shown = read(unit, reader_id, consultation_id)
    except access.Refused:
        unit.outbox.say(reader, "access.refused")
        return Result(Status.NOT_YOURS)
    c = session.get_one(Consultation, consultation_id)
    unit.outbox.notify(
        reader,
        NoticeKind.ASSESSMENT_LIST,
        reference=c.reference,
        assessments=[a.as_params() for a in shown],
        zone=zone.key,
    )
    return Result(Status.RECORDED)


def tell(unit: Unit, person_id: int, key: str) -> None:
    """One sentence for this person (a usage line, a refusal)."""
    unit.outbox.say(unit.session.get_one(Person, person_id), key)
