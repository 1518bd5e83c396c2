"""SQLAlchemy 2 typed models: people, invites, consultations, offers, relayed messages
and the append-only event log. Times are stored in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from flows.vocabulary import (
    AssessmentState,
    Category,
    ConsultationState,
    Danger,
    Decision,
    Delivery,
    EventKind,
    FollowUpState,
    NoticeKind,
    OfferState,
    OutboxState,
    Outcome,
    Presence,
    Role,
    Tier,
    Urgency,
)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, whatever the backend keeps (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _enum(enum_type: type[StrEnum], name: str) -> Enum:
    """Store enums by value as plain strings (no native ENUM type: migrations stay simple)."""
    return Enum(
        enum_type,
        name=name,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
    )


# Keys of Event.data holding person ids (one id or a list of ids): readers show names for them.
EVENT_PERSON_KEYS = frozenset({"worker_id", "to", "previous", "from"})


class Base(DeclarativeBase):
    pass


class Person(Base):
    """Someone enrolled through an invite, bound to one Telegram account."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    language: Mapped[str] = mapped_column(String(8))
    presence: Mapped[Presence | None] = mapped_column(_enum(Presence, "presence"), default=None)
    presence_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    capacity: Mapped[int | None] = mapped_column(default=None)  # None: the service default
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    unit: Mapped[str | None] = mapped_column(String(80), default=None)  # reports: a grouping
    # since when they blocked the bot (403 or my_chat_member): offered nothing until they unblock
    unreachable_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class Invite(Base):
    """A one-time enrolment code; only its hash is stored."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    display_name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), default=None)
    phone: Mapped[str | None] = mapped_column(String(20), default=None)  # E.164, for Call me


class PhoneNumber(Base):
    """A staff member's own number for "Call me", given with consent: on their invite or by
    sharing their Telegram contact with the bot. Removed on request (/phone off)."""

    __tablename__ = "phone_numbers"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    number: Mapped[str] = mapped_column(String(20))  # E.164
    source: Mapped[str] = mapped_column(String(16))  # "invite" or "contact"
    given_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Consultation(Base):
    """One officer's request for advice about one situation."""

    __tablename__ = "consultations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), default=None)
    state: Mapped[ConsultationState] = mapped_column(_enum(ConsultationState, "cstate"))
    category: Mapped[Category | None] = mapped_column(_enum(Category, "category"), default=None)
    urgency: Mapped[Urgency | None] = mapped_column(_enum(Urgency, "urgency"), default=None)
    request_text: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[Outcome | None] = mapped_column(_enum(Outcome, "outcome"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), default=None)
    tier: Mapped[int] = mapped_column(default=Tier.DRAFT)
    escalation_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    __table_args__ = (
        Index("ix_consultations_state", "state"),
        Index("ix_consultations_escalation", "escalation_due_at"),
        Index("ix_consultations_officer_state", "officer_id", "state"),
        Index("ix_consultations_worker_state", "worker_id", "state"),
    )

    @property
    def reference(self) -> str:
        return reference_of(self.id)


def reference_of(consultation_id: int) -> str:
    """The short public reference, e.g. C-0042."""
    return f"C-{consultation_id:04d}"


class Offer(Base):
    """A consultation shown to one worker, with the card's message so it can be edited later."""

    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    state: Mapped[OfferState] = mapped_column(_enum(OfferState, "ostate"))
    chat_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    tier: Mapped[int] = mapped_column(default=Tier.AVAILABLE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # declined only because the worker blocked the bot, not by their choice: offered again
    declined_unreachable: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (UniqueConstraint("consultation_id", "worker_id"),)


class Shift(Base):
    """One weekly slot of the roster, in the service's time zone. A slot whose end is not
    after its start runs past midnight. On-call slots are the backups of escalation tier 2."""

    __tablename__ = "shifts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    weekday: Mapped[int] = mapped_column()  # 0 = Monday
    starts: Mapped[str] = mapped_column(String(5))  # HH:MM local
    ends: Mapped[str] = mapped_column(String(5))
    on_call: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_shifts_person", "person_id"),)


class RelayedMessage(Base):
    """Links a message in one chat to its consultation, so replies route to the right case
    and messages queued before an accept can be delivered afterwards."""

    __tablename__ = "relayed_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    source_chat_id: Mapped[int] = mapped_column(BigInteger)
    source_message_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_relayed_chat_message", "chat_id", "message_id"),
        Index("ix_relayed_source", "source_chat_id", "source_message_id"),
    )


class Event(Base):
    """Append-only record of what happened to a consultation; reports are computed from it."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"))
    kind: Mapped[EventKind] = mapped_column(_enum(EventKind, "event_kind"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), default=None)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (
        Index("ix_events_consultation", "consultation_id", "id"),
        # reports: a period's consultations, read from the index alone
        Index("ix_events_kind_at_consultation", "kind", "at", "consultation_id"),
        Index("ix_events_consultation_kind", "consultation_id", "kind", "at", "actor_id"),
    )


class InboxUpdate(Base):
    """Every Telegram update, written before Telegram is told it arrived and marked when
    handled: a crash at any moment loses nothing, and nothing is applied twice. One that
    cannot be handled is set aside (kept for inspection, never replayed)."""

    __tablename__ = "inbox_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    set_aside_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    set_aside_reason: Mapped[str | None] = mapped_column(String(200), default=None)

    __table_args__ = (Index("ix_inbox_unhandled", "handled_at"),)


class Setting(Base):
    """Small facts learned at run time, e.g. the bot's username for invite links."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# --- follow-ups (issue 5) ------------------------------------------------------------------


class FollowUp(Base):
    """A task after a consultation closes: the row is the source of truth for its reminder."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), default=None)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[FollowUpState] = mapped_column(_enum(FollowUpState, "followup_state"))
    delivery: Mapped[Delivery] = mapped_column(_enum(Delivery, "delivery"))
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    unconfirmed: Mapped[bool] = mapped_column(Boolean, default=False)  # found 'sending' on start
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    snoozed: Mapped[int] = mapped_column(default=0)
    outcome_line: Mapped[str | None] = mapped_column(Text, default=None)
    overdue_notified_on: Mapped[str | None] = mapped_column(String(10), default=None)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), default=None)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_follow_ups_due", "state", "delivery", "due_at"),
        Index("ix_follow_ups_assignee", "assignee_id", "state"),
        Index("ix_follow_ups_consultation", "consultation_id"),
    )


class DigestMark(Base):
    """One digest sent (shift handover, daily summary, overdue list): inserted before the
    send, so two passes or a restart never send the same digest twice."""

    __tablename__ = "digest_marks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    kind: Mapped[str] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(32))  # e.g. the shift's local start, or a date
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("person_id", "kind", "period"),)


class PendingInput(Base):
    """What the bot is waiting for a person to type (a date, a note, an outcome line), kept
    in the database so a restart in the middle of a conversation loses nothing."""

    __tablename__ = "pending_inputs"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id"), primary_key=True, autoincrement=False
    )
    kind: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # the message that asks it, when it is to be rewritten once the question ends
    message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # a line that may answer it or be meant for an officer, kept until they say which
    held_text: Mapped[str | None] = mapped_column(Text, default=None)
    held_message_id: Mapped[int | None] = mapped_column(Integer, default=None)


class OutboxNotice(Base):
    """Something to send, committed in the transaction of the decision that causes it, so a
    state change and its notices exist together or not at all. The dispatcher renders it at
    send time in the recipient's language, sends it, and records what it produced."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    person_id: Mapped[int | None] = mapped_column(Integer, default=None)
    language: Mapped[str] = mapped_column(String(8))
    kind: Mapped[NoticeKind] = mapped_column(_enum(NoticeKind, "notice_kind"))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    priority: Mapped[int] = mapped_column(Integer)
    edit_message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    consultation_id: Mapped[int | None] = mapped_column(Integer, default=None)
    state: Mapped[OutboxState] = mapped_column(_enum(OutboxState, "outbox_state"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    produced: Mapped[list[int] | None] = mapped_column(JSON, default=None)
    # Several processes on one database (webhook mode): the one sending it, since when.
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    __table_args__ = (Index("ix_outbox_pending", "state", "id"),)


# --- P-38.001 assessments (issue 11) ---------------------------------------------------------


class Assessment(Base):
    """An intervener's assessment in a consultation (Quebec's P-38.001): the danger judged,
    the main observations, the decision, and for a request under article 8 when it was sent
    to the officer and when the officer acknowledged it. Relais records and transmits; the
    judgment is the intervener's, the transport decision the officer's."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    state: Mapped[AssessmentState] = mapped_column(_enum(AssessmentState, "assessment_state"))
    danger: Mapped[Danger | None] = mapped_column(_enum(Danger, "danger"), default=None)
    observations: Mapped[str] = mapped_column(Text, default="")
    decision: Mapped[Decision | None] = mapped_column(_enum(Decision, "decision"), default=None)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), default=None)
    # the author's message the decision question became (the summary), rewritten at the
    # officer's acknowledgement
    summary_message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)

    __table_args__ = (Index("ix_assessments_consultation", "consultation_id"),)


# --- people seen before (issue 11) ----------------------------------------------------------


class Subject(Base):
    """A person interventions were about, known only by the keyed hash of their subject key;
    a worker may own their case (continuity)."""

    __tablename__ = "subjects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), default=None)
    owner_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class SubjectLink(Base):
    """Which person a consultation is about (at most one); erasure deletes it. While
    `owner_first_until` is set, only the case owner has been offered the consultation."""

    __tablename__ = "subject_links"

    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id"), primary_key=True, autoincrement=False
    )
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), default=None)
    owner_first_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    __table_args__ = (Index("ix_subject_links_subject", "subject_id"),)


class CarePlan(Base):
    """One version of a case's care plan: every change is a new row (who, when, what)."""

    __tablename__ = "care_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    version: Mapped[int] = mapped_column(Integer)
    what_works: Mapped[str] = mapped_column(Text, default="")
    who_to_call: Mapped[str] = mapped_column(Text, default="")
    risks: Mapped[str] = mapped_column(Text, default="")
    crisis_plan: Mapped[str] = mapped_column(Text, default="")
    changed: Mapped[str] = mapped_column(String(32), default="")  # the field this version set
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("subject_id", "version"),)


class SubjectEvent(Base):
    """Append-only record of what happened around a person: every view of their history or
    care plan (the audit: who, what, when), the key linked, ownership, care plan changes.
    Erasure keeps the rows and drops the subject (they become anonymous)."""

    __tablename__ = "subject_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"), default=None)
    consultation_id: Mapped[int | None] = mapped_column(Integer, default=None)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), default=None)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (
        Index("ix_subject_events_subject", "subject_id", "id"),
        Index("ix_subject_events_actor", "actor_id", "id"),
    )


class FollowUpTarget(Base):
    """Whom a follow-up is aimed at when it is not only the worker's own task: the person or
    their family (e.g. "call the mother"); shown on the person's case."""

    __tablename__ = "follow_up_targets"

    follow_up_id: Mapped[int] = mapped_column(
        ForeignKey("follow_ups.id"), primary_key=True, autoincrement=False
    )
    aimed_at: Mapped[str] = mapped_column(String(16))  # 'person' or 'family'
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InviteAttempts(Base):
    """Wrong invite codes from one Telegram account: after a few, each try waits longer, then
    the account is refused for a while, even with a good code (a code cannot be guessed)."""

    __tablename__ = "invite_attempts"

    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
