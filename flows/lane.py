"""The fast lane of every conversation: a line between an officer and whoever holds the case
(either way), decided in one transaction of plain statements on the driver (flows/driver.py)
rather than through the ORM's session, which cost several times the database's own work for
it (the relay's latency against a bare bot, bench/relay.py). It writes what the general use
case (flows/messages.receive, then relaying.from_officer or from_holder, and relay) writes in
that case: the same link, event and notice, the update marked handled, in one transaction.
It takes nothing else: a stranger, an officer whose case is a draft or still waiting, a
holder of several cases or of none, a reply (it names its case and the message it answers),
one the bot awaits an answer from, a message that cannot be relayed, an update seen
before... are handed back (None) with nothing changed, and the general use case decides."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, insert, or_, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import aliased

from flows.driver import DriverUnit, Pending, Prepared
from flows.inbox import AlreadyHandled, upsert_statement
from flows.messages import Heard, Receipt
from flows.models import (
    Consultation,
    Event,
    OutboxNotice,
    PendingInput,
    Person,
    RelayedMessage,
)
from flows.outbox import Notice, encode, notice_of, pending_row
from flows.people import PERSON_COLUMNS, PersonView, view_of_row
from flows.relaying import Incoming, event_data, link_row, relay_params
from flows.views import CONSULTATION_COLUMNS, OPEN_STATES, ConsultationView, priority_of
from flows.views import view_of_row as consultation_of_row
from flows.vocabulary import ConsultationState, EventKind, NoticeKind, Role


@dataclass
class LaneUnit:
    """The lane's transaction: the driver's unit, the moment, the update it handles (only a
    fresh one, never stored: a replay needs the general path's checks) and the notices it
    wrote, for the dispatcher once committed."""

    driver: DriverUnit
    dialect: Dialect
    update_id: int
    _written: list[tuple[Pending, dict[str, Any]]] = field(default_factory=list)

    @property
    def recorded(self) -> list[Notice]:
        """The notices committed, with their ids (on PostgreSQL known once committed)."""
        return [notice_of(int(_row(pending)[0]), row) for pending, row in self._written]


def relay_line(
    unit: LaneUnit, telegram_user_id: int, message: Incoming, *_policies: Any
) -> Receipt | None:
    """A message relayed to the other side of the sender's one case (an officer's to its
    holder, a holder's to its officer), or None: nothing kept, for the general use case."""
    if message.kind is None:
        return None
    taken = _relayed(unit, telegram_user_id, message)
    if taken is None:
        unit.driver.abandon()  # the claim on the update was made with the reads: rolled back
    return taken


def _relayed(unit: LaneUnit, telegram_user_id: int, message: Incoming) -> Receipt | None:
    """What the sender's side needs is asked all at once, keyed by their Telegram id: the
    sender, an officer's open case (locked), whether the bot awaits their answer, the cases
    they hold, and the claim on the update. On PostgreSQL that is one round trip for all,
    on SQLite each read runs only if looked at."""
    statements, run = _statements(unit.dialect), unit.driver
    sender_key = {"telegram_user_id": telegram_user_id}
    now = run.now
    person = run.read(statements.enrolled, sender_key)
    open_case = run.read(statements.open_case, sender_key)
    awaited = run.read(statements.awaited, sender_key)  # a photo too: told the question waits
    held = run.read(statements.held, sender_key)
    # after the case's lock, as the general path takes them (the same update handled by
    # both at once must not lock in opposite orders)
    marked = run.write(
        statements.mark, {"update_id": unit.update_id, "payload": "", "received_at": now,
                          "handled_at": now},
    )  # fmt: skip
    if marked.row() is None:
        raise AlreadyHandled(unit.update_id)  # handled meanwhile elsewhere
    found = person.row()
    if found is None:
        return None
    sender = view_of_row(found)
    if message.reply_to is not None:  # which case, which message it answers: the general path
        c = None
    elif sender.role == Role.OFFICER:
        c = _officers_case(open_case.row(), sender)
    else:
        c = _holders_case(awaited, held, sender)
    if c is None:
        return None
    recipient = c.worker if sender.role == Role.OFFICER else c.officer
    assert recipient is not None
    _relay(unit, statements, c, sender, recipient, message)
    return Receipt(Heard.DONE, sender)


def _officers_case(row: tuple[Any, ...] | None, officer: PersonView) -> ConsultationView | None:
    """The officer's open case, if a worker holds it (a draft or a waiting case: None)."""
    if row is None or row[1] != ConsultationState.ACTIVE:
        return None
    worker_id, holder = row[_SPLIT], row[_SPLIT + 1 :]
    if worker_id is None or holder[0] != worker_id:  # accepted while waiting for the lock
        return None
    return consultation_of_row(row[:_SPLIT], officer, view_of_row(holder))


def _holders_case(
    awaited: Pending | None, held: Pending, holder: PersonView
) -> ConsultationView | None:
    """The one case this worker (or supervisor) holds, unless the bot awaits an answer of
    theirs (a follow-up's date, a care plan...: a line may be the answer, a photo is told the
    question still waits): with several, which one a line is meant for is the general use
    case's question."""
    if awaited is not None and awaited.row() is not None:
        return None
    rows = held.rows()
    if len(rows) != 1:
        return None
    row = rows[0]
    return consultation_of_row(row[:_SPLIT], view_of_row(row[_SPLIT:]), holder)


def _relay(
    unit: LaneUnit,
    statements: _Statements,
    c: ConsultationView,
    sender: PersonView,
    recipient: PersonView,
    message: Incoming,
) -> None:
    """The rows relaying.relay writes: the source's link, the event, the relay notice (the
    update was claimed first: handled meanwhile elsewhere, all of it rolls back)."""
    assert message.kind is not None
    run, now = unit.driver, unit.driver.now
    run.run(statements.link, link_row(c.id, message, now))
    event = {"consultation_id": c.id, "kind": EventKind.MESSAGE_RELAYED, "actor_id": sender.id}
    run.run(statements.event, {**event, "at": now, "data": event_data(message)})
    params = relay_params(c, recipient, sender, message)
    notice = pending_row(
        recipient.chat_id, recipient.language, NoticeKind.RELAY, encode(params), now,
        run.claimant, person_id=recipient.id, priority=priority_of(c), edit=None,
        consultation_id=c.id,
    )  # fmt: skip
    unit._written.append((run.write(statements.notice, notice), notice))


def _row(pending: Pending) -> tuple[Any, ...]:
    row = pending.row()
    assert row is not None
    return row


_HOLDER = aliased(Person)
_SPLIT = len(CONSULTATION_COLUMNS)


@dataclass(frozen=True)
class _Statements:
    enrolled: Prepared
    open_case: Prepared
    awaited: Prepared
    held: Prepared
    link: Prepared
    event: Prepared
    notice: Prepared
    mark: Prepared


_PREPARED: dict[tuple[str, str], _Statements] = {}


def _statements(dialect: Dialect) -> _Statements:
    """Compiled once per dialect (each statement's SQL and converters)."""
    key = (dialect.name, dialect.driver)
    if key not in _PREPARED:
        _PREPARED[key] = _prepare(dialect)
    return _PREPARED[key]


def _values(table: Any, names: tuple[str, ...]) -> Any:
    return insert(table).values({name: bindparam(name) for name in names})


def _prepare(dialect: Dialect) -> _Statements:
    person_types = [c.type for c in PERSON_COLUMNS]
    is_sender = (
        Person.telegram_user_id == bindparam("telegram_user_id"),
        Person.revoked_at.is_(None),
    )
    enrolled = select(*PERSON_COLUMNS).where(*is_sender)
    sender_id = select(Person.id).where(*is_sender).scalar_subquery()
    holder_columns = [getattr(_HOLDER, c.key) for c in PERSON_COLUMNS]
    open_case = (
        select(*CONSULTATION_COLUMNS, Consultation.worker_id, *holder_columns)
        .outerjoin(_HOLDER, _HOLDER.id == Consultation.worker_id)
        .where(
            Consultation.officer_id == sender_id,
            or_(*(Consultation.state == state for state in OPEN_STATES)),
        )
        .order_by(Consultation.id.desc())
        .limit(1)
        .with_for_update(of=Consultation)  # as the general path: a close waits for the line
    )
    case_types = [c.type for c in CONSULTATION_COLUMNS]
    awaited = select(PendingInput.person_id).where(PendingInput.person_id == sender_id)
    officer = aliased(Person)
    held = (
        select(*CONSULTATION_COLUMNS, *(getattr(officer, c.key) for c in PERSON_COLUMNS))
        .join(officer, officer.id == Consultation.officer_id)
        .where(
            Consultation.worker_id == sender_id,
            Consultation.state == ConsultationState.ACTIVE,
        )
        .order_by(Consultation.accepted_at.desc(), Consultation.id.desc())
        .limit(2)  # one: the lane's; more: the general use case's
    )
    link_names = tuple(link_row(0, Incoming(0, 0, "text", None), _EPOCH))
    notice_table = OutboxNotice.__table__
    notice = _values(notice_table, _NOTICE_COLUMNS).returning(notice_table.c.id)
    mark = upsert_statement(dialect.name, ("handled_at",)).values(
        {name: bindparam(name) for name in ("update_id", "payload", "received_at", "handled_at")}
    )
    return _Statements(
        enrolled=Prepared(enrolled, dialect, person_types),
        awaited=Prepared(awaited, dialect, [PendingInput.person_id.type]),
        held=Prepared(held, dialect, [*case_types, *person_types]),
        open_case=Prepared(
            open_case, dialect, [*case_types, Consultation.worker_id.type, *person_types]
        ),
        link=Prepared(_values(RelayedMessage.__table__, link_names), dialect),
        event=Prepared(
            _values(Event.__table__, ("consultation_id", "kind", "actor_id", "at", "data")),
            dialect,
        ),
        notice=Prepared(notice, dialect, [notice_table.c.id.type]),
        mark=Prepared(mark, dialect, [Consultation.id.type]),
    )


_NOTICE_COLUMNS = (
    "chat_id", "person_id", "language", "kind", "params", "priority", "edit_message_id",
    "consultation_id", "state", "created_at", "claimed_by", "claimed_at",
)  # fmt: skip
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
