"""What the bot is waiting for from a person: the one pending question (a typed date, a note,
an outcome line) kept in the database so a restart loses nothing, and forgotten after a while,
with the line that may answer it held while they say whether it does. Follow-ups ask and read
it; what an answer means is theirs."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from flows.models import PendingInput
from flows.store import Clock, Database
from flows.vocabulary import InputKind

INPUT_TTL = timedelta(minutes=30)  # a question left unanswered longer is forgotten


def expect(
    session: Session,
    person_id: int,
    kind: InputKind,
    target: int,
    now: datetime,
    message: int | None = None,
) -> None:
    """The person's next typed message answers this (it replaces any earlier question);
    message: the one asking it, to rewrite when the question ends without an answer."""
    session.execute(delete(PendingInput).where(PendingInput.person_id == person_id))
    row = PendingInput(person_id=person_id, kind=kind.value, target_id=target, created_at=now)
    row.message_id = message
    session.add(row)


def forget(session: Session, person_id: int) -> None:
    """Stop waiting for anything from this person."""
    session.execute(delete(PendingInput).where(PendingInput.person_id == person_id))


def withdraw(session: Session, person_id: int, kind: InputKind, target: int) -> int | None:
    """This very question ends (answered, or no longer asked), expired or not: the message
    that asked it, to rewrite without it, when one was named."""
    row = _this_question(session, person_id, kind, target)
    if row is None:
        return None
    session.delete(row)
    return row.message_id


def lapsed(session: Session, person_id: int, kind: InputKind, target: int, now: datetime) -> bool:
    """This very question is still kept but was left unanswered past its time (the next
    look at it drops it: withdraw it first to rewrite the message that asked it)."""
    row = _this_question(session, person_id, kind, target)
    return row is not None and row.created_at + INPUT_TTL < now


def forget_if(session: Session, person_id: int, kind: InputKind, target: int) -> None:
    """Stop waiting only if this very question is the one pending."""
    row = _this_question(session, person_id, kind, target)
    if row is not None:
        session.delete(row)


def _this_question(
    session: Session, person_id: int, kind: InputKind, target: int
) -> PendingInput | None:
    """The person's pending row if it is this very question (expired or not)."""
    row = session.get(PendingInput, person_id)
    return row if row is not None and row.kind == kind and row.target_id == target else None


def pending(session: Session, person_id: int, now: datetime) -> tuple[InputKind, int] | None:
    """The question waiting for this person's answer and its target, if any; an expired one
    is dropped."""
    row = session.get(PendingInput, person_id)
    if row is None:
        return None
    if row.created_at + INPUT_TTL < now:
        session.delete(row)
        return None
    return InputKind(row.kind), row.target_id


def hold(session: Session, person_id: int, text: str, message_id: int) -> int:
    """Keep a line that may answer the pending question or be meant for an officer, until
    the person says which (a later question drops it with the one it came with). A second
    line before they chose joins the first: one choice for both, nothing lost. Returns
    what names the line held (its first message's id), for the choice to name it."""
    row = session.get_one(PendingInput, person_id)
    if row.held_text is not None and row.held_message_id is not None:
        row.held_text = f"{row.held_text}\n{text}"
        return row.held_message_id
    row.held_text, row.held_message_id = text, message_id
    return message_id


def held_line(session: Session, person_id: int, now: datetime) -> int | None:
    """The line this person has held now (its first message's id), if its question is open."""
    if pending(session, person_id, now) is None:
        return None
    row = session.get(PendingInput, person_id)
    return None if row is None or row.held_text is None else row.held_message_id


def take_held(session: Session, person_id: int, line: int, now: datetime) -> tuple[str, int] | None:
    """The line held (its text and message id), given up once, if it is the one named
    (line: its first message's id, as hold() returned it); None when there is none, it is
    another one (the choice asked about an earlier line), or its question expired."""
    if pending(session, person_id, now) is None:
        return None
    row = session.get_one(PendingInput, person_id)
    if row.held_text is None or row.held_message_id is None or row.held_message_id != line:
        return None
    held = (row.held_text, row.held_message_id)
    row.held_text, row.held_message_id = None, None
    return held


def awaiting(db: Database, person_id: int, clock: Clock) -> InputKind | None:
    """What this person's next message answers, if anything (expired questions are dropped)."""
    with db.unit_of_work() as session:
        found = pending(session, person_id, clock())
        return found[0] if found else None
