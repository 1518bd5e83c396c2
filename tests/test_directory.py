"""The directory's domain: whole-file validation, opening hours, search and the holder."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.directory import (
    CATEGORIES,
    DirectoryHolder,
    Problem,
    Query,
    fallback_resources,
    load_path,
    load_text,
    search,
    top_for_category,
)
from flows.directory.fastyaml import Unsupported, parse_fast
from flows.directory.hours import Closure, Hours
from flows.directory.tree import parse_reference

ROOT = Path(__file__).resolve().parents[1]
TODAY = date(2026, 11, 23)
MONTREAL = ZoneInfo("America/Montreal")


def entry(rid: str, **fields: str) -> str:
    base = {
        "organization": "Org",
        "name": "\n      fr: Refuge Nord\n      en: North shelter",
        "description": "\n      fr: Hébergement d'urgence\n      en: Emergency shelter",
        "categories": "[shelter]",
        "phone": "514-555-0100",
        "hours": '"24/7"',
        "languages": "[fr, en]",
        "last_verified": "2026-10-01",
    }
    base.update(fields)
    body = "".join(f"    {k}: {v}\n" for k, v in base.items() if v is not None)
    return f"  - id: {rid}\n{body}"


def document(*entries: str) -> str:
    return "schema_version: 1\nservices:\n" + "".join(entries)


def test_a_valid_document_loads_every_entry() -> None:
    directory, report = load_text(document(entry("a"), entry("b")), TODAY)
    assert report.ok, report.text()
    assert [r.id for r in directory.resources] == ["a", "b"]


def test_every_kind_of_error_is_reported_together_with_line_entry_and_field() -> None:
    text = document(
        entry("one", categories="[shelter, spaceship]"),
        entry("two", phone="555-12"),
        entry("three", hours="\n      mon: 9h-17h"),
        entry("one"),
        entry("five", name="\n      fr: Seulement français"),
        entry("six", location="\n      latitude: 95.0\n      longitude: -73.5"),
    )
    directory, report = load_text(text, TODAY)
    assert not report.ok
    assert directory.resources == ()
    found = {(f.kind, f.entry, f.field) for f in report.errors}
    assert (Problem.UNKNOWN_CATEGORY, "one", "categories") in found
    assert (Problem.BAD_PHONE, "two", "phone") in found
    assert (Problem.BAD_HOURS, "three", "hours.mon") in found
    assert (Problem.DUPLICATE_ID, "one", "id") in found
    assert (Problem.MISSING_TRANSLATION, "five", "name.en") in found
    assert (Problem.COORDINATES_OUT_OF_RANGE, "six", "location.latitude") in found
    lines = text.splitlines()
    for finding in report.errors:
        assert finding.line is not None
        where = lines[finding.line - 1]
        assert finding.entry in where or any(p in where for p in finding.field.split(".")), (
            finding,
            where,
        )


def test_a_syntax_error_names_its_line() -> None:
    _, report = load_text("schema_version: 1\nservices:\n  - id: [unclosed\n", TODAY)
    assert [f.kind for f in report.errors] == [Problem.SYNTAX]
    assert report.errors[0].line in (3, 4)  # libyaml reports where it gave up


def test_entries_not_verified_for_longer_than_the_period_are_warnings() -> None:
    text = document(entry("old", last_verified="2025-01-10"), entry("new"))
    directory, report = load_text(text, TODAY, stale_months=12)
    assert report.ok and len(directory.resources) == 2
    assert [(w.kind, w.entry) for w in report.warnings] == [(Problem.STALE, "old")]
    _, lenient = load_text(text, TODAY, stale_months=36)
    assert lenient.warnings == []


def test_the_sample_directory_validates_and_covers_every_category() -> None:
    directory, report = load_path(ROOT / "resources_directory.yaml", TODAY)
    assert report.ok, report.text()
    assert len(directory.resources) >= 40
    assert directory.sample
    used = {c for r in directory.resources for c in r.categories}
    assert set(CATEGORIES) <= used
    assert all(r.name.fr and r.name.en for r in directory.resources)


def test_the_fast_reader_and_pyyaml_build_the_same_tree_for_the_sample() -> None:
    text = (ROOT / "resources_directory.yaml").read_text()
    assert _same(parse_fast(text), parse_reference(text))


SCALAR = st.text(alphabet="abcXYZ019 -_.éà:'", min_size=1, max_size=12).filter(
    lambda s: s.strip() == s
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["id", "name", "x_y", "phone"]), SCALAR), max_size=6))
def test_the_fast_reader_agrees_with_pyyaml_or_steps_aside(pairs: list[tuple[str, str]]) -> None:
    import yaml

    text = "services:\n" + "".join(f"  - {k}: {v}\n    other: '{v}'\n" for k, v in pairs)
    try:
        reference = parse_reference(text)
    except Exception:
        return
    try:
        fast = parse_fast(text)
    except (Unsupported, yaml.YAMLError):
        return
    assert _same(fast, reference)


def _same(a: object, b: object) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return (
            a.line == b.line  # type: ignore[attr-defined]
            and a.key_lines == b.key_lines  # type: ignore[attr-defined]
            and list(a) == list(b)  # type: ignore[arg-type]
            and all(_same(a[k], b[k]) for k in a)  # type: ignore[index]
        )
    if isinstance(a, list):
        return (
            a.item_lines == b.item_lines  # type: ignore[attr-defined]
            and len(a) == len(b)  # type: ignore[arg-type]
            and all(_same(x, y) for x, y in zip(a, b, strict=True))  # type: ignore[call-overload]
        )
    return a == b


# ---- opening hours, with an injected moment ----


def local(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=MONTREAL).astimezone(UTC)


def test_a_span_past_midnight_is_open_after_midnight_and_closed_at_noon() -> None:
    hours = Hours.from_days(MONTREAL, {"fri": ["22:00-06:00"]})
    assert hours.is_open(local(2026, 11, 27, 23))  # Friday 23:00
    assert hours.is_open(local(2026, 11, 28, 5, 59))  # Saturday 05:59
    assert not hours.is_open(local(2026, 11, 28, 6))
    assert not hours.is_open(local(2026, 11, 27, 12))


def test_sunday_night_spans_wrap_into_monday_morning() -> None:
    hours = Hours.from_days(MONTREAL, {"sun": ["20:00-02:00"]})
    assert hours.is_open(local(2026, 11, 30, 1))  # Monday 01:00
    assert not hours.is_open(local(2026, 11, 30, 3))


def test_weekday_hours_are_closed_on_the_weekend() -> None:
    hours = Hours.from_days(MONTREAL, {"weekdays": ["09:00-17:00"]})
    assert hours.is_open(local(2026, 11, 27, 10))  # Friday
    assert not hours.is_open(local(2026, 11, 28, 10))  # Saturday
    assert not hours.is_open(local(2026, 11, 29, 10))  # Sunday


def test_closures_close_even_a_24_7_service_on_their_dates_only() -> None:
    hours = Hours(
        zone=MONTREAL, always=True, closures=(Closure(date(2026, 12, 24), date(2026, 12, 26)),)
    )
    assert not hours.is_open(local(2026, 12, 25, 12))
    assert not hours.is_open(local(2026, 12, 26, 23, 59))
    assert hours.is_open(local(2026, 12, 27, 0, 1))


def test_hours_are_read_in_the_services_own_time_zone() -> None:
    text = document(entry("van", hours="\n      daily: 09:00-17:00", timezone="America/Vancouver"))
    directory, report = load_text(text, TODAY)
    assert report.ok, report.text()
    hours = directory.resources[0].hours
    noon_montreal = local(2026, 11, 23, 12)  # 09:00 in Vancouver
    assert hours.is_open(noon_montreal)
    assert not hours.is_open(local(2026, 11, 23, 11))  # 08:00 in Vancouver


# ---- search ----


@pytest.fixture(scope="module")
def sample():  # type: ignore[no-untyped-def]
    directory, report = load_path(ROOT / "resources_directory.yaml", TODAY)
    assert report.ok
    return directory


NOW = local(2026, 11, 23, 14)  # a Monday afternoon


def ids(directory, query: Query, now: datetime = NOW) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.resource.id for h in search(directory, query, now, limit=50).hits]


@pytest.mark.parametrize("words", ["itinérant", "ITINERANT", "homeless", "sans-abri", "sans abri"])
def test_homeless_words_in_either_language_find_shelters(sample, words: str) -> None:  # type: ignore[no-untyped-def]
    found = ids(sample, Query(words))
    assert found[0] in {r.id for r in sample.resources if "shelter" in r.categories}


@pytest.mark.parametrize("words", ["suicidaire", "suicidal", "sucidaire", "suicdal"])
def test_suicide_words_and_their_typos_find_crisis_lines(sample, words: str) -> None:  # type: ignore[no-untyped-def]
    found = ids(sample, Query(words))[:3]
    crisis = {r.id for r in sample.resources if "crisis_line" in r.categories}
    assert set(found) & crisis, found


def test_accents_and_case_do_not_matter(sample) -> None:  # type: ignore[no-untyped-def]
    assert ids(sample, Query("AÎNÉS maltraitance")) == ids(sample, Query("aines maltraitance"))
    assert "ligne-abus-aines" in ids(sample, Query("aines maltraitance"))[:3]


def test_typos_still_find_the_service(sample) -> None:  # type: ignore[no-untyped-def]
    assert ids(sample, Query("violance conjugalle"))[0] == "sos-violence-conjugale"
    assert "detox-centre-rosemont" in ids(sample, Query("desintoxx"))[:5]


def test_filters_category_language_and_age(sample) -> None:  # type: ignore[no-untyped-def]
    youth = ids(sample, Query(category="youth"))
    assert youth and all("youth" in {c.value for c in r.served} for r in _of(sample, youth))
    assert "tel-jeunes" not in ids(sample, Query(category="youth", language="en"))
    adults = ids(sample, Query(category="youth", ages=(30, 30)))
    assert "tel-jeunes" not in adults and "kids-help-phone" not in adults


def test_open_now_honours_hours(sample) -> None:  # type: ignore[no-untyped-def]
    sunday_night = local(2026, 11, 29, 23)
    found = ids(sample, Query(category="food", open_now=True), sunday_night)
    assert "food-bank-hochelaga" not in found
    assert "community-fridge-verdun" in found


def test_nearest_first_with_distances_in_km(sample) -> None:  # type: ignore[no-untyped-def]
    verdun = (45.4580, -73.5700)
    hits = search(sample, Query(category="food", near=verdun), NOW, limit=10).hits
    distances = [h.distance_km for h in hits if h.distance_km is not None]
    assert distances == sorted(distances)
    assert hits[0].resource.id == "community-fridge-verdun"
    assert distances[0] < 2.0


def test_paging_walks_through_every_result_once(sample) -> None:  # type: ignore[no-untyped-def]
    query = Query("refuge")
    first = search(sample, query, NOW, 0, 5)
    seen = [h.resource.id for h in first.hits]
    offset = 5
    while first.more:
        first = search(sample, query, NOW, offset, 5)
        seen += [h.resource.id for h in first.hits]
        offset += 5
    assert len(seen) == len(set(seen)) == first.total


def test_top_three_for_a_consultation_are_open_and_of_its_category(sample) -> None:  # type: ignore[no-untyped-def]
    hits = top_for_category(sample, "homelessness", NOW, near=(45.547, -73.541))
    assert len(hits) == 3
    assert all(h.open_now and "homelessness" in {c.value for c in h.resource.served} for h in hits)
    assert [h.distance_km for h in hits] == sorted(h.distance_km or 0 for h in hits)


def test_fallback_gives_24_7_crisis_lines_and_open_services(sample) -> None:  # type: ignore[no-untyped-def]
    fallback = fallback_resources(sample, "substance", NOW)
    assert fallback.lines and all(r.hours.always for r in fallback.lines)
    assert fallback.services and all(h.open_now for h in fallback.services)


def _of(directory, found: list[str]):  # type: ignore[no-untyped-def]
    return [r for r in directory.resources if r.id in found]


# ---- the holder ----


def test_a_broken_reload_keeps_the_last_good_directory(tmp_path: Path) -> None:
    path = tmp_path / "dir.yaml"
    path.write_text(document(entry("a"), entry("b")))
    holder = DirectoryHolder(path)
    holder.load(TODAY)
    assert not holder.changed()
    path.write_text(document(entry("a", phone="nope")))
    assert holder.changed()
    result = holder.reload(TODAY)
    assert not result.applied and result.report.errors[0].kind == Problem.BAD_PHONE
    assert [r.id for r in holder.current.resources] == ["a", "b"]
    path.write_text(document(entry("c")))
    assert holder.reload(TODAY).applied
    assert [r.id for r in holder.current.resources] == ["c"]


def test_a_file_emptied_while_in_use_keeps_the_last_good_directory(tmp_path: Path) -> None:
    """Caught half-edited (`services: []`), it would leave officers without resources and
    the fallback without its 24/7 lines."""
    path = tmp_path / "dir.yaml"
    path.write_text(document(entry("a"), entry("b")))
    holder = DirectoryHolder(path)
    holder.load(TODAY)
    path.write_text("schema_version: 1\nservices: []\n")
    result = holder.reload(TODAY)
    assert not result.applied and result.count == 2
    assert "lists no services" in result.report.text()
    assert [r.id for r in holder.current.resources] == ["a", "b"]


def test_an_unchanged_file_touched_again_is_not_a_change(tmp_path: Path) -> None:
    import os

    path = tmp_path / "dir.yaml"
    path.write_text(document(entry("a")))
    holder = DirectoryHolder(path)
    holder.load(TODAY)
    later = (datetime.now() + timedelta(seconds=5)).timestamp()
    os.utime(path, (later, later))
    assert not holder.changed()
