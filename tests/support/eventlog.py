"""A generated event log with known answers, written straight into the tables (people,
consultations, events), for the report tests: each consultation is a list of (minutes after
its start, event kind, actor, data) steps."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from flows.models import Consultation, Event, Person
from flows.store import Database
from flows.vocabulary import Category, ConsultationState, EventKind, Role, Urgency

K = EventKind


@dataclass
class EventLog:
    db: Database
    people: dict[str, int] = field(default_factory=dict)
    _next: int = 1

    def person(self, name: str, role: Role = Role.WORKER, unit: str | None = None) -> int:
        with self.db.unit_of_work() as session:
            p = Person(
                telegram_user_id=900000 + len(self.people),
                display_name=name,
                role=role,
                language="fr",
                created_at=datetime(2025, 1, 1, tzinfo=UTC),
                unit=unit,
            )
            session.add(p)
            session.flush()
            self.people[name] = p.id
        return self.people[name]

    def consultation(
        self,
        sent: datetime,
        officer: int,
        *,
        category: Category = Category.MENTAL_HEALTH,
        urgency: Urgency = Urgency.URGENT,
        accept_s: float | None = None,
        worker: int | None = None,
        cleared_s: float | None = None,
        escalated: bool = False,
        fallback: bool = False,
        outcome: str | None = None,
        incident: str | None = None,
        closed_s: float | None = None,
        extra: list[tuple[float, EventKind, int | None, dict[str, Any]]] = (),  # type: ignore[assignment]
    ) -> int:
        """A consultation created 30 s before it was sent; offsets are seconds after sending."""
        created = sent - timedelta(seconds=30)
        steps: list[tuple[float, EventKind, int | None, dict[str, Any]]] = [
            (-30, K.CREATED, officer, {"text": "free text that must never reach a file"}),
            (0, K.SUBMITTED, officer, {"category": category.value, "urgency": urgency.value}),
        ]
        if escalated:
            steps.append((60, K.ESCALATED, None, {"tier": 2, "offers": 1}))
        if fallback:
            steps.append((120, K.FALLBACK_GIVEN, None, {"offers": 0}))
        if accept_s is not None:
            steps.append((accept_s, K.ACCEPTED, worker, {"tier": 1}))
        if incident is not None:
            steps.append(
                ((accept_s or 0) + 5, K.INCIDENT_NUMBER_SET, officer, {"number": incident})
            )
        if cleared_s is not None:
            steps.append((cleared_s, K.SCENE_CLEARED, officer, {}))
        if closed_s is not None:
            steps.append((closed_s, K.CLOSED, officer, {"previous_state": "active"}))
            if outcome is not None:
                steps.append((closed_s + 1, K.OUTCOME_RECORDED, worker, {"outcome": outcome}))
        steps.extend(extra)
        with self.db.unit_of_work() as session:
            c = Consultation(
                officer_id=officer,
                worker_id=worker,
                state=ConsultationState.CLOSED
                if closed_s is not None
                else ConsultationState.ACTIVE,
                category=category,
                urgency=urgency,
                request_text="free text",
                created_at=created,
            )
            session.add(c)
            session.flush()
            session.execute(
                insert(Event.__table__),
                [
                    {
                        "consultation_id": c.id,
                        "kind": kind,
                        "actor_id": actor,
                        "at": sent + timedelta(seconds=offset),
                        "data": data,
                    }
                    for offset, kind, actor, data in sorted(steps, key=lambda s: s[0])
                ],
            )
            return c.id
