"""One row per consultation of a period for an analyst's file: no free text, no reference,
no subject key, no incident number (only whether one was given); consultations, workers and
subjects appear as pseudonyms that are stable within one period and differ between periods
(a keyed hash with a secret kept in the database). A value of a descriptive column (category,
urgency, outcome, unit, worker) that fewer than min_cell rows share is written "suppressed"."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, String, cast, func, select

from flows import settings_store
from flows.models import SubjectLink
from flows.reports import facts as f
from flows.reports import repeats
from flows.reports.period import Period
from flows.reports.suppression import DEFAULT_MIN_CELL
from flows.store import Database

SECRET_KEY = "report_pseudonym_secret"
SUPPRESSED = "suppressed"
COLUMNS = (
    "consultation",
    "local_date",
    "local_hour",
    "weekday",
    "category",
    "urgency",
    "worker",
    "unit",
    "subject",
    "time_to_accept_s",
    "officer_time_s",
    "escalated",
    "fallback",
    "missed",
    "outcome",
    "incident_number_given",
    "closed",
)
_RARE = ("category", "urgency", "worker", "unit", "outcome")


@dataclass(frozen=True)
class Pseudonyms:
    secret: bytes
    period: Period

    def of(self, kind: str, value: object) -> str:
        message = f"{self.period.key}:{kind}:{value}".encode()
        return (
            kind[0].upper() + "-" + hmac.new(self.secret, message, hashlib.sha256).hexdigest()[:10]
        )


def pseudonyms(db: Database, period: Period) -> Pseudonyms:
    """The database's pseudonym secret (made once, on the first export)."""
    secret = settings_store.get(db, SECRET_KEY)
    if secret is None:
        settings_store.put(db, SECRET_KEY, secrets.token_hex(32))
        secret = settings_store.get(db, SECRET_KEY)
    assert secret is not None
    return Pseudonyms(bytes.fromhex(secret), period)


def consultation_rows(
    db: Database, period: Period, min_cell: int = DEFAULT_MIN_CELL
) -> Iterator[dict[str, Any]]:
    """The rows, in order of sending; computed in one read-only transaction."""
    names = pseudonyms(db, period)
    with f.reading(db) as conn:
        f.build(conn, period)
        try:
            rows = list(_rows(conn, names, min_cell))
        finally:
            f.drop(conn)
    yield from rows


def _rows(conn: Connection, names: Pseudonyms, k: int) -> Iterator[dict[str, Any]]:
    c = f.FACTS.c
    subject = _subjects()
    columns = [
        c.consultation_id,
        c.local_date,
        c.local_hour,
        c.weekday,
        c.category,
        c.urgency,
        c.worker_id,
        c.unit,
        subject.c.s if subject is not None else None,
        c.accept_s,
        c.officer_s,
        c.escalated,
        c.fallback,
        c.missed,
        c.outcome,
        c.incident,
        c.closed,
    ]
    source: Any = f.FACTS
    if subject is not None:
        source = source.outerjoin(subject, subject.c.cid == c.consultation_id)
    present = [col for col in columns if col is not None]
    rare = {
        name: _rare(conn, source, col, k)
        for name, col in zip(COLUMNS[4:9], columns[4:9], strict=True)
        if name in _RARE
    }
    for values in conn.execute(
        select(*present).select_from(source).order_by(c.bucket, c.consultation_id)
    ):
        row = dict(
            zip(
                [n for n, col in zip(COLUMNS, columns, strict=True) if col is not None],
                values,
                strict=True,
            )
        )
        yield _published(row, names, rare)


def _published(row: dict[str, Any], names: Pseudonyms, rare: dict[str, set[Any]]) -> dict[str, Any]:
    out: dict[str, Any] = dict.fromkeys(COLUMNS, "")
    out.update(row)
    for name, values in rare.items():
        if row.get(name) in values:
            out[name] = SUPPRESSED
    out["consultation"] = names.of("record", row["consultation"])
    if out["worker"] not in ("", None, SUPPRESSED):
        out["worker"] = names.of("worker", row["worker"])
    if out["subject"] not in ("", None):
        out["subject"] = names.of("subject", row["subject"])
    for name in ("time_to_accept_s", "officer_time_s"):
        out[name] = "" if out[name] is None else round(float(out[name]), 1)
    for name in ("worker", "unit", "outcome"):
        out[name] = "" if out[name] is None else out[name]
    return out


def _rare(conn: Connection, source: Any, column: Any, k: int) -> set[Any]:
    """The values of a column fewer than k rows share (NULL is no value: never hidden)."""
    return {
        value
        for value, n in conn.execute(
            select(column, func.count()).select_from(source).group_by(column)
        ).all()
        if value is not None and n < k
    }


def _subjects() -> Any:
    if not repeats.available():
        return None
    link = SubjectLink.__table__.c
    return select(
        link.consultation_id.label("cid"), cast(link.subject_id, String).label("s")
    ).subquery()
