"""The charts a manager would rather look at than read, drawn with matplotlib (the Agg canvas:
no display; the Figure API, not pyplot, so no global state and charts may be drawn in several
threads) as PNG bytes from the published document: consultations per day, per week by
category, the time-to-accept distribution, outcomes, load by hour. Suppressed cells are not
drawn."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.render import label
from bot.reports.content import Words, _outcome_order, bin_labels

Chart = Callable[[dict[str, Any], Words], Figure]
COLOURS = ("#1f5f8b", "#e07a1f", "#3a9a5b", "#c23b3b", "#7a5fb0", "#8c6d46", "#d46fb0",
           "#6f6f6f", "#9fae2b")  # fmt: skip


def _n(value: int | None) -> int:
    return 0 if value is None else int(value)


def _figure(title: str, w: Words, size: tuple[float, float] = (8, 3.6)) -> tuple[Figure, Any]:
    fig = Figure(figsize=size, dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.set_title(title, fontsize=12, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    fig.text(
        0.99,
        0.99,
        w("report.chart.suppressed", k=w.k),
        ha="right",
        va="top",
        fontsize=7,
        color="#666",
    )
    return fig, ax


def per_week(doc: dict[str, Any], w: Words) -> Figure:
    weeks = doc["per_week"]
    categories = sorted({c for week in weeks for c in week["by_category"]})
    fig, ax = _figure(w("report.chart.per_week"), w)
    bottom = [0] * len(weeks)
    x = list(range(len(weeks)))
    for i, category in enumerate(categories):
        values = [_n(week["by_category"].get(category)) for week in weeks]
        ax.bar(x, values, bottom=bottom, color=COLOURS[i % len(COLOURS)],
               label=label(w.lang, "category", category), width=0.8)  # fmt: skip
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    step = max(1, len(weeks) // 12)
    ax.set_xticks(x[::step], [week["week"][5:] for week in weeks][::step], fontsize=8)
    if categories:
        ax.legend(fontsize=7, frameon=False, ncols=3, loc="upper left")
    return fig


def accept(doc: dict[str, Any], w: Words) -> Figure:
    bins = doc["time_to_accept_histogram"]
    fig, ax = _figure(w("report.chart.accept"), w)
    names = bin_labels(doc, w)
    ax.bar(range(len(bins)), [_n(b["count"]) for b in bins], color=COLOURS[0])
    ax.set_xticks(range(len(bins)), names, fontsize=8, rotation=20)
    return fig


def outcomes(doc: dict[str, Any], w: Words) -> Figure:
    found = doc["total"]["outcomes"]
    order = _outcome_order(found)
    fig, ax = _figure(w("report.chart.outcomes"), w)
    ax.barh(range(len(order)), [_n(found[o]) for o in order], color=COLOURS[2])
    ax.set_yticks(range(len(order)), [w.outcome(o) for o in order], fontsize=8)
    ax.invert_yaxis()
    return fig


def load_hour(doc: dict[str, Any], w: Words) -> Figure:
    hours = doc["load"]["by_hour"]
    fig, ax = _figure(w("report.chart.load_hour"), w)
    ax.bar(range(24), [_n(h) for h in hours], color=COLOURS[1])
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}h" for h in range(0, 24, 2)], fontsize=8)
    return fig


def per_day(doc: dict[str, Any], w: Words) -> Figure:
    days = doc["per_day"]
    fig, ax = _figure(w("report.chart.per_day"), w, size=(8, 3.2))
    ax.bar(range(len(days)), [_n(d["count"]) for d in days], color=COLOURS[0])
    step = max(1, len(days) // 10)
    ax.set_xticks(range(0, len(days), step), [d["date"][5:] for d in days][::step], fontsize=8)
    return fig


CHARTS: dict[str, Chart] = {
    "per_day": per_day,
    "per_week": per_week,
    "accept": accept,
    "outcomes": outcomes,
    "load_hour": load_hour,
}


def png(name: str, doc: dict[str, Any], lang: str) -> bytes:
    """One chart as PNG bytes."""
    fig = CHARTS[name](doc, Words(lang, int(doc["min_cell"])))
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()
