"""A use case on SQLite is tried on the event loop itself (no thread hop), and never waits
there: when another connection holds SQLite's write lock, the loop keeps running and the use
case is done in a worker thread once the lock is free."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bot.services import Services
from flows.store import SQLITE_BUSY_TIMEOUT_MS, Database, utc_now
from flows.unit import Unit


def services_on(db: Database) -> Services:
    none: Any = None
    return Services(db, settings=none, clock=utc_now, sender=none, timers=none)


def where_it_ran(unit: Unit) -> int:
    """A use case (its transaction takes the write lock) that says which thread it ran in."""
    unit.session.execute(text("CREATE TABLE IF NOT EXISTS touched (n INTEGER)"))
    return threading.get_ident()


def test_a_use_case_runs_on_the_loop_when_the_database_is_free(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'relais.db'}")

    async def run() -> tuple[int, int]:
        return await services_on(db).act(where_it_ran), threading.get_ident()

    ran_in, loop_thread = asyncio.run(run())
    assert ran_in == loop_thread
    db.dispose()


def test_a_locked_database_sends_the_use_case_to_a_thread_and_the_loop_keeps_going(
    tmp_path: Path,
) -> None:
    path = tmp_path / "relais.db"
    db = Database(f"sqlite:///{path}")
    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE warm (n INTEGER)")  # WAL set up, file created
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process's write transaction

    async def run() -> tuple[int, int, float]:
        ticks, last, gap = 0, time.monotonic(), 0.0

        async def ticker() -> None:
            nonlocal ticks, last, gap
            while True:
                ticks += 1
                now = time.monotonic()
                gap, last = max(gap, now - last), now
                await asyncio.sleep(0.005)

        beat = asyncio.create_task(ticker())
        acting = asyncio.create_task(services_on(db).act(where_it_ran))
        async with asyncio.timeout(10):
            while ticks < 20:  # the loop runs while the use case waits for the lock
                await asyncio.sleep(0.005)
        assert not acting.done()
        holder.execute("ROLLBACK")
        async with asyncio.timeout(10):
            ran_in = await acting
        beat.cancel()
        return ran_in, threading.get_ident(), gap

    ran_in, loop_thread, gap = asyncio.run(run())
    assert ran_in != loop_thread
    # Never blocked for SQLite's busy timeout (10 s): the loop went on beating meanwhile.
    assert gap < SQLITE_BUSY_TIMEOUT_MS / 1000 / 2
    holder.close()
    db.dispose()
