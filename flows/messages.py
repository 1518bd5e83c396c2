"""Anything someone types that is not a command, decided in one transaction: who is speaking
(an enrolled person, or a stranger the edge refuses), whether the bot was waiting for this
text (a follow-up date, note or outcome line: the follow-up conversation answers it; from
someone who also holds another consultation, held until they say whether it is the answer
or a line for that officer), and otherwise what relaying makes of it. The hot path, an
officer's line relayed to the worker, is this one transaction plus the send."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import bindparam, select

from flows import assessments, cases, conversation, followups, relaying
from flows.followups import Answer, AnswerStatus, FollowUpPolicy
from flows.models import Assessment, FollowUp, Person, reference_of
from flows.people import PERSON_COLUMNS, PersonView, view_of, view_of_row
from flows.relaying import Incoming, RelayStatus, linked_consultation
from flows.routing import RoutingPolicy
from flows.unit import Unit
from flows.views import held_in
from flows.vocabulary import InputKind, Priority, Role


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
        if message.reply_to is None and _ask_whom(unit, view, message):
            return Receipt(Heard.AWAITED, view)
        answered = _answered(
            unit, view, message.text or "", followup_policy, policy, message.sent_at
        )
        if answered is not None:
            return answered
    route = relaying.from_holder(unit, view, message)
    if route.status == RelayStatus.RELAY and message.kind != "text":
        _question_still_open(unit, view, route)
    return Receipt(Heard.HELP if route.status == RelayStatus.NONE else Heard.DONE, view)


def _question_still_open(unit: Unit, holder: PersonView, route: relaying.RelayRoute) -> None:
    """A photo (a voice message, a file...) cannot answer the bot's question: relayed like
    any message, and the sender hears that the question, observations of an assessment
    above all, still waits for typed words (else they would think it answered)."""
    asked = conversation.pending(unit.session, holder.id, unit.now)
    if asked is None or route.consultation is None or route.recipient is None:
        return
    values = {"ref": route.consultation.reference, "officer": route.recipient.display_name}
    about = _consultation_asked_about(unit, *asked)
    if asked[0] == InputKind.OBSERVATIONS and about is not None:
        unit.outbox.say(holder, "assessment.observations_not_words", asked=reference_of(about),
                        **values)  # fmt: skip
    else:
        unit.outbox.say(holder, "relay.question_still_open", **values)


def settle_held(
    unit: Unit,
    person_id: int,
    line: int,
    pass_on: bool,
    followup_policy: FollowUpPolicy,
    policy: RoutingPolicy | None = None,
) -> Receipt:
    """The holder said what the line held for them was (line: the one the question asked
    about, its first message's id): for the officer (relayed now, as if just written) or
    their answer to the bot's question. Pressed twice, after the question expired, or on
    a question about a line no longer held (another one may be held now: it is left for
    its own question): they are told to send it again if it did not go."""
    view = view_of(unit.session.get_one(Person, person_id))
    held = conversation.take_held(unit.session, person_id, line, unit.now)
    if held is not None and pass_on:
        text, message_id = held
        relaying.from_holder(unit, view, Incoming(view.chat_id, message_id, "text", text))
        return Receipt(Heard.DONE, view)
    if held is not None:
        answered = _answered(unit, view, held[0], followup_policy, policy)
        if answered is not None:
            return answered
    unit.outbox.say(view, "held.gone")
    return Receipt(Heard.DONE, view)


def settle_held_by_holder(
    unit: Unit,
    person_id: int,
    pass_on: bool,
    followup_policy: FollowUpPolicy,
    policy: RoutingPolicy | None = None,
) -> Receipt:
    """settle_held for a question asked before its buttons named the line (they named the
    holder): the line this holder has held now, as those buttons meant."""
    line = conversation.held_line(unit.session, person_id, unit.now)
    return settle_held(unit, person_id, line or 0, pass_on, followup_policy, policy)


def _answered(
    unit: Unit,
    view: PersonView,
    text: str,
    followup_policy: FollowUpPolicy,
    policy: RoutingPolicy | None,
    typed_at: datetime | None = None,
) -> Receipt | None:
    """The text taken as the answer to the question pending (None: it answers nothing)."""
    asked = conversation.pending(unit.session, view.id, unit.now)
    if asked is not None and asked[0] == InputKind.OBSERVATIONS:  # a P-38.001 assessment's
        assessments.observe(unit, view, asked[1], text, followup_policy.zone)
        return Receipt(Heard.AWAITED, view)
    if cases.awaits_care_plan(unit, view.id):
        cases.answer_care_plan(unit, view.id, text, policy or RoutingPolicy())
        return Receipt(Heard.AWAITED, view)
    answer = followups.answer(unit, view, text, followup_policy, typed_at)
    if answer.status != AnswerStatus.NOTHING:
        return Receipt(Heard.AWAITED, view, answer)
    return None


def _ask_whom(unit: Unit, holder: PersonView, message: Incoming) -> bool:
    """A plain line from someone who holds a consultation the bot's question is not about:
    it may be their answer, or meant for that officer. Taken as the answer, a line for an
    officer at a scene would never reach them; relayed, a note about another person would
    reach the wrong officer. So it is held and they choose (one tap); True if so."""
    asked = conversation.pending(unit.session, holder.id, unit.now)
    if asked is None:
        return False
    about = _consultation_asked_about(unit, *asked)
    others = [c for c in held_in(unit.session, holder.id) if c.id != about]
    if not others:
        return False
    line = conversation.hold(unit.session, holder.id, message.text or "", message.message_id)
    asked_ref = {"asked": reference_of(about)} if about is not None else {}
    if len(others) == 1:
        key = "held.which_case" if about is not None else "held.which_case_plan"
        values = {"ref": others[0].reference, "officer": others[0].officer.display_name}
    else:
        key = "held.which_cases" if about is not None else "held.which_cases_plan"
        values = {}
    unit.outbox.say(
        holder, key, buttons=("held_line", line), priority=Priority.URGENT,
        **values, **asked_ref,
    )  # fmt: skip
    return True


def _consultation_asked_about(unit: Unit, kind: InputKind, target: int) -> int | None:
    """The consultation a pending question is about (None: a care plan, about a person)."""
    session = unit.session
    if kind in (InputKind.PLAN_DATE, InputKind.SUBJECT_KEY):
        return target
    if kind in (InputKind.NOTE, InputKind.OUTCOME, InputKind.SNOOZE_DATE):
        return session.scalar(select(FollowUp.consultation_id).where(FollowUp.id == target))
    if kind == InputKind.OBSERVATIONS:
        return session.scalar(
            select(Assessment.consultation_id).where(Assessment.id == target)
        )
    return None


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
