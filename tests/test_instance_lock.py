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


def _lock_holder_pid(db: Database) -> int | None:
    from sqlalchemy import text

    from bot.instance_lock import LOCK_KEY

    with db.engine.connect() as connection:
        return connection.scalar(
            text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND objid = :key AND database = (SELECT oid FROM pg_database "
                "WHERE datname = current_database())"
            ),
            {"key": LOCK_KEY},
        )


def _end_backend(db: Database, pid: int) -> None:
    from sqlalchemy import text

    with db.engine.connect() as connection:
        connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


@pytest.mark.postgres
def test_the_running_process_takes_its_lock_back_after_its_connection_was_ended(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A database restart ends the lock's connection: the running bot takes the lock again as
    soon as the database answers, and a `relais run` started meanwhile is then refused."""
    import asyncio

    from bot import instance_lock
    from tests.support.databases import database
    from tests.support.waiting import wait_until

    monkeypatch.setattr(instance_lock, "CHECK_EVERY_S", 0.05)
    monkeypatch.setattr(instance_lock, "RETAKE_EVERY_S", 0.05)
    with database("postgres", tmp_path) as db, InstanceLock.acquire(db) as lock:
        first = _lock_holder_pid(db)
        assert first is not None

        async def scenario() -> None:
            keeper = asyncio.create_task(instance_lock.keep_held(lock))
            _end_backend(db, first)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 10
            while _lock_holder_pid(db) in (None, first) and loop.time() < deadline:
                await asyncio.sleep(0.02)
            keeper.cancel()

        asyncio.run(scenario())
        wait_until(lambda: _lock_holder_pid(db) not in (None, first), 5, "the lock taken again")
        with pytest.raises(AlreadyRunning), InstanceLock.acquire(db):
            pass


@pytest.mark.postgres
def test_a_lock_taken_by_another_process_meanwhile_stops_this_one_in_one_line_exit_2(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    import asyncio
    import logging

    from bot.app import Stopping
    from bot.instance_lock import LostLock
    from tests.support.databases import database

    with database("postgres", tmp_path) as db, InstanceLock.acquire(db) as lock:
        first = _lock_holder_pid(db)
        assert first is not None
        _end_backend(db, first)
        with InstanceLock.acquire(db):  # the other process, started during the outage
            with pytest.raises(LostLock):
                lock.check()

            async def scenario() -> int:
                stopping = Stopping()

                async def lost() -> None:
                    raise LostLock("another `relais run` (host:1) took the database")

                stopping.supervise(asyncio.create_task(lost(), name="the instance lock"))
                await stopping.event.wait()
                return stopping.exit_code

            with caplog.at_level(logging.CRITICAL):
                assert asyncio.run(scenario()) == 2
    [line] = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    assert line.exc_info is None and "took the database" in line.getMessage()
