"""The directory file's values of the wrong type or empty: each one is an error with its line,
entry and field, never a service or a restriction silently dropped."""

from __future__ import annotations

from datetime import date

import pytest

from flows.directory import Directory, Problem, load_text

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
