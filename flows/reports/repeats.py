"""Repeat consultations about the same person: which consultation was about whom is the
link the recurring-cases work keeps (`subject_links`: a consultation, the subject known only
by its keyed hash). An erased subject has no link any more, so it leaves these figures too;
a consultation without a key counts as not linked."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, String, case, cast, func, select

from flows.models import SubjectLink
from flows.reports import facts as f

BANDS = ("1", "2", "3", "4+")  # consultations per subject in the period


@dataclass(frozen=True)
class Repeats:
    subjects: int  # distinct subjects among the period's consultations
    repeat_subjects: int  # subjects with two consultations or more
    repeat_consultations: int  # consultations after a subject's first one
    linked_consultations: int  # consultations linked to a subject at all
    per_subject: dict[str, int]  # BANDS -> subjects


def available() -> bool:
    """Subjects are recorded (the recurring-cases work is in)."""
    return True


def figures(conn: Connection) -> Repeats | None:
    """None while the event log cannot say who a consultation was about."""
    if not available():
        return None
    link = SubjectLink.__table__.c
    per = (
        select(
            link.subject_id.label("s"),
            func.count(func.distinct(link.consultation_id)).label("n"),
        )
        .where(link.consultation_id.in_(select(f.FACTS.c.consultation_id).scalar_subquery()))
        .group_by(link.subject_id)
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
