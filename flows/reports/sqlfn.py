"""The few SQL expressions that differ between SQLite and PostgreSQL, compiled per dialect so
every report query stays one SQLAlchemy Core statement for both."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement


class seconds_between(FunctionElement[float]):
    """later - earlier in seconds, as a float."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (  # julianday's float days: rounded to the millisecond, so 60 s stays 60 s
        f"round((julianday({compiler.process(later, **kw)}) - "
        f"julianday({compiler.process(earlier, **kw)})) * 86400.0, 3)"
    )


@compiles(seconds_between, "postgresql")
def _seconds_postgres(element: seconds_between, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (
        f"EXTRACT(EPOCH FROM ({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)}))"
    )


class utc_hour(FunctionElement[str]):
    """A UTC time's hour as 'YYYY-MM-DD HH': the bucket the local calendar is joined on."""

    type = String()
    inherit_cache = True
    name = "utc_hour"


@compiles(utc_hour, "sqlite")
def _hour_sqlite(element: utc_hour, compiler: Any, **kw: Any) -> str:
    (at,) = list(element.clauses)
    return f"strftime('%Y-%m-%d %H', {compiler.process(at, **kw)})"


@compiles(utc_hour, "postgresql")
def _hour_postgres(element: utc_hour, compiler: Any, **kw: Any) -> str:
    (at,) = list(element.clauses)
    return f"to_char({compiler.process(at, **kw)} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24')"


def hour_key(moment: Any) -> str:
    """The same bucket computed in Python, for the calendar table."""
    return moment.strftime("%Y-%m-%d %H")


__all__ = ["ColumnElement", "hour_key", "seconds_between", "utc_hour"]


class unindexed(FunctionElement[Any]):
    """A column SQLite's planner must not pick an index for (SQLite's documented unary `+`):
    the facts' one pass filters events by kind, but must reach them by consultation."""

    inherit_cache = True
    name = "unindexed"

    def __init__(self, column: Any) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(unindexed)
def _unindexed(element: unindexed, compiler: Any, **kw: Any) -> str:
    (column,) = list(element.clauses)
    return compiler.process(column, **kw)


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: unindexed, compiler: Any, **kw: Any) -> str:
    (column,) = list(element.clauses)
    return f"+{compiler.process(column, **kw)}"
