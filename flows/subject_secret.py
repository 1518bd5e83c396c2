"""Which secret a database's subject keys were hashed with: the trial secret of the sandbox
and the demo, or the service's own. Recorded by `relais run` at each start, so the command
line (export, erasure, audit) uses the trial secret only on a database that the sandbox's bot
filled, never because a setting was forgotten on a real service's."""

from __future__ import annotations

from flows import settings_store
from flows.store import Database

KEY = "subject_key_secret"
TRIAL = "sandbox-trial"
CONFIGURED = "configured"


def record(db: Database, *, trial: bool) -> None:
    """What the running bot hashes new keys with from now on."""
    settings_store.put(db, KEY, TRIAL if trial else CONFIGURED)


def hashed_with_trial_secret(db: Database) -> bool:
    """Whether the last bot on this database ran on the sandbox with the trial secret."""
    return settings_store.get(db, KEY) == TRIAL
