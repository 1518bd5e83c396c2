"""What a loaded directory is: its resources and synonym table (entries.py) with the search
index built once from them (index.py), and the validation report whose every problem names
its line, entry and field."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from flows.directory.entries import Resource, SynonymGroup
from flows.directory.hours import MESSAGES as HOURS_MESSAGES
from flows.directory.index import Index

SCHEMA_VERSION = 1


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Problem(StrEnum):
    SYNTAX = "syntax"
    MISSING_FIELD = "missing_field"
    UNKNOWN_FIELD = "unknown_field"
    UNKNOWN_CATEGORY = "unknown_category"
    BAD_PHONE = "bad_phone"
    BAD_HOURS = "bad_hours"
    DUPLICATE_ID = "duplicate_id"
    MISSING_TRANSLATION = "missing_translation"
    COORDINATES_OUT_OF_RANGE = "coordinates_out_of_range"
    BAD_VALUE = "bad_value"
    STALE = "stale"


MESSAGES = {  # code -> the English text (the CLI's); the bot's catalogs: directory.problem.<code>
    "unreadable": "cannot read: {detail}",
    "parser": "{detail}",
    "not_a_mapping": "the file must be a mapping with services:",
    "unknown_key": "unknown key",
    "unknown_field": "unknown field",
    "schema_version": "must be {version} (this program reads schema version {version})",
    "true_or_false": "true or false",
    "services_missing": "a list of services is required",
    "services_empty": "the file lists no services (at least one is needed)",
    "text_not_list": "one text, not a list",
    "text_not_mapping": "one text, not a mapping",
    "given_twice": "given twice (first on line {first})",
    "synonyms_list": "must be a list of groups",
    "synonym_words": "a group needs words: [...]",
    "synonym_word_text": "each word is a text",
    "synonym_categories": "a group needs categories",
    "not_a_category": "{value} is not a category",
    "not_a_category_known": "{value} is not a category (known: {known})",
    "service_mapping": "a service must be a mapping",
    "id_not_text": "an id is one word, not a list",
    "id_characters": "lowercase letters, digits, - and _",
    "id_used": "already used on line {first}",
    "required": "required",
    "stale": "last verified {date}, more than {months} months ago",
    "both_languages": "give both fr: and en:",
    "a_text": "a text",
    "french_missing": "the French text is missing",
    "english_missing": "the English text is missing",
    "not_a_zone": "{value} is not a time zone",
    "hours_text": "{value}: use 24/7 or days with spans",
    "hours_shape": "24/7 or a mapping of days",
    "hours_spans": "spans such as 09:00-17:00 or closed",
    "never_open": "never open: give a span or 24/7",
    "closures_list": "must be a list",
    "closure_shape": "{from: date, to: date}",
    "closure_order": "ends before it starts",
    "not_a_language": "{value} is not a language code such as fr or en",
    "not_a_phone": "{value} is not a phone number (e.g. 514-555-0123, 1-800-363-9010, 811)",
    "not_a_url": "an http(s) address",
    "a_mapping": "a mapping",
    "a_number": "{value}: a number",
    "out_of_range": "{value} is outside -{limit}..{limit}",
    "both_coordinates": "give both latitude and longitude",
    "an_age": "{value}: an age 0..130",
    "ages_order": "min_age is above max_age",
    "one_of": "{value}: one of {choices}",
    "a_datetime": "{value}: a date and time such as 2026-11-20T08:00",
    "a_date": "{value}: a date such as 2026-01-31",
    **HOURS_MESSAGES,
}


@dataclass(frozen=True)
class Finding:
    """One problem of the file: where (line, entry id, field) and what: code and params
    (for the catalogs), message (the English text, for the CLI)."""

    severity: Severity
    kind: Problem
    line: int | None
    entry: str | None
    field: str | None
    message: str
    code: str = ""
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(
        cls,
        severity: Severity,
        kind: Problem,
        where: tuple[int | None, str | None, str | None],
        code: str,
        **params: object,
    ) -> Finding:
        """A finding from its code; where: line, entry id, field."""
        texts = {k: str(v) for k, v in params.items()}
        template = MESSAGES[code]  # filled only when it has parameters, as the catalogs are
        message = template.format(**texts) if texts else template
        return cls(severity, kind, *where, message, code, tuple(texts.items()))

    def __str__(self) -> str:
        where = [f"line {self.line}" if self.line else "file"]
        if self.entry:
            where.append(f"entry {self.entry}")
        if self.field:
            where.append(f"field {self.field}")
        return f"{self.severity.value}: {', '.join(where)}: {self.message} [{self.kind.value}]"


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    def text(self, limit: int | None = None) -> str:
        """Errors first, then warnings, one per line (cut after limit lines, saying so)."""
        ordered = self.errors + self.warnings
        shown = ordered if limit is None else ordered[:limit]
        lines = [str(f) for f in shown]
        if len(shown) < len(ordered):
            lines.append(f"… and {len(ordered) - len(shown)} more")
        lines.append(f"{len(self.errors)} error(s), {len(self.warnings)} warning(s)")
        return "\n".join(lines)


@dataclass
class Directory:
    resources: tuple[Resource, ...] = ()
    synonyms: tuple[SynonymGroup, ...] = ()
    version: int = SCHEMA_VERSION
    sample: bool = False
    digest: str = ""
    _index: Index | None = field(default=None, repr=False)

    @property
    def index(self) -> Index:
        """The search index, built once per loaded directory."""
        if self._index is None:
            self._index = Index(self.resources, self.synonyms)
        return self._index

    def at(self, position: int, checksum: int) -> Resource | None:
        """The resource a button designates, or None when the directory changed under it."""
        if 0 <= position < len(self.resources):
            found = self.resources[position]
            if found.checksum == checksum:
                return found
        return None

    def position(self, resource_id: str) -> int | None:
        for i, r in enumerate(self.resources):
            if r.id == resource_id:
                return i
        return None
