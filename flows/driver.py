"""A few statements run straight on the database driver, for the one transaction that runs
for every line of every conversation (flows/lane.py). SQLAlchemy still writes their SQL
and converts every value, both ways, exactly as it does for the ORM (each statement is
compiled once for the engine's dialect, with its types' own converters); what is skipped is
the session and the per-execution machinery around the driver's call, which costs ten
times the database's own work for such statements (bench/relay_use_case.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
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

    def row(self, raw: Sequence[Any] | None) -> tuple[Any, ...] | None:
        return None if raw is None else self.converted(raw)

    def converted(self, raw: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(
            out(value) if out is not None and value is not None else value
            for out, value in zip(self._out, raw, strict=True)
        )


class DriverUnit:
    """One transaction on the driver's connection; its notices are collected like a Unit's."""

    def __init__(self, cursor: Any, now: datetime, claimant: str | None) -> None:
        self._cursor = cursor
        self.now = now
        self.claimant = claimant

    def one(self, prepared: Prepared, values: dict[str, Any]) -> tuple[Any, ...] | None:
        """Run it; its first row, converted (None when there is none)."""
        self._cursor.execute(prepared.sql, prepared.parameters(values))
        return prepared.row(self._cursor.fetchone())

    def all(self, prepared: Prepared, values: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Run it; every row, converted."""
        self._cursor.execute(prepared.sql, prepared.parameters(values))
        return [prepared.converted(raw) for raw in self._cursor.fetchall()]

    def run(self, prepared: Prepared, values: dict[str, Any]) -> None:
        self._cursor.execute(prepared.sql, prepared.parameters(values))


@contextmanager
def transaction(engine: Engine, *, begin: Callable[[Any, dict[str, Any]], None]) -> Iterator[Any]:
    """A cursor in a transaction on a pooled connection: committed when the block ends,
    rolled back if it raises. The driver's errors come out as SQLAlchemy's (an unreachable
    or locked database is the same transient OperationalError as on the ORM's path); a
    connection that failed is not given back to the pool."""
    dbapi = engine.dialect.dbapi
    try:
        pooled = engine.raw_connection()  # the driver's own error when it cannot connect
    except dbapi.Error as exc:  # type: ignore[union-attr]
        raise _translated(exc, dbapi) from exc
    driver = pooled.driver_connection
    try:
        try:
            begin(driver, pooled.info)
            cursor = driver.cursor()
            try:
                yield cursor
            finally:
                cursor.close()
            driver.commit()
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
