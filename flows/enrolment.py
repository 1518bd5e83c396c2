"""Invites, enrolment and revocation: one-time codes, stored hashed, that bind a Telegram
account to a role, and the end of that access (what the person held goes back to the queue);
and the enrolled person's own setting, their language."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from flows import invite_guard, phones
from flows.consultations import end_for_revoked_officer
from flows.escalation import requeue_held
from flows.models import Invite, Person
from flows.people import PersonView, change_language, view_of
from flows.store import Clock, Database
from flows.unit import Unit, unit_of_work
from flows.vocabulary import NoticeKind, Role, language_from_code

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud by phone
CODE_LENGTH = 12


@dataclass(frozen=True)
class IssuedInvite:
    code: str
    role: Role
    display_name: str
    expires_at: datetime


class RedeemStatus(StrEnum):
    ENROLLED = "enrolled"
    ALREADY_ENROLLED = "already_enrolled"
    INVALID = "invalid"  # wrong, used or expired: one refusal, nothing leaked
    THROTTLED = "throttled"  # too many wrong codes from this account: not even checked


@dataclass(frozen=True)
class RedeemResult:
    status: RedeemStatus
    person: PersonView | None = None
    failures: int = 0  # wrong codes this account has tried (invite_guard)


def hash_code(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def create_invite(
    db: Database,
    role: Role,
    display_name: str,
    clock: Clock,
    ttl: timedelta,
    phone: str | None = None,
) -> IssuedInvite:
    """Issue a one-time code; only its hash is kept, so a database leak reveals no usable code.
    `phone` (E.164, see flows/phones.py), given with the person's agreement, becomes their
    number for "Call me" when they enrol."""
    name = display_name.strip()
    if not name:
        raise ValueError("an invite needs the person's name")
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    now = clock()
    with db.unit_of_work() as session:
        session.add(
            Invite(
                code_hash=hash_code(code),
                role=role,
                display_name=name[:120],
                created_at=now,
                expires_at=now + ttl,
                phone=phone,
            )
        )
    return IssuedInvite(code=code, role=role, display_name=name, expires_at=now + ttl)


def redeem_invite(
    db: Database, code: str, telegram_user_id: int, language_code: str | None, clock: Clock
) -> RedeemResult:
    """Bind a Telegram account with a valid code (see redeem)."""
    now = clock()
    with db.unit_of_work() as session:
        return redeem(session, code, telegram_user_id, language_code, now)


def enrol(unit: Unit, code: str, telegram_user_id: int, language_code: str | None) -> RedeemResult:
    """/start CODE: the account bound and welcomed for its role in one transaction; someone
    already enrolled is told the code was not used; a bad code gets one refusal, and an
    account that tried too many is slowed down, then refused for a while (invite_guard)."""
    session, now = unit.session, unit.now
    language = language_from_code(language_code)
    gate = invite_guard.check(session, telegram_user_id, now)
    if gate.verdict != invite_guard.Verdict.ALLOWED and not _enrolled(session, telegram_user_id):
        _refuse_throttled(unit, telegram_user_id, language, gate)
        return RedeemResult(RedeemStatus.THROTTLED, failures=gate.failures)
    result = redeem(session, code, telegram_user_id, language_code, now)
    person = result.person
    if result.status == RedeemStatus.INVALID or person is None:
        gate = invite_guard.failed(session, telegram_user_id, now)
        if gate.verdict == invite_guard.Verdict.LOCKED:
            _refuse_throttled(unit, telegram_user_id, language, gate)
        else:
            unit.outbox.to_chat(
                telegram_user_id, language, NoticeKind.SAY, key="refusal.invite", values={}
            )
        return RedeemResult(result.status, failures=gate.failures)
    invite_guard.succeeded(session, telegram_user_id)
    already = result.status == RedeemStatus.ALREADY_ENROLLED
    unit.outbox.notify(person, NoticeKind.WELCOME, person=person, already=already)
    return result


def _enrolled(session: Session, telegram_user_id: int) -> bool:
    found = session.scalar(
        select(Person.id).where(
            Person.telegram_user_id == telegram_user_id, Person.revoked_at.is_(None)
        )
    )
    return found is not None


def _refuse_throttled(
    unit: Unit, telegram_user_id: int, language: str, gate: invite_guard.Gate
) -> None:
    """Slowed: try again in a few seconds. Locked: in some minutes, or ask a supervisor."""
    seconds = gate.seconds_left(unit.now)
    if gate.verdict == invite_guard.Verdict.LOCKED:
        key, values = "refusal.invite_locked", {"minutes": max(1, (seconds + 59) // 60)}
    else:
        key, values = "refusal.invite_slow", {"seconds": seconds}
    unit.outbox.to_chat(telegram_user_id, language, NoticeKind.SAY, key=key, values=values)


def redeem(
    session: Session, code: str, telegram_user_id: int, language_code: str | None, now: datetime
) -> RedeemResult:
    """Bind a Telegram account with a valid code. The claim is one conditional UPDATE, so two
    people racing for one code cannot both get in."""
    existing = session.scalar(select(Person).where(Person.telegram_user_id == telegram_user_id))
    if existing is not None and existing.revoked_at is None:
        return RedeemResult(RedeemStatus.ALREADY_ENROLLED, view_of(existing))
    claimed = session.execute(
        update(Invite)
        .where(
            Invite.code_hash == hash_code(code),
            Invite.used_at.is_(None),
            Invite.expires_at > now,
        )
        .values(used_at=now)
        .returning(Invite.id, Invite.role, Invite.display_name, Invite.phone)
    ).first()
    if claimed is None:
        return RedeemResult(RedeemStatus.INVALID)
    invite_id, role, display_name, phone = claimed
    language = language_from_code(language_code)
    if existing is not None:  # re-enrolment of a revoked account
        existing.role, existing.display_name = Role(role), display_name
        existing.revoked_at, existing.language = None, language
        existing.presence, existing.presence_until = None, None
        person = existing
    else:
        person = Person(
            telegram_user_id=telegram_user_id,
            display_name=display_name,
            role=Role(role),
            language=language,
            created_at=now,
        )
        session.add(person)
    session.flush()
    session.execute(update(Invite).where(Invite.id == invite_id).values(used_by_id=person.id))
    if phone:
        phones.keep(session, person.id, phone, "invite", now)
    return RedeemResult(RedeemStatus.ENROLLED, view_of(person))


def choose_language(unit: Unit, person_id: int, language: str) -> PersonView:
    """/lang or its button: the person's language from now on, said in that language."""
    person = view_of(change_language(unit.session, person_id, language))
    unit.outbox.say(person, "lang.set")
    return person


def revoke(db: Database, person_id: int, clock: Clock) -> PersonView | None:
    """Revoke someone's access; they become an unknown user to the bot. What a worker held
    goes back to the queue; what an officer had open ends (their holders told): nothing
    more reaches a revoked person. None if no such id."""
    with unit_of_work(db, clock) as unit:
        person = unit.session.get(Person, person_id)
        if person is None:
            return None
        if person.revoked_at is None:
            person.revoked_at = unit.now
            person.presence, person.presence_until = None, None
            requeue_held(unit.session, person.id, person.revoked_at, "revoked")
            if person.role == Role.OFFICER:
                end_for_revoked_officer(unit, view_of(person))
        return view_of(person)
