"""The running bot's SQLite write-ahead log is checkpointed by a thread of its own: a commit
on the event loop never pays for copying the log back (a relayed line's p99), and the log is
still copied back every moment."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import text

from flows.store import Database
from flows.wal import SAFETY_NET_PAGES, checkpoint
from tests.support.waiting import wait_until

ROW = "x" * 3000  # about a page each


def fill(db: Database, rows: int) -> None:
    for _ in range(rows):
        with db.unit_of_work() as session:
            session.execute(text("INSERT INTO filler (body) VALUES (:body)"), {"body": ROW})


def log_pages(path: Path) -> int:
    """Pages in the log now, as a passive checkpoint sees them (it also copies them)."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        return checkpoint(connection).log_pages
    finally:
        connection.close()


def with_filler(path: Path) -> Database:
    db = Database(f"sqlite:///{path}")
    with db.unit_of_work() as session:
        session.execute(text("CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT)"))
    return db


def test_commits_leave_the_log_to_the_thread_past_sqlites_own_threshold(tmp_path: Path) -> None:
    path = tmp_path / "relais.db"
    db = with_filler(path)
    assert db.checkpoint_in_background(every_s=3600) is not None  # never runs in this test
    with db.engine.connect() as connection:
        limit = connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
    assert limit == SAFETY_NET_PAGES
    fill(db, 1500)  # past the default 1,000 pages: a commit would have copied the log back
    assert log_pages(path) > 1000
    db.dispose()


def test_the_thread_copies_the_log_back_every_moment(tmp_path: Path) -> None:
    path = tmp_path / "relais.db"
    db = with_filler(path)
    checkpointer = db.checkpoint_in_background(every_s=0.05)
    assert checkpointer is not None
    fill(db, 50)

    def copied() -> bool:
        last = checkpointer.last
        return last is not None and last.log_pages > 0 and last.copied_pages == last.log_pages

    wait_until(copied, 10, "a checkpoint that copied the whole log")
    db.stop_checkpoints()
    rounds = checkpointer.rounds
    assert rounds > 0
    db.dispose()


def test_the_thread_outlives_a_database_file_it_cannot_open(tmp_path: Path) -> None:
    db = with_filler(tmp_path / "relais.db")
    checkpointer = db.checkpoint_in_background(every_s=0.05)
    assert checkpointer is not None
    checkpointer._path = str(tmp_path / "gone" / "relais.db")  # the folder is not there
    wait_until(lambda: checkpointer._failing, 10, "a failed round")
    checkpointer._path = str(tmp_path / "relais.db")
    rounds = checkpointer.rounds
    wait_until(lambda: checkpointer.rounds > rounds, 10, "rounds again once it can open it")
    db.dispose()


def test_no_thread_where_there_is_no_log(tmp_path: Path) -> None:
    memory = Database("sqlite://")
    assert memory.checkpoint_in_background() is None
    memory.dispose()
