"""The directory file's values of the wrong type or empty: each one is an error with its line,
entry and field, never a service or a restriction silently dropped."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from flows.directory import Directory, DirectoryError, DirectoryHolder, Problem, load_text

TODAY = date(2026, 11, 23)
HEAD = "schema_version: 1\ntimezone: America/Montreal\n"
Found = tuple[Problem, int | None, str | None, str | None]  # kind, line, entry, field


def service(rid: str = "a-1", extra: str = "", **fields: str) -> str:
    """One service's lines; fields replace the defaults, extra lines are added."""
    base = {
        "organization": "Org",
        "name": "{fr: Nom, en: Name}",
        "description": "{fr: Desc, en: Desc}",
        "categories": "[crisis_line]",
        "phone": "514-555-0100",
        "hours": '"24/7"',
        "languages": "[fr, en]",
    }
    base.update(fields)
    body = "".join(f"    {k}: {v}\n" for k, v in base.items())
    return f"  - id: {rid}\n{body}{extra}"


def load(*services: str, head: str = HEAD) -> tuple[Directory, list[Found]]:
    """Load the services under head; the errors as (kind, line, entry, field)."""
    directory, report = load_text(head + "services:\n" + "".join(services), TODAY)
    return directory, [(f.kind, f.line, f.entry, f.field) for f in report.errors]


@pytest.mark.parametrize("rid", ["[sos-violence-conjugale]", "{x: y}"])
def test_an_id_that_is_not_text_is_an_error_not_a_dropped_service(rid: str) -> None:
    directory, errors = load(service("b-1"), service(rid))
    assert (Problem.BAD_VALUE, 12, None, "id") in errors
    assert not directory.resources


@pytest.mark.parametrize(
    ("field", "value", "line"),
    [("categories", "[]", 8), ("languages", "[]", 11), ("hours", "{}", 10),
     ("name", "{}", 6), ("organization", "''", 5)],
)  # fmt: skip
def test_a_required_field_given_empty_is_missing(field: str, value: str, line: int) -> None:
    directory, errors = load(service(**{field: value}))
    assert (Problem.MISSING_FIELD, line, "a-1", field) in errors
    assert len(errors) == 1, errors
    assert not directory.resources


def test_hours_where_every_day_is_closed_is_an_error() -> None:
    _, errors = load(service(hours="{mon: closed, weekend: closed}"))
    assert errors == [(Problem.BAD_HOURS, 10, "a-1", "hours")]


def test_optional_lists_may_be_empty() -> None:
    directory, errors = load(service(extra="    referral: []\n    closures: []\n"))
    assert errors == []
    assert len(directory.resources) == 1


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ("    eligibility:\n      gender: [women]\n", "eligibility.gender"),
        ("    verified_by: [a, b]\n", "verified_by"),
        ("    location:\n      address: {fr: a, en: b}\n", "location.address"),
        ("    closures:\n      - {from: 2026-12-24, note: [a]}\n", "closures.note"),
        ("    referral: [[walk_in]]\n", "referral"),
        ("    verified: maybe\n", "verified"),
        ("    eligibility:\n      genre: women\n", "eligibility.genre"),
        ("    capacity:\n      notes: {fr: a, en: b}\n", "capacity.notes"),
    ],
)
def test_a_value_of_the_wrong_type_is_an_error_with_its_field(extra: str, field: str) -> None:
    directory, errors = load(service(extra=extra))
    assert [(e[2], e[3]) for e in errors] == [("a-1", field)], errors
    assert not directory.resources
    assert errors[0][1] is not None and errors[0][1] >= 12


def test_an_organization_given_as_a_mapping_is_an_error() -> None:
    _, errors = load(service(organization="{fr: A, en: B}"))
    assert errors == [(Problem.BAD_VALUE, 5, "a-1", "organization")]


def test_a_bilingual_text_that_is_not_text_is_an_error() -> None:
    _, errors = load(service(name="{fr: [a], en: Name}"))
    assert errors == [(Problem.BAD_VALUE, 6, "a-1", "name.fr")]


@pytest.mark.parametrize(
    ("group", "field"),
    [
        ("  - words: [x]\n", "synonyms.categories"),
        ("  - words: [x]\n    categories: []\n", "synonyms.categories"),
        ("  - words: [[x], y]\n    categories: [shelter]\n", "synonyms.words"),
        ("  - words: []\n    categories: [shelter]\n", "synonyms.words"),
        (
            "  - words: [x]\n    categories: [shelter]\n    categorie: [food]\n",
            "synonyms.categorie",
        ),
    ],
)
def test_a_synonym_group_that_would_do_nothing_is_an_error(group: str, field: str) -> None:
    _, errors = load(service(), head=HEAD + "synonyms:\n" + group)
    assert [e[3] for e in errors] == [field], errors
    assert errors[0][1] is not None


def test_a_synonym_group_may_name_one_category_as_plain_text() -> None:
    directory, errors = load(
        service(), head=HEAD + "synonyms:\n  - words: [x]\n    categories: shelter\n"
    )
    assert errors == []
    assert directory.synonyms[0].categories == ("shelter",)


@pytest.mark.parametrize(
    ("line", "field"), [("sample: maybe\n", "sample"), ("notice: [a]\n", "notice")]
)
def test_top_level_values_of_the_wrong_type_are_errors(line: str, field: str) -> None:
    _, errors = load(service(), head=HEAD + line)
    assert errors == [(Problem.BAD_VALUE, 3, None, field)]


def test_a_file_listing_no_services_is_refused_by_validate_as_by_the_bot(tmp_path: Path) -> None:
    """The bot refuses `services: []` (most likely caught half-edited); so does validate."""
    path = tmp_path / "empty.yaml"
    path.write_text("schema_version: 1\nservices: []\n")
    _, report = load_text(path.read_text(), TODAY)
    assert [(f.kind, f.line, f.field) for f in report.errors] == [
        (Problem.MISSING_FIELD, 2, "services")
    ]
    result = CliRunner().invoke(main, ["directory", "validate", str(path)])
    assert result.exit_code == 1
    assert "lists no services" in result.output
    with pytest.raises(DirectoryError):
        DirectoryHolder(path).load(TODAY)


def test_capacity_updated_is_read_in_the_services_own_zone() -> None:
    note = "    capacity:\n      note: {fr: a, en: b}\n      updated: 2026-11-20T18:00\n"
    directory, errors = load(
        service("west", extra="    timezone: America/Vancouver\n" + note),
        service("east", extra=note),
    )
    assert errors == []
    west, east = (r.capacity_updated for r in directory.resources)
    assert west is not None and west.isoformat() == "2026-11-21T02:00:00+00:00"
    assert east is not None and east.isoformat() == "2026-11-20T23:00:00+00:00"
