"""Staff phone numbers for "Call me". A number is only ever one the person gave: on their
invite (`relais invite --phone`, with their agreement) or by sharing their own Telegram
contact with the bot's request-contact button. Kept in E.164 (+15145550123), shown in the
international format, removed when the person asks (/phone off). Parsing and validation are
the `phonenumbers` library's (Google's libphonenumber rules), not hand-written."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import phonenumbers
from sqlalchemy import delete
from sqlalchemy.orm import Session

from flows.models import Person, PhoneNumber
from flows.unit import Unit

MAX_LENGTH = 32  # what a person may type or a contact may carry before parsing


class PhoneStatus(StrEnum):
    SAVED = "saved"
    INVALID = "invalid"  # not a valid number for the region (or international)
    REMOVED = "removed"
    NONE = "none"  # nothing to remove


def written_as_phone_number(text: str, region: str) -> bool:
    """True when the text holds a phone number written as one (grouped as the region writes
    its numbers, or in one run of digits): "514-555-0123" is, "2024-012345" is not."""
    matches = phonenumbers.PhoneNumberMatcher(
        text[:MAX_LENGTH], region, leniency=phonenumbers.Leniency.EXACT_GROUPING
    )
    return any(True for _ in matches)


def normalise(raw: str, region: str) -> str | None:
    """The number in E.164, or None when it is not a valid phone number. A contact shared
    from Telegram comes without the "+" (15145550123): read as international first."""
    text = raw.strip()[:MAX_LENGTH]
    if not text:
        return None
    candidates = [text] if text.startswith("+") else [f"+{text}", text]
    for candidate in candidates:
        try:
            parsed = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return None


def shown(number: str) -> str:
    """+1 514-555-0123: how a person reads and dials it (Telegram makes it a call link)."""
    parsed = phonenumbers.parse(number, None)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def number_of(session: Session, person_id: int) -> str | None:
    row = session.get(PhoneNumber, person_id)
    return row.number if row is not None else None


def keep(session: Session, person_id: int, number: str, source: str, now: datetime) -> None:
    """Store (or replace) the person's number."""
    row = session.get(PhoneNumber, person_id)
    if row is None:
        session.add(PhoneNumber(person_id=person_id, number=number, source=source, given_at=now))
    else:
        row.number, row.source, row.given_at = number, source, now


def share(unit: Unit, person_id: int, raw: str, region: str) -> PhoneStatus:
    """The person shared their own contact (the request-contact button): their number is
    kept for "Call me", and they are told so, or why not."""
    person = unit.session.get_one(Person, person_id)
    number = normalise(raw, region)
    if number is None:
        unit.outbox.say(person, "phone.invalid")
        return PhoneStatus.INVALID
    keep(unit.session, person_id, number, "contact", unit.now)
    unit.outbox.say(person, "phone.saved", number=shown(number))
    return PhoneStatus.SAVED


def remove(unit: Unit, person_id: int) -> PhoneStatus:
    """/phone off: the number is forgotten; "Call me" then says how to add one again."""
    person = unit.session.get_one(Person, person_id)
    removed = unit.session.execute(delete(PhoneNumber).where(PhoneNumber.person_id == person_id))
    if not getattr(removed, "rowcount", 0):
        unit.outbox.say(person, "phone.none_to_remove")
        return PhoneStatus.NONE
    unit.outbox.say(person, "phone.removed")
    return PhoneStatus.REMOVED
