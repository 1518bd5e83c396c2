"""Quick screening at the scene: after the urgency, a few yes/no questions configured per
category in a YAML file (`screening.yaml`), answered by buttons or skipped in one tap. The
request has already gone out, so nothing waits on them: each answer is an event, updates
the open offer cards (or tells the holder), and a "yes" to some questions raises the
urgency (shortening the wait before escalation). The file is validated as a whole with
pydantic: a broken file stops start-up with a clear report instead of asking half of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.events import record_event, screening_answers
from flows.models import Consultation, Event, Person
from flows.offers import redraw_open_cards
from flows.routing import RoutingPolicy
from flows.unit import Unit
from flows.views import ConsultationView, priority_of, view_in
from flows.vocabulary import (
    Category,
    ConsultationState,
    EventKind,
    NoticeKind,
    Priority,
    Urgency,
)

TEXT_LIMIT = 200
ORDER = (Urgency.ADVICE, Urgency.URGENT, Urgency.IMMEDIATE)  # least to most urgent


class ScreeningError(ValueError):
    """The screening file cannot be used; the message says where and why."""


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    fr: str = Field(min_length=3, max_length=TEXT_LIMIT)
    en: str = Field(min_length=3, max_length=TEXT_LIMIT)
    raises_to: Urgency | None = None


class ScreeningFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = 1
    max_questions: int = Field(default=4, ge=1, le=6)
    questions: dict[str, Question] = Field(default_factory=dict)
    categories: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        known = {c.value for c in Category} | {"default"}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(f"unknown categories {unknown}; known: {sorted(known)}")
        return value


@dataclass(frozen=True)
class ScreeningPolicy:
    """The questions of each category, in order, already cut to the maximum."""

    questions: dict[str, Question]
    by_category: dict[str, tuple[str, ...]]

    def for_category(self, category: Category | None) -> tuple[str, ...]:
        key = category.value if category is not None else "default"
        return self.by_category.get(key, self.by_category.get("default", ()))


NO_QUESTIONS = ScreeningPolicy({}, {})


def load(path: Path) -> ScreeningPolicy:
    """Read and check the whole file (unknown question ids, categories, missing languages)."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ScreeningError(f"{path}: cannot be read as YAML ({exc})") from exc
    except UnicodeDecodeError as exc:
        raise ScreeningError(f"{path}: is not UTF-8 text; save it as UTF-8") from exc
    if not isinstance(raw, dict):
        raise ScreeningError(f"{path}: expected a mapping with questions and categories")
    try:
        parsed = ScreeningFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ScreeningError(f"{path}: {where}: {first['msg']}") from exc
    by_category: dict[str, tuple[str, ...]] = {}
    for category, ids in parsed.categories.items():
        unknown = [q for q in ids if q not in parsed.questions]
        if unknown:
            raise ScreeningError(f"{path}: categories.{category}: unknown questions {unknown}")
        by_category[category] = tuple(dict.fromkeys(ids))[: parsed.max_questions]
    return ScreeningPolicy(dict(parsed.questions), by_category)


# --- answers, read back from the event log --------------------------------------------------


@dataclass(frozen=True)
class ScreeningAnswer:
    question: str
    fr: str
    en: str
    yes: bool


def answers_in(session: Session, consultation_id: int) -> list[ScreeningAnswer]:
    """The answers given so far, in order (the texts are kept in the events, so a card drawn
    later shows them even if the file changed meanwhile)."""
    return [
        ScreeningAnswer(a["question"], a["fr"], a["en"], a["yes"])
        for a in screening_answers(session, consultation_id)
    ]


def _skipped(session: Session, consultation_id: int) -> bool:
    found = session.scalar(
        select(Event.id)
        .where(
            Event.consultation_id == consultation_id,
            Event.kind == EventKind.SCREENING_SKIPPED,
        )
        .limit(1)
    )
    return found is not None


def _next(session: Session, c: Consultation, policy: ScreeningPolicy) -> tuple[int, str] | None:
    """The next question to ask (its position in the category's list, its id), or None."""
    if _skipped(session, c.id):
        return None
    done = {a.question for a in answers_in(session, c.id)}
    for index, question in enumerate(policy.for_category(c.category)):
        if question not in done:
            return index, question
    return None


# --- use cases ------------------------------------------------------------------------------


class ScreenStatus(StrEnum):
    ASKED = "asked"  # the next question is shown
    DONE = "done"  # all answered (or none configured)
    SKIPPED = "skipped"
    STALE = "stale"  # closed, already answered, or not this officer's


@dataclass(frozen=True)
class ScreenResult:
    status: ScreenStatus
    consultation: ConsultationView | None = None
    next_due: datetime | None = None  # the escalation timer, when an answer raised urgency


def ask_first(
    unit: Unit, c: ConsultationView, policy: ScreeningPolicy, edit: int | None = None
) -> ScreenStatus:
    """Right after the request went out: the first question, if the category has any."""
    row = unit.session.get_one(Consultation, c.id)
    upcoming = _next(unit.session, row, policy)
    if upcoming is None:
        return ScreenStatus.DONE
    _ask(unit, row, policy, upcoming, edit)
    return ScreenStatus.ASKED


def answer(
    unit: Unit,
    officer_id: int,
    consultation_id: int,
    index: int,
    yes: bool,
    policy: ScreeningPolicy,
    routing: RoutingPolicy,
    message_id: int | None = None,
) -> ScreenResult:
    """One answer: recorded, shown on the open cards (or to the holder), the urgency raised
    if the question says so; then the next question in the same message, or thanks."""
    session = unit.session
    c = session.get(Consultation, consultation_id)
    if c is None or c.officer_id != officer_id or c.state not in _OPEN:
        return ScreenResult(ScreenStatus.STALE)
    upcoming = _next(session, c, policy)
    if upcoming is None or upcoming[0] != index:
        return ScreenResult(ScreenStatus.STALE, view_in(session, c))  # a double tap
    question_id = upcoming[1]
    question = policy.questions[question_id]
    record_event(
        session, c.id, EventKind.SCREENING_ANSWERED, officer_id, unit.now,
        question=question_id, fr=question.fr, en=question.en, yes=yes,
    )  # fmt: skip
    due = _raise(unit, c, question, yes, routing) if yes else None
    view = view_in(session, c)
    _share(unit, c, view, routing)
    following = _next(session, c, policy)
    if following is not None:
        _ask(unit, c, policy, following, message_id)
        return ScreenResult(ScreenStatus.ASKED, view, due)
    _thank(unit, c, view, message_id)
    return ScreenResult(ScreenStatus.DONE, view, due)


def skip(unit: Unit, officer_id: int, consultation_id: int, message_id: int | None) -> ScreenResult:
    """One tap: no more questions for this consultation."""
    session = unit.session
    c = session.get(Consultation, consultation_id)
    if c is None or c.officer_id != officer_id or _skipped(session, consultation_id):
        return ScreenResult(ScreenStatus.STALE)
    record_event(session, c.id, EventKind.SCREENING_SKIPPED, officer_id, unit.now)
    officer = session.get_one(Person, officer_id)
    unit.outbox.notify(
        officer, NoticeKind.SAY, edit=message_id, key="screening.skipped",
        values={"ref": c.reference},
    )  # fmt: skip
    return ScreenResult(ScreenStatus.SKIPPED, view_in(session, c))


_OPEN = (ConsultationState.WAITING, ConsultationState.ACTIVE)


def _ask(
    unit: Unit,
    c: Consultation,
    policy: ScreeningPolicy,
    upcoming: tuple[int, str],
    edit: int | None,
) -> None:
    index, question_id = upcoming
    question = policy.questions[question_id]
    officer = unit.session.get_one(Person, c.officer_id)
    unit.outbox.notify(
        officer, NoticeKind.SCREENING_QUESTION, priority=Priority.URGENT, edit=edit,
        consultation_id=c.id, reference=c.reference, index=index,
        total=len(policy.for_category(c.category)), fr=question.fr, en=question.en,
    )  # fmt: skip


def _thank(unit: Unit, c: Consultation, view: ConsultationView, edit: int | None) -> None:
    officer = unit.session.get_one(Person, c.officer_id)
    unit.outbox.notify(
        officer, NoticeKind.SAY, edit=edit, key="screening.done",
        values={"ref": c.reference},
    )  # fmt: skip


def _raise(
    unit: Unit, c: Consultation, question: Question, yes: bool, routing: RoutingPolicy
) -> datetime | None:
    """A "yes" that calls for more urgency: the consultation becomes that urgent, and a
    waiting one's escalation comes sooner (never later). The new due time, if it moved."""
    target = question.raises_to
    current = c.urgency or Urgency.ADVICE
    if not yes or target is None or ORDER.index(target) <= ORDER.index(current):
        return None
    c.urgency = target
    record_event(
        unit.session, c.id, EventKind.URGENCY_RAISED, c.officer_id, unit.now,
        urgency=target.value, previous=current.value,
    )  # fmt: skip
    if c.state != ConsultationState.WAITING or c.submitted_at is None:
        return None
    sooner = c.submitted_at + routing.window(target)
    if c.escalation_due_at is None or sooner < c.escalation_due_at:
        c.escalation_due_at = max(sooner, unit.now)
        return c.escalation_due_at
    return None


def _share(unit: Unit, c: Consultation, view: ConsultationView, routing: RoutingPolicy) -> None:
    """The answers reach whoever may take or holds the case: open cards are redrawn with
    them; a holder gets them as one line."""
    answers = screening_answers(unit.session, c.id)
    if c.state == ConsultationState.ACTIVE and view.worker is not None:
        unit.outbox.notify(
            view.worker, NoticeKind.SCREENING_UPDATE, priority=priority_of(view),
            consultation_id=c.id, reference=c.reference, answers=answers,
        )  # fmt: skip
        return
    redraw_open_cards(unit, view, routing)
