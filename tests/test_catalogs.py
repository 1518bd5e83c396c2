"""Translation catalogs: both languages have every key, with the same placeholders, and every
key the code asks for exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from bot.i18n import MissingTranslation, catalog, t
from flows.vocabulary import LANGUAGES, Category, EventKind, Outcome, Role, Urgency

ROOT = Path(__file__).resolve().parents[1]
LITERAL_KEY = re.compile(r"""\bt\(\s*[\w.\[\]"']+,\s*f?["']([a-z_]+\.[a-z_.{}]+)["']""")


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_catalogs_have_exactly_the_same_keys():
    assert set(catalog("fr")) == set(catalog("en"))


def test_no_translation_is_empty():
    for lang in LANGUAGES:
        assert [k for k, v in catalog(lang).items() if not v.strip()] == []


def test_placeholders_match_between_languages():
    fr, en = catalog("fr"), catalog("en")
    assert {k: placeholders(fr[k]) for k in fr} == {k: placeholders(en[k]) for k in fr}


def test_every_key_named_in_the_code_exists():
    used = set()
    for path in (ROOT / "bot").rglob("*.py"):
        used |= set(LITERAL_KEY.findall(path.read_text(encoding="utf-8")))
    assert used, "the scan found no key: the pattern is broken"
    expanded = set()
    for key in used:
        if "{" not in key:
            expanded.add(key)
            continue
        prefix = key.split("{")[0]
        matching = {k for k in catalog("fr") if k.startswith(prefix)}
        assert matching, key
        expanded |= matching
    assert sorted(expanded - set(catalog("fr"))) == []


@pytest.mark.parametrize(
    ("kind", "values"),
    [
        ("category", Category),
        ("urgency", Urgency),
        ("outcome", Outcome),
        ("role", Role),
        ("event", EventKind),
    ],
)
def test_every_vocabulary_id_has_a_label_in_both_languages(kind, values):
    for lang in LANGUAGES:
        for value in values:
            assert t(lang, f"{kind}.{value.value}")


def test_a_missing_key_is_a_loud_error_not_a_silent_blank():
    with pytest.raises(MissingTranslation):
        t("en", "no.such.key")


def test_an_unknown_language_falls_back_to_french():
    assert t("de", "lang.set") == t("fr", "lang.set")
