"""A few statements run straight on the database driver, for the one transaction that runs
for every line of every conversation (flows/lane.py). SQLAlchemy still writes their SQL
and converts every value, both ways, exactly as it does for the ORM (each statement is
compiled once for the engine's dialect, with its types' own converters); what is skipped is
the session and the per-execution machinery around the driver's call, which costs ten
times the database's own work for such statements (bench/relay_use_case.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.expression import Executable
from sqlalchemy.types import TypeEngine

Processor = Callable[[Any], Any] | None


class Prepared:
    """One statement compiled for one dialect: its SQL, where each value goes, and how each
    is converted on the way in (binds) and on the way out (the selected columns' types)."""

    def __init__(
        self, statement: Executable, dialect: Dialect, columns: Sequence[TypeEngine[Any]] = ()
    ) -> None:
        compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
        self.sql: str = compiled.string
        self._order: list[str] | None = (
            list(compiled.positiontup) if dialect.positional else None  # type: ignore[attr-defined]
        )
        binds = compiled.binds  # type: ignore[attr-defined]
        self._fixed = {name: bind.effective_value for name, bind in binds.items()}
        self._into: dict[str, Processor] = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect)
            for name, bind in binds.items()
        }
        self._out: list[Processor] = [
            t.dialect_impl(dialect).result_processor(dialect, None) for t in columns
        ]

    def parameters(self, values: dict[str, Any]) -> Sequence[Any] | dict[str, Any]:
        converted: dict[str, Any] = {}
        for name, into in self._into.items():
            value = values[name] if name in values else self._fixed[name]
            converted[name] = into(value) if into is not None and value is not None else value
        if self._order is None:
            return converted
        return [converted[name] for name in self._order]

    def converted(self, raw: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(
            out(value) if out is not None and value is not None else value
            for out, value in zip(self._out, raw, strict=True)
        )


class Pending:
    """A statement's answer, read when needed. On a pipelining driver (psycopg) the statement
    went out at once and its answer arrives with the others' at the next synchronisation,
    so a transaction's independent statements cost one round trip together; elsewhere
    (SQLite, in process) a write runs when made and a read when first read, if ever."""

    def __init__(self, prepared: Prepared, load: Callable[[], list[Any]], *, sent: bool) -> None:
        self._prepared = prepared
        self._load = load
        self._sent = sent  # False: a read that runs when first read (dropped if never)
        self._rows: list[tuple[Any, ...]] | None = None

    def rows(self) -> list[tuple[Any, ...]]:
        """Every row, converted."""
        if self._rows is None:
            self._rows = [self._prepared.converted(raw) for raw in self._load()]
        return self._rows

    def row(self) -> tuple[Any, ...] | None:
        """The first row, converted (None when there is none)."""
        rows = self.rows()
        return rows[0] if rows else None

    def settle(self) -> None:
        """At the end of the transaction: what was sent is fetched, to be read once the
        connection went back to the pool; a read never run is not run, ever (its connection
        is no longer this transaction's)."""
        if self._sent:
            self.rows()
        elif self._rows is None:
            self._load = _ended


def _ended() -> list[Any]:
    raise RuntimeError("a read asked for after its transaction ended")


class DriverUnit:
    """One transaction on the driver's connection; its notices are collected like a Unit's."""

    def __init__(
        self, connection: Any, now: datetime, claimant: str | None, *, pipelined: bool
    ) -> None:
        self._connection = connection
        self.now = now
        self.claimant = claimant
        self.pipelined = pipelined
        self.abandoned = False
        self._pending: list[Pending] = []
        self._unread: list[Any] = []

    def read(self, prepared: Prepared, values: dict[str, Any]) -> Pending:
        """A query's answer to come (on SQLite it runs when first read, if ever)."""
        return self._pend(prepared, values, lazy=not self.pipelined)

    def write(self, prepared: Prepared, values: dict[str, Any]) -> Pending:
        """A write whose returned rows are wanted, made now (its answer may come later)."""
        return self._pend(prepared, values, lazy=False)

    def run(self, prepared: Prepared, values: dict[str, Any]) -> None:
        """A write whose answer is not read (on psycopg, not even waited for here: an error
        comes at the next synchronisation, at the latest the commit)."""
        cursor = self._connection.cursor()
        cursor.execute(prepared.sql, prepared.parameters(values))
        self._unread.append(cursor)

    def abandon(self) -> None:
        """Nothing of this transaction is kept: it is rolled back instead of committed."""
        self.abandoned = True

    def settle(self) -> None:
        """At the end of the transaction (committed or rolled back): every answer sent for
        is fetched, every cursor closed."""
        for pending in self._pending:
            pending.settle()
        for cursor in self._unread:
            cursor.close()

    def _pend(self, prepared: Prepared, values: dict[str, Any], *, lazy: bool) -> Pending:
        cursor = self._connection.cursor()
        parameters = prepared.parameters(values)

        def fetch() -> list[Any]:
            try:
                return list(cursor.fetchall())
            finally:
                cursor.close()

        def run_and_fetch() -> list[Any]:
            cursor.execute(prepared.sql, parameters)
            return fetch()

        if lazy:
            pending = Pending(prepared, run_and_fetch, sent=False)
        elif self.pipelined:
            cursor.execute(prepared.sql, parameters)  # its answer comes at the next sync
            pending = Pending(prepared, fetch, sent=True)
        else:
            rows = run_and_fetch()
            pending = Pending(prepared, lambda: rows, sent=True)
        self._pending.append(pending)
        return pending


@contextmanager
def transaction(
    engine: Engine,
    now: datetime,
    claimant: str | None,
    *,
    begin: Callable[[Any, dict[str, Any]], None],
) -> Iterator[DriverUnit]:
    """A transaction on a pooled connection: committed when the block ends (rolled back if
    it raises or was abandoned), its answers fetched before the connection goes back. On
    psycopg every statement is pipelined (round trips only where an answer is read, and
    the commit's). The driver's errors come out as SQLAlchemy's (an unreachable or locked
    database is the same transient OperationalError as on the ORM's path); a connection
    that failed is not given back to the pool."""
    dbapi = engine.dialect.dbapi
    try:
        pooled = engine.raw_connection()  # the driver's own error when it cannot connect
    except dbapi.Error as exc:  # type: ignore[union-attr]
        raise _translated(exc, dbapi) from exc
    driver = pooled.driver_connection
    pipelined = engine.dialect.driver == "psycopg"
    try:
        try:
            with driver.pipeline() if pipelined else nullcontext():
                begin(driver, pooled.info)
                unit = DriverUnit(driver, now, claimant, pipelined=pipelined)
                yield unit
                if unit.abandoned:
                    driver.rollback()
                else:
                    driver.commit()
            unit.settle()
        except BaseException:
            _rollback(pooled, driver)
            raise
    except dbapi.Error as exc:  # type: ignore[union-attr]
        raise _translated(exc, dbapi) from exc
    finally:
        pooled.close()


def _translated(exc: Exception, dbapi: Any) -> sa_exc.DBAPIError:
    """SQLAlchemy's class for the driver's error (OperationalError stays transient)."""
    return sa_exc.DBAPIError.instance(None, None, exc, dbapi.Error, hide_parameters=True)


def _rollback(pooled: Any, driver: Any) -> None:
    try:
        driver.rollback()
    except Exception:
        pooled.invalidate()  # broken: closed, and the pool opens a new one
