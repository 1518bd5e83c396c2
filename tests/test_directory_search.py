"""Searching the sample directory as officers do: the words they use in either language
(synonym table), what the words say besides the topic (open now, women, men, an age), and
the order of results with and without a location, at a fixed moment."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from flows.directory import Directory, Query, load_path, search

ROOT = Path(__file__).resolve().parents[1]
MONTREAL = ZoneInfo("America/Montreal")
MONDAY_2PM = datetime(2026, 11, 23, 14, tzinfo=MONTREAL).astimezone(UTC)


@pytest.fixture(scope="module")
def sample() -> Directory:
    directory, report = load_path(ROOT / "resources_directory.yaml", date(2026, 11, 23))
    assert report.ok, report.text()
    return directory


# ---- the words officers use (item 13) ----

ELDER = {"elder", "elder_abuse"}
SUBSTANCE = {"substance", "detox", "harm_reduction"}
MENTAL = {"mental_health", "mental_health_clinic", "hospital"}
CRISIS = {"crisis_line", "suicide_risk"}
YOUTH = {"youth", "youth_protection", "youth_shelter"}
SHELTER = {"shelter", "homelessness"}
VIOLENCE = {"domestic_violence", "women_shelter"}
SEXUAL = {"sexual_assault"}
GRIEF = {"bereavement"}
VICTIMS = {"victim_assistance", "victim_support"}

OFFICERS_WORDS = [
    *[(w, ELDER) for w in ("alzheimer", "Alzheimer's", "démence", "dementia", "désorienté")],
    *[(w, ELDER) for w in ("disoriented", "errance", "wandering", "aînés", "elderly")],
    *[(w, SUBSTANCE) for w in ("overdose", "surdose", "OD", "intoxication", "intoxiqué")],
    *[(w, SUBSTANCE) for w in ("intoxicated", "ivre", "drunk", "fentanyl", "opioïdes")],
    *[(w, SUBSTANCE) for w in ("opioids", "naloxone", "sevrage", "withdrawal")],
    *[(w, MENTAL) for w in ("psychose", "psychosis", "psychotique", "psychotic")],
    *[(w, MENTAL) for w in ("hallucinations", "délire", "delusions", "schizophrénie")],
    *[(w, MENTAL) for w in ("schizophrenia", "bipolaire", "bipolar", "paranoïa", "paranoid")],
    *[(w, MENTAL) for w in ("crise de panique", "panic attack", "P-38")],
    *[(w, CRISIS) for w in ("suicide", "suicidaire", "suicidal", "idées suicidaires")],
    *[(w, CRISIS) for w in ("automutilation", "self-harm", "suicide attempt")],
    *[(w, YOUTH) for w in ("fugue", "fugueuse", "runaway", "DPJ")],
    *[(w, SHELTER) for w in ("itinérance", "itinérant", "homelessness", "sans-abri")],
    *[(w, VIOLENCE) for w in ("violence", "violence conjugale", "domestic violence")],
    *[(w, SEXUAL) for w in ("agression sexuelle", "sexual assault", "viol", "rape")],
    *[(w, GRIEF) for w in ("deuil", "endeuillé", "bereavement", "grief")],
    *[(w, VICTIMS) for w in ("victime", "victim", "traumatisme", "witness")],
]


@pytest.mark.parametrize(("words", "expected"), OFFICERS_WORDS)
def test_the_words_officers_use_find_a_service_of_the_right_kind(
    sample: Directory, words: str, expected: set[str]
) -> None:
    hits = search(sample, Query(words), MONDAY_2PM, limit=3).hits
    assert any(expected & set(h.resource.categories) for h in hits), (
        words,
        [h.resource.id for h in hits],
    )
