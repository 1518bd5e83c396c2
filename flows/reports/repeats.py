"""Repeat consultations about the same person, from the event log, once subjects are recorded.

Subjects (a keyed hash of a minimal identifier) come from the recurring-cases work. Until the
vocabulary has its event, `figures` returns None and every report says "not available".
To turn the figures on, that work records one event per consultation linked to a subject,
of kind SUBJECT_EVENT with the subject's keyed hash under data[SUBJECT_KEY]; if its names
differ, change the two constants below: nothing else is needed."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, String, case, cast, func, select

from flows.models import Event
from flows.reports import facts as f
from flows.vocabulary import EventKind

SUBJECT_EVENT = "subject_linked"
SUBJECT_KEY = "subject"
BANDS = ("1", "2", "3", "4+")  # consultations per subject in the period


@dataclass(frozen=True)
class Repeats:
    subjects: int  # distinct subjects among the period's consultations
    repeat_subjects: int  # subjects with two consultations or more
    repeat_consultations: int  # consultations after a subject's first one
    linked_consultations: int  # consultations linked to a subject at all
    per_subject: dict[str, int]  # BANDS -> subjects


def available() -> bool:
    return SUBJECT_EVENT in {k.value for k in EventKind}


def figures(conn: Connection) -> Repeats | None:
    """None while the event log cannot say who a consultation was about."""
    if not available():
        return None
    e = Event.__table__.c
    subject = e.data[SUBJECT_KEY].as_string()
    per = (
        select(subject.label("s"), func.count(func.distinct(e.consultation_id)).label("n"))
        .where(
            e.kind == EventKind(SUBJECT_EVENT),
            e.consultation_id.in_(select(f.FACTS.c.consultation_id).scalar_subquery()),
            subject.is_not(None),
        )
        .group_by(subject)
        .subquery()
    )
    band = case((per.c.n >= 4, "4+"), else_=cast(per.c.n, String)).label("b")
    bands = dict.fromkeys(BANDS, 0)
    subjects = repeat_subjects = repeat_consultations = linked = 0
    for b, count, total in conn.execute(
        select(band, func.count(), func.sum(per.c.n)).group_by(band)
    ).all():
        bands[str(b)] = int(count)
        subjects += int(count)
        linked += int(total)
        if str(b) != "1":
            repeat_subjects += int(count)
            repeat_consultations += int(total) - int(count)
    return Repeats(subjects, repeat_subjects, repeat_consultations, linked, bands)
