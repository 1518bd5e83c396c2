"""A worker sends a directory resource to the officer of one of their consultations: allowed
only on an active consultation the worker holds, and recorded as a REFERRAL_SENT event."""

from __future__ import annotations

from sqlalchemy import select

from flows.consultations import record_event
from flows.models import Consultation
from flows.store import Clock, Database
from flows.views import ConsultationView, view_in
from flows.vocabulary import ConsultationState, EventKind


def refer(
    db: Database, worker_id: int, consultation_id: int, resource_id: str, clock: Clock
) -> ConsultationView | None:
    """Record the referral; None when the consultation is not this worker's active one."""
    with db.unit_of_work() as session:
        c = session.scalars(
            select(Consultation).where(
                Consultation.id == consultation_id,
                Consultation.worker_id == worker_id,
                Consultation.state == ConsultationState.ACTIVE,
            )
        ).first()
        if c is None:
            return None
        record_event(
            session, c.id, EventKind.REFERRAL_SENT, worker_id, clock(), resource=resource_id
        )
        return view_in(session, c)
