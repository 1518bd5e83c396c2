"""How the text exports word what they show: a hidden median reads as hidden (not as "under
5 seconds"), the suppression note fits the minimum cell size, plurals and French numbers are
right. Found by an exploratory tester on `relais report`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.render.reports import summary_lines
from bot.reports import charts
from bot.reports.content import Words, heading, sections
from bot.reports.run import produce
from flows.reports import figures, published
from flows.reports.period import Period
from flows.store import Database
from flows.vocabulary import Role
from tests.support.eventlog import EventLog

ZONE = ZoneInfo("America/Montreal")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DAY = Period(date(2026, 11, 3), date(2026, 11, 3), ZONE)


def _three(db: Database) -> None:
    """Three answered consultations on one day: too few for a median at min-cell 5."""
    log = EventLog(db)
    officer = log.person("Agent Tremblay", Role.OFFICER, unit="PDQ 21")
    roy = log.person("Marie Roy")
    start = datetime(2026, 11, 3, 15, 0, tzinfo=UTC)
    for i in range(3):
        log.consultation(start + timedelta(hours=i), officer, accept_s=40 + i, worker=roy,
                         cleared_s=1800, outcome="referred", closed_s=2000)  # fmt: skip


def _doc(db: Database, period: Period = DAY, k: int = 5) -> dict:
    return published.document(figures.compute(db, period, now=NOW), k)


def _summary_row(doc: dict, lang: str, figure_key: str) -> str:
    w = Words(lang, int(doc["min_cell"]))
    [value] = [row[1] for row in sections(doc, lang)[0].rows if row[0] == w(figure_key)]
    return value


def test_a_hidden_median_reads_as_hidden_not_as_under_five(db: Database):
    """Before: "Time to a social worker (median / p90) | <5", read as under 5 seconds."""
    _three(db)
    doc = _doc(db)
    assert doc["total"]["time_to_accept"] == {"n": None, "median_s": None, "p90_s": None}
    for lang in ("en", "fr"):
        for key in ("report.time_to_accept", "report.officer_time"):
            assert _summary_row(doc, lang, key) == "— / —"
    md = produce(db, DAY, "md", now=NOW).decode()
    assert "| Time to a social worker (median / p90) | — / — |" in md
    assert "<5 |" in md  # the count of three is still a count: "<5"
    fr = produce(db, DAY, "md", lang="fr", now=NOW).decode()
    assert "(médiane / p90) | — / — |" in fr
    page = produce(db, DAY, "html", now=NOW).decode()
    assert "<td>Time to a social worker (median / p90)</td><td>— / —</td>" in page
    # /stats says the same of the same document
    assert "median —, p90 —" in "\n".join(summary_lines(doc, "en"))


def test_the_note_says_what_a_dash_means(db: Database):
    _three(db)
    doc = _doc(db)
    assert "median or p90 over fewer than 5 values" in heading(doc, "en")[2]
    assert "médiane ou un p90 calculé sur moins de 5 valeurs" in heading(doc, "fr")[2]


def test_with_min_cell_one_the_note_says_nothing_is_hidden(db: Database):
    """Before: "Counts from 1 to 0 are shown as “<1”" and "Cells under 1 are not drawn"."""
    _three(db)
    doc = _doc(db, k=1)
    assert doc["total"]["consultations"] == 3
    assert heading(doc, "en")[2] == "No count is hidden (minimum cell size 1)."
    assert heading(doc, "fr")[2] == "Aucun nombre n'est masqué (taille minimale des cases : 1)."
    for lang in ("en", "fr"):
        text = produce(db, DAY, "md", lang=lang, now=NOW, min_cell=1).decode()
        assert "<1" not in text and "1 to 0" not in text and "1 à 0" not in text
        for name in ("per_week", "accept", "outcomes", "load_hour", "per_day"):
            fig = charts.CHARTS[name](doc, Words(lang, 1))
            written = [t.get_text() for t in fig.texts] + [t.get_text() for a in fig.axes
                                                           for t in a.texts]  # fmt: skip
            assert not [t for t in written if "1" in t and ("tracées" in t or "drawn" in t)]


def test_with_min_cell_two_the_note_speaks_of_counts_of_one(db: Database):
    """Before: "Counts from 1 to 1 are shown as “<2”"."""
    _three(db)
    doc = _doc(db, k=2)
    assert heading(doc, "en")[2].startswith("Counts of 1 are shown as “<2”")
    assert "a median or p90 over a single value" in heading(doc, "en")[2]
    assert heading(doc, "fr")[2].startswith("Les nombres égaux à 1 sont affichés « <2 »")
    assert "1 to 1" not in heading(doc, "en")[2] and "1 à 1" not in heading(doc, "fr")[2]
    figure = charts.CHARTS["accept"](doc, Words("en", 2))
    assert "Cells under 2 are not drawn." in [t.get_text() for t in figure.texts]


def test_a_one_day_period_says_one_day_in_both_languages(db: Database):
    """Before: "(America/Montreal, 1 days)" and "1 jours"."""
    _three(db)
    assert "(America/Montreal, 1 day)." in heading(_doc(db), "en")[1]
    assert "(America/Montreal, 1 jour)." in heading(_doc(db), "fr")[1]
    week = Period(date(2026, 11, 2), date(2026, 11, 8), ZONE)
    assert "(America/Montreal, 7 days)." in heading(_doc(db, week), "en")[1]
    assert "(America/Montreal, 7 jours)." in heading(_doc(db, week), "fr")[1]


def test_the_repeat_bands_are_singular_for_one(db: Database):
    """Before: "People with 1 consultation(s)"."""
    _three(db)
    en = produce(db, DAY, "md", now=NOW).decode()
    assert "| People with 1 consultation |" in en and "| People with 2 consultations |" in en
    assert "| People with 4+ consultations |" in en and "(s)" not in en
    fr = produce(db, DAY, "md", lang="fr", now=NOW).decode()
    assert "| Personnes avec 1 consultation |" in fr and "| Personnes avec 2 consultations |" in fr
    assert "(s)" not in fr


def test_french_numbers_use_french_separators(db: Database):
    """Before: "0.0 %" and "12 345" by hand in both languages; now Babel's formats."""
    fr, en = Words("fr", 5), Words("en", 5)
    assert fr.count(12345) == "12\u202f345" and en.count(12345) == "12,345"
    assert fr.share(6, 0.8333) == "6 (83,3\xa0%)" and en.share(6, 0.8333) == "6 (83.3%)"
    assert fr.share(0, 0.0) == "0 (0,0\xa0%)"
    log = EventLog(db)
    officer = log.person("Agent Tremblay", Role.OFFICER)
    start = datetime(2026, 11, 3, 15, 0, tzinfo=UTC)
    for i in range(6):
        log.consultation(start + timedelta(minutes=i), officer, escalated=i > 0)
    text = produce(db, DAY, "md", lang="fr", now=NOW).decode()
    assert "| Escaladées au-delà du niveau 1 | 5 (83,3\xa0%) |" in text
    assert "0.0 %" not in text and "83.3" not in text
