"""The charts a manager would rather look at than read, drawn with matplotlib as PNG bytes
from the published document: consultations per day, per week by category, the
time-to-accept distribution, outcomes, load by hour. Suppressed cells are not drawn.

matplotlib is imported on the first chart, not with this module (its import is about a
second on this machine, and md, csv and json never draw); only the Agg canvas and the Figure
API, not pyplot, so there is no global state and charts may be drawn in several threads.
Margins are fixed rather than computed by a layout engine, and stacked weeks are one filled
step outline per category rather than a rectangle per week and category: the layout engine
and 470 bar patches were most of a report's drawing time."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.render import label
from bot.reports.content import Words, _outcome_order, bin_labels

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

Chart = Callable[[dict[str, Any], Words], "Figure"]
COLOURS = ("#1f5f8b", "#e07a1f", "#3a9a5b", "#c23b3b", "#7a5fb0", "#8c6d46", "#d46fb0",
           "#6f6f6f", "#9fae2b")  # fmt: skip
# Fixed margins (fractions of the figure), room for the title above and tick labels below.
MARGINS = {"left": 0.08, "right": 0.98, "top": 0.86, "bottom": 0.14}


def _n(value: int | None) -> int:
    return 0 if value is None else int(value)


def _figure(
    title: str,
    w: Words,
    size: tuple[float, float] = (8, 3.6),
    grid: str = "y",
    **margins: float,
) -> tuple[Figure, Axes]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=100)
    FigureCanvasAgg(fig)
    fig.subplots_adjust(**{**MARGINS, **margins})
    ax = fig.subplots()
    fig.text(0.01, 0.97, title, ha="left", va="top", fontsize=12)
    ax.spines[["top", "right"]].set_visible(False)
    from matplotlib.ticker import MaxNLocator

    counts = MaxNLocator(integer=True, steps=[1, 2, 5, 10])  # 0, 1000, 2000: not 800, 1600
    (ax.xaxis if grid == "x" else ax.yaxis).set_major_locator(counts)
    ax.grid(axis=grid, color="#e3e7ea", linewidth=0.8)
    ax.set_axisbelow(True)
    fig.text(
        0.99,
        0.97,
        w.chart_note(),
        ha="right",
        va="top",
        fontsize=7,
        color="#666",
    )
    return fig, ax


def _counts(ax: Axes, w: Words, drawn: int, axis: str = "y") -> None:
    """Counts start at zero; a chart whose every cell is suppressed says so in its middle
    rather than showing an empty frame around zero."""
    (ax.set_xlim if axis == "x" else ax.set_ylim)(0, None if drawn else 1)
    if not drawn:
        (ax.xaxis if axis == "x" else ax.yaxis).set_ticks([])
        ax.text(0.5, 0.5, w.chart_note(), transform=ax.transAxes,
                ha="center", va="center", fontsize=10, color="#666")  # fmt: skip


def per_week(doc: dict[str, Any], w: Words) -> Figure:
    """Stacked weekly counts by category, one filled step band per category, the legend to
    the right of the plot (inside it hid the first weeks)."""
    weeks = doc["per_week"]
    categories = sorted({c for week in weeks for c in week["by_category"]})
    fig, ax = _figure(w("report.chart.per_week"), w, right=0.77)
    bottom = [0] * len(weeks)
    edges = [i - 0.5 for i in range(len(weeks) + 1)]
    for i, category in enumerate(categories):
        values = [_n(week["by_category"].get(category)) for week in weeks]
        top = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.stairs(top, edges, baseline=bottom, fill=True, color=COLOURS[i % len(COLOURS)],
                  label=label(w.lang, "category", category))  # fmt: skip
        bottom = top
    step = max(1, len(weeks) // 12)
    x = list(range(len(weeks)))
    ax.set_xticks(x[::step], [week["week"][5:] for week in weeks][::step], fontsize=8)
    ax.set_xlim(-0.5, max(len(weeks) - 0.5, 0.5))
    if categories:
        handles, names = ax.get_legend_handles_labels()
        ax.legend(handles[::-1], names[::-1], fontsize=8, frameon=False,
                  loc="upper left", bbox_to_anchor=(1.01, 1.0))  # fmt: skip
    _counts(ax, w, sum(bottom))
    return fig


def accept(doc: dict[str, Any], w: Words) -> Figure:
    bins = doc["time_to_accept_histogram"]
    fig, ax = _figure(w("report.chart.accept"), w, bottom=0.2)
    names = bin_labels(doc, w)
    counts = [_n(b["count"]) for b in bins]
    ax.bar(range(len(bins)), counts, color=COLOURS[0])
    ax.set_xticks(range(len(bins)), names, fontsize=8, rotation=20)
    _counts(ax, w, sum(counts))
    return fig


def outcomes(doc: dict[str, Any], w: Words) -> Figure:
    found = doc["total"]["outcomes"]
    order = _outcome_order(found)
    fig, ax = _figure(w("report.chart.outcomes"), w, grid="x", left=0.3, bottom=0.1)
    counts = [_n(found[o]) for o in order]
    ax.barh(range(len(order)), counts, color=COLOURS[2])
    ax.set_yticks(range(len(order)), [w.outcome(o) for o in order], fontsize=8)
    ax.invert_yaxis()
    _counts(ax, w, sum(counts), axis="x")
    return fig


def load_hour(doc: dict[str, Any], w: Words) -> Figure:
    hours = doc["load"]["by_hour"]
    fig, ax = _figure(w("report.chart.load_hour"), w)
    counts = [_n(h) for h in hours]
    ax.bar(range(24), counts, color=COLOURS[1])
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}h" for h in range(0, 24, 2)], fontsize=8)
    _counts(ax, w, sum(counts))
    return fig


def per_day(doc: dict[str, Any], w: Words) -> Figure:
    days = doc["per_day"]
    fig, ax = _figure(w("report.chart.per_day"), w, size=(8, 3.2))
    counts = [_n(d["count"]) for d in days]
    ax.bar(range(len(days)), counts, color=COLOURS[0])
    step = max(1, len(days) // 10)
    ax.set_xticks(range(0, len(days), step), [d["date"][5:] for d in days][::step], fontsize=8)
    _counts(ax, w, sum(counts))
    return fig


CHARTS: dict[str, Chart] = {
    "per_day": per_day,
    "per_week": per_week,
    "accept": accept,
    "outcomes": outcomes,
    "load_hour": load_hour,
}


def import_in_background() -> threading.Thread:
    """Start importing matplotlib in a thread: a report that will draw charts does this before
    its queries, and the import (most of a second of CPU) runs on the other core while the
    database works (SQLite and psycopg release the GIL). A chart drawn before it finishes
    simply waits on Python's import lock."""

    def load() -> None:
        from matplotlib import figure, ticker  # noqa: F401
        from matplotlib.backends import backend_agg  # noqa: F401

    thread = threading.Thread(target=load, name="matplotlib import", daemon=True)
    thread.start()
    return thread


def png(name: str, doc: dict[str, Any], lang: str) -> bytes:
    """One chart as PNG bytes."""
    fig = CHARTS[name](doc, Words(lang, int(doc["min_cell"])))
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()
