"""The SQLite single-instance lock: one polling `relais run` per database file, however the
file is named in DATABASE_URL."""

from __future__ import annotations

import os
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


@pytest.mark.parametrize("folder", ["same", "other"], ids=["same folder", "another folder"])
def test_a_hard_link_to_a_locked_database_meets_the_same_lock(
    db: Database, tmp_path: Path, folder: str
):
    """Before: the lock file was named from the path, and a hard link is a second path to the
    same file (one inode, no symlink to resolve), so a second bot on it ran beside the first,
    each with its own WAL (SQLite's own warning: "multiple links to file")."""
    real = Path(db.engine.url.database or "")
    link = (real.parent if folder == "same" else tmp_path / "elsewhere") / "alias.db"
    link.parent.mkdir(exist_ok=True)
    os.link(real, link)
    assert os.stat(link).st_ino == os.stat(real).st_ino
    other = Database(f"sqlite:///{link}")
    try:
        for first, second in ((db, other), (other, db)):
            with InstanceLock.acquire(first):
                with pytest.raises(AlreadyRunning) as refused, InstanceLock.acquire(second):
                    pass
                assert str(refused.value).startswith(
                    "another `relais run` is already running on this database ("
                )
                assert str(refused.value).endswith(
                    "); stop it first, or give this one its own DATABASE_URL"
                )
                assert "through another name of the same file, a hard link" in str(refused.value)
            with InstanceLock.acquire(second):  # released with the first: free again
                pass
    finally:
        other.dispose()


def test_webhook_processes_share_a_database_through_a_hard_link_but_not_with_a_poller(
    db: Database, tmp_path: Path
):
    real = Path(db.engine.url.database or "")
    link = tmp_path / "alias.db"
    os.link(real, link)
    other = Database(f"sqlite:///{link}")
    try:
        with (
            InstanceLock.acquire(db, shared=True),
            InstanceLock.acquire(other, shared=True),
            pytest.raises(AlreadyRunning) as refused,
            InstanceLock.acquire(other),
        ):
            pass
        assert "stop it first" in str(refused.value)
        with (
            InstanceLock.acquire(db),
            pytest.raises(AlreadyRunning) as refused,
            InstanceLock.acquire(other, shared=True),
        ):
            pass
        assert "stop it before starting webhook processes on it" in str(refused.value)
    finally:
        other.dispose()
