"""What a loaded directory is: its resources and synonym table (entries.py) with the search
index built once from them (index.py), and the validation report whose every problem names
its line, entry and field."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from flows.directory.entries import Resource, SynonymGroup
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


@dataclass(frozen=True)
class Finding:
    """One problem of the file: where (line, entry id, field) and what."""

    severity: Severity
    kind: Problem
    line: int | None
    entry: str | None
    field: str | None
    message: str

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
