"""The transactional outbox: what a use case decides to tell people is written as rows in the
same transaction as the decision (recipient, kind of notice, parameters, priority), never sent
from inside flows/. The dispatcher in bot/ drains the rows. Parameters are ids and values:
views (consultations, people) are kept as data and read back as the same views, so the edge
renders them at send time without asking the database again."""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from flows.models import OutboxNotice, Person
from flows.people import PersonView, view_of
from flows.store import Clock, Database
from flows.views import ConsultationView
from flows.vocabulary import NoticeKind, OutboxState, Priority

VIEW_TAG = "__view__"
TIME_TAG = "__at__"
VIEWS: dict[str, type[Any]] = {"ConsultationView": ConsultationView, "PersonView": PersonView}

Recipient = Person | PersonView
_OUTBOX = OutboxNotice.__table__
_WRITE = insert(_OUTBOX).returning(_OUTBOX.c.id)  # built once: every use case writes notices
_DONE = update(_OUTBOX).where(_OUTBOX.c.id == bindparam("notice_id"))


@dataclass(frozen=True)
class Notice:
    """One committed, not yet sent row, as the dispatcher reads it."""

    id: int
    chat_id: int
    person_id: int | None
    language: str
    kind: NoticeKind
    params: dict[str, Any]
    priority: int
    edit_message_id: int | None
    consultation_id: int | None


class Outbox:
    """Where a unit of work records its notices; they are committed with it or not at all."""

    def __init__(self, session: Session, now: datetime) -> None:
        self._session = session
        self._now = now
        self._claimant: str | None = session.info.get("claimant")
        self.recorded: list[Notice] = []

    def notify(
        self,
        recipient: Recipient,
        kind: NoticeKind,
        /,
        *,
        priority: Priority = Priority.NORMAL,
        edit: int | None = None,
        consultation_id: int | None = None,
        **params: Any,
    ) -> None:
        """Tell one enrolled person something; edit names a message of theirs to rewrite."""
        person = view_of(recipient) if isinstance(recipient, Person) else recipient
        self.to_chat(
            person.chat_id,
            person.language,
            kind,
            person_id=person.id,
            priority=priority,
            edit=edit,
            consultation_id=consultation_id,
            **params,
        )

    def say(
        self,
        recipient: Recipient,
        key: str,
        *,
        priority: Priority = Priority.NORMAL,
        consultation_id: int | None = None,
        buttons: tuple[str, int] | None = None,
        **values: Any,
    ) -> None:
        """One sentence of the catalogs, by key, with its values; `buttons` names a keyboard
        the edge knows (bot/render/scene.py) and its target id."""
        extra: dict[str, Any] = {"buttons": list(buttons)} if buttons is not None else {}
        self.notify(
            recipient,
            NoticeKind.SAY,
            priority=priority,
            consultation_id=consultation_id,
            key=key,
            values=values,
            **extra,
        )

    def to_chat(
        self,
        chat_id: int,
        language: str,
        kind: NoticeKind,
        /,
        *,
        person_id: int | None = None,
        priority: Priority = Priority.NORMAL,
        edit: int | None = None,
        consultation_id: int | None = None,
        **params: Any,
    ) -> None:
        """A notice to a chat that may not be an enrolled person (a stranger, a group). Written
        with a plain INSERT … RETURNING id: the dispatcher needs the notice, not an object."""
        row = pending_row(
            chat_id, language, kind, encode(params), self._now, self._claimant,
            person_id=person_id, priority=priority, edit=edit, consultation_id=consultation_id,
        )  # fmt: skip
        notice_id = self._session.connection().scalar(_WRITE, row)
        self.recorded.append(notice_of(int(notice_id), row))


def pending_row(
    chat_id: int,
    language: str,
    kind: NoticeKind,
    encoded: dict[str, Any],
    now: datetime,
    claimant: str | None,
    *,
    person_id: int | None,
    priority: Priority,
    edit: int | None,
    consultation_id: int | None,
) -> dict[str, Any]:
    """An outbox row's values, for the session's path and the relay's fast lane alike."""
    return {
        "chat_id": chat_id,
        "person_id": person_id,
        "language": language,
        "kind": kind,
        "params": encoded,
        "priority": int(priority),
        "edit_message_id": edit,
        "consultation_id": consultation_id,
        "state": OutboxState.PENDING,
        "created_at": now,
        "claimed_by": claimant,  # the process that committed it sends it
        "claimed_at": now if claimant else None,
    }


def notice_of(notice_id: int, row: dict[str, Any]) -> Notice:
    """The committed row as the dispatcher takes it (no need to read it back)."""
    return Notice(
        id=notice_id,
        chat_id=row["chat_id"],
        person_id=row["person_id"],
        language=row["language"],
        kind=row["kind"],
        params=decode(row["params"]),
        priority=row["priority"],
        edit_message_id=row["edit_message_id"],
        consultation_id=row["consultation_id"],
    )


def as_notice(row: OutboxNotice) -> Notice:
    return Notice(
        id=row.id,
        chat_id=row.chat_id,
        person_id=row.person_id,
        language=row.language,
        kind=NoticeKind(row.kind),
        params=decode(row.params),
        priority=row.priority,
        edit_message_id=row.edit_message_id,
        consultation_id=row.consultation_id,
    )


def unsent(db: Database) -> list[Notice]:
    """Everything committed and not yet sent (a crash or a stop came in between), in order."""
    with db.unit_of_work() as session:
        rows = session.scalars(
            select(OutboxNotice)
            .where(OutboxNotice.state == OutboxState.PENDING)
            .order_by(OutboxNotice.id)
        )
        return [as_notice(row) for row in rows]


def claim_unsent(db: Database, claimant: str, now: datetime, stale: timedelta) -> list[Notice]:
    """For a process among several on one database: the unsent notices it may send, claimed
    in one statement (its own, renewed; nobody's; and those whose claimant stopped renewing
    its claim, so a process that died does not keep them). A row another live process holds
    is never returned: no notice is sent by two processes."""
    table = _OUTBOX
    with db.unit_of_work() as session:
        rows = session.execute(
            update(table)
            .where(
                table.c.state == OutboxState.PENDING,
                or_(
                    table.c.claimed_by.is_(None),
                    table.c.claimed_by == claimant,
                    table.c.claimed_at < now - stale,
                ),
            )
            .values(claimed_by=claimant, claimed_at=now)
            .returning(*table.c)
        )
        found = [as_notice(OutboxNotice(**row._mapping)) for row in rows]
    return sorted(found, key=lambda n: n.id)


def renew_claim(db: Database, claimant: str, notice_id: int, now: datetime) -> bool:
    """Still this process's to send (renewed now)? False when another process took it over
    (this one was cut off for longer than a claim lasts) or it is no longer pending."""
    table = _OUTBOX
    with db.unit_of_work() as session:
        renewed = session.scalar(
            update(table)
            .where(
                table.c.id == notice_id,
                table.c.state == OutboxState.PENDING,
                table.c.claimed_by == claimant,
            )
            .values(claimed_at=now)
            .returning(table.c.id)
        )
    return renewed is not None


def mark_done(
    session: Session, notice_id: int, produced: list[int], state: OutboxState, clock: Clock
) -> None:
    """Record what a notice produced and that it is no longer to be sent."""
    session.execute(
        _DONE, {"notice_id": notice_id, "state": state, "produced": produced, "sent_at": clock()}
    )


# --- parameters as JSON ---------------------------------------------------------------------


def encode(value: Any) -> Any:
    """Views, times and enums to JSON values that decode() reads back as they were."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        name = type(value).__name__
        if name not in VIEWS:
            raise TypeError(f"{name} cannot be a notice parameter")
        fields = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {VIEW_TAG: name, **fields}
    if isinstance(value, datetime):
        return {TIME_TAG: value.isoformat()}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    return value


def decode(value: Any) -> Any:
    if isinstance(value, dict):
        if VIEW_TAG in value:
            return _view(value)
        if TIME_TAG in value and len(value) == 1:
            return datetime.fromisoformat(value[TIME_TAG])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def _view(data: dict[str, Any]) -> Any:
    cls = VIEWS[data[VIEW_TAG]]
    hints = typing.get_type_hints(cls)
    values = {f.name: _typed(hints[f.name], decode(data[f.name])) for f in dataclasses.fields(cls)}
    return cls(**values)


def _typed(hint: Any, value: Any) -> Any:
    """An enum field read back as its enum (a StrEnum stored as its value)."""
    if value is None:
        return None
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    for option in options:
        if isinstance(option, type) and issubclass(option, enum.Enum):
            return option(value)
    return value
