"""The fast lane of every conversation: an officer's line to whoever holds the case, decided
in one transaction of plain statements on the driver (flows/driver.py) rather than through
the ORM's session, which cost several times the database's own work for it (the relay's
latency against a bare bot, bench/relay.py). It writes what the general use case
(flows/messages.receive, then relaying.from_officer and relay) writes in that case: the same
link, event and notice, the update marked handled, in one transaction. It takes nothing
else: a stranger, a worker or a supervisor, an officer whose case is a draft or still
waiting, a message that cannot be relayed, an update seen before... are handed back
(None) with nothing changed, and the general use case decides them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, insert, or_, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import aliased

from flows.driver import DriverUnit, Prepared
from flows.inbox import AlreadyHandled, upsert_statement
from flows.messages import Heard, Receipt
from flows.models import Consultation, Event, OutboxNotice, Person, RelayedMessage
from flows.outbox import Notice, encode, notice_of, pending_row
from flows.people import PERSON_COLUMNS, view_of_row
from flows.relaying import Incoming, event_data, link_row, relay_params
from flows.views import CONSULTATION_COLUMNS, OPEN_STATES, priority_of
from flows.views import view_of_row as consultation_of_row
from flows.vocabulary import ConsultationState, EventKind, NoticeKind, Role


@dataclass
class LaneUnit:
    """The lane's transaction: the driver's cursor, the moment, the update it handles (only
    a fresh one, never stored: a replay needs the general path's checks) and the notices
    committed, for the dispatcher."""

    driver: DriverUnit
    dialect: Dialect
    update_id: int
    recorded: list[Notice] = field(default_factory=list)


def relay_line(
    unit: LaneUnit, telegram_user_id: int, message: Incoming, *_policies: Any
) -> Receipt | None:
    """An officer's message relayed to the holder of their case, or None (nothing done)."""
    if message.kind is None:
        return None
    run, now = unit.driver, unit.driver.now
    statements = _statements(unit.dialect)
    person = run.one(statements.enrolled, {"telegram_user_id": telegram_user_id})
    if person is None:
        return None
    officer = view_of_row(person)
    if officer.role != Role.OFFICER:
        return None
    row = run.one(statements.open_case, {"officer_id": officer.id})
    if row is None or row[1] != ConsultationState.ACTIVE:
        return None
    worker_id, holder = row[_SPLIT], row[_SPLIT + 1 :]
    if worker_id is None or holder[0] != worker_id:  # accepted while waiting for the lock
        return None
    c = consultation_of_row(row[:_SPLIT], officer, view_of_row(holder))
    worker = c.worker
    assert worker is not None
    run.run(statements.link, link_row(c.id, message, now))
    event = {"consultation_id": c.id, "kind": EventKind.MESSAGE_RELAYED, "actor_id": officer.id}
    run.run(statements.event, {**event, "at": now, "data": event_data(message)})
    params = relay_params(
        c, worker, officer, message.chat_id, message.message_id, message.kind, message.text
    )
    notice = pending_row(
        worker.chat_id, worker.language, NoticeKind.RELAY, encode(params), now,
        run.claimant, person_id=worker.id, priority=priority_of(c), edit=None,
        consultation_id=c.id,
    )  # fmt: skip
    written = run.one(statements.notice, notice)
    assert written is not None
    marked = run.one(
        statements.mark,
        {"update_id": unit.update_id, "payload": "", "received_at": now, "handled_at": now},
    )
    if marked is None:  # handled meanwhile by another process: all of this rolls back
        raise AlreadyHandled(unit.update_id)
    unit.recorded.append(notice_of(int(written[0]), notice))
    return Receipt(Heard.DONE, officer)


_HOLDER = aliased(Person)
_SPLIT = len(CONSULTATION_COLUMNS)


@dataclass(frozen=True)
class _Statements:
    enrolled: Prepared
    open_case: Prepared
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
    enrolled = select(*PERSON_COLUMNS).where(
        Person.telegram_user_id == bindparam("telegram_user_id"), Person.revoked_at.is_(None)
    )
    holder_columns = [getattr(_HOLDER, c.key) for c in PERSON_COLUMNS]
    open_case = (
        select(*CONSULTATION_COLUMNS, Consultation.worker_id, *holder_columns)
        .outerjoin(_HOLDER, _HOLDER.id == Consultation.worker_id)
        .where(
            Consultation.officer_id == bindparam("officer_id"),
            or_(*(Consultation.state == state for state in OPEN_STATES)),
        )
        .order_by(Consultation.id.desc())
        .limit(1)
        .with_for_update(of=Consultation)  # as the general path: a close waits for the line
    )
    case_types = [c.type for c in CONSULTATION_COLUMNS]
    link_names = tuple(link_row(0, Incoming(0, 0, "text", None), _EPOCH))
    notice_table = OutboxNotice.__table__
    notice = _values(notice_table, _NOTICE_COLUMNS).returning(notice_table.c.id)
    mark = upsert_statement(dialect.name, ("handled_at",)).values(
        {name: bindparam(name) for name in ("update_id", "payload", "received_at", "handled_at")}
    )
    return _Statements(
        enrolled=Prepared(enrolled, dialect, person_types),
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
