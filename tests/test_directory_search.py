"""Searching the sample directory as officers do: the words they use in either language
(synonym table), what the words say besides the topic (open now, women, men, an age), and
the order of results with and without a location, at a fixed moment."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from flows.directory import Directory, Query, load_path, read_query, search

ROOT = Path(__file__).resolve().parents[1]
MONTREAL = ZoneInfo("America/Montreal")
MONDAY_2PM = datetime(2026, 11, 23, 14, tzinfo=MONTREAL).astimezone(UTC)
VILLE_MARIE = (45.515, -73.56)


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


# ---- what the words say besides the topic (items 11, 12) ----


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("refuge ouvert maintenant", "refuge"),
        ("Refuges OUVERTS", "Refuges"),
        ("ouvert en ce moment itinérant", "itinérant"),
        ("shelter open now", "shelter"),
        ("open right now food", "food"),
        ("ouvert", ""),
    ],
)
def test_open_now_in_the_words_is_a_filter_not_text(typed: str, words: str) -> None:
    query = read_query(typed)
    assert query.open_now and query.words == words


@pytest.mark.parametrize(
    ("typed", "words", "ages", "gender"),
    [
        ("refuge femmes", "refuge femmes", None, "women"),
        ("shelter for men", "shelter for men", None, "men"),
        ("hommes et femmes", "hommes et femmes", None, None),
        ("drogue 15 ans", "drogue", (15, 15), None),
        ("âgée de 80 ans confuse", "confuse", (80, 80), None),
        ("17-year-old runaway", "runaway", (17, 17), None),
        ("ado drogue", "ado drogue", (0, 17), None),
        ("personne âgée maltraitance", "personne âgée maltraitance", (60, 130), None),
        ("femme et ses enfants", "femme et ses enfants", None, "women"),
        ("refuge 17", "refuge 17", None, None),  # a bare number is not an age
    ],
)
def test_who_the_person_is_counts_as_eligibility(
    typed: str, words: str, ages: tuple[int, int] | None, gender: str | None
) -> None:
    query = read_query(typed)
    assert (query.words, query.ages, query.gender, query.open_now) == (words, ages, gender, False)


def ids(directory: Directory, query: Query, now: datetime = MONDAY_2PM) -> list[str]:
    return [h.resource.id for h in search(directory, query, now, limit=50).hits]


def test_the_open_now_words_keep_only_what_is_open(sample: Directory) -> None:
    hits = search(sample, read_query("refuge ouvert"), MONDAY_2PM, limit=50).hits
    assert hits and all(h.open_now for h in hits)
    assert "shelter-women-villemarie" not in [h.resource.id for h in hits]  # opens at 19:00


def test_with_a_location_open_services_come_first_then_the_nearest(sample: Directory) -> None:
    query = replace(read_query("refuge femmes"), near=VILLE_MARIE)
    hits = search(sample, query, MONDAY_2PM, limit=50).hits
    found = [h.resource.id for h in hits]
    assert found[:2] == ["women-shelter-longueuil", "women-shelter-laval"]  # open, 3.6 / 15 km
    assert found[-1] == "shelter-women-villemarie"  # 0.5 km, but closed until 19:00
    located_open = [h.distance_km for h in hits if h.open_now and h.distance_km is not None]
    assert located_open == sorted(located_open)
    assert [h.open_now for h in hits] == sorted((h.open_now for h in hits), reverse=True)


def test_at_night_the_nearest_open_womens_shelter_comes_first(sample: Directory) -> None:
    night = datetime(2026, 11, 23, 23, tzinfo=MONTREAL).astimezone(UTC)
    query = replace(read_query("refuge femmes"), near=VILLE_MARIE)
    assert ids(sample, query, night)[0] == "shelter-women-villemarie"


def test_a_search_for_women_drops_the_services_for_men_only(sample: Directory) -> None:
    for query in (
        read_query("refuge femmes"),
        replace(read_query("refuge femmes"), near=VILLE_MARIE),
    ):
        found = ids(sample, query)
        assert "shelter-men-centre" not in found and "men-violence-help-rosemont" not in found
    assert "shelter-men-centre" in ids(sample, read_query("refuge hommes"))[:2]
    assert "shelter-women-villemarie" not in ids(sample, read_query("refuge hommes"))


def test_an_age_in_the_words_drops_the_services_that_do_not_take_it(sample: Directory) -> None:
    found = ids(sample, read_query("refuge 15 ans"))
    assert "youth-outreach-centre" in found  # 12-25
    assert "shelter-youth-plateau" not in found  # 16-25
    assert "shelter-men-centre" not in found and "elder-crisis-pat" not in found


def test_without_a_location_words_matched_still_come_before_open(sample: Directory) -> None:
    found = ids(sample, read_query("refuge femmes"))
    assert found[:3] == ["women-shelter-longueuil", "women-shelter-laval", "sos-violence-conjugale"]
    assert found[3] == "shelter-women-villemarie"  # closed, but both words: before the open
    assert found.index("shelter-women-villemarie") < found.index("shelter-youth-plateau")


def test_a_category_lists_open_services_first_in_the_files_order(sample: Directory) -> None:
    hits = search(sample, Query(category="homelessness"), MONDAY_2PM, limit=50).hits
    flags = [h.open_now for h in hits]
    assert flags == sorted(flags, reverse=True) and not flags[-1]
    open_positions = [h.position for h in hits if h.open_now]
    assert open_positions == sorted(open_positions)
