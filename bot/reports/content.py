"""The report's sections (a title, a table, a note) from the published document, in one
language: Markdown, HTML and PDF lay out the same sections, so they always agree."""

from __future__ import annotations

from copy import copy
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from babel import Locale
from babel.dates import get_day_names
from babel.numbers import NumberPattern, format_decimal

from bot.i18n import t
from bot.render import label
from flows.reports.figures import FOLLOWUP_STATES, NOT_RECORDED
from flows.reports.repeats import BANDS
from flows.vocabulary import Outcome


@dataclass(frozen=True)
class Section:
    title: str
    headers: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)
    chart: str | None = None  # which chart of bot/reports/charts.py belongs here


class Words:
    """Formatting in one language, with the document's minimum cell size."""

    def __init__(self, lang: str, min_cell: int) -> None:
        self.lang, self.k = lang, min_cell

    def __call__(self, key: str, **values: Any) -> str:
        return t(self.lang, key, **values)

    def plural(self, key: str, n: int, /, **values: Any) -> str:
        """key.one or key.other, by the language's CLDR plural rule (Babel): "1 day", "2 days";
        in French 0 and 1 are singular. French's "many" (millions) takes the other form."""
        form = "one" if _locale(self.lang).plural_form(n) == "one" else "other"
        return self(f"{key}.{form}", **values)

    def count(self, n: int | None) -> str:
        """A count in the language's digits ("12 345", "12,345"), or "<k" when hidden."""
        if n is None:
            return self("report.less_than", k=self.k)
        return format_decimal(n, locale=self.lang)

    def suppressed_note(self) -> str:
        """What is hidden at this minimum cell size, worded for it: with 1 nothing is ("from 1
        to 0" said otherwise), with 2 only counts of 1 are ("from 1 to 1")."""
        if self.k <= 1:
            return self("report.suppressed_note.off", k=self.k)
        if self.k == 2:
            return self("report.suppressed_note.one", k=self.k)
        return self("report.suppressed_note", k=self.k, below=self.k - 1)

    def chart_note(self) -> str:
        """A chart's word on its undrawn cells; none when nothing is hidden (min cell 1)."""
        return self("report.chart.suppressed", k=self.k) if self.k > 1 else ""

    def share(self, n: int | None, share: float | None) -> str:
        if n is None or share is None:
            return self.count(n)
        percent = _percent(self.lang).apply(share, _locale(self.lang))
        return self("report.share", count=self.count(n), share=percent)

    def duration(self, seconds: float | None) -> str:
        if seconds is None:
            return self("report.none")
        s = round(seconds)
        if s >= 3600:
            return self("report.duration.h", h=s // 3600, m=(s % 3600) // 60)
        if s >= 60 and s % 60 == 0:
            return self("report.duration.min", m=s // 60)
        if s >= 60:
            return self("report.duration.m", m=s // 60, s=s % 60)
        return self("report.duration.s", s=s)

    def spread(self, spread: dict[str, Any]) -> str:
        """Median / p90, each "—" when there is none or it is hidden (fewer than k values),
        as /stats writes it: "<5" there read as "under 5 seconds"."""
        return f"{self.duration(spread['median_s'])} / {self.duration(spread['p90_s'])}"

    def outcome(self, value: str) -> str:
        if value == NOT_RECORDED:
            return self("report.outcome.not_recorded")
        return label(self.lang, "outcome", value)

    def group(self, by: str | None, key: str | None, name: str | None) -> str:
        if key is None:
            return self("report.group.none")
        if by in ("category", "urgency"):
            return label(self.lang, by, key)
        return name or key

    def weekday(self, index: int) -> str:
        return str(get_day_names("wide", locale=self.lang)[index]).capitalize()


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


@cache
def _percent(lang: str) -> NumberPattern:
    """The language's percent format ("12,3 %", "12.3%") with one decimal, as before."""
    pattern = copy(_locale(lang).percent_formats[None])
    pattern.frac_prec = (1, 1)
    return pattern


def sections(doc: dict[str, Any], lang: str) -> list[Section]:
    w = Words(lang, int(doc["min_cell"]))
    found = [_summary(doc, w), _outcomes(doc, w), _followups(doc, w)]
    if doc["by"]:
        found.append(_groups(doc, w))
    found += [_weekly(doc, w), _accept(doc, w), _load(doc, w), _referrals(doc, w), _repeats(doc, w)]
    return found


def heading(doc: dict[str, Any], lang: str) -> tuple[str, str, str]:
    """The title, the period line and the suppression note."""
    w = Words(lang, int(doc["min_cell"]))
    p = doc["period"]
    return (
        w("report.title"),
        w(
            "report.period", start=p["from"], end=p["to"], zone=p["time_zone"],
            days=w.plural("report.days", p["days"], n=p["days"]),
            generated=doc["generated_at"][:16].replace("T", " ") + " UTC",
        ),
        w.suppressed_note(),
    )  # fmt: skip


def _headline_rows(s: dict[str, Any], w: Words) -> list[list[str]]:
    return [
        [w("report.consultations"), w.count(s["consultations"])],
        [w("report.answered"), w.count(s["answered"])],
        [w("report.time_to_accept"), w.spread(s["time_to_accept"])],
        [w("report.officer_time"), w.spread(s["officer_time"])],
        [w("report.officer_time_n"), w.count(s["officer_time"]["n"])],
        [w("report.escalated"), w.share(s["escalated"], s["escalated_share"])],
        [w("report.fallback"), w.count(s["fallback"])],
        [w("report.missed"), w.share(s["missed"], s["missed_share"])],
        [w("report.incident_numbers"), w.count(s["incident_numbers"])],
        [w("report.article8_requests"), w.count(s["article8_requests"])],
    ]


def _summary(doc: dict[str, Any], w: Words) -> Section:
    return Section(
        w("report.section.summary"),
        [w("report.figure"), w("report.value")],
        _headline_rows(doc["total"], w),
    )


def _outcome_order(outcomes: dict[str, Any]) -> list[str]:
    known = [o.value for o in Outcome if o.value in outcomes]
    return known + [o for o in outcomes if o not in known]


def _outcomes(doc: dict[str, Any], w: Words) -> Section:
    outcomes = doc["total"]["outcomes"]
    return Section(
        w("report.section.outcomes"),
        [w("report.outcome"), w("report.count")],
        [[w.outcome(o), w.count(outcomes[o])] for o in _outcome_order(outcomes)],
        [w("report.article8")],
        chart="outcomes",
    )


def _followups(doc: dict[str, Any], w: Words) -> Section:
    f = doc["total"]["followups"]
    hours = doc["followup_grace_hours"]
    return Section(
        w("report.section.followups"),
        [w("report.figure"), w("report.count")],
        [[w(f"report.followups.{s}", hours=hours), w.count(f[s])] for s in FOLLOWUP_STATES],
    )


def _groups(doc: dict[str, Any], w: Words) -> Section:
    by = doc["by"]
    headers = [w(f"report.by.{by}").capitalize()] + [
        w(key)
        for key in (
            "report.consultations", "report.time_to_accept", "report.officer_time",
            "report.escalated", "report.missed",
        )
    ]  # fmt: skip
    rows = [
        [
            w.group(by, g["key"], g["name"]),
            w.count(g["consultations"]),
            w.spread(g["time_to_accept"]),
            w.spread(g["officer_time"]),
            w.share(g["escalated"], g["escalated_share"]),
            w.share(g["missed"], g["missed_share"]),
        ]
        for g in doc["groups"]
    ]
    return Section(w("report.section.groups", by=w(f"report.by.{by}")), headers, rows)


def _weekly(doc: dict[str, Any], w: Words) -> Section:
    categories = sorted({c for week in doc["per_week"] for c in week["by_category"]})
    headers = [w("report.week"), *(label(w.lang, "category", c) for c in categories)]
    rows = [
        [
            week["week"],
            *(w.count(week["by_category"].get(c, 0)) for c in categories),
            w.count(week["total"]),
        ]
        for week in doc["per_week"]
    ]
    return Section(
        w("report.section.weekly"), [*headers, w("report.total")], rows, chart="per_week"
    )


def bin_labels(doc: dict[str, Any], w: Words) -> list[str]:
    bins = doc["time_to_accept_histogram"]
    labels, previous = [], None
    for b in bins:
        upper = b["upper_s"]
        if upper is None:
            labels.append(w("report.bin.over", limit=w.duration(previous)))
        elif previous is None:
            labels.append(w("report.bin.under", limit=w.duration(upper)))
        else:  # each bar is its own span: "1 to 3 min", not "under 3 min"
            labels.append(
                w("report.bin.between", low=w.duration(previous), high=w.duration(upper))
            )
        previous = upper
    return labels


def _accept(doc: dict[str, Any], w: Words) -> Section:
    bins = doc["time_to_accept_histogram"]
    return Section(
        w("report.section.accept"),
        [w("report.bin"), w("report.count")],
        [[name, w.count(b["count"])] for name, b in zip(bin_labels(doc, w), bins, strict=True)],
        chart="accept",
    )


def _load(doc: dict[str, Any], w: Words) -> Section:
    hours, days = doc["load"]["by_hour"], doc["load"]["by_weekday"]
    rows = [[f"{h:02d}:00", w.count(hours[h]), w.weekday(h) if h < 7 else "",
             w.count(days[h]) if h < 7 else ""] for h in range(24)]  # fmt: skip
    headers = [w("report.hour"), w("report.count"), w("report.weekday"), w("report.count")]
    return Section(w("report.section.load"), headers, rows, chart="load_hour")


def _referrals(doc: dict[str, Any], w: Words) -> Section:
    rows = [
        [r["resource"], label(w.lang, "category", r["category"]), w.count(r["count"])]
        for r in doc["referrals"]
    ]
    notes = [] if rows else [w("report.referrals.none")]
    headers = [w("report.resource"), w("report.category"), w("report.count")]
    return Section(w("report.section.referrals"), headers, rows, notes)


def _repeats(doc: dict[str, Any], w: Words) -> Section:
    title = w("report.section.repeats")
    r = doc["repeats"]
    if r is None:
        return Section(title, [], [], [w("report.repeats.not_available")])
    rows = [
        [w("report.repeats.subjects"), w.count(r["subjects"])],
        [w("report.repeats.repeat_subjects"), w.count(r["repeat_subjects"])],
        [w("report.repeats.repeat_consultations"), w.count(r["repeat_consultations"])],
    ] + [[_band(w, b), w.count(r["per_subject"][b])] for b in BANDS]
    return Section(title, [w("report.figure"), w("report.count")], rows)


def _band(w: Words, band: str) -> str:
    """"People with 1 consultation", "… 4+ consultations": the band's number sets the form."""
    return w.plural("report.repeats.band", int(band.rstrip("+")), band=band)
