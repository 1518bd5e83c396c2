"""A report as it may leave the service: the figures with small cells suppressed, as one JSON
document (the shape docs/report.schema.json describes). Markdown, HTML, PDF, /stats and the
weekly report all render this document, so suppression is applied once, the same for all."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flows.reports import suppression as sup
from flows.reports.figures import ACCEPT_BINS, FOLLOWUP_STATES, Report, Spread, Summary
from flows.reports.repeats import Repeats

SCHEMA = "relais-report/1"


def document(report: Report, min_cell: int = sup.DEFAULT_MIN_CELL) -> dict[str, Any]:
    k = min_cell
    p = report.period
    total = _summary(report.total, k, report)
    return {
        "schema": SCHEMA,
        "period": {
            "from": p.start.isoformat(),
            "to": p.end.isoformat(),
            "time_zone": p.zone.key,
            "days": p.days,
        },
        "generated_at": report.generated_at.isoformat(),
        "min_cell": k,
        "by": report.by.value if report.by else None,
        "followup_grace_hours": report.grace_hours,
        "total": total,
        "groups": [_summary(g, k, report) for g in report.groups],
        "load": {
            "by_hour": sup.series(report.load_by_hour, k),
            "by_weekday": sup.series(report.load_by_weekday, k),
        },
        "per_week": [
            {
                "week": week,
                "by_category": sup.counts(cats, k),
                "total": sup.cell(sum(cats.values()), k),
            }
            for week, cats in sorted(report.per_week.items())
        ],
        "per_day": _days(report, k),
        "time_to_accept_histogram": [
            {"upper_s": upper, "count": n}
            for upper, n in zip(
                [*ACCEPT_BINS, None], sup.series(report.accept_histogram, k), strict=True
            )
        ],
        "referrals": [
            {"resource": r, "category": c, "count": sup.cell(n, k)} for r, c, n in report.referrals
        ],
        "repeats_available": report.repeats is not None,
        "repeats": _repeats(report.repeats, k),
    }


def _days(report: Report, k: int) -> list[dict[str, Any]]:
    """Every local date of the period, with its consultations (small counts hidden)."""
    p, found = report.period, report.per_day
    days = [(p.start + timedelta(days=i)).isoformat() for i in range(p.days)]
    shown = sup.series([found.get(d, 0) for d in days], k)
    return [{"date": d, "count": n} for d, n in zip(days, shown, strict=True)]


def _spread(s: Spread, k: int) -> dict[str, Any]:
    hidden = s.n < k
    return {
        "n": sup.cell(s.n, k),
        "median_s": None if hidden else s.median_s,
        "p90_s": None if hidden else s.p90_s,
    }


def _summary(s: Summary, k: int, report: Report) -> dict[str, Any]:
    n = sup.cell(s.consultations, k)
    escalated, missed = sup.cell(s.escalated, k), sup.cell(s.missed, k)
    followups = {state: s.followups.get(state, 0) for state in FOLLOWUP_STATES}
    shown_followups = sup.counts({x: followups[x] for x in FOLLOWUP_STATES[1:]}, k)
    return {
        "key": s.key,
        "name": report.group_names.get(s.key, s.key) if s.key is not None else None,
        "consultations": n,
        "answered": sup.cell(s.answered, k),
        "escalated": escalated,
        "escalated_share": sup.share(escalated, n),
        "fallback": sup.cell(s.fallback, k),
        "missed": missed,
        "missed_share": sup.share(missed, n),
        "incident_numbers": sup.cell(s.incident_numbers, k),
        "closed": sup.cell(s.closed, k),
        "article8_requests": sup.cell(s.article8_requests, k),
        "time_to_accept": _spread(s.accept, k),
        "officer_time": _spread(s.officer, k),
        "outcomes": sup.counts(s.outcomes, k),
        "followups": {"scheduled": sup.cell(followups["scheduled"], k), **shown_followups},
    }


def _repeats(r: Repeats | None, k: int) -> dict[str, Any] | None:
    if r is None:
        return None
    return {
        "subjects": sup.cell(r.subjects, k),
        "repeat_subjects": sup.cell(r.repeat_subjects, k),
        "repeat_consultations": sup.cell(r.repeat_consultations, k),
        "linked_consultations": sup.cell(r.linked_consultations, k),
        "per_subject": sup.counts(r.per_subject, k),
    }
