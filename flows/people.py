"""People as the rest of the code sees them: plain read-only views, lookups, availability and
language. Views never leave a session attached, so the edge can keep them across awaits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from flows.models import Person
from flows.store import Clock, Database
from flows.vocabulary import LANGUAGES, Role


@dataclass(frozen=True)
class PersonView:
    id: int
    telegram_user_id: int
    display_name: str
    role: Role
    language: str
    available: bool
    active: bool
    created_at: datetime
    revoked_at: datetime | None

    @property
    def chat_id(self) -> int:
        """Private chats with a user have the user's id as chat id."""
        return self.telegram_user_id


def view_of(person: Person) -> PersonView:
    return PersonView(
        id=person.id,
        telegram_user_id=person.telegram_user_id,
        display_name=person.display_name,
        role=person.role,
        language=person.language,
        available=person.available,
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


def revoke(db: Database, person_id: int, clock: Clock) -> PersonView | None:
    """Revoke someone's access; they become an unknown user to the bot. None if no such id."""
    with db.unit_of_work() as session:
        person = session.get(Person, person_id)
        if person is None:
            return None
        if person.revoked_at is None:
            person.revoked_at = clock()
            person.available = False
        return view_of(person)


def set_language(db: Database, person_id: int, language: str) -> PersonView:
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    with db.unit_of_work() as session:
        person = session.get_one(Person, person_id)
        person.language = language
        return view_of(person)


def set_available(db: Database, person_id: int, available: bool) -> PersonView:
    with db.unit_of_work() as session:
        session.execute(update(Person).where(Person.id == person_id).values(available=available))
        return view_of(session.get_one(Person, person_id))


def available_workers(db: Database) -> list[PersonView]:
    """Workers who said /on and are not revoked."""
    with db.unit_of_work() as session:
        query = select(Person).where(
            Person.role == Role.WORKER, Person.available.is_(True), Person.revoked_at.is_(None)
        )
        return [view_of(p) for p in session.scalars(query.order_by(Person.id))]
