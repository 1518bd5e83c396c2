"""Small key-value facts learned at run time (e.g. the bot's username for invite links)."""

from __future__ import annotations

from flows.models import Setting
from flows.store import Database


def put(db: Database, key: str, value: str) -> None:
    with db.unit_of_work() as session:
        session.merge(Setting(key=key, value=value))


def get(db: Database, key: str) -> str | None:
    with db.unit_of_work() as session:
        row = session.get(Setting, key)
        return row.value if row else None
