"""Anything someone types that is not a command, decided in one transaction: who is speaking
(an enrolled person, or a stranger the edge refuses), whether the bot was waiting for this
text (a follow-up date, note or outcome line: the follow-up conversation answers it), and
otherwise what relaying makes of it. The hot path, an officer's line relayed to the worker,
is this one transaction plus the send."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import bindparam, select

from flows import assessments, cases, conversation, followups, relaying
from flows.followups import Answer, AnswerStatus, FollowUpPolicy
from flows.models import Person
from flows.people import PERSON_COLUMNS, PersonView, view_of_row
from flows.relaying import Incoming, RelayStatus, linked_consultation
from flows.routing import RoutingPolicy
from flows.unit import Unit
from flows.vocabulary import InputKind, Role


class Heard(StrEnum):
    STRANGER = "stranger"  # not enrolled, or revoked: the edge refuses politely
    AWAITED = "awaited"  # the bot asked this person something: the follow-ups answered it
    HELP = "help"  # a supervisor who holds nothing: the edge gives the help
    DONE = "done"  # relayed, queued, added to a draft, or answered why not


@dataclass(frozen=True)
class Receipt:
    heard: Heard
    person: PersonView | None = None
    answer: Answer | None = None  # what the awaited text did (a follow-up planned...)


def receive(
    unit: Unit,
    telegram_user_id: int,
    message: Incoming,
    followup_policy: FollowUpPolicy,
    policy: RoutingPolicy | None = None,
) -> Receipt:
    """One message from a private chat: identify, then answer what the bot asked (a subject
    key, a care plan's part, a follow-up's date...), or relay (or say who must answer)."""
    view = _enrolled(unit, telegram_user_id)
    if view is None:
        return Receipt(Heard.STRANGER)
    if view.role == Role.OFFICER:
        if policy is not None and cases.typed_key(unit, view, message, policy):
            return Receipt(Heard.AWAITED, view)
        relaying.from_officer(unit, view, message, policy)
        return Receipt(Heard.DONE, view)
    if _awaited(unit, view.id, message):
        asked = conversation.pending(unit.session, view.id, unit.now)
        if asked is not None and asked[0] == InputKind.OBSERVATIONS:  # a P-38.001 assessment's
            assessments.observe(unit, view, asked[1], message.text or "", followup_policy.zone)
            return Receipt(Heard.AWAITED, view)
        if cases.awaits_care_plan(unit, view.id):
            cases.answer_care_plan(unit, view.id, message.text or "", policy or RoutingPolicy())
            return Receipt(Heard.AWAITED, view)
        answer = followups.answer(unit, view, message.text or "", followup_policy)
        if answer.status != AnswerStatus.NOTHING:
            return Receipt(Heard.AWAITED, view, answer)
    route = relaying.from_holder(unit, view, message)
    return Receipt(Heard.HELP if route.status == RelayStatus.NONE else Heard.DONE, view)


def edited(unit: Unit, telegram_user_id: int) -> bool:
    """An edit cannot be relayed: the enrolled sender is told; False for a stranger."""
    person = _enrolled(unit, telegram_user_id)
    if person is None:
        return False
    unit.outbox.say(person, "relay.edit_not_relayed")
    return True


# Built once: every message runs it, and building a statement costs more than running it. Read
# as columns, not as an ORM object: loading one costs several times the query itself.
_ENROLLED = select(*PERSON_COLUMNS).where(
    Person.telegram_user_id == bindparam("telegram_user_id"), Person.revoked_at.is_(None)
)


def _enrolled(unit: Unit, telegram_user_id: int) -> PersonView | None:
    found = unit.session.connection().execute(_ENROLLED, {"telegram_user_id": telegram_user_id})
    row = found.first()
    return view_of_row(row) if row is not None else None


def may_answer(message: Incoming) -> bool:
    """Plain text that may answer a question the bot asked (a date, a care plan...); a
    command or a photo never does."""
    return message.kind == "text" and bool(message.text) and not message.text.startswith("/")


def _awaited(unit: Unit, person_id: int, message: Incoming) -> bool:
    """The bot asked this person a question not yet answered, and this text is not a
    reply to a consultation's message (that one is meant for the consultation)."""
    if not may_answer(message):
        return False
    if conversation.pending(unit.session, person_id, unit.now) is None:
        return False
    if message.reply_to is not None:
        return linked_consultation(unit.session, message.chat_id, message.reply_to) is None
    return True
