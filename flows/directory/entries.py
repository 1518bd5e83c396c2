"""What one entry of the directory is, shaped on Open Referral HSDS: a service of an
organization, at a location, on a schedule; and the groups of the synonym table. Plain
values: the search index (index.py) and the loaded directory (model.py) are built on them."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date, datetime

from flows.directory.hours import Hours
from flows.vocabulary import Category


@dataclass(frozen=True)
class Bilingual:
    fr: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.fr


@dataclass(frozen=True)
class Resource:
    id: str
    line: int
    organization: str
    name: Bilingual
    description: Bilingual
    categories: tuple[str, ...]
    served: frozenset[Category]  # the consultation categories its categories map to
    hours: Hours
    languages: tuple[str, ...]
    phone: str | None = None
    sms: str | None = None
    website: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    min_age: int | None = None
    max_age: int | None = None
    gender: str | None = None
    eligibility_notes: Bilingual | None = None
    referral: tuple[str, ...] = ()
    capacity_note: Bilingual | None = None
    capacity_updated: datetime | None = None
    last_verified: date | None = None
    verified_by: str | None = None
    verified: bool = True

    @property
    def checksum(self) -> int:
        """A short fingerprint of the id, so a button made before a reload is recognised."""
        return zlib.crc32(self.id.encode()) % 1_000_000

    @property
    def located(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def accepts_ages(self, low: int, high: int) -> bool:
        """Whether someone aged low..high (one age: low == high) may be served here."""
        return (self.min_age is None or high >= self.min_age) and (
            self.max_age is None or low <= self.max_age
        )

    def accepts_gender(self, gender: str) -> bool:
        """Whether the service's eligibility admits this gender (no restriction: yes)."""
        return self.gender in (None, "any", gender)


@dataclass(frozen=True)
class SynonymGroup:
    words: tuple[str, ...]
    categories: tuple[str, ...] = ()
