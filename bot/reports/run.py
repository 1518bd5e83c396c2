"""One report run: the figures computed (or the rows read), then rendered in one format,
with each step told to a progress callback (the CLI prints them on the terminal)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.reports import charts, formats
from flows.reports import figures, published
from flows.reports.figures import Grouping
from flows.reports.period import Period
from flows.reports.rows import consultation_rows
from flows.reports.suppression import DEFAULT_MIN_CELL
from flows.store import Database

Progress = Callable[[str], None]


def produce(
    db: Database,
    period: Period,
    fmt: str,
    *,
    by: Grouping | None = None,
    lang: str = "en",
    min_cell: int = DEFAULT_MIN_CELL,
    now: datetime | None = None,
    grace_hours: int = 24,
    progress: Progress | None = None,
) -> bytes:
    """The report's bytes in `fmt` (one of formats.FORMATS)."""
    step = progress or (lambda _label: None)
    if fmt == "csv":
        step("rows")
        data = formats.to_csv(consultation_rows(db, period, min_cell))
        step("written")
        return data
    drawing = charts.import_in_background() if fmt in ("html", "pdf") else None
    report = figures.compute(db, period, by=by, now=now, grace_hours=grace_hours, progress=step)
    if drawing is not None:
        drawing.join()
    doc = published.document(report, min_cell)
    step(f"render:{fmt}")
    if fmt == "json":
        return formats.to_json(doc)
    if fmt == "md":
        return formats.to_markdown(doc, lang)
    if fmt == "html":
        return formats.to_html(doc, lang)
    if fmt == "pdf":
        return formats.to_pdf(doc, lang)
    raise ValueError(f"unknown format {fmt!r}")
