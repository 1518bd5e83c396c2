"""The database: engine and session factory, SQLite pragmas (WAL, busy timeout, immediate
write transactions), one unit of work, and Alembic migrations applied programmatically."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from flows.driver import DriverUnit, transaction
from flows.liveness import replace_ended_connections
from flows.wal import EVERY_S, SAFETY_NET_PAGES, Checkpointer

Clock = Callable[[], datetime]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000
POSTGRES_CONNECT_TIMEOUT_S = 10  # an unreachable host fails in seconds, not a TCP timeout

# What a database that is down, restarting or refusing connections raises: worth waiting for
# and retrying (a programming error, e.g. IntegrityError, is not).
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
)


# What a PostgreSQL server (or the resolver) says when waiting cannot help: the URL names a
# host that does not exist, a database or a role the server does not have, or the
# credentials are refused. Anything else at connect (refused, timed out, starting up,
# shutting down, a resolver with no answer yet) may pass.
_LASTING_CONNECT_FAILURES = (
    "does not exist",
    "authentication failed",
    "no pg_hba.conf entry",
    "no password supplied",
    "password is required",
    "permission denied",
    # A host name the resolver says does not exist (EAI_NONAME, EAI_NODATA), as psycopg
    # words it ("failed to resolve host 'h': [Errno -2] Name or service not known") or
    # libpq ("could not translate host name ..."): almost always a typo in the URL. A
    # resolver that cannot answer for now ("Temporary failure in name resolution", the
    # network not up yet at boot) is not among them: it may pass.
    "name or service not known",  # glibc
    "no address associated with hostname",  # glibc: the name exists, with no address
    "nodename nor servname provided",  # BSD, macOS
    "name does not resolve",  # musl (Alpine)
)


def unreachable_for_now(exc: BaseException) -> bool:
    """Whether a failure to open the database may pass by waiting (the server restarting, the
    network not up yet), as opposed to a URL that can never work."""
    if not isinstance(exc, TRANSIENT_ERRORS):
        return False
    text = str(getattr(exc, "orig", None) or exc).lower()
    if isinstance(exc, sa_exc.OperationalError) and "sqlite" in type(exc.orig).__module__:
        return "locked" in text  # a missing folder or a read-only file does not pass
    return not any(marker in text for marker in _LASTING_CONNECT_FAILURES)


def utc_now() -> datetime:
    """The default clock: an aware UTC datetime. Everything else takes a clock parameter."""
    return datetime.now(UTC)


def describe_error(exc: BaseException) -> str:
    """A database error in one short line for the logs: its class and the driver's first line,
    never the SQL statement or its parameters (they may hold message text)."""
    cause = getattr(exc, "orig", None) or exc
    first = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    return f"{type(cause).__name__}: {first[:160]}" if first else type(cause).__name__


def make_engine(url: str, *, pool_size: int = 10, max_overflow: int = 20) -> Engine:
    """An engine tuned per backend. SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE, so a
    transaction that reads then writes never fails with SQLITE_BUSY half-way (PITFALLS.md).
    PostgreSQL's pool sizes come from the settings (RELAIS_DB_POOL_SIZE, _MAX_OVERFLOW)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        told_by_socket = parsed.get_driver_name() == "psycopg"  # flows/liveness.py's driver
        engine = create_engine(
            url,
            pool_pre_ping=not told_by_socket,
            pool_size=pool_size,
            max_overflow=max_overflow,
            # the connection used last is taken first: its server process is the one still
            # warm (after a burst opened many, a FIFO pool cycled a line through all of them)
            pool_use_lifo=True,
            hide_parameters=True,  # errors and logs never carry the values (message text)
            connect_args={"connect_timeout": POSTGRES_CONNECT_TIMEOUT_S},
        )
        # A connection the server ended (restart, pg_terminate_backend) is replaced on
        # checkout instead of failing the next transaction: with psycopg told without a
        # round trip, with another driver by SQLAlchemy's pre-ping.
        if told_by_socket:
            replace_ended_connections(engine)
        return engine
    in_memory = parsed.database in (None, "", ":memory:")
    kwargs: dict[str, Any] = {
        "connect_args": {"check_same_thread": False, "timeout": 30},
        "hide_parameters": True,
    }
    if in_memory:
        kwargs["poolclass"] = StaticPool
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        begin_sqlite(connection.exec_driver_sql, connection.info)

    return engine


def begin_sqlite(execute: Callable[[str], Any], info: dict[str, Any]) -> None:
    """BEGIN IMMEDIATE, after setting how long to wait for the write lock: not at all on the
    event loop (no_wait), the busy timeout elsewhere. `info` is the pooled connection's own,
    shared by the ORM's path and the driver's (flows/driver.py)."""
    if _NO_WAIT.get():
        if not info.get("no_wait"):  # a PRAGMA is a statement: once per change
            execute("PRAGMA busy_timeout=0")
            info["no_wait"] = True
    elif info.pop("no_wait", False):
        execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    execute("BEGIN IMMEDIATE")


def _begin_sqlite_driver(driver: Any, info: dict[str, Any]) -> None:
    begin_sqlite(driver.execute, info)


def _begin_postgres(_driver: Any, _info: dict[str, Any]) -> None:
    """psycopg begins a transaction with the first statement."""


# A transaction begun under no_wait() fails at once when another holds SQLite's write lock,
# instead of waiting out the busy timeout (see Database.no_wait).
_NO_WAIT: ContextVar[bool] = ContextVar("relais_sqlite_no_wait", default=False)


@dataclass(frozen=True)
class SchemaState:
    """Where a database's schema stands against the migrations this code carries."""

    current: str | None  # the revision recorded in alembic_version; None: no Relais schema
    head: str  # the newest revision this code knows
    known: bool  # False: a newer Relais migrated it (this one was rolled back)

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


class Database:
    """One database: where sessions come from and how the schema is brought up to date."""

    def __init__(self, url: str, *, pool_size: int = 10, max_overflow: int = 20) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size=pool_size, max_overflow=max_overflow)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.claimant: str | None = None  # this process's name when several share the database
        self._checkpointer: Checkpointer | None = None
        self._safety_net_set = False
        self._file = sqlite_file(url)
        self._file_identity: tuple[int, int] | None = None  # (device, inode) first opened
        if self._file is not None:
            event.listen(self.engine, "connect", self._remember_file)

    def _remember_file(self, _dbapi_connection: Any, _record: Any) -> None:
        if self._file_identity is None and self._file is not None:
            found = self._file.stat()  # the connection has just opened (or created) it
            self._file_identity = (found.st_dev, found.st_ino)

    def moved_file(self) -> Path | None:
        """The configured SQLite path, when it no longer names the file this process opened
        (moved, deleted, replaced): the open connections go on writing to the old file, which
        nobody will find at that path. None on PostgreSQL, in memory, or before any connection."""
        if self._file is None or self._file_identity is None:
            return None
        try:
            found = self._file.stat()
        except FileNotFoundError:
            return self._file
        return None if (found.st_dev, found.st_ino) == self._file_identity else self._file

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A transaction: committed when the block ends, rolled back if it raises."""
        with self._sessions.begin() as session:
            if self.claimant is not None:
                session.info["claimant"] = self.claimant  # notices recorded are this process's
            yield session

    @contextmanager
    def driver_transaction(self, now: datetime) -> Iterator[DriverUnit]:
        """A transaction straight on the driver, for the relay's fast lane (flows/driver.py):
        same connections, same locking, same transient errors."""
        begin = _begin_sqlite_driver if self.is_sqlite else _begin_postgres
        with transaction(self.engine, now, self.claimant, begin=begin) as unit:
            yield unit

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def no_wait(self) -> Iterator[None]:
        """Transactions begun in this block fail at once (a transient OperationalError) if
        SQLite's write lock is taken, rather than waiting for it: for work tried on the event
        loop itself, which must never block there (the caller retries it in a thread)."""
        token = _NO_WAIT.set(True)
        try:
            yield
        finally:
            _NO_WAIT.reset(token)

    def checkpoint_in_background(self, every_s: float = EVERY_S) -> Checkpointer | None:
        """For the long-running bot on a SQLite file: the write-ahead log is checkpointed by a
        thread, not inside the commits of use cases run on the event loop (flows/wal.py).
        Connections opened from here on keep only the safety net; those already pooled are
        closed so that none keeps the old threshold. None for PostgreSQL or :memory:."""
        path = self.engine.url.database
        if not self.is_sqlite or path in (None, "", ":memory:"):
            return None
        if self._checkpointer is None:
            if not self._safety_net_set:
                self._safety_net_set = True

                @event.listens_for(self.engine, "connect")
                def _safety_net_only(dbapi_connection: Any, _record: Any) -> None:
                    dbapi_connection.execute(f"PRAGMA wal_autocheckpoint={SAFETY_NET_PAGES}")

                self.engine.dispose()
            self._checkpointer = Checkpointer(path, every_s)
            self._checkpointer.start()
        return self._checkpointer

    def upgrade(self) -> None:
        """Apply every Alembic migration not yet applied (idempotent)."""
        with self.engine.begin() as connection:
            config = alembic_config(self.url)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def schema_state(self) -> SchemaState:
        """The schema's revision against the code's head, read without changing anything:
        every command but `relais run` and `relais db upgrade` uses the schema as it is."""
        script = ScriptDirectory.from_config(alembic_config(self.url))
        with self.engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
        known = True
        if current is not None:
            try:
                known = script.get_revision(current) is not None
            except CommandError:  # "Can't locate revision": migrated by a newer Relais
                known = False
        return SchemaState(current, script.get_current_head() or "", known)

    def stop_checkpoints(self) -> None:
        """The checkpoint thread ends (its last round done); connections keep the safety net."""
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None

    def dispose(self) -> None:
        self.stop_checkpoints()
        self.engine.dispose()


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for PostgreSQL or an in-memory database): checked
    before connecting, since SQLite creates a missing file on connect."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def alembic_config(url: str) -> Config:
    """Alembic configured from code, so no alembic.ini has to sit in the working directory."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config
