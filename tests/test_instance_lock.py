"""The SQLite single-instance lock: one polling `relais run` per database file, however the
file is named in DATABASE_URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.instance_lock import AlreadyRunning, InstanceLock
from flows.store import Database


def test_a_symlink_to_a_locked_database_meets_the_same_lock(db: Database, tmp_path: Path):
    """Before: the lock file was named from the unresolved path, so a second bot on a
    symlink to the same file ran beside the first."""
    real = Path(db.engine.url.database or "")
    link = tmp_path / "elsewhere" / "alias.db"
    link.parent.mkdir()
    link.symlink_to(real)
    other = Database(f"sqlite:///{link}")
    try:
        with (
            InstanceLock.acquire(db),
            pytest.raises(AlreadyRunning),
            InstanceLock.acquire(other),
        ):
            pass
        assert not (link.parent / "alias.db.run-lock").exists()
    finally:
        other.dispose()


def test_a_relative_database_path_meets_the_lock_of_the_absolute_one(
    db: Database, monkeypatch: pytest.MonkeyPatch
):
    real = Path(db.engine.url.database or "")
    monkeypatch.chdir(real.parent)
    relative = Database(f"sqlite:///{real.name}")
    try:
        with (
            InstanceLock.acquire(db),
            pytest.raises(AlreadyRunning),
            InstanceLock.acquire(relative),
        ):
            pass
    finally:
        relative.dispose()
