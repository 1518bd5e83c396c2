"""Wrong invite codes from one Telegram account are slowed down, then refused for a while.
A code has 32^12 values, so guessing needs millions of tries; without a guard an account
could still try a hundred a second. The first few mistakes cost nothing (a code misread on
the phone); after them each try must wait twice as long as the last, and past a limit the
account is refused for a lock period, even with a good code. A good code clears the count.
The count is per account and kept in the database, so a restart does not reset it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.orm import Session

from flows.models import InviteAttempts

FREE_TRIES = 3  # wrong codes without any wait
LOCK_AFTER = 10  # wrong codes before the account is refused for LOCK_FOR
LOCK_FOR = timedelta(minutes=15)
MAX_WAIT = timedelta(minutes=2)


class Verdict(StrEnum):
    ALLOWED = "allowed"
    SLOWED = "slowed"  # too soon after the last wrong code: the code is not even checked
    LOCKED = "locked"  # too many wrong codes: refused until the lock ends


@dataclass(frozen=True)
class Gate:
    verdict: Verdict
    retry_at: datetime | None = None
    failures: int = 0

    def seconds_left(self, now: datetime) -> int:
        if self.retry_at is None:
            return 0
        return max(1, int((self.retry_at - now).total_seconds() + 0.999))


def wait_after(failures: int) -> timedelta:
    """How long an account must wait after its nth wrong code before the next try."""
    if failures < FREE_TRIES:
        return timedelta(0)
    return min(timedelta(seconds=2 ** (failures - FREE_TRIES + 1)), MAX_WAIT)


def check(session: Session, telegram_user_id: int, now: datetime) -> Gate:
    """May this account try a code now?"""
    row = session.get(InviteAttempts, telegram_user_id)
    if row is None:
        return Gate(Verdict.ALLOWED)
    if row.locked_until is not None:
        if now < row.locked_until:
            return Gate(Verdict.LOCKED, row.locked_until, row.failures)
        row.failures, row.locked_until = 0, None  # the lock is over: a clean slate
        return Gate(Verdict.ALLOWED)
    retry_at = row.last_failure_at + wait_after(row.failures)
    if now < retry_at:
        return Gate(Verdict.SLOWED, retry_at, row.failures)
    return Gate(Verdict.ALLOWED, None, row.failures)


def failed(session: Session, telegram_user_id: int, now: datetime) -> Gate:
    """Count a wrong code; the gate for the next try."""
    row = session.get(InviteAttempts, telegram_user_id)
    if row is None:
        row = InviteAttempts(telegram_user_id=telegram_user_id, failures=0, last_failure_at=now)
        session.add(row)
    row.failures += 1
    row.last_failure_at = now
    if row.failures >= LOCK_AFTER:
        row.locked_until = now + LOCK_FOR
        return Gate(Verdict.LOCKED, row.locked_until, row.failures)
    wait = wait_after(row.failures)
    return Gate(Verdict.SLOWED if wait else Verdict.ALLOWED, now + wait, row.failures)


def succeeded(session: Session, telegram_user_id: int) -> None:
    """A good code: the account's mistakes are forgotten."""
    row = session.get(InviteAttempts, telegram_user_id)
    if row is not None:
        session.delete(row)
