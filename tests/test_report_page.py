"""The HTML report opened in headless Chromium, offline from a file: every chart image loads
(decoded, with its size), the tables are there, and a screenshot shows the whole page. Skipped,
saying why, when no chromium binary is found, except in CI (CI=true), where that fails."""

from __future__ import annotations

import asyncio
import json
import struct
from pathlib import Path

from bot.reports.run import produce
from flows.store import Database
from tests.support.browser import Page, chromium_page, require_chromium
from tests.test_reports_formats import NOW, PERIOD, _log

CHARTS = ("per_week", "accept", "outcomes", "load_hour")


def test_the_html_report_shows_its_charts_in_a_browser(db: Database, tmp_path: Path):
    chromium = require_chromium()
    _log(db)
    page_file = tmp_path / "report.html"
    page_file.write_bytes(produce(db, PERIOD, "html", now=NOW))

    async def look(page: Page) -> tuple[bytes, list[int]]:
        await page.navigate(page_file.as_uri())
        await page.wait_for(
            "[...document.images].length === 4 && [...document.images].every("
            "(i) => i.complete && i.naturalWidth > 0)",
            30,
            "the four charts decoded",
        )
        widths = await page.evaluate(
            f"JSON.stringify({json.dumps(list(CHARTS))}"
            ".map((id) => document.getElementById('chart-' + id).naturalWidth))"
        )
        await page.wait_for_text("h1", "Relais", 10)
        await page.wait_for_text("td", "Consultations", 10)
        return await page.screenshot(full_page=True), [int(w) for w in json.loads(widths)]

    async def run() -> tuple[bytes, list[int], list[str]]:
        async with chromium_page(chromium, tmp_path) as page:
            shot, widths = await look(page)
            return shot, widths, page.errors

    shot, widths, errors = asyncio.run(run())
    (tmp_path / "report-page.png").write_bytes(shot)  # to look at when it fails
    assert errors == []
    assert widths == [800, 800, 800, 800]
    assert shot[:8] == b"\x89PNG\r\n\x1a\n" and len(shot) > 20_000
    width, height = struct.unpack(">II", shot[16:24])
    assert width == 1280 and height > 2_000  # the whole page: its tables and four charts
