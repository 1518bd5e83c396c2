"""One polling `relais run` per database. Two bots on one database and token would fetch the
same updates (Telegram answers the second poller 409 Conflict), store them twice and answer
twice, so a second one refuses to start and says why (exit code 2). In webhook mode several
processes may share the database (behind a load balancer): they take the lock shared, so
they do not stop each other, while a polling one (whose deleteWebhook would cut them off)
and they keep each other out. A lock the holder's
death releases at once, so a restart after a crash never waits: on PostgreSQL an advisory
lock held by a dedicated connection (the server drops it with the connection), on SQLite an
exclusive flock on a file beside the database, which names the holder, and one on the
database file itself, which every name of the file meets, hard links included (the kernel
drops both with the process)."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from bot.settings import ConfigError
from flows.store import POSTGRES_CONNECT_TIMEOUT_S, TRANSIENT_ERRORS, Database, describe_error

log = logging.getLogger(__name__)

LOCK_KEY = 0x52454C41  # "RELA": advisory lock keys are per database
CHECK_EVERY_S = 2.0  # a lost lock connection is found this soon (a database restart)
RETAKE_EVERY_S = 0.5  # then tried again this often: back before a process starting meanwhile
OUTAGE_LOG_EVERY_S = 30.0
ANOTHER_NAME = "through another name of the same file, a hard link"

# Descriptors this process opened on SQLite database files, idle, by (device, inode). They are
# never closed: closing any descriptor on a database file drops every POSIX lock this
# process's SQLite connections hold on it (sqlite.org/howtocorrupt.html, 2.2), so a lock
# released leaves its descriptor here for the next lock on that file. Only flock is taken on
# them, which on Linux does not interact with SQLite's fcntl locks.
_idle_handles: dict[tuple[int, int], list[int]] = {}
_handles_guard = threading.Lock()


def _file_handle(path: Path) -> tuple[tuple[int, int], int]:
    """A descriptor of its own (flock is per open file) on the database file, and its
    identity; FileNotFoundError when there is no file."""
    found = os.stat(path)
    identity = (found.st_dev, found.st_ino)
    with _handles_guard:
        idle = _idle_handles.get(identity)
        if idle:  # an open descriptor keeps its inode alive: it is this very file
            return identity, idle.pop()
    fd = os.open(path, os.O_RDONLY)
    opened = os.fstat(fd)
    return (opened.st_dev, opened.st_ino), fd  # the file it opened, if it was just replaced


def _park(identity: tuple[int, int], fd: int) -> None:
    with _handles_guard:
        _idle_handles.setdefault(identity, []).append(fd)


class AlreadyRunning(ConfigError):
    """Another `relais run` holds this database."""


class LostLock(RuntimeError):
    """The lock was lost with its connection and another process took it meanwhile."""


def _holder() -> str:
    return f"pid {os.getpid()} on {socket.gethostname()}"


def _refusal(holder: str, shared: bool = False) -> AlreadyRunning:
    if shared:
        return AlreadyRunning(
            "a `relais run` in polling mode is already running on this database "
            f"({holder or 'unknown'}); stop it before starting webhook processes on it"
        )
    return AlreadyRunning(
        f"another `relais run` is already running on this database ({holder or 'unknown'}); "
        "stop it first, or give this one its own DATABASE_URL"
    )


class InstanceLock:
    """Held for the life of `relais run`; check() re-takes it after a lost connection."""

    def __init__(self, db: Database, *, shared: bool = False) -> None:
        self._url = db.url
        self._shared = shared  # webhook mode: with other webhook processes
        self._engine: Engine | None = None
        self._connection: Connection | None = None
        self._file: int | None = None
        self._database_file: tuple[tuple[int, int], int] | None = None  # identity, descriptor

    @classmethod
    @contextmanager
    def acquire(cls, db: Database, *, shared: bool = False) -> Iterator[InstanceLock]:
        """Take the lock or raise AlreadyRunning (one sentence); released on exit."""
        lock = cls(db, shared=shared)
        lock._take()
        try:
            yield lock
        finally:
            lock.release()

    def _take(self) -> None:
        url = make_url(self._url)
        if url.get_backend_name() == "postgresql":
            self._engine = create_engine(
                self._url,
                poolclass=NullPool,
                isolation_level="AUTOCOMMIT",
                connect_args={
                    "application_name": f"relais run ({_holder()})"[:63],
                    "connect_timeout": POSTGRES_CONNECT_TIMEOUT_S,
                },
            )
            if not self._take_advisory():
                raise _refusal(self._advisory_holder(), self._shared)
        elif url.database not in (None, "", ":memory:"):
            # named from the real file: a symlink (or a relative path) to the same database
            # must meet the same lock; a hard link is met by the lock on the file itself
            real = Path(url.database).resolve()
            self._take_file(real.with_name(f"{real.name}.run-lock"))
            try:
                self._take_database_file(real)
            except AlreadyRunning:
                self.release()
                raise

    # -- PostgreSQL -----------------------------------------------------------------------

    def _take_advisory(self) -> bool:
        assert self._engine is not None
        connection = self._engine.connect()
        take = "pg_try_advisory_lock_shared" if self._shared else "pg_try_advisory_lock"
        got = connection.scalar(text(f"SELECT {take}(:key)"), {"key": LOCK_KEY})
        if not got:
            connection.close()
            return False
        self._connection = connection
        return True

    def _advisory_holder(self) -> str:
        assert self._engine is not None
        with self._engine.connect() as connection:
            name = connection.scalar(
                text(
                    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a "
                    "ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                    "AND l.objid = :key AND a.datname = current_database() LIMIT 1"
                ),
                {"key": LOCK_KEY},
            )
        return str(name or "").removeprefix("relais run (").removesuffix(")")

    def check(self) -> None:
        """Still ours? After a lost connection (a database restart) take it again; raise
        LostLock if another process took it meanwhile, a transient error if the database is
        still away (the caller waits and asks again)."""
        if self._engine is None:
            return
        if self._connection is not None:
            try:
                self._connection.scalar(text("SELECT 1"))
                return
            except TRANSIENT_ERRORS:
                self._connection.invalidate()
                self._connection = None
        if not self._take_advisory():
            raise LostLock(f"another `relais run` ({self._advisory_holder()}) took the database")
        log.warning("instance lock taken again after its connection was lost")

    # -- SQLite ---------------------------------------------------------------------------

    def _take_file(self, path: Path) -> None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if self._shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip()
            os.close(fd)
            raise _refusal(holder, self._shared) from None
        if not self._shared:  # shared holders leave the file alone (it names a polling one)
            os.ftruncate(fd, 0)
            os.pwrite(fd, _holder().encode(), 0)
        self._file = fd

    def _take_database_file(self, path: Path) -> None:
        """The lock on the database file itself, whatever its name: two names of one file (a
        hard link, which resolve() cannot tell) are one inode. No file yet (a restore into
        an empty place): the lock beside its name is the only one."""
        try:
            identity, fd = _file_handle(path)
        except FileNotFoundError:
            return
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if self._shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            _park(identity, fd)
            raise _refusal(ANOTHER_NAME, self._shared) from None
        self._database_file = (identity, fd)

    def release(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(*TRANSIENT_ERRORS):
                self._connection.close()  # the server drops the advisory lock with it
            self._connection = None
        if self._engine is not None:
            self._engine.dispose()
        if self._database_file is not None:
            identity, fd = self._database_file
            fcntl.flock(fd, fcntl.LOCK_UN)  # never closed: see _idle_handles
            _park(identity, fd)
            self._database_file = None
        if self._file is not None:
            os.close(self._file)  # the kernel drops the flock with it
            self._file = None


async def keep_held(lock: InstanceLock) -> None:
    """Check the lock every few seconds for the life of the bot; a database outage is waited
    out, trying to take the lock again every half second, so that the running process has it
    back as soon as the database answers, before a `relais run` started during the outage
    (which waits for the database, then for the lock). Ends with LostLock (the process then
    stops) if another process took it all the same."""
    loop = asyncio.get_running_loop()
    pause, logged = CHECK_EVERY_S, None
    while True:
        await asyncio.sleep(pause)
        try:
            await asyncio.to_thread(lock.check)
        except TRANSIENT_ERRORS as exc:
            if logged is None or loop.time() - logged >= OUTAGE_LOG_EVERY_S:
                logged = loop.time()
                log.error(
                    "instance lock: database unavailable (%s); trying again every %.1fs",
                    describe_error(exc), RETAKE_EVERY_S,
                )  # fmt: skip
            pause = RETAKE_EVERY_S
            continue
        pause, logged = CHECK_EVERY_S, None
