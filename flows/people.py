"""People as the rest of the code sees them: plain read-only views, lookups, availability and
language. Views never leave a session attached, so the edge can keep them across awaits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows import roster, routing
from flows.models import Person, Shift
from flows.routing import RoutingPolicy
from flows.store import Clock, Database
from flows.vocabulary import LANGUAGES, Presence, Role


@dataclass(frozen=True)
class PersonView:
    id: int
    telegram_user_id: int
    display_name: str
    role: Role
    language: str
    presence: Presence | None
    presence_until: datetime | None
    capacity: int | None
    active: bool
    created_at: datetime
    revoked_at: datetime | None

    @property
    def chat_id(self) -> int:
        """Private chats with a user have the user's id as chat id."""
        return self.telegram_user_id


# A person's view read as plain columns (no ORM object built, nothing kept in the session):
# for the statements every relayed line runs (flows/messages.py, flows/relaying.py).
PERSON_COLUMNS = (
    Person.id,
    Person.telegram_user_id,
    Person.display_name,
    Person.role,
    Person.language,
    Person.presence,
    Person.presence_until,
    Person.capacity,
    Person.created_at,
    Person.revoked_at,
)


def view_of_row(row: Sequence[Any]) -> PersonView:
    """The view from PERSON_COLUMNS' values, in that order."""
    pid, tg_id, name, role, language, presence, until, capacity, created, revoked = row
    return PersonView(
        id=pid,
        telegram_user_id=tg_id,
        display_name=name,
        role=role,
        language=language,
        presence=presence,
        presence_until=until,
        capacity=capacity,
        active=revoked is None,
        created_at=created,
        revoked_at=revoked,
    )


def view_of(person: Person) -> PersonView:
    return PersonView(
        id=person.id,
        telegram_user_id=person.telegram_user_id,
        display_name=person.display_name,
        role=person.role,
        language=person.language,
        presence=person.presence,
        presence_until=person.presence_until,
        capacity=person.capacity,
        active=person.revoked_at is None,
        created_at=person.created_at,
        revoked_at=person.revoked_at,
    )


def find_by_telegram_id(db: Database, telegram_user_id: int) -> PersonView | None:
    """The enrolled, non-revoked person behind a Telegram account, or None."""
    with db.unit_of_work() as session:
        person = session.scalar(
            select(Person).where(
                Person.telegram_user_id == telegram_user_id, Person.revoked_at.is_(None)
            )
        )
        return view_of(person) if person else None


def find_any_by_telegram_id(db: Database, telegram_user_id: int) -> PersonView | None:
    """The person ever enrolled with this Telegram account, revoked or not, or None."""
    with db.unit_of_work() as session:
        person = session.scalar(select(Person).where(Person.telegram_user_id == telegram_user_id))
        return view_of(person) if person else None


def get(db: Database, person_id: int) -> PersonView | None:
    with db.unit_of_work() as session:
        person = session.get(Person, person_id)
        return view_of(person) if person else None


def list_people(db: Database, *, include_revoked: bool = True) -> list[PersonView]:
    with db.unit_of_work() as session:
        query = select(Person).order_by(Person.id)
        if not include_revoked:
            query = query.where(Person.revoked_at.is_(None))
        return [view_of(p) for p in session.scalars(query)]


def change_language(session: Session, person_id: int, language: str) -> Person:
    """The person's language from now on (one of the catalogs')."""
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    person = session.get_one(Person, person_id)
    person.language = language
    return person


def set_presence(
    db: Database, person_id: int, presence: Presence, clock: Clock, policy: RoutingPolicy
) -> PersonView:
    """/on or /off (as the CLI and tests set it): see override()."""
    now = clock()
    with db.unit_of_work() as session:
        return view_of(override(session, person_id, presence, now, policy))


def override(
    session: Session, person_id: int, presence: Presence, now: datetime, policy: RoutingPolicy
) -> Person:
    """/on or /off: overrides the roster until the person's next shift change (or until
    changed again when they have no shift)."""
    person = session.get_one(Person, person_id)
    shifts = list(session.scalars(select(Shift).where(Shift.person_id == person_id)))
    person.presence = presence
    person.presence_until = roster.next_transition(shifts, now, policy.zone)
    return person


def is_available(db: Database, person_id: int, clock: Clock, policy: RoutingPolicy) -> bool:
    with db.unit_of_work() as session:
        return routing.is_available(session, session.get_one(Person, person_id), clock(), policy)


def available_workers(db: Database, clock: Clock, policy: RoutingPolicy) -> list[PersonView]:
    """Workers available now (roster or /on), not revoked."""
    now = clock()
    with db.unit_of_work() as session:
        workers = session.scalars(
            select(Person)
            .where(Person.role == Role.WORKER, Person.revoked_at.is_(None))
            .where(Person.unreachable_since.is_(None))  # blocked the bot: offered nothing
            .order_by(Person.id)
        ).all()
        return [view_of(p) for p in workers if routing.is_available(session, p, now, policy)]


# --- reports (issue 12) --------------------------------------------------------------------


class NotAnOfficer(ValueError):
    """A unit given to someone who is not an officer: reports group consultations by their
    officer's unit only, so a worker's or a supervisor's would be counted nowhere."""

    def __init__(self, person: PersonView) -> None:
        super().__init__(f"person {person.id} is a {person.role.value}, not an officer")
        self.person = person


def set_unit(db: Database, person_id: int, unit: str | None) -> PersonView | None:
    """An officer's unit (police station), by which reports may group; None clears it. None
    if no such id; NotAnOfficer, nothing changed, for a unit given to anyone else (clearing
    one is allowed: it only removes what was set before this rule)."""
    cleaned = unit.strip()[:80] if unit and unit.strip() else None
    with db.unit_of_work() as session:
        person = session.get(Person, person_id)
        if person is None:
            return None
        if cleaned is not None and person.role != Role.OFFICER:
            raise NotAnOfficer(view_of(person))
        person.unit = cleaned
        return view_of(person)
