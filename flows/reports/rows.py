"""One row per consultation of a period for an analyst's file: no free text, no reference,
no subject key, no incident number (only whether one was given); consultations, workers and
subjects appear as pseudonyms that are stable within one period and differ between periods
(a keyed hash with a secret kept in the database). A value of a descriptive column (category,
urgency, outcome, unit, worker) that fewer than min_cell rows share is written "suppressed";
a consultation without an outcome has "not_recorded", as in the summary. This hides rare
values, not small counts: flags and times are given for every row (docs/reports.md)."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, String, cast, func, literal, select

from flows import settings_store
from flows.models import SubjectLink
from flows.reports import facts as f
from flows.reports import repeats
from flows.reports.figures import NOT_RECORDED
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
    "article8_requested",
)
_RARE = ("category", "urgency", "worker", "unit", "outcome")


@dataclass(frozen=True)
class Pseudonyms:
    secret: bytes
    period: Period

    def of(self, kind: str, value: object) -> str:
        return self.namer(kind)(value)

    def namer(self, kind: str) -> Callable[[object], str]:
        """of(kind, ·) for many values: the message's start encoded once, each digest by the
        one-shot `hmac.digest` (a row's two pseudonyms were a quarter of the CSV's time)."""
        secret, start = self.secret, f"{self.period.key}:{kind}:".encode()
        prefix = kind[0].upper() + "-"

        def name(value: object) -> str:
            return prefix + hmac.digest(secret, start + str(value).encode(), "sha256").hex()[:10]

        return name


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
    source: Any = f.FACTS
    if subject is not None:
        source = source.outerjoin(subject, subject.c.cid == c.consultation_id)
    subject_id = subject.c.s if subject is not None else literal(None)
    # no outcome: the summary's "not_recorded", a value hidden when rare like the others
    columns = [
        c.consultation_id, c.local_date, c.local_hour, c.weekday, c.category, c.urgency,
        c.worker_id, c.unit, subject_id, c.accept_s, c.officer_s, c.escalated, c.fallback,
        c.missed, func.coalesce(c.outcome, NOT_RECORDED), c.incident, c.closed, c.article8,
    ]  # fmt: skip
    rare = {  # outcome too, as the module says (it was left out of the rare values before)
        name: _rare(conn, source, col, k)
        for name, col in zip(COLUMNS, columns, strict=True)
        if name in _RARE
    }
    record, worker, person = names.namer("record"), names.namer("worker"), names.namer("subject")
    few_categories, few_urgencies = rare["category"], rare["urgency"]
    few_workers, few_units, few_outcomes = rare["worker"], rare["unit"], rare["outcome"]
    query = select(*columns).select_from(source).order_by(c.bucket, c.consultation_id)
    for row in conn.execute(query):
        (cid, day, hour, weekday, category, urgency, worker_id, unit, subject_key, accept_s,
         officer_s, escalated, fallback, missed, outcome, incident, closed,
         article8) = row  # fmt: skip
        yield {
            "consultation": record(cid),
            "local_date": day,
            "local_hour": hour,
            "weekday": weekday,
            "category": SUPPRESSED if category in few_categories else category,
            "urgency": SUPPRESSED if urgency in few_urgencies else urgency,
            "worker": SUPPRESSED
            if worker_id in few_workers
            else ("" if worker_id is None else worker(worker_id)),
            "unit": SUPPRESSED if unit in few_units else ("" if unit is None else unit),
            "subject": "" if subject_key is None else person(subject_key),
            "time_to_accept_s": "" if accept_s is None else round(float(accept_s), 1),
            "officer_time_s": "" if officer_s is None else round(float(officer_s), 1),
            "escalated": escalated,
            "fallback": fallback,
            "missed": missed,
            "outcome": SUPPRESSED if outcome in few_outcomes else outcome,
            "incident_number_given": incident,
            "closed": closed,
            "article8_requested": article8,
        }


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
