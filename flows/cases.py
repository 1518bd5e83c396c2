"""Continuity for people seen before, one use case per action: the subject key given (by the
officer, or added or corrected by the holder), the owner of a recurring or complex case
(take, give up, hand to a colleague), owner-first routing, the versioned care plan, the case
and recurring views (each refused to whoever may not see it, each view recorded), and
follow-ups aimed at the person or their family."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows import conversation, routing, subjects
from flows.models import (
    CarePlan,
    Consultation,
    FollowUp,
    FollowUpTarget,
    Offer,
    Person,
    Subject,
    SubjectLink,
)
from flows.offers import OfferTarget, announce_offers, card_extras, offer_one, open_cards
from flows.outbox import VIEWS
from flows.people import PersonView, view_of
from flows.phones import written_as_phone_number
from flows.relaying import Incoming
from flows.routing import RoutingPolicy
from flows.subject_keys import hash_of, normalise
from flows.subjects import Seen, SubjectHistory, history_of, record, subject_reference
from flows.unit import Unit
from flows.views import OPEN_STATES, view_in
from flows.vocabulary import (
    Category,
    ConsultationState,
    FollowUpState,
    InputKind,
    NoticeKind,
    OfferState,
    Outcome,
    Priority,
    Role,
    Tier,
)

CARE_PLAN_FIELDS = ("what_works", "who_to_call", "risks", "crisis_plan")
MAX_CARE_PLAN_TEXT = 2000
AIMS = ("person", "family")

# --- the subject key ------------------------------------------------------------------------


class KeyStatus(StrEnum):
    LINKED = "linked"
    CORRECTED = "corrected"  # the consultation was about someone else before
    SAME = "same"  # that key was already the consultation's
    NOT_A_KEY = "not_a_key"
    NOTHING_OPEN = "nothing_open"  # no consultation of theirs to give it to
    CHOOSE = "choose"  # a holder of several: /key C-0042 JT 1987


@dataclass(frozen=True)
class KeyResult:
    status: KeyStatus
    reference: str | None = None


def give_key(
    unit: Unit,
    person_id: int,
    raw: str,
    policy: RoutingPolicy,
    consultation_id: int | None = None,
) -> KeyResult:
    """/key JT 1987: the officer of an open consultation or its holder gives (or corrects)
    the subject key. Only its hash is kept; the cards and the holder are updated at once.
    A bare /key gets the usage hint whatever is open (it asks how, not for a case), and a
    phone number is refused as the typed key refuses it (never hashed as a file number)."""
    session = unit.session
    person = session.get_one(Person, person_id)
    if not raw.strip():
        unit.outbox.say(person, "subject.not_a_key")
        return KeyResult(KeyStatus.NOT_A_KEY)
    found = _keyed_consultation(unit, person, consultation_id)
    if isinstance(found, KeyStatus):
        unit.outbox.say(person, f"subject.{found.value}")
        return KeyResult(found)
    key_hash = _key_hash(raw, policy)
    if key_hash is None:
        unit.outbox.say(person, "subject.not_a_key")
        return KeyResult(KeyStatus.NOT_A_KEY, found.reference)
    return _link(unit, person, found, key_hash, policy)


def _key_hash(raw: str, policy: RoutingPolicy) -> str | None:
    """The hash of a key given with /key; None for what is no key, a phone number included
    (the same rule as for a typed key: a number to call is never hashed away)."""
    if written_as_phone_number(raw, policy.subjects.phone_region):
        return None
    return hash_of(raw, policy.subjects.secret)


def _keyed_consultation(
    unit: Unit, person: Person, consultation_id: int | None
) -> Consultation | KeyStatus:
    session = unit.session
    if consultation_id is not None:
        c = session.get(Consultation, consultation_id)
        if c is None or person.id not in (c.officer_id, c.worker_id):
            return KeyStatus.NOTHING_OPEN
        return c if c.state in OPEN_STATES else KeyStatus.NOTHING_OPEN
    if person.role == Role.OFFICER:
        mine = [Consultation.officer_id == person.id, Consultation.state.in_(OPEN_STATES)]
    else:
        mine = [
            Consultation.worker_id == person.id,
            Consultation.state == ConsultationState.ACTIVE,
        ]
    held = list(session.scalars(select(Consultation).where(*mine).order_by(Consultation.id)))
    if not held:
        return KeyStatus.NOTHING_OPEN
    if len(held) > 1:
        return KeyStatus.CHOOSE
    return held[0]


def typed_key(unit: Unit, officer: PersonView, message: Incoming, policy: RoutingPolicy) -> bool:
    """An officer's plain text taken as the subject key, when the bot invited one (a draft
    waiting for its urgency, or the question after an immediate request went out) and the
    text reads as a key and not as a phone number. Anything else is the officer's words,
    relayed as usual; and once a worker holds the case, every line is theirs (a phone number
    or a file number typed then is meant for the worker): the key is then given with /key.
    A line typed after the question lapsed unanswered is the officer's words, kept for the
    worker as any other (a file number, "911 911"...): the question leaves the summary and
    the officer reads that it was not taken as a key, and how to give one (/key)."""
    text = message.text or ""
    if message.kind != "text" or text.startswith("/"):
        return False
    # a number to call, for the worker: never hashed away as a file number
    reads_as_key = normalise(text) is not None and not written_as_phone_number(
        text, policy.subjects.phone_region
    )
    session = unit.session
    c = session.scalar(
        select(Consultation)
        .where(Consultation.officer_id == officer.id, Consultation.state.in_(OPEN_STATES))
        .order_by(Consultation.id.desc())
    )
    if c is None or c.state == ConsultationState.ACTIVE:
        return False
    if conversation.lapsed(session, officer.id, InputKind.SUBJECT_KEY, c.id, unit.now):
        _end_key_question(unit, c)  # any line after it lapsed: the question leaves the summary
        if reads_as_key:  # not hashed: relayed as words, and they are told so
            officer_row = session.get_one(Person, officer.id)
            unit.outbox.say(officer_row, "subject.key_lapsed", ref=c.reference)
        return False
    if not reads_as_key:
        return False
    asked = conversation.pending(session, officer.id, unit.now)
    invited = (c.state == ConsultationState.DRAFT and c.category is not None) or asked == (
        InputKind.SUBJECT_KEY,
        c.id,
    )
    if not invited:
        return False
    key_hash = hash_of(text, policy.subjects.secret)
    assert key_hash is not None
    _link(unit, session.get_one(Person, officer.id), c, key_hash, policy)
    return True


def withdraw_key_question(unit: Unit, officer_id: int, consultation_id: int) -> bool:
    """At the accept: the invitation to type the key ends (the officer's lines now go to
    the worker); True if it was still open, so the officer is told the key goes by /key.
    One that lapsed unanswered leaves the summary too."""
    session = unit.session
    c = session.get_one(Consultation, consultation_id)
    if conversation.lapsed(session, officer_id, InputKind.SUBJECT_KEY, c.id, unit.now):
        _end_key_question(unit, c)
        return False
    asked = conversation.pending(session, officer_id, unit.now)
    if asked != (InputKind.SUBJECT_KEY, consultation_id):
        return False
    _end_key_question(unit, c)
    return True


def _end_key_question(unit: Unit, c: Consultation) -> None:
    """The officer's optional key question for c ends (the key came, or the accept): the
    message asking it, when known, is rewritten as the plain summary, without the question
    and its "No key" button."""
    session = unit.session
    summary = conversation.withdraw(session, c.officer_id, InputKind.SUBJECT_KEY, c.id)
    if summary is not None:
        unit.outbox.notify(
            session.get_one(Person, c.officer_id),
            NoticeKind.SUBJECT_CARD,
            edit=summary,
            summary=view_in(session, c),
        )


def ask_key(unit: Unit, officer_id: int, consultation_id: int, summary: int | None) -> None:
    """After the request went out without a key, the officer may still type one (summary:
    the message that asks it, rewritten without the question if it ends unanswered)."""
    conversation.expect(
        unit.session, officer_id, InputKind.SUBJECT_KEY, consultation_id, unit.now, summary
    )


def skip_key(unit: Unit, officer_id: int, consultation_id: int, message: int | None) -> bool:
    """The officer's one tap: no key. The question's buttons go; nothing else changes."""
    session = unit.session
    c = session.get(Consultation, consultation_id)
    if c is None or c.officer_id != officer_id:
        return False
    conversation.forget_if(session, officer_id, InputKind.SUBJECT_KEY, consultation_id)
    if message is not None:
        unit.outbox.notify(
            session.get_one(Person, officer_id),
            NoticeKind.SUBJECT_CARD,
            edit=message,
            summary=view_in(session, c),
        )
    return True


def _link(
    unit: Unit, person: Person, c: Consultation, key_hash: str, policy: RoutingPolicy
) -> KeyResult:
    session, now = unit.session, unit.now
    subject = subjects.find_or_create(session, key_hash, now)
    link = subjects.link_of(session, c.id)
    if link is not None and link.subject_id == subject.id:
        _tell_key(unit, person, c, KeyStatus.SAME)
        return KeyResult(KeyStatus.SAME, c.reference)
    status = KeyStatus.LINKED if link is None else KeyStatus.CORRECTED
    if link is None:
        link = SubjectLink(consultation_id=c.id, subject_id=subject.id, linked_at=now)
        session.add(link)
    else:
        # the previous person's audit must show the consultation left them
        record(session, Seen.KEY_UNLINKED, person.id, now, subject_id=link.subject_id,
               consultation_id=c.id)  # fmt: skip
        link.subject_id = subject.id  # an owner-first phase under way runs its course
    link.linked_at, link.linked_by_id = now, person.id
    session.flush()
    kind = Seen.KEY_LINKED if status == KeyStatus.LINKED else Seen.KEY_CORRECTED
    record(session, kind, person.id, now, subject_id=subject.id, consultation_id=c.id)
    _end_key_question(unit, c)
    _tell_key(unit, person, c, status)
    if c.state == ConsultationState.WAITING:
        _update_cards(unit, c, policy)
        _offer_owner_late(unit, c, subject, policy)
    elif c.state == ConsultationState.ACTIVE and c.worker_id is not None:
        brief_holder(unit, c.id, c.worker_id, policy, history=True)
    return KeyResult(status, c.reference)


def _tell_key(unit: Unit, person: Person, c: Consultation, status: KeyStatus) -> None:
    """The giver hears the key was noted, never whom it matched (an officer sees no history)."""
    if c.state == ConsultationState.DRAFT:
        unit.outbox.say(person, "subject.noted_draft", ref=c.reference)
    else:
        unit.outbox.say(person, f"subject.noted_{status.value}", ref=c.reference)


def _update_cards(unit: Unit, c: Consultation, policy: RoutingPolicy) -> None:
    """Every open offer card of a waiting consultation is rewritten with the history (and
    what the officer added meanwhile: screening answers, the scene's area)."""
    session = unit.session
    view = view_in(session, c)
    extras = card_extras(session, c.id)
    for card in open_cards(session, c.id):
        history = subjects.history_for(session, c.id, card.worker.id, unit.now, policy.subjects)
        unit.outbox.notify(
            card.worker,
            NoticeKind.SUBJECT_CARD,
            edit=card.message_id,
            consultation=view,
            tier=card.tier,
            history=history,
            **extras,
        )


def _offer_owner_late(unit: Unit, c: Consultation, subject: Subject, policy: RoutingPolicy) -> None:
    """The key came after the request went out: the case owner, if available and not
    offered it yet, is offered it now."""
    owner = _available_owner(unit, c, subject, policy)
    if owner is None:
        return
    already = unit.session.scalar(
        select(Offer.id).where(
            Offer.consultation_id == c.id,
            Offer.worker_id == owner.id,
            Offer.state.in_((OfferState.OPEN, OfferState.DECLINED)),
        )
    )
    if already is not None:
        return
    target = offer_one(unit.session, c, owner, unit.now, policy)
    announce_offers(unit, view_in(unit.session, c), [target], policy)


# --- owner-first routing --------------------------------------------------------------------


def _available_owner(
    unit: Unit, c: Consultation, subject: Subject, policy: RoutingPolicy
) -> Person | None:
    if subject.owner_id is None:
        return None
    owner = unit.session.get(Person, subject.owner_id)
    if owner is None or not owner.active or owner.id == c.officer_id:
        return None
    first_pool = routing.pool(unit.session, Tier.AVAILABLE, unit.now, policy)
    return owner if owner in first_pool else None


def offer_owner_first(unit: Unit, c: Consultation, policy: RoutingPolicy) -> list[OfferTarget]:
    """At submission, a consultation about a person whose case owner is available now goes
    to the owner alone for the first part of the acknowledgement window (the rest of the
    window is the first pool's); [] when there is no such owner."""
    link = subjects.link_of(unit.session, c.id)
    if link is None:
        return []
    subject = unit.session.get_one(Subject, link.subject_id)
    owner = _available_owner(unit, c, subject, policy)
    if owner is None:
        return []
    share = policy.window(c.urgency) * policy.subjects.owner_first_share
    link.owner_first_until = unit.now + share
    c.escalation_due_at = link.owner_first_until
    return [offer_one(unit.session, c, owner, unit.now, policy)]


def end_owner_first(unit: Unit, c: Consultation) -> bool:
    """The owner's part of the window is over (or they declined): True once, and the
    consultation then goes to the first pool for the rest of the window."""
    link = subjects.link_of(unit.session, c.id)
    if link is None or link.owner_first_until is None:
        return False
    link.owner_first_until = None
    return True


def owner_has_it(unit: Unit, consultation_id: int, worker_id: int) -> bool:
    """Whoever accepted is the owner of the person's case (the officer is told so)."""
    link = subjects.link_of(unit.session, consultation_id)
    if link is None:
        return False
    subject = unit.session.get_one(Subject, link.subject_id)
    return subject.owner_id == worker_id


def brief_holder(
    unit: Unit, consultation_id: int, holder_id: int, policy: RoutingPolicy, history: bool = False
) -> None:
    """The new holder of a consultation about a known person gets the care plan (and, when
    the key came after the accept, the history); each view recorded."""
    session, now = unit.session, unit.now
    subject_id = subjects.subject_of(session, consultation_id)
    if subject_id is None:
        return
    holder = session.get_one(Person, holder_id)
    c = session.get_one(Consultation, consultation_id)
    if history:
        shown = subjects.history_for(session, consultation_id, holder_id, now, policy.subjects)
        unit.outbox.notify(holder, NoticeKind.SUBJECT_HISTORY, reference=c.reference, history=shown)
    plan = current_plan(session, subject_id)
    if plan is not None:
        record(
            session,
            Seen.CARE_PLAN_VIEWED,
            holder_id,
            now,
            subject_id=subject_id,
            consultation_id=consultation_id,
            version=plan.version,
        )
        unit.outbox.notify(
            holder,
            NoticeKind.CARE_PLAN,
            priority=Priority.URGENT,
            plan=plan,
            reference=c.reference,
            editable=False,
            zone=policy.subjects.zone,
        )


# --- ownership --------------------------------------------------------------------------


class CaseStatus(StrEnum):
    OK = "ok"
    REFUSED = "refused"  # not theirs to see or to change
    UNKNOWN = "unknown"
    ALREADY = "already"  # already so (owner already, nobody to give up)
    NOT_AVAILABLE = "not_available"  # the colleague cannot own it (revoked, not a worker)


@dataclass(frozen=True)
class CaseResult:
    status: CaseStatus
    reference: str | None = None


def _subject_for(unit: Unit, person: Person, subject_id: int) -> Subject | CaseStatus:
    """The case, if this person may see it. To anyone but a supervisor (who sees every
    case) an unknown reference gets the same answer as one they may not see: which people
    are on record is not theirs to learn by trying references."""
    subject = unit.session.get(Subject, subject_id)
    if subject is None:
        return CaseStatus.UNKNOWN if person.role == Role.SUPERVISOR else CaseStatus.REFUSED
    if not subjects.may_see_subject(unit.session, person, subject_id):
        return CaseStatus.REFUSED
    return subject


def take_case(unit: Unit, worker_id: int, subject_id: int) -> CaseResult:
    """A worker becomes the owner of this person's case (a previous owner is told)."""
    session, now = unit.session, unit.now
    person = session.get_one(Person, worker_id)
    found = _subject_for(unit, person, subject_id)
    ref = subject_reference(subject_id)
    if isinstance(found, CaseStatus) or person.role != Role.WORKER:
        status = found if isinstance(found, CaseStatus) else CaseStatus.REFUSED
        unit.outbox.say(person, f"case.{status.value}", ref=ref)
        return CaseResult(status, ref)
    if found.owner_id == worker_id:
        unit.outbox.say(person, "case.already_owner", ref=ref)
        return CaseResult(CaseStatus.ALREADY, ref)
    previous = session.get(Person, found.owner_id) if found.owner_id else None
    found.owner_id, found.owner_since = worker_id, now
    record(
        session,
        Seen.OWNER_TAKEN,
        worker_id,
        now,
        subject_id=subject_id,
        previous=previous.id if previous else None,
    )
    unit.outbox.say(person, "case.taken", ref=ref)
    if previous is not None and previous.active:
        unit.outbox.say(previous, "case.taken_from_you", ref=ref, name=person.display_name)
    return CaseResult(CaseStatus.OK, ref)


def give_up_case(unit: Unit, worker_id: int, subject_id: int) -> CaseResult:
    """The owner gives the case up: the person has no owner any more."""
    session, now = unit.session, unit.now
    person = session.get_one(Person, worker_id)
    ref = subject_reference(subject_id)
    subject = session.get(Subject, subject_id)
    if subject is None or subject.owner_id != worker_id:
        unit.outbox.say(person, "case.not_owner", ref=ref)
        return CaseResult(CaseStatus.REFUSED, ref)
    subject.owner_id = subject.owner_since = None
    record(session, Seen.OWNER_GIVEN_UP, worker_id, now, subject_id=subject_id)
    unit.outbox.say(person, "case.given_up", ref=ref)
    return CaseResult(CaseStatus.OK, ref)


def ask_hand(unit: Unit, person_id: int, subject_id: int) -> CaseResult:
    """The owner (or a supervisor) picks the colleague to hand the case to."""
    session = unit.session
    person = session.get_one(Person, person_id)
    ref = subject_reference(subject_id)
    subject = session.get(Subject, subject_id)
    if subject is None or not _may_hand(person, subject):
        unit.outbox.say(person, "case.not_owner", ref=ref)
        return CaseResult(CaseStatus.REFUSED, ref)
    colleagues = session.scalars(
        select(Person)
        .where(
            Person.role == Role.WORKER,
            Person.revoked_at.is_(None),
            Person.id != (subject.owner_id or 0),
        )
        .order_by(Person.display_name)
    )
    unit.outbox.notify(
        person,
        NoticeKind.CASE,
        mode="hand",
        reference=ref,
        subject_id=subject_id,
        candidates=[view_of(p) for p in colleagues],
    )
    return CaseResult(CaseStatus.OK, ref)


def _may_hand(person: Person, subject: Subject) -> bool:
    return person.active and (subject.owner_id == person.id or person.role == Role.SUPERVISOR)


def hand_case(unit: Unit, person_id: int, subject_id: int, to_id: int) -> CaseResult:
    """The case goes to a colleague, who is told and may then see the person's history."""
    session, now = unit.session, unit.now
    person = session.get_one(Person, person_id)
    ref = subject_reference(subject_id)
    subject = session.get(Subject, subject_id)
    if subject is None or not _may_hand(person, subject):
        unit.outbox.say(person, "case.not_owner", ref=ref)
        return CaseResult(CaseStatus.REFUSED, ref)
    to = session.get(Person, to_id)
    if to is None or not to.active or to.role != Role.WORKER:
        unit.outbox.say(person, "case.not_available", ref=ref)
        return CaseResult(CaseStatus.NOT_AVAILABLE, ref)
    previous = subject.owner_id
    subject.owner_id, subject.owner_since = to.id, now
    record(
        session,
        Seen.OWNER_HANDED,
        person_id,
        now,
        subject_id=subject_id,
        to=to.id,
        previous=previous,
    )
    unit.outbox.say(person, "case.handed", ref=ref, name=to.display_name)
    unit.outbox.say(to, "case.handed_to_you", ref=ref, name=person.display_name)
    return CaseResult(CaseStatus.OK, ref)


# --- the care plan ------------------------------------------------------------------------


@dataclass(frozen=True)
class CarePlanView:
    subject_id: int
    reference: str
    version: int
    what_works: str
    who_to_call: str
    risks: str
    crisis_plan: str
    changed: str
    author: str
    at: datetime


VIEWS["CarePlanView"] = CarePlanView


def current_plan(session: Session, subject_id: int) -> CarePlanView | None:
    row = session.scalar(
        select(CarePlan)
        .where(CarePlan.subject_id == subject_id)
        .order_by(CarePlan.version.desc())
        .limit(1)
    )
    return _plan_view(session, row) if row is not None else None


def _plan_view(session: Session, row: CarePlan) -> CarePlanView:
    author = session.get(Person, row.author_id)
    return CarePlanView(
        subject_id=row.subject_id,
        reference=subject_reference(row.subject_id),
        version=row.version,
        what_works=row.what_works,
        who_to_call=row.who_to_call,
        risks=row.risks,
        crisis_plan=row.crisis_plan,
        changed=row.changed,
        author=author.display_name if author else "—",
        at=row.created_at,
    )


def plan_versions(session: Session, subject_id: int) -> list[CarePlanView]:
    """Every version, oldest first: who changed what, when."""
    rows = session.scalars(
        select(CarePlan).where(CarePlan.subject_id == subject_id).order_by(CarePlan.version)
    )
    return [_plan_view(session, row) for row in rows]


def show_care_plan(
    unit: Unit, person_id: int, subject_id: int, policy: RoutingPolicy
) -> CaseResult:
    """/careplan P-0007: the plan (its owner gets the buttons to change each part)."""
    session, now = unit.session, unit.now
    person = session.get_one(Person, person_id)
    found = _subject_for(unit, person, subject_id)
    ref = subject_reference(subject_id)
    if isinstance(found, CaseStatus):
        unit.outbox.say(person, f"case.{found.value}", ref=ref)
        return CaseResult(found, ref)
    plan = current_plan(session, subject_id)
    record(
        session,
        Seen.CARE_PLAN_VIEWED,
        person_id,
        now,
        subject_id=subject_id,
        version=plan.version if plan else 0,
    )
    unit.outbox.notify(
        person,
        NoticeKind.CARE_PLAN,
        plan=plan,
        reference=ref,
        subject_id=subject_id,
        editable=found.owner_id == person_id,
        zone=policy.subjects.zone,
    )
    return CaseResult(CaseStatus.OK, ref)


def edit_care_plan(unit: Unit, person_id: int, subject_id: int, part: int) -> CaseResult:
    """The owner chose a part of the plan: their next message is its new text."""
    session = unit.session
    person = session.get_one(Person, person_id)
    subject = session.get(Subject, subject_id)
    ref = subject_reference(subject_id)
    if subject is None or subject.owner_id != person_id or not 0 <= part < len(CARE_PLAN_FIELDS):
        unit.outbox.say(person, "case.not_owner", ref=ref)
        return CaseResult(CaseStatus.REFUSED, ref)
    conversation.expect(
        session, person_id, InputKind.CARE_PLAN_FIELD, subject_id * 10 + part, unit.now
    )
    unit.outbox.say(person, f"careplan.type.{CARE_PLAN_FIELDS[part]}", ref=ref)
    return CaseResult(CaseStatus.OK, ref)


def awaits_care_plan(unit: Unit, person_id: int) -> bool:
    asked = conversation.pending(unit.session, person_id, unit.now)
    return asked is not None and asked[0] == InputKind.CARE_PLAN_FIELD


def answer_care_plan(unit: Unit, person_id: int, text: str, policy: RoutingPolicy) -> CaseResult:
    """The typed text becomes a new version of the plan, with only that part changed."""
    session, now = unit.session, unit.now
    person = session.get_one(Person, person_id)
    asked = conversation.pending(session, person_id, now)
    conversation.forget(session, person_id)
    if asked is None or asked[0] != InputKind.CARE_PLAN_FIELD:
        return CaseResult(CaseStatus.UNKNOWN)
    subject_id, part = divmod(asked[1], 10)
    ref = subject_reference(subject_id)
    subject = session.get(Subject, subject_id)
    words = text.strip()
    if subject is None or subject.owner_id != person_id:
        unit.outbox.say(person, "case.not_owner", ref=ref)
        return CaseResult(CaseStatus.REFUSED, ref)
    if not words:
        unit.outbox.say(person, "careplan.empty")
        return CaseResult(CaseStatus.ALREADY, ref)
    write_plan(unit, person_id, subject_id, {CARE_PLAN_FIELDS[part]: words})
    return show_care_plan(unit, person_id, subject_id, policy)


def write_plan(unit: Unit, author_id: int, subject_id: int, changes: dict[str, str]) -> int:
    """A new version: the previous one's parts, these changed. Returns its number."""
    session, now = unit.session, unit.now
    previous = session.scalar(
        select(CarePlan)
        .where(CarePlan.subject_id == subject_id)
        .order_by(CarePlan.version.desc())
        .limit(1)
    )
    parts = {f: getattr(previous, f) if previous else "" for f in CARE_PLAN_FIELDS}
    parts.update({k: v[:MAX_CARE_PLAN_TEXT] for k, v in changes.items() if k in parts})
    version = (previous.version if previous else 0) + 1
    session.add(
        CarePlan(
            subject_id=subject_id,
            version=version,
            changed=",".join(sorted(changes)),
            author_id=author_id,
            created_at=now,
            **parts,
        )
    )
    record(
        session,
        Seen.CARE_PLAN_CHANGED,
        author_id,
        now,
        subject_id=subject_id,
        version=version,
        parts=sorted(changes),
    )
    return version


# --- the case, and the recurring list ---------------------------------------------------


@dataclass(frozen=True)
class CaseLine:
    reference: str
    at: datetime
    category: Category | None
    outcome: Outcome | None
    handler: str | None


@dataclass(frozen=True)
class CaseFollowUp:
    reference: str
    due_at: datetime
    aimed_at: str | None  # 'person', 'family', or None: the worker's own task
    note: str
    done: bool


VIEWS["CaseLine"] = CaseLine
VIEWS["CaseFollowUp"] = CaseFollowUp


def show_case(unit: Unit, person_id: int, subject_id: int, policy: RoutingPolicy) -> CaseResult:
    """/case P-0007: the person's consultations, owner, care plan, follow-ups; refused to
    whoever may not see them; the view recorded."""
    session, now = unit.session, unit.now
    person = session.get_one(Person, person_id)
    found = _subject_for(unit, person, subject_id)
    ref = subject_reference(subject_id)
    if isinstance(found, CaseStatus):
        unit.outbox.say(person, f"case.{found.value}", ref=ref)
        return CaseResult(found, ref)
    history = history_of(session, subject_id, now, policy.subjects)
    every = subjects.linked_consultations(session, subject_id)
    lines = [
        CaseLine(
            c.reference, c.created_at, c.category, c.outcome, subjects.name_of(session, c.worker_id)
        )
        for c in every[:10]
    ]
    record(session, Seen.CASE_VIEWED, person_id, now, subject_id=subject_id)
    unit.outbox.notify(
        person,
        NoticeKind.CASE,
        mode="case",
        reference=ref,
        subject_id=subject_id,
        history=history,
        lines=lines,
        followups=case_followups(session, [c.id for c in every]),
        zone=policy.subjects.zone,
        owner_is_me=found.owner_id == person_id,
        may_take=person.role == Role.WORKER and found.owner_id != person_id,
        may_hand=_may_hand(person, found) and found.owner_id is not None,
    )
    return CaseResult(CaseStatus.OK, ref)


def case_followups(session: Session, consultation_ids: list[int]) -> list[CaseFollowUp]:
    if not consultation_ids:
        return []
    rows = session.execute(
        select(FollowUp, Consultation.id, FollowUpTarget.aimed_at)
        .join(Consultation, Consultation.id == FollowUp.consultation_id)
        .outerjoin(FollowUpTarget, FollowUpTarget.follow_up_id == FollowUp.id)
        .where(
            FollowUp.consultation_id.in_(consultation_ids),
            FollowUp.state != FollowUpState.CANCELLED,
        )
        .order_by(FollowUp.due_at.desc())
        .limit(10)
    ).all()
    return [
        CaseFollowUp(f"C-{cid:04d}", f.due_at, aimed, f.note or "", f.state == FollowUpState.DONE)
        for f, cid, aimed in rows
    ]


@dataclass(frozen=True)
class RecurringResult:
    status: CaseStatus
    entries: list[subjects.RecurringEntry] = field(default_factory=list)


VIEWS["RecurringEntry"] = subjects.RecurringEntry


def list_recurring(unit: Unit, person_id: int, policy: RoutingPolicy) -> RecurringResult:
    """/recurring: people seen often lately, for workers (those whose history they may see)
    and supervisors (everyone); refused to officers. The view is recorded."""
    session, now = unit.session, unit.now
    person = session.get_one(Person, person_id)
    if not subjects.may_list_recurring(person):
        unit.outbox.say(person, "case.refused", ref="—")
        return RecurringResult(CaseStatus.REFUSED)
    entries = [
        e
        for e in subjects.recurring(session, now, policy.subjects)
        if subjects.may_see_subject(session, person, e.subject_id)
    ]
    record(session, Seen.RECURRING_VIEWED, person_id, now, subjects=[e.subject_id for e in entries])
    unit.outbox.notify(
        person,
        NoticeKind.RECURRING,
        entries=entries,
        count=policy.subjects.recurring_count,
        days=policy.subjects.recurring_days,
        zone=policy.subjects.zone,
    )
    return RecurringResult(CaseStatus.OK, entries)


# --- follow-ups aimed at the person or the family ------------------------------------------


def aim_followup(unit: Unit, person_id: int, followup_id: int, aim: str) -> bool:
    """The follow-up is a call to the person or to their family, not only the worker's own
    task; the case shows it. Only whoever planned it, or its assignee, may say so."""
    session = unit.session
    person = session.get_one(Person, person_id)
    f = session.get(FollowUp, followup_id)
    if f is None or aim not in AIMS or person_id not in (f.created_by_id, f.assignee_id):
        return False
    target = session.get(FollowUpTarget, followup_id)
    if target is None:
        session.add(FollowUpTarget(follow_up_id=followup_id, aimed_at=aim, created_at=unit.now))
    else:
        target.aimed_at = aim
    unit.outbox.say(person, f"followup.aimed_{aim}")
    return True


__all__ = ["SubjectHistory"]
