"""The short figures a supervisor reads in the chat: /stats (last 7 and 30 days) and the
weekly and monthly reports, a few lines each from the published document, plus one chart."""

from __future__ import annotations

from datetime import date
from typing import Any

from babel.dates import format_date

from bot.reports import charts
from bot.reports.content import Words

CHART = "per_day"


def summary_lines(doc: dict[str, Any], lang: str) -> list[str]:
    """A period's figures in four or five lines."""
    w = Words(lang, int(doc["min_cell"]))
    s = doc["total"]
    if s["consultations"] == 0:
        return [w("stats.nothing", days=doc["period"]["days"])]
    accept, officer, f = s["time_to_accept"], s["officer_time"], s["followups"]
    return [
        w("stats.line.count", consultations=w.count(s["consultations"]),
          answered=w.count(s["answered"]), missed=w.share(s["missed"], s["missed_share"])),
        w("stats.line.accept", median=w.duration(accept["median_s"]),
          p90=w.duration(accept["p90_s"])),
        w("stats.line.officer", median=w.duration(officer["median_s"]),
          p90=w.duration(officer["p90_s"]), n=w.count(officer["n"])),
        w("stats.line.escalated", escalated=w.share(s["escalated"], s["escalated_share"])),
        w("stats.line.followups", scheduled=w.count(f["scheduled"]),
          on_time=w.count(f["done_on_time"]), late=w.count(f["done_late"]),
          overdue=w.count(f["overdue"])),
    ]  # fmt: skip


def _day(value: str, lang: str) -> str:
    return format_date(date.fromisoformat(value), "d MMM", locale=lang)


def stats_text(docs: list[dict[str, Any]], lang: str) -> str:
    """/stats: each period's title and lines, then where the whole report is."""
    w = Words(lang, int(docs[0]["min_cell"]))
    parts = []
    for doc in docs:
        p = doc["period"]
        title = w("stats.title", days=p["days"], start=_day(p["from"], lang),
                  end=_day(p["to"], lang))  # fmt: skip
        parts.append("\n".join([title, *summary_lines(doc, lang)]))
    last = docs[-1]["period"]
    parts.append(w("stats.more", start=last["from"], end=last["to"]))
    return "\n\n".join(parts)


def period_report_text(doc: dict[str, Any], kind: str, lang: str) -> str:
    """The weekly or monthly report's message."""
    w = Words(lang, int(doc["min_cell"]))
    p = doc["period"]
    if kind == "monthly":
        month = format_date(date.fromisoformat(p["from"]), "MMMM y", locale=lang)
        title = w("report.monthly_title", month=month)
    else:
        title = w("report.weekly_title", start=_day(p["from"], lang), end=_day(p["to"], lang))
    return "\n".join([title, *summary_lines(doc, lang), "", w("stats.more", start=p["from"],
                                                                end=p["to"])])  # fmt: skip


def chart_png(doc: dict[str, Any], lang: str) -> bytes:
    return charts.png(CHART, doc, lang)
