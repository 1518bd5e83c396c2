"""Every export of the report on a generated event log: small cells suppressed in each, the
CSV loads with the csv module and carries no free text, no reference, no incident number and
only pseudonyms (stable in a period, different in another), the JSON validates against the
documented schema, the HTML is self-contained with its charts, the PDF is a PDF, and the CLI
writes them with progress on the terminal."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import jsonschema
import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.reports import formats
from bot.reports.run import produce
from flows.reports import figures, published, suppression
from flows.reports.figures import Grouping
from flows.reports.period import Period
from flows.store import Database
from flows.vocabulary import Category, EventKind, Role, Urgency
from tests.support.eventlog import EventLog

ZONE = ZoneInfo("America/Montreal")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PERIOD = Period(date(2026, 11, 1), date(2026, 11, 30), ZONE)
SCHEMA = json.loads((Path(__file__).parent.parent / "docs" / "report.schema.json").read_text())


def _log(db: Database) -> dict[str, int]:
    """20 mental-health consultations (one worker), 3 youth ones (a rare category, another
    worker), 2 missed; a unit with a single officer."""
    log = EventLog(db)
    officer = log.person("Agent Tremblay", Role.OFFICER, unit="PDQ 21")
    lone = log.person("Agent Côté", Role.OFFICER, unit="PDQ 99")
    roy, gagnon = log.person("Marie Roy"), log.person("Luc Gagnon")
    start = datetime(2026, 11, 3, 13, 0, tzinfo=UTC)
    for i in range(20):
        log.consultation(
            start + timedelta(hours=5 * i), officer, accept_s=30 + 10 * i, worker=roy,
            cleared_s=1800 + 60 * i, outcome="referred" if i % 2 else "resolved_on_scene",
            closed_s=2000 + 60 * i, incident=f"2026-{1000 + i}",
        )  # fmt: skip
    for i in range(3):
        log.consultation(
            start + timedelta(days=2, hours=i), officer, category=Category.YOUTH,
            urgency=Urgency.IMMEDIATE, accept_s=45, worker=gagnon, outcome="involuntary_p38",
            closed_s=3000,
        )  # fmt: skip
    for i in range(2):
        log.consultation(start + timedelta(days=4, hours=i), lone, escalated=True, fallback=True)
    return log.people


def _doc(db: Database, by: Grouping | None = None, k: int = 5) -> dict:
    return published.document(figures.compute(db, PERIOD, by=by, now=NOW), k)


def test_small_counts_are_suppressed_with_one_more_when_alone():
    assert suppression.counts({"a": 20, "b": 3, "c": 7, "d": 0}, 5) == {
        "a": 20, "b": None, "c": None, "d": 0,
    }  # fmt: skip
    assert suppression.counts({"a": 20, "b": 3, "c": 2}, 5) == {"a": 20, "b": None, "c": None}
    assert suppression.series([0, 1, 9], 5) == [0, None, None]
    assert suppression.cell(5, 5) == 5 and suppression.cell(4, 5) is None


def test_the_published_document_hides_small_cells(db: Database):
    _log(db)
    doc = _doc(db, by=Grouping.CATEGORY)
    total = doc["total"]
    assert total["consultations"] == 25
    assert total["missed"] is None and total["missed_share"] is None  # 2 < 5
    assert total["outcomes"]["involuntary_p38"] is None  # 3 < 5
    youth = next(g for g in doc["groups"] if g["key"] == "youth")
    assert youth["consultations"] is None
    assert youth["time_to_accept"] == {"n": None, "median_s": None, "p90_s": None}
    assert total["time_to_accept"]["median_s"] == 110.0  # 12th of 23 values
    higher = _doc(db, k=30)
    assert higher["total"]["consultations"] is None


def test_the_json_validates_against_the_documented_schema(db: Database):
    _log(db)
    for by in (None, *Grouping):
        doc = json.loads(produce(db, PERIOD, "json", by=by, now=NOW))
        jsonschema.validate(doc, SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**doc, "total": {**doc["total"], "consultations": -1}}, SCHEMA)


def test_the_csv_has_one_row_per_consultation_and_no_free_text(db: Database):
    people = _log(db)
    data = produce(db, PERIOD, "csv", now=NOW).decode()
    rows = list(csv.DictReader(io.StringIO(data)))
    assert len(rows) == 25
    assert "free text" not in data and "C-0" not in data and "2026-10" not in data
    assert "Marie Roy" not in data and "Tremblay" not in data
    assert {r["category"] for r in rows} == {"mental_health", "suppressed"}  # youth: 3 rows
    assert {r["unit"] for r in rows} == {"PDQ 21", "suppressed"}  # the lone officer's unit
    # three involuntary transports: a rare outcome; the two missed ones have none recorded,
    # a rare value too (it was left empty, so the CSV gave back the summary's "<5")
    assert {r["outcome"] for r in rows} == {"referred", "resolved_on_scene", "suppressed"}
    assert {r["incident_number_given"] for r in rows} == {"1", "0"}
    workers = {r["worker"] for r in rows}
    assert str(people["Marie Roy"]) not in workers and len(workers - {"", "suppressed"}) == 1
    assert all(r["consultation"].startswith("R-") for r in rows)
    again = list(csv.DictReader(io.StringIO(produce(db, PERIOD, "csv", now=NOW).decode())))
    assert [r["consultation"] for r in again] == [r["consultation"] for r in rows]
    other = Period(date(2026, 11, 1), date(2026, 12, 1), ZONE)
    elsewhere = list(csv.DictReader(io.StringIO(produce(db, other, "csv").decode())))
    assert {r["consultation"] for r in elsewhere}.isdisjoint({r["consultation"] for r in rows})


def test_the_csv_names_an_outcome_not_recorded_as_the_summary_does(db: Database):
    """Before: left empty, never suppressed, while the summary counts it as not_recorded."""
    people = _log(db)
    log = EventLog(db, people=dict(people))
    for i in range(4):  # with the two missed ones: six consultations without an outcome
        log.consultation(datetime(2026, 11, 20, 15, i, tzinfo=UTC), people["Agent Tremblay"])
    rows = list(csv.DictReader(io.StringIO(produce(db, PERIOD, "csv", now=NOW).decode())))
    found = [r["outcome"] for r in rows]
    assert "" not in found and found.count("not_recorded") == 6
    assert found.count("suppressed") == 3  # the involuntary transports, as before
    assert _doc(db, k=1)["total"]["outcomes"]["not_recorded"] == 6  # the summary's name


def test_markdown_reads_as_a_report_in_both_languages(db: Database):
    _log(db)
    en = produce(db, PERIOD, "md", by=Grouping.CATEGORY, now=NOW).decode()
    assert en.startswith("# Relais — evaluation report")
    assert "| Consultations | 25 |" in en and "<5" in en and "## By category" in en
    assert "People with 4+ consultations | 0 |" in en  # no keys given in this log
    fr = produce(db, PERIOD, "md", lang="fr", now=NOW).decode()
    assert "# Relais — rapport d'évaluation" in fr and "Santé mentale" in fr


def test_the_report_does_not_say_article_8_requests_go_unrecorded(db: Database):
    """They are recorded (article8_requested events) and counted."""
    _log(db)
    for lang in ("en", "fr"):
        text = produce(db, PERIOD, "md", lang=lang, now=NOW).decode()
        assert "not recorded by Relais" not in text and "pas encore consignées" not in text
        assert "not counted" not in text and "pas encore comptées" not in text
        assert "article 8" in text


def _article8_log(db: Database) -> dict[str, int]:
    """_log, with an article 8 request in six of the mental-health consultations."""
    log = EventLog(db)
    officer = log.person("Agent Tremblay", Role.OFFICER, unit="PDQ 21")
    roy = log.person("Marie Roy")
    start = datetime(2026, 11, 3, 13, 0, tzinfo=UTC)
    for i in range(20):
        request = [(600, EventKind.ARTICLE8_REQUESTED, roy, {"assessment": i})] if i < 6 else []
        log.consultation(
            start + timedelta(hours=5 * i), officer, accept_s=30, worker=roy, closed_s=2000,
            outcome="involuntary_p38" if i < 6 else "referred", extra=request,
        )  # fmt: skip
    return log.people


def test_every_format_counts_the_article_8_requests(db: Database):
    """Before: the report said they were not counted yet, in every format."""
    _article8_log(db)
    doc = json.loads(produce(db, PERIOD, "json", now=NOW))
    jsonschema.validate(doc, SCHEMA)
    assert doc["total"]["article8_requests"] == 6
    grouped = json.loads(produce(db, PERIOD, "json", by=Grouping.CATEGORY, now=NOW))
    jsonschema.validate(grouped, SCHEMA)
    assert [g["article8_requests"] for g in grouped["groups"]] == [6]
    assert "| Article 8 requests (P-38.001) | 6 |" in produce(db, PERIOD, "md", now=NOW).decode()
    fr = produce(db, PERIOD, "md", lang="fr", now=NOW).decode()
    assert "| Demandes en vertu de l'article 8 (P-38.001) | 6 |" in fr
    page = produce(db, PERIOD, "html", now=NOW).decode()
    assert "<td>Article 8 requests (P-38.001)</td><td>6</td>" in page
    rows = list(csv.DictReader(io.StringIO(produce(db, PERIOD, "csv", now=NOW).decode())))
    assert [r["article8_requested"] for r in rows] == ["1"] * 6 + ["0"] * 14
    # the same sections as the Markdown and HTML (bot/reports/content.py); a PDF still
    assert produce(db, PERIOD, "pdf", now=NOW).startswith(b"%PDF-")


def test_the_html_is_self_contained_with_its_charts(db: Database):
    _log(db)
    page = produce(db, PERIOD, "html", now=NOW).decode()
    assert page.count('src="data:image/png;base64,') == 4
    for chart in ("per_week", "accept", "outcomes", "load_hour"):
        assert f'id="chart-{chart}"' in page
    assert "http://" not in page and "https://" not in page
    assert "free text" not in page


def test_the_pdf_is_a_pdf(db: Database):
    _log(db)
    pdf = produce(db, PERIOD, "pdf", lang="fr", now=NOW)
    assert pdf.startswith(b"%PDF-") and len(pdf) > 10_000


def test_the_cli_writes_a_report_with_progress(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    _log(db)
    monkeypatch.setenv("DATABASE_URL", db.url)
    out = tmp_path / "q4.html"
    args = ["report", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "html",
            "--by", "worker", "-o", str(out)]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "report: facts" in result.stderr and "done" in result.stderr
    assert out.read_bytes().startswith(b"<!doctype html>")
    assert "Marie Roy" in out.read_text()
    md = CliRunner().invoke(
        main, ["report", "--from", "2026-11-01", "--to", "2026-11-30", "--quiet"]
    )
    assert md.exit_code == 0 and md.stderr == "" and "| Consultations | 25 |" in md.stdout


def test_the_cli_refuses_a_period_that_ends_before_it_starts(
    db: Database, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("DATABASE_URL", db.url)
    result = CliRunner().invoke(main, ["report", "--from", "2026-03-31", "--to", "2026-01-01"])
    assert result.exit_code == 2 and "--to is before --from" in result.stderr
    bad = CliRunner().invoke(main, ["report", "--from", "2026-13-01", "--to", "2026-12-31"])
    assert bad.exit_code == 2


def test_the_cli_refuses_dates_out_of_range_in_one_sentence(
    db: Database, monkeypatch: pytest.MonkeyPatch
):
    """Before: an OverflowError traceback for 0001-01-01..9999-12-31."""
    monkeypatch.setenv("DATABASE_URL", db.url)
    result = CliRunner().invoke(main, ["report", "--from", "0001-01-01", "--to", "9999-12-31"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "relais: --from/--to: a report covers dates from 1970-01-01 to 2199-12-31"
    )


def test_the_cli_checks_the_output_folder_before_computing(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Before: a FileNotFoundError traceback once the whole report was computed."""
    monkeypatch.setenv("DATABASE_URL", db.url)
    out = tmp_path / "no-folder" / "x.md"
    args = ["report", "--from", "2026-11-01", "--to", "2026-11-30", "-o", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"relais: -o/--output: the folder {out.parent} does not exist"
    assert "report: facts" not in result.stderr  # nothing computed


def test_the_csv_writer_keeps_the_documented_columns():
    data = formats.to_csv([]).decode().strip()
    assert data.split(",")[0] == "consultation" and "subject" in data
