"""What the words of a search say besides its topic, in French and English: "open now" /
"ouvert maintenant" (a filter, taken out of the text so it is not searched as a topic), an
age ("17 ans", "aged 80": taken out too), and who the person is (women or men, a minor, a
youth, a senior: these stay in the text, they are topics too, and also count as
eligibility). A search box that understands the few things officers type besides a topic."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flows.directory.index import TOKEN, fold
from flows.directory.search import Query


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


OPEN = _set("open opened ouvert ouverte ouverts ouvertes")
NOW = (("right", "now"), ("now",), ("maintenant",), ("en", "ce", "moment"), ("actuellement",))
NOW_BEFORE = _set("now currently actuellement")
YEARS = _set("an ans yo year years yr yrs")
AGED = _set("age agee aged")  # "âgé(e) de 80 ans", "aged 80"
AGE_TOKEN = re.compile(r"^(\d{1,3})(?:ans?|yo|y)?$")
MAX_AGE = 130
WOMEN = _set("femme femmes woman women female")
MEN = _set("homme hommes man men male")
# Words that say the person's age group, counted as eligibility. Not "enfant"/"child":
# "une femme et ses enfants" must still find the women's shelters (18+).
GROUPS: tuple[tuple[frozenset[str], tuple[int, int]], ...] = (
    (
        _set(
            "mineur mineure mineurs mineures minor minors ado ados adolescent adolescente "
            "adolescents adolescentes teen teens teenager teenagers"
        ),
        (0, 17),
    ),
    (_set("jeune jeunes youth young"), (0, 25)),
    (
        _set("aine ainee aines ainees agee agees senior seniors elder elderly"),
        (60, MAX_AGE),
    ),
)


@dataclass
class _Word:
    text: str  # as typed
    tokens: list[str]  # folded
    taken: int = 0  # tokens used up by a filter phrase


def read_query(text: str) -> Query:
    """The query these words make: filters found, their phrases out of the text."""
    words = [_Word(w, TOKEN.findall(fold(w))) for w in text.split()]
    stream = [(t, w) for w in words for t in w.tokens]
    tokens = [t for t, _ in stream]
    used = [False] * len(tokens)
    open_now = _open_now(tokens, used)
    age = _age(tokens, used)
    for (_, word), gone in zip(stream, used, strict=True):
        word.taken += gone
    kept = " ".join(w.text for w in words if not w.tokens or w.taken < len(w.tokens))
    free = [t for t, gone in zip(tokens, used, strict=True) if not gone]
    ages = (age, age) if age is not None else _age_group(free)
    return Query(words=kept, open_now=open_now, ages=ages, gender=_gender(free))


def _open_now(tokens: list[str], used: list[bool]) -> bool:
    """'open', 'ouvert(e)(s)', with 'now' / 'maintenant' / 'en ce moment' around it."""
    found = False
    for i, token in enumerate(tokens):
        if token not in OPEN:
            continue
        found = used[i] = True
        if i > 0 and tokens[i - 1] in NOW_BEFORE:
            used[i - 1] = True
        for phrase in NOW:
            if tuple(tokens[i + 1 : i + 1 + len(phrase)]) == phrase:
                used[i + 1 : i + 1 + len(phrase)] = [True] * len(phrase)
                break
    return found


def _age(tokens: list[str], used: list[bool]) -> int | None:
    """'17 ans', '17ans', '17 yo', '17-year-old', 'âgée de 80 ans', 'aged 80': the age.
    A bare number is not an age."""
    for i, token in enumerate(tokens):
        start, j = i, i
        if token in AGED:
            j = i + 2 if tokens[i + 1 : i + 2] in (["de"], ["of"]) else i + 1
        match = AGE_TOKEN.match(tokens[j]) if j < len(tokens) else None
        if match is None or int(match.group(1)) > MAX_AGE:
            continue
        end = j + 1
        unit = match.group(0) != match.group(1)
        if not unit and end < len(tokens) and tokens[end] in YEARS:
            unit, end = True, end + 1
            if end < len(tokens) and tokens[end] == "old":
                end += 1
        if not unit and start == j:
            continue  # a bare number
        used[start:end] = [True] * (end - start)
        return int(match.group(1))
    return None


def _age_group(tokens: list[str]) -> tuple[int, int] | None:
    """The ages the group words say ('jeune ado': 0-17); none when they disagree."""
    said = [ages for words, ages in GROUPS if any(t in words for t in tokens)]
    if not said:
        return None
    low, high = max(a[0] for a in said), min(a[1] for a in said)
    return (low, high) if low <= high else None


def _gender(tokens: list[str]) -> str | None:
    """'women' or 'men' when the words say one of them only."""
    women = any(t in WOMEN for t in tokens)
    men = any(t in MEN for t in tokens)
    if women == men:
        return None
    return "women" if women else "men"
