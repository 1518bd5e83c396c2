"""The service's settings for people seen before, in a module of their own (routing carries
them, and the routing rules must not depend on the subjects' read models)."""

from __future__ import annotations

from dataclasses import dataclass

SANDBOX_SECRET = b"relais-sandbox-secret-not-for-real-people"  # the demo and the sandbox only


@dataclass(frozen=True)
class SubjectPolicy:
    secret: bytes = SANDBOX_SECRET  # the HMAC key of subject keys
    history_days: int = 365  # how far back the history on a card looks
    recurring_count: int = 3  # this many consultations ...
    recurring_days: int = 90  # ... within this many days flag a person as recurring
    owner_first_share: float = 0.5  # the part of the first window the case owner has alone
    zone: str = "America/Montreal"  # dates shown in the history
    phone_region: str = "CA"  # a phone number typed when a key is invited is not a key
