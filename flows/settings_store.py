"""Small key-value facts learned at run time (e.g. the bot's username for invite links)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from flows.models import Setting
from flows.store import Database


def put(db: Database, key: str, value: str) -> None:
    with db.unit_of_work() as session:
        session.merge(Setting(key=key, value=value))


def get(db: Database, key: str) -> str | None:
    with db.unit_of_work() as session:
        row = session.get(Setting, key)
        return row.value if row else None


def put_new(db: Database, key: str, value: str) -> str:
    """Keep this value unless one is kept already (another process may have been first);
    the value kept."""
    try:
        with db.unit_of_work() as session:
            if session.get(Setting, key) is None:
                session.add(Setting(key=key, value=value))
    except IntegrityError:  # another process inserted it between the read and the write
        pass
    kept = get(db, key)
    assert kept is not None
    return kept
