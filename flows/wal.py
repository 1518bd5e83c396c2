"""SQLite's write-ahead log copied back into the database file off the hot path. Left to
itself, the connection whose commit takes the log past 1,000 pages runs that checkpoint (a
copy and an fsync) inside the commit: on the running bot, that is a relayed line held 5-8 ms
on the event loop every couple of hundred lines (bench/relay_use_case.py: p99 8 ms with it,
1.3 ms without). The running bot instead checkpoints from a thread of its own, every moment
(sqlite3 lets other threads run while it works); the connections keep their own checkpoint
only as a safety net, far higher, should that thread ever fall behind."""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import dataclass

log = logging.getLogger(__name__)

EVERY_S = 1.0  # at 20 lines a second, about 100 pages to copy each time
SAFETY_NET_PAGES = 20_000  # about 80 MB of log: reached only if the thread cannot keep up


@dataclass(frozen=True)
class Checkpoint:
    """What one passive checkpoint found: pages in the log, and how many it copied."""

    log_pages: int
    copied_pages: int


class Checkpointer:
    """A daemon thread that runs a passive checkpoint on its own connection: it never waits
    for a lock and never holds up a writer (a reader still on old pages only delays the copy
    of those pages to the next round)."""

    def __init__(self, path: str, every_s: float = EVERY_S) -> None:
        self._path = path
        self._every_s = every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False
        self.last: Checkpoint | None = None
        self.rounds = 0

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        connection: sqlite3.Connection | None = None
        try:
            while not self._stop.wait(self._every_s):
                try:
                    if connection is None:
                        connection = sqlite3.connect(self._path, isolation_level=None)
                    self.last = checkpoint(connection)
                    self.rounds += 1
                    if self._failing:
                        log.warning("write-ahead log checkpoints running again")
                        self._failing = False
                except sqlite3.Error as exc:  # the file away, locked, a disk error: next round
                    if not self._failing:
                        log.warning("write-ahead log checkpoint failed (%s)", type(exc).__name__)
                        self._failing = True
                    if connection is not None:
                        connection.close()
                        connection = None
        finally:
            if connection is not None:
                connection.close()


def checkpoint(connection: sqlite3.Connection) -> Checkpoint:
    """One passive checkpoint: copies what no reader still needs, waits for nothing."""
    row = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    _busy, log_pages, copied = row
    return Checkpoint(int(log_pages), int(copied))
