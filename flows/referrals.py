"""A worker sends a directory resource to the officer of one of their consultations: allowed
only on an active consultation the worker holds, recorded as a REFERRAL_SENT event, and the
officer's card and the worker's confirmation recorded with it."""

from __future__ import annotations

from sqlalchemy import select

from flows.directory import Directory
from flows.events import record_event
from flows.models import Consultation, Person
from flows.people import view_of
from flows.unit import Unit
from flows.views import ConsultationView, view_in
from flows.vocabulary import LANGUAGES, ConsultationState, EventKind, NoticeKind


def refer(
    unit: Unit,
    worker_id: int,
    consultation_id: int,
    resource_id: str,
    directory: Directory,
    zone: str,
) -> ConsultationView | None:
    """Send the resource to the officer (its card, shown in `zone`) and tell the worker; None,
    with the reason told to the worker, when the resource left the directory or the
    consultation is not this worker's active one."""
    session = unit.session
    worker = view_of(session.get_one(Person, worker_id))
    position = directory.position(resource_id)
    if position is None:
        unit.outbox.say(worker, "resources.gone")
        return None
    c = session.scalars(
        select(Consultation).where(
            Consultation.id == consultation_id,
            Consultation.worker_id == worker_id,
            Consultation.state == ConsultationState.ACTIVE,
        )
    ).first()
    if c is None:
        unit.outbox.say(worker, "callback.stale")
        return None
    record_event(session, c.id, EventKind.REFERRAL_SENT, worker_id, unit.now, resource=resource_id)
    view = view_in(session, c)
    resource = directory.resources[position]
    names = {lang: resource.name.get(lang) for lang in LANGUAGES}
    shown = {"consultation": view, "resource": resource_id, "names": names}
    unit.outbox.notify(view.officer, NoticeKind.REFERRAL, consultation_id=c.id, zone=zone, **shown)
    unit.outbox.notify(worker, NoticeKind.REFERRAL_SENT, consultation_id=c.id, **shown)
    return view
