"""Read and validate resources_directory.yaml as a whole: every problem is collected (line,
entry id, field) before anything is decided, so one run of `relais directory validate` shows
all there is to fix. Scalars arrive as strings and the schema types them."""

from __future__ import annotations

import gc
import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flows.directory import categories
from flows.directory.entries import Bilingual, Resource, SynonymGroup
from flows.directory.fastyaml import Unsupported, parse_fast
from flows.directory.hours import ALWAYS, Closure, Hours, HoursError
from flows.directory.model import SCHEMA_VERSION, Directory, Finding, Problem, Report, Severity
from flows.directory.tree import LList, LMap, SyntaxProblem, parse_reference

LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
PHONE_CHARS = re.compile(r"^\+?[0-9 ()./-]+$")
EXTENSION = re.compile(r"\s*(?:ext\.?|x|poste|#)\s*(\d{1,6})$", re.IGNORECASE)
SHORT_CODES = {"211", "311", "411", "511", "611", "711", "811", "911", "988"}
URL = re.compile(r"^https?://[^\s/]+\.[^\s]+$")
REFERRALS = {"walk_in", "police_referral", "phone_first", "appointment", "self_referral"}
GENDERS = {"any", "women", "men", "non_binary"}
TOP_LEVEL = {"schema_version", "sample", "notice", "timezone", "synonyms", "services"}
FIELDS = {
    "id", "organization", "name", "description", "categories", "phone", "sms", "website",
    "location", "hours", "closures", "timezone", "languages", "eligibility", "referral",
    "capacity", "last_verified", "verified_by", "verified",
}  # fmt: skip
LOCATION_FIELDS = {"address", "latitude", "longitude"}
ELIGIBILITY_FIELDS = {"min_age", "max_age", "gender", "notes"}
CAPACITY_FIELDS = {"note", "updated"}
CLOSURE_FIELDS = {"from", "to", "note"}
SYNONYM_FIELDS = {"words", "categories"}
REQUIRED = ("id", "organization", "name", "description", "categories", "hours", "languages")


class DirectoryError(Exception):
    """The file cannot be used; carries the full report."""

    def __init__(self, path: Path, report: Report) -> None:
        super().__init__(f"{path}: {len(report.errors)} error(s)")
        self.path = path
        self.report = report


def load_path(path: Path, today: date, stale_months: int = 12) -> tuple[Directory, Report]:
    """Read and validate a file; the directory is empty when the report has errors."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        report = Report()
        report.findings.append(
            Finding.of(Severity.ERROR, Problem.SYNTAX, (None, None, None), "unreadable", detail=exc)
        )
        return Directory(), report
    return load_text(data.decode("utf-8", errors="replace"), today, stale_months, _digest(data))


def read_tree(text: str) -> object:
    """Parse a whole document, fast when the text keeps to the documented style."""
    with _no_gc():
        try:
            return parse_fast(text)
        except Unsupported:
            return parse_reference(text)


@contextmanager
def _no_gc() -> Iterator[None]:
    """Building ~10^6 small containers: the cyclic collector would rescan them again and
    again (it triples the load time), and the tree has no cycles to collect."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_text(
    text: str, today: date, stale_months: int = 12, digest: str | None = None
) -> tuple[Directory, Report]:
    """Parse and validate text; every problem goes to the report."""
    report = Report()
    try:
        tree = read_tree(text)
    except SyntaxProblem as exc:
        report.findings.append(
            Finding.of(
                Severity.ERROR, Problem.SYNTAX, (exc.line, None, None), "parser", detail=exc.reason
            )
        )
        return Directory(), report
    checker = _Checker(report, today, stale_months)
    directory = checker.document(tree)
    directory.digest = digest or _digest(text.encode())
    return (directory if report.ok else Directory()), report


class _Checker:
    def __init__(self, report: Report, today: date, stale_months: int) -> None:
        self.report = report
        self.today = today
        self.stale_before = today - timedelta(days=round(stale_months * 30.44))
        self.stale_months = stale_months
        self.zone = ZoneInfo("America/Montreal")
        self.patterns: dict[tuple[object, ...], int] = {}

    def error(
        self,
        kind: Problem,
        line: int | None,
        entry: str | None,
        name: str | None,
        code: str,
        **params: object,
    ) -> None:
        """One error: where (line, entry id, field), and its code (model.MESSAGES)."""
        finding = Finding.of(Severity.ERROR, kind, (line, entry, name), code, **params)
        self.report.findings.append(finding)

    def document(self, tree: object) -> Directory:
        if not isinstance(tree, LMap):
            self.error(Problem.SYNTAX, 1, None, None, "not_a_mapping")
            return Directory()
        for key in tree:
            if key not in TOP_LEVEL:
                self.error(Problem.UNKNOWN_FIELD, tree.key_lines[key], None, key, "unknown_key")
        self._duplicate_keys(tree, None)
        version = tree.get("schema_version")
        if version != str(SCHEMA_VERSION):
            self.error(
                Problem.BAD_VALUE,
                tree.key_lines.get("schema_version", tree.line),
                None,
                "schema_version",
                "schema_version",
                version=SCHEMA_VERSION,
            )
        if "timezone" in tree:
            zone = self._zone(tree["timezone"], tree.key_lines["timezone"], None)
            self.zone = zone or self.zone
        if "sample" in tree and _bool(tree["sample"]) is None:
            self.error(Problem.BAD_VALUE, tree.key_lines["sample"], None, "sample", "true_or_false")
        self._text(tree, "notice", None)
        synonyms = self._synonyms(tree.get("synonyms"), tree.key_lines.get("synonyms"))
        services = tree.get("services")
        resources: list[Resource] = []
        if not isinstance(services, LList):
            self.error(
                Problem.MISSING_FIELD,
                tree.key_lines.get("services", tree.line),
                None,
                "services",
                "services_missing",
            )
        elif not services:  # the bot would refuse it: most likely caught half-edited
            self.error(
                Problem.MISSING_FIELD,
                tree.key_lines["services"],
                None,
                "services",
                "services_empty",
            )
        else:
            seen: dict[str, int] = {}
            for item, line in zip(services, services.item_lines, strict=True):
                resource = self._service(item, line, seen)
                if resource is not None:
                    resources.append(resource)
        return Directory(
            resources=tuple(resources),
            synonyms=synonyms,
            sample=_bool(tree.get("sample")) is True,
        )

    def _keys(self, mapping: LMap, allowed: set[str], rid: str | None, prefix: str) -> None:
        """A nested mapping's misspelt or repeated keys (`eligibility: {genre: women}`)."""
        for key in mapping:
            if key not in allowed:
                line = mapping.key_lines[key]
                self.error(Problem.UNKNOWN_FIELD, line, rid, f"{prefix}.{key}", "unknown_field")
        self._duplicate_keys(mapping, rid)

    def _text(
        self, mapping: LMap, key: str, rid: str | None, label: str | None = None
    ) -> str | None:
        """An optional one-line text; a list or a mapping there is an error, not dropped."""
        value = mapping.get(key)
        if value is None or isinstance(value, str):
            return _str(value)
        self.error(
            Problem.BAD_VALUE,
            mapping.key_lines[key],
            rid,
            label or key,
            "text_not_list" if isinstance(value, LList) else "text_not_mapping",
        )
        return None

    def _duplicate_keys(self, mapping: LMap, entry: str | None) -> None:
        for key, first, again in mapping.duplicates:
            self.error(Problem.BAD_VALUE, again, entry, key, "given_twice", first=first)

    def _synonyms(self, value: object, line: int | None) -> tuple[SynonymGroup, ...]:
        if value is None:
            return ()
        if not isinstance(value, LList):
            self.error(Problem.BAD_VALUE, line, None, "synonyms", "synonyms_list")
            return ()
        groups = []
        for item, item_line in zip(value, value.item_lines, strict=True):
            if not isinstance(item, LMap):
                self.error(Problem.BAD_VALUE, item_line, None, "synonyms", "synonym_words")
                continue
            self._keys(item, SYNONYM_FIELDS, None, "synonyms")
            words = self._words(item, item_line)
            found = self._synonym_categories(item, item_line)
            if words and found:
                groups.append(SynonymGroup(words, found))
        return tuple(groups)

    def _words(self, group: LMap, line: int) -> tuple[str, ...]:
        """A synonym group's words: a non-empty list of texts."""
        value = group.get("words")
        line = group.key_lines.get("words", line)
        if not isinstance(value, LList) or not value:
            self.error(Problem.MISSING_FIELD, line, None, "synonyms.words", "synonym_words")
            return ()
        words = tuple(w.strip() for w in value if isinstance(w, str) and w.strip())
        if len(words) < len(value):
            self.error(Problem.BAD_VALUE, line, None, "synonyms.words", "synonym_word_text")
            return ()
        return words

    def _synonym_categories(self, group: LMap, line: int) -> tuple[str, ...]:
        """A synonym group's categories: one or a list of known ones, at least one."""
        value = group.get("categories")
        line = group.key_lines.get("categories", line)
        if _blank(value):
            self.error(
                Problem.MISSING_FIELD, line, None, "synonyms.categories", "synonym_categories"
            )
            return ()
        found: list[str] = []
        for c in value if isinstance(value, LList) else [value]:
            if not isinstance(c, str) or not categories.is_known(c):
                self.error(
                    Problem.UNKNOWN_CATEGORY,
                    line,
                    None,
                    "synonyms.categories",
                    "not_a_category",
                    value=repr(c),
                )
            else:
                found.append(c)
        return tuple(found)

    def _service(self, item: object, line: int, seen: dict[str, int]) -> Resource | None:
        if not isinstance(item, LMap):
            self.error(Problem.BAD_VALUE, line, None, None, "service_mapping")
            return None
        raw_id = item.get("id")
        rid = raw_id if isinstance(raw_id, str) else None
        before = len(self.report.errors)
        lines = item.key_lines
        if raw_id is not None and rid is None:
            self.error(Problem.BAD_VALUE, lines["id"], None, "id", "id_not_text")
        if rid is not None and not ID.match(rid):
            self.error(Problem.BAD_VALUE, lines["id"], rid, "id", "id_characters")
        if rid is not None:
            if rid in seen:
                self.error(
                    Problem.DUPLICATE_ID,
                    lines["id"],
                    rid,
                    "id",
                    "id_used",
                    first=seen[rid],
                )
            else:
                seen[rid] = lines["id"]
        self._duplicate_keys(item, rid)
        for key in item:
            if key not in FIELDS:
                self.error(Problem.UNKNOWN_FIELD, lines[key], rid, key, "unknown_field")
        for key in REQUIRED:
            if _blank(item.get(key)):
                self.error(Problem.MISSING_FIELD, lines.get(key, line), rid, key, "required")
        organization = self._text(item, "organization", rid)
        name = self._bilingual(item, "name", rid)
        description = self._bilingual(item, "description", rid)
        cats = self._categories(item, rid)
        zone = self.zone
        if "timezone" in item:
            zone = self._zone(item["timezone"], lines["timezone"], rid) or zone
        closures = self._closures(item, rid)
        hours = self._hours(item, rid, zone, closures)
        languages = self._languages(item, rid)
        phone = self._phone(item, "phone", rid)
        sms = self._phone(item, "sms", rid, short_ok=True)
        website = self._url(item, rid)
        address, lat, lon = self._location(item, rid)
        min_age, max_age, gender, notes = self._eligibility(item, rid)
        referral = self._referral(item, rid)
        cap_note, cap_updated = self._capacity(item, rid, zone)
        verified_on = self._date(item, "last_verified", rid)
        verified_by = self._text(item, "verified_by", rid)
        verified = _bool(item.get("verified"))
        if "verified" in item and verified is None:
            self.error(Problem.BAD_VALUE, lines["verified"], rid, "verified", "true_or_false")
        if verified_on is not None and verified_on < self.stale_before:
            self.report.findings.append(
                Finding.of(
                    Severity.WARNING,
                    Problem.STALE,
                    (lines["last_verified"], rid, "last_verified"),
                    "stale",
                    date=verified_on.isoformat(),
                    months=self.stale_months,
                )
            )
        if len(self.report.errors) > before or rid is None or hours is None:
            return None
        key = (str(hours.zone), hours.always, hours.intervals, hours.closures)
        hours = replace(hours, pattern=self.patterns.setdefault(key, len(self.patterns)))
        assert name is not None and description is not None
        return Resource(
            id=rid,
            line=line,
            organization=organization or "",
            name=name,
            description=description,
            categories=cats,
            served=frozenset(categories.consultation_category(c) for c in cats),
            hours=hours,
            languages=languages,
            phone=phone,
            sms=sms,
            website=website,
            address=address,
            latitude=lat,
            longitude=lon,
            min_age=min_age,
            max_age=max_age,
            gender=gender,
            eligibility_notes=notes,
            referral=referral,
            capacity_note=cap_note,
            capacity_updated=cap_updated,
            last_verified=verified_on,
            verified_by=verified_by,
            verified=verified is not False,
        )

    def _bilingual(self, item: LMap, key: str, rid: str | None) -> Bilingual | None:
        value = item.get(key)
        if value is None or (key in REQUIRED and _blank(value)):  # reported as missing
            return None
        line = item.key_lines[key]
        if not isinstance(value, LMap):
            self.error(Problem.MISSING_TRANSLATION, line, rid, key, "both_languages")
            return None
        self._duplicate_keys(value, rid)
        missing = []
        for lang in ("fr", "en"):
            text = value.get(lang)
            if text is not None and not isinstance(text, str):
                self.error(Problem.BAD_VALUE, value.key_lines[lang], rid, f"{key}.{lang}", "a_text")
                return None
            if not _str(text):
                missing.append(lang)
        for lang in missing:
            self.error(
                Problem.MISSING_TRANSLATION,
                value.key_lines.get(lang, line),
                rid,
                f"{key}.{lang}",
                "french_missing" if lang == "fr" else "english_missing",
            )
        if missing:
            return None
        return Bilingual(str(value["fr"]), str(value["en"]))

    def _categories(self, item: LMap, rid: str | None) -> tuple[str, ...]:
        value = item.get("categories")
        if value is None:
            return ()
        line = item.key_lines["categories"]
        values = value if isinstance(value, LList) else [value]
        found: list[str] = []
        for c in values:
            if not isinstance(c, str) or not categories.is_known(c):
                self.error(
                    Problem.UNKNOWN_CATEGORY,
                    line,
                    rid,
                    "categories",
                    "not_a_category_known",
                    value=repr(c),
                    known=", ".join(categories.ALL),
                )
            elif c not in found:
                found.append(c)
        return tuple(found)

    def _zone(self, value: object, line: int, rid: str | None) -> ZoneInfo | None:
        try:
            return ZoneInfo(str(value))
        except (ZoneInfoNotFoundError, ValueError):
            self.error(Problem.BAD_VALUE, line, rid, "timezone", "not_a_zone", value=repr(value))
            return None

    def _hours(
        self, item: LMap, rid: str | None, zone: ZoneInfo, closures: tuple[Closure, ...]
    ) -> Hours | None:
        value = item.get("hours")
        if value is None:
            return None
        line = item.key_lines["hours"]
        if isinstance(value, str):
            if value.strip() == ALWAYS:
                return Hours(zone=zone, always=True, closures=closures)
            self.error(Problem.BAD_HOURS, line, rid, "hours", "hours_text", value=repr(value))
            return None
        if not isinstance(value, LMap):
            self.error(Problem.BAD_HOURS, line, rid, "hours", "hours_shape")
            return None
        if not value:  # reported as missing
            return None
        days: dict[str, list[str]] = {}
        ok = True
        for day, spans in value.items():
            texts = list(spans) if isinstance(spans, LList) else [spans]
            if not all(isinstance(s, str) for s in texts):
                self.error(
                    Problem.BAD_HOURS,
                    value.key_lines[day],
                    rid,
                    f"hours.{day}",
                    "hours_spans",
                )
                ok = False
                continue
            try:
                Hours.from_days(zone, {day: [str(s) for s in texts]})
            except HoursError as exc:
                self.error(
                    Problem.BAD_HOURS,
                    value.key_lines[day],
                    rid,
                    f"hours.{day}",
                    exc.code,
                    value=exc.value,
                )
                ok = False
                continue
            days[day] = [str(s) for s in texts]
        if not ok:
            return None
        hours = Hours.from_days(zone, days, closures)
        if not hours.intervals:
            self.error(Problem.BAD_HOURS, line, rid, "hours", "never_open")
            return None
        return hours

    def _closures(self, item: LMap, rid: str | None) -> tuple[Closure, ...]:
        value = item.get("closures")
        if value is None:
            return ()
        if not isinstance(value, LList):
            self.error(
                Problem.BAD_HOURS, item.key_lines["closures"], rid, "closures", "closures_list"
            )
            return ()
        found = []
        for entry, line in zip(value, value.item_lines, strict=True):
            if not isinstance(entry, LMap):
                self.error(Problem.BAD_HOURS, line, rid, "closures", "closure_shape")
                continue
            self._keys(entry, CLOSURE_FIELDS, rid, "closures")
            note = self._text(entry, "note", rid, "closures.note")
            start = self._date(entry, "from", rid, "closures.from")
            end = self._date(entry, "to", rid, "closures.to") if "to" in entry else start
            if start is None or end is None:
                if "from" not in entry:
                    self.error(Problem.BAD_HOURS, line, rid, "closures.from", "required")
                continue
            if end < start:
                self.error(Problem.BAD_HOURS, line, rid, "closures", "closure_order")
                continue
            found.append(Closure(start, end, note or ""))
        return tuple(found)

    def _languages(self, item: LMap, rid: str | None) -> tuple[str, ...]:
        value = item.get("languages")
        if value is None:
            return ()
        values = value if isinstance(value, LList) else [value]
        found = []
        for v in values:
            if not isinstance(v, str) or not LANGUAGE_CODE.match(v):
                self.error(
                    Problem.BAD_VALUE,
                    item.key_lines["languages"],
                    rid,
                    "languages",
                    "not_a_language",
                    value=repr(v),
                )
            else:
                found.append(v)
        return tuple(found)

    def _phone(self, item: LMap, key: str, rid: str | None, short_ok: bool = False) -> str | None:
        value = item.get(key)
        if value is None:
            return None
        text = str(value).strip()
        if phone_ok(text, short_ok):
            return text
        self.error(
            Problem.BAD_PHONE,
            item.key_lines[key],
            rid,
            key,
            "not_a_phone",
            value=repr(text),
        )
        return None

    def _url(self, item: LMap, rid: str | None) -> str | None:
        value = item.get("website")
        if value is None:
            return None
        if isinstance(value, str) and URL.match(value):
            return value
        self.error(Problem.BAD_VALUE, item.key_lines["website"], rid, "website", "not_a_url")
        return None

    def _location(
        self, item: LMap, rid: str | None
    ) -> tuple[str | None, float | None, float | None]:
        value = item.get("location")
        if value is None:
            return None, None, None
        if not isinstance(value, LMap):
            self.error(Problem.BAD_VALUE, item.key_lines["location"], rid, "location", "a_mapping")
            return None, None, None
        self._keys(value, LOCATION_FIELDS, rid, "location")
        coords: list[float | None] = []
        for key, limit in (("latitude", 90.0), ("longitude", 180.0)):
            raw = value.get(key)
            if raw is None:
                coords.append(None)
                continue
            line = value.key_lines[key]
            try:
                number = float(str(raw))
            except ValueError:
                self.error(
                    Problem.BAD_VALUE, line, rid, f"location.{key}", "a_number", value=repr(raw)
                )
                coords.append(None)
                continue
            if not -limit <= number <= limit:
                self.error(
                    Problem.COORDINATES_OUT_OF_RANGE,
                    line,
                    rid,
                    f"location.{key}",
                    "out_of_range",
                    value=number,
                    limit=f"{limit:g}",
                )
                coords.append(None)
                continue
            coords.append(number)
        if (coords[0] is None) != (coords[1] is None):
            self.error(
                Problem.MISSING_FIELD,
                item.key_lines["location"],
                rid,
                "location",
                "both_coordinates",
            )
        return self._text(value, "address", rid, "location.address"), coords[0], coords[1]

    def _eligibility(
        self, item: LMap, rid: str | None
    ) -> tuple[int | None, int | None, str | None, Bilingual | None]:
        value = item.get("eligibility")
        if value is None:
            return None, None, None, None
        if not isinstance(value, LMap):
            self.error(
                Problem.BAD_VALUE, item.key_lines["eligibility"], rid, "eligibility", "a_mapping"
            )
            return None, None, None, None
        self._keys(value, ELIGIBILITY_FIELDS, rid, "eligibility")
        ages: list[int | None] = []
        for key in ("min_age", "max_age"):
            raw = value.get(key)
            if raw is None:
                ages.append(None)
            elif isinstance(raw, str) and raw.isdigit() and int(raw) <= 130:
                ages.append(int(raw))
            else:
                self.error(
                    Problem.BAD_VALUE,
                    value.key_lines[key],
                    rid,
                    f"eligibility.{key}",
                    "an_age",
                    value=repr(raw),
                )
                ages.append(None)
        if ages[0] is not None and ages[1] is not None and ages[0] > ages[1]:
            self.error(
                Problem.BAD_VALUE,
                value.key_lines["min_age"],
                rid,
                "eligibility",
                "ages_order",
            )
        gender = self._text(value, "gender", rid, "eligibility.gender")
        if gender is not None and gender not in GENDERS:
            self.error(
                Problem.BAD_VALUE,
                value.key_lines["gender"],
                rid,
                "eligibility.gender",
                "one_of",
                value=repr(gender),
                choices=", ".join(sorted(GENDERS)),
            )
        notes = self._bilingual(value, "notes", rid) if "notes" in value else None
        return ages[0], ages[1], gender, notes

    def _referral(self, item: LMap, rid: str | None) -> tuple[str, ...]:
        value = item.get("referral")
        if value is None:
            return ()
        values = value if isinstance(value, LList) else [value]
        found = []
        for v in values:
            if not isinstance(v, str) or v not in REFERRALS:
                self.error(
                    Problem.BAD_VALUE,
                    item.key_lines["referral"],
                    rid,
                    "referral",
                    "one_of",
                    value=repr(v),
                    choices=", ".join(sorted(REFERRALS)),
                )
            else:
                found.append(str(v))
        return tuple(found)

    def _capacity(
        self, item: LMap, rid: str | None, zone: ZoneInfo
    ) -> tuple[Bilingual | None, datetime | None]:
        """The capacity note and its time, local to the service's zone unless it says one."""
        value = item.get("capacity")
        if value is None:
            return None, None
        if not isinstance(value, LMap):
            self.error(Problem.BAD_VALUE, item.key_lines["capacity"], rid, "capacity", "a_mapping")
            return None, None
        self._keys(value, CAPACITY_FIELDS, rid, "capacity")
        note = self._bilingual(value, "note", rid) if "note" in value else None
        updated = None
        raw = value.get("updated")
        if raw is not None:
            try:
                updated = datetime.fromisoformat(str(raw))
                if updated.tzinfo is None:
                    updated = updated.replace(tzinfo=zone)
                updated = updated.astimezone(UTC)
            except ValueError:
                self.error(
                    Problem.BAD_VALUE,
                    value.key_lines["updated"],
                    rid,
                    "capacity.updated",
                    "a_datetime",
                    value=repr(raw),
                )
        return note, updated

    def _date(self, item: LMap, key: str, rid: str | None, label: str | None = None) -> date | None:
        raw = item.get(key)
        if raw is None:
            return None
        try:
            return date.fromisoformat(str(raw))
        except ValueError:
            self.error(
                Problem.BAD_VALUE,
                item.key_lines[key],
                rid,
                label or key,
                "a_date",
                value=repr(raw),
            )
            return None


def phone_ok(text: str, short_ok: bool = False) -> bool:
    """North American numbers (10 digits, or 11 with a leading 1), N11 and 988 short codes,
    an optional extension; SMS may also use 4–6 digit short codes."""
    text = EXTENSION.sub("", text)
    if not PHONE_CHARS.match(text):
        return False
    digits = re.sub(r"\D", "", text)
    if digits in SHORT_CODES:
        return True
    if short_ok and 4 <= len(digits) <= 6:
        return True
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    return len(digits) == 10 and digits[0] in "23456789" and digits[3] in "23456789"


def _blank(value: object) -> bool:
    """Absent, empty text, or an empty list or mapping: a required field not given."""
    if isinstance(value, str):
        return not value.strip()
    return value is None or (isinstance(value, LList | LMap) and not value)


def _str(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _bool(value: object) -> bool | None:
    if isinstance(value, str):
        lowered = value.lower()
        if lowered in ("true", "yes"):
            return True
        if lowered in ("false", "no"):
            return False
    return None
