"""What the officer tells Relais about the police side of a consultation, for the evaluation
figures: the incident/file number of the call (optional, editable later) and the moment the
scene is cleared (officer time ends there). Each is an event of the log; reports read them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from flows.events import record_event
from flows.models import Consultation, Event, Person
from flows.unit import Unit
from flows.views import parse_reference
from flows.vocabulary import ConsultationState, EventKind

# A police file number as services write them: letters, digits and - / . separators.
INCIDENT_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-/.]{0,39}$")


class IncidentStatus(StrEnum):
    SET = "set"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    INVALID = "invalid"  # not a file number: the officer is told the expected shape
    NOTHING = "nothing"  # no consultation of theirs to attach it to
    NOT_YOURS = "not_yours"


class SceneStatus(StrEnum):
    CLEARED = "cleared"
    ALREADY = "already"
    NOT_YOURS = "not_yours"
    NOT_SENT = "not_sent"  # still a draft: nothing to clear yet


@dataclass(frozen=True)
class IncidentResult:
    status: IncidentStatus
    reference: str | None = None
    number: str | None = None


def parse_incident_args(args: list[str]) -> tuple[int | None, str]:
    """`/incident 2026-12345` or `/incident C-0042 2026-12345`: the consultation id (if
    named) and the number as typed."""
    named = len(args) >= 2 and args[0][:1] in ("C", "c")  # a bare number is the file number
    if named and (cid := parse_reference(args[0])) is not None:
        return cid, " ".join(args[1:]).strip()
    return None, " ".join(args).strip()


def set_incident(
    unit: Unit, officer_id: int, consultation_id: int | None, number: str
) -> IncidentResult:
    """Record (or correct) the incident number of one of the officer's consultations: the one
    named, else the open one, else the latest. The officer is told what was recorded."""
    session = unit.session
    officer = session.get_one(Person, officer_id)
    number = number.strip()
    if not INCIDENT_PATTERN.match(number):
        unit.outbox.say(officer, "incident.invalid")
        return IncidentResult(IncidentStatus.INVALID)
    c = _target(session, officer_id, consultation_id)
    if c is None:
        status = IncidentStatus.NOT_YOURS if consultation_id else IncidentStatus.NOTHING
        unit.outbox.say(officer, "incident.nothing")
        return IncidentResult(status)
    before = current_incident(session, c.id)
    if before == number:
        unit.outbox.say(officer, "incident.recorded", ref=c.reference, number=number)
        return IncidentResult(IncidentStatus.UNCHANGED, c.reference, number)
    record_event(session, c.id, EventKind.INCIDENT_NUMBER_SET, officer_id, unit.now, number=number)
    if before is None:
        unit.outbox.say(officer, "incident.recorded", ref=c.reference, number=number)
        return IncidentResult(IncidentStatus.SET, c.reference, number)
    unit.outbox.say(officer, "incident.changed", ref=c.reference, number=number, before=before)
    return IncidentResult(IncidentStatus.CHANGED, c.reference, number)


def explain_incident(unit: Unit, officer_id: int, consultation_id: int) -> bool:
    """The Incident no. button: how to give the number for this consultation (and the one
    recorded, if any). False when the consultation is not the officer's."""
    session = unit.session
    c = session.get(Consultation, consultation_id)
    if c is None or c.officer_id != officer_id:
        return False
    officer = session.get_one(Person, officer_id)
    known = current_incident(session, c.id)
    unit.outbox.say(
        officer, "incident.how", ref=c.reference, number=known or "—", example="2026-12345"
    )
    return True


def clear_scene(unit: Unit, officer_id: int, consultation_id: int) -> SceneStatus:
    """The officer is back on duty: recorded once (the first press counts), the officer told,
    and the holder told, so they know the officer may no longer be reachable at the scene."""
    session = unit.session
    c = session.get(Consultation, consultation_id)
    if c is None or c.officer_id != officer_id:
        return SceneStatus.NOT_YOURS
    officer = session.get_one(Person, officer_id)
    if c.state == ConsultationState.DRAFT:
        return SceneStatus.NOT_SENT
    if scene_cleared(session, c.id):
        unit.outbox.say(officer, "scene.already", ref=c.reference)
        return SceneStatus.ALREADY
    record_event(session, c.id, EventKind.SCENE_CLEARED, officer_id, unit.now)
    unit.outbox.say(officer, "scene.cleared", ref=c.reference)
    if c.worker_id is not None and c.state == ConsultationState.ACTIVE:
        worker = session.get_one(Person, c.worker_id)
        unit.outbox.say(worker, "scene.cleared_holder", ref=c.reference)
    return SceneStatus.CLEARED


def scene_cleared(session: Session, consultation_id: int) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    Event.consultation_id == consultation_id,
                    Event.kind == EventKind.SCENE_CLEARED,
                )
            )
        )
    )


def current_incident(session: Session, consultation_id: int) -> str | None:
    """The latest incident number given for a consultation, if any."""
    row = session.scalar(
        select(Event)
        .where(
            Event.consultation_id == consultation_id,
            Event.kind == EventKind.INCIDENT_NUMBER_SET,
        )
        .order_by(Event.id.desc())
        .limit(1)
    )
    return str(row.data.get("number")) if row is not None else None


def _target(session: Session, officer_id: int, consultation_id: int | None) -> Consultation | None:
    if consultation_id is not None:
        c = session.get(Consultation, consultation_id)
        return c if c is not None and c.officer_id == officer_id else None
    mine = (
        select(Consultation)
        .where(
            Consultation.officer_id == officer_id,
            Consultation.state != ConsultationState.DRAFT,
        )
        .order_by((Consultation.state == ConsultationState.CLOSED).asc(), Consultation.id.desc())
        .limit(1)
    )
    return session.scalar(mine)
