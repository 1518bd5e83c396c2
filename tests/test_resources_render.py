"""The directory's cards and lines as people read them: in their language (day names, the
verification line, French or English spacing), from the catalogs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.render import resources as cards
from flows.directory import Fallback, Reload, Resource, load_text

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
MONTREAL = ZoneInfo("America/Montreal")


def resource(
    extra: str = "", hours: str = "{mon: 10:00-14:00, tue: [09:00-12:00, 13:00-17:00]}"
) -> Resource:
    """One service read from a file, with these hours and extra lines."""
    text = (
        "schema_version: 1\nservices:\n  - id: a\n    organization: Org\n"
        "    name: {fr: Urgence 9-1-1, en: Emergency 9-1-1}\n"
        "    description: {fr: Police, en: Police}\n    categories: [crisis_line]\n"
        f"    phone: '911'\n    hours: {hours}\n    languages: [fr, en]\n{extra}"
    )
    directory, report = load_text(text, TODAY)
    assert report.ok, report.text()
    return directory.resources[0]


@pytest.mark.parametrize(
    ("lang", "line"),
    [("fr", "Heures : lun. 10:00-14:00 ; mar. 09:00-12:00, 13:00-17:00"),
     ("en", "Hours: Mon 10:00-14:00; Tue 09:00-12:00, 13:00-17:00")],
)  # fmt: skip
def test_a_card_names_the_days_in_the_readers_language(lang: str, line: str) -> None:
    assert line in cards.card_text(lang, resource(), NOW, MONTREAL).splitlines()


@pytest.mark.parametrize(
    ("extra", "fr", "en"),
    [
        ("", None, None),
        ("    last_verified: 2026-11-01\n", "Vérifié le 2026-11-01", "Verified on 2026-11-01"),
        ("    verified_by: Intake\n", "Vérifié par Intake", "Verified by Intake"),
        ("    last_verified: 2026-11-01\n    verified_by: Intake\n",
         "Vérifié le 2026-11-01 (Intake)", "Verified on 2026-11-01 (Intake)"),
        ("    verified: false\n", "NON VÉRIFIÉ", "NOT VERIFIED"),
        ("    verified: false\n    last_verified: 2026-11-01\n",
         "NON VÉRIFIÉ — dernière vérification 2026-11-01",
         "NOT VERIFIED — last checked 2026-11-01"),
    ],
)  # fmt: skip
def test_the_verification_line_says_only_what_is_known(
    extra: str, fr: str | None, en: str | None
) -> None:
    r = resource(extra)
    for lang, expected in (("fr", fr), ("en", en)):
        last = cards.card_text(lang, r, NOW, MONTREAL).splitlines()[-1]
        if expected is None:
            assert last.startswith(("Langues", "Languages")), last
        else:
            assert last == expected
        assert "—" not in last.replace(" — ", "")


@pytest.mark.parametrize(
    ("lang", "line"), [("fr", "• Urgence 9-1-1 : 911"), ("en", "• Emergency 9-1-1: 911")]
)
def test_the_fallback_lines_use_the_readers_spacing(lang: str, line: str) -> None:
    assert cards.fallback_lines(lang, Fallback([resource(hours='"24/7"')], [])) == line


BROKEN = """schema_version: 1
services:
  - id: info-social-811
    organization: Org
    name: {fr: Info-Social, en: Info-Social}
    description: {fr: D}
    categories: [fod]
    phone: '81'
    hours: {mon: 9h-17h}
    languages: [fr]
    closures:
      - 2026-12-25
    location:
      latitude: 95
    last_verified: 2020-01-01
"""


def test_the_reload_report_is_in_the_supervisors_language() -> None:
    _, report = load_text(BROKEN, TODAY)
    text = cards.report_text("fr", report)
    assert (
        "erreur : ligne 8, entrée info-social-811, champ phone : '81' n'est pas un numéro de "
        "téléphone (p. ex. 514-555-0123, 1-800-363-9010, 811) [bad_phone]"
    ) in text.splitlines()
    assert "avertissement : ligne 15, entrée info-social-811, champ last_verified" in text
    assert "{from: date, to: date} [bad_hours]" in text
    assert text.endswith("6 erreur(s), 1 avertissement(s)")
    assert "error" not in text and "is not" not in text
    reply = cards.reloaded("fr", Reload(False, report, 2))
    assert "erreur : ligne 8, entrée info-social-811, champ phone : '81'" in reply


def test_the_english_report_reads_as_the_cli_prints_it() -> None:
    """The CLI prints the loader's own English (Report.text); the catalog's says the same."""
    _, report = load_text(BROKEN, TODAY)
    assert cards.report_text("en", report, 3) == report.text(3)
    assert cards.report_text("en", report) == report.text()


def test_every_problem_code_has_its_english_text_in_the_catalog() -> None:
    from bot.i18n import catalog
    from flows.directory.model import MESSAGES

    for code, text in MESSAGES.items():
        assert catalog("en")[f"resources.problem.{code}"] == text
        assert f"resources.problem.{code}" in catalog("fr")


@pytest.mark.parametrize(("lang", "shown"), [("fr", "1,4 km"), ("en", "1.4 km")])
def test_a_distance_is_written_in_the_readers_number_format(lang: str, shown: str) -> None:
    placed = resource("    location: {address: Centre-ville, latitude: 45.5, longitude: -73.57}\n")
    text = cards.card_text(lang, placed, NOW, MONTREAL, distance_km=1.44)
    assert shown in text
