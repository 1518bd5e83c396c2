"""Reminders of follow-ups, delivered exactly once from the database: the due times the
timers wake for, the claim before a send, the record after it, and recovery after a crash.
No Telegram here; the edge sends what is claimed and reports what it sent.

Delivery, and why it is built this way. The row is the source of truth; timers only wake the
bot. A due reminder is *claimed* with one conditional UPDATE (delivery 'scheduled' -> 'sending',
attempts + 1, claimed_at), committed *before* the send, so two passes (a timer and the sweep,
or two processes) never both send it. After the send the row is recorded 'sent' (reminded_at,
late). A crash between the claim and the record leaves the row 'sending'; on the next start
`recover_unconfirmed` finds it. We cannot know whether the message left before the crash, and
a reminder that silently vanishes is a person nobody calls, so we choose to send it once more,
flagged `unconfirmed` (the text says it may be a repeat, and its buttons act on the same row,
so Done on either copy is the same Done). A row found 'sending' that is already `unconfirmed`
is taken as delivered and never sent a third time: at most one duplicate, ever, and it is
detected and shown as such. Recording the send *before* sending would make a crash lose the
reminder instead, which is the failure this issue exists to prevent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, select, update

from flows import followups, roster
from flows.followups import FollowUpView
from flows.models import Consultation, Event, FollowUp, Person, Shift
from flows.people import PersonView, view_of
from flows.routing import RoutingPolicy
from flows.store import Clock, Database
from flows.views import view_in
from flows.vocabulary import Delivery, EventKind, FollowUpState, Role

CLAIM_BATCH = 500
RETRY_AFTER = timedelta(seconds=60)  # a reminder nobody could receive is tried again after this


@dataclass(frozen=True)
class Reminder:
    """One claimed reminder and who gets it; `whose` is set when it goes to others."""

    followup: FollowUpView
    recipients: list[PersonView]
    whose: PersonView | None
    repeat: bool  # sent again after a crash: it may have arrived already


def pending_due_times(db: Database) -> list[datetime]:
    """Every distinct due time of a reminder still to deliver (for the timers on start)."""
    with db.unit_of_work() as session:
        rows = session.scalars(
            select(FollowUp.due_at)
            .where(
                FollowUp.state == FollowUpState.PENDING,
                FollowUp.delivery != Delivery.SENT,
            )
            .distinct()
        )
        return list(rows)


def recover_unconfirmed(
    db: Database, clock: Clock, stale_after: timedelta | None = None
) -> tuple[int, int]:
    """On start: rows a crash left 'sending'. Sent once more, flagged, if never resent;
    taken as delivered otherwise. Returns (to resend, taken as delivered). `stale_after`:
    with several processes on the database, only rows claimed that long ago (another live
    process may be sending a younger one right now)."""
    now = clock()
    sending = FollowUp.delivery == Delivery.SENDING
    if stale_after is not None:
        sending = sending & (FollowUp.claimed_at < now - stale_after)
    with db.unit_of_work() as session:
        again = session.execute(
            update(FollowUp)
            .where(sending, FollowUp.unconfirmed.is_(False))
            .values(delivery=Delivery.SCHEDULED, unconfirmed=True, claimed_at=None, updated_at=now)
        )
        settled = session.execute(
            update(FollowUp)
            .where(sending, FollowUp.unconfirmed.is_(True))
            .values(delivery=Delivery.SENT, reminded_at=FollowUp.claimed_at, updated_at=now)
        )
        return int(getattr(again, "rowcount", 0)), int(getattr(settled, "rowcount", 0))


def claim_due(
    db: Database, clock: Clock, routing_policy: RoutingPolicy, limit: int = CLAIM_BATCH
) -> list[Reminder]:
    """Claim up to `limit` due reminders in one conditional UPDATE (so no other pass can take
    them) and say who gets each: the assignee when active and available, otherwise the
    workers available now (then the assignee anyway, then the supervisors)."""
    now = clock()
    with db.unit_of_work() as session:
        ids = list(
            session.scalars(
                select(FollowUp.id)
                .where(
                    FollowUp.state == FollowUpState.PENDING,
                    FollowUp.delivery == Delivery.SCHEDULED,
                    FollowUp.due_at <= now,
                    FollowUp.claimed_at.is_(None) | (FollowUp.claimed_at <= now - RETRY_AFTER),
                )
                .order_by(FollowUp.due_at, FollowUp.id)
                .limit(limit)
            )
        )
        if not ids:
            return []
        claimed = set(
            session.scalars(
                update(FollowUp)
                .where(
                    FollowUp.id.in_(ids),
                    FollowUp.state == FollowUpState.PENDING,
                    FollowUp.delivery == Delivery.SCHEDULED,
                )
                .values(
                    delivery=Delivery.SENDING,
                    claimed_at=now,
                    attempts=FollowUp.attempts + 1,
                    updated_at=now,
                )
                .returning(FollowUp.id)
            )
        )
        rows = session.scalars(select(FollowUp).where(FollowUp.id.in_(claimed))).all()
        staff = select(Person).where(Person.role.in_((Role.WORKER, Role.SUPERVISOR)))
        people = {p.id: p for p in session.scalars(staff)}  # assignees are staff too
        shifts = list(session.scalars(select(Shift)))
        available = [
            p
            for p in people.values()
            if p.role == Role.WORKER
            and roster.standing(p, shifts, now, routing_policy.zone).available
        ]
        supervisors = [p for p in people.values() if p.role == Role.SUPERVISOR and p.active]
        consultations = {
            c.id: view_in(session, c)
            for c in session.scalars(
                select(Consultation).where(Consultation.id.in_({f.consultation_id for f in rows}))
            )
        }
        views = {p.id: view_of(p) for p in people.values()}
        reminders = []
        for f in sorted(rows, key=lambda r: (r.due_at, r.id)):
            assignee = people.get(f.assignee_id) if f.assignee_id else None
            recipients, whose = _recipients(assignee, available, supervisors)
            mine = views[assignee.id] if assignee else None
            reminders.append(
                Reminder(
                    followups.view_from(f, consultations[f.consultation_id], mine),
                    [views[p.id] for p in recipients],
                    mine if whose else None,
                    f.unconfirmed,
                )
            )
        return reminders


def _recipients(
    assignee: Person | None, available: list[Person], supervisors: list[Person]
) -> tuple[list[Person], bool]:
    """(who gets it, whether it is someone else's). A supervisor has no shift to be off:
    one who held the consultation gets their own reminder."""
    if (
        assignee is not None
        and assignee.active
        and (assignee in available or assignee.role == Role.SUPERVISOR)
    ):
        return [assignee], False
    others = [p for p in available if assignee is None or p.id != assignee.id]
    if others:
        return others, assignee is not None
    if assignee is not None and assignee.active:
        return [assignee], False
    return supervisors, assignee is not None


@dataclass(frozen=True)
class Delivered:
    followup_id: int
    consultation_id: int
    recipient_ids: list[int]  # empty: nobody could be reached, try again later
    at: datetime
    due_at: datetime


# Only a reminder still claimed for this send is marked sent: one snoozed, handed over or
# done while its batch was going out (a press seconds before the record) keeps what that
# press decided (a snoozed one must ring again), and the send is in the event log all the same.
_RECORD_SENT = (
    update(FollowUp)
    .where(FollowUp.id == bindparam("followup_id"), FollowUp.delivery == Delivery.SENDING)
    .values(
        delivery=Delivery.SENT,
        reminded_at=bindparam("sent_at"),
        late=bindparam("was_late"),
        updated_at=bindparam("sent_at"),
    )
)


def record_delivered(db: Database, delivered: Iterable[Delivered], late_after: timedelta) -> int:
    """Record the sends of a batch ('sent', reminded_at, late) with their events; a reminder
    nobody received goes back to 'scheduled' for the sweep. Returns how many were late."""
    late_count = 0
    sent_rows, retry_ids, events = [], [], []
    with db.unit_of_work() as session:
        for d in delivered:
            if not d.recipient_ids:
                retry_ids.append(d.followup_id)
                continue
            late = d.at > d.due_at + late_after
            late_count += late
            sent_rows.append({"followup_id": d.followup_id, "sent_at": d.at, "was_late": late})
            events.append(
                {
                    "consultation_id": d.consultation_id,
                    "kind": EventKind.FOLLOWUP_REMINDED,
                    "actor_id": None,
                    "at": d.at,
                    "data": {
                        "followup": d.followup_id,
                        "to": d.recipient_ids,
                        "late": late,
                        "lateness_s": round((d.at - d.due_at).total_seconds(), 3),
                    },
                }
            )
        if sent_rows:  # in bulk: thousands of reminders can come due in the same second
            session.connection().execute(_RECORD_SENT, sent_rows)
            session.execute(insert(Event), events)
        if retry_ids:
            session.execute(
                update(FollowUp)
                .where(FollowUp.id.in_(retry_ids), FollowUp.delivery == Delivery.SENDING)
                .values(delivery=Delivery.SCHEDULED)
            )
    return late_count
