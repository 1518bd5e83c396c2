"""Enrol people directly through flows/, for tests that are not about enrolment."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

from flows import enrolment, people
from flows.people import PersonView
from flows.routing import RoutingPolicy
from flows.store import Clock, Database
from flows.vocabulary import Presence, Role

POLICY = RoutingPolicy()

_ids = count(1000)


def enrol(
    db: Database,
    clock: Clock,
    role: Role,
    name: str,
    *,
    telegram_user_id: int | None = None,
    language_code: str = "fr",
    available: bool = False,
) -> PersonView:
    issued = enrolment.create_invite(db, role, name, clock, timedelta(hours=1))
    user_id = telegram_user_id if telegram_user_id is not None else next(_ids)
    result = enrolment.redeem_invite(db, issued.code, user_id, language_code, clock)
    assert result.person is not None
    if available:
        return people.set_presence(db, result.person.id, Presence.ON, clock, POLICY)
    return result.person
