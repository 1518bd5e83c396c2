"""The search index of a loaded directory: accent- and case-insensitive tokens of both
languages weighted by field, with the synonym table of the data; typo tolerance by rapidfuzz
on the index's vocabulary (not on every entry); per-category position lists; opening hours
by pattern. Built once per loaded directory (model.py), so a search (search.py) costs a few
dictionary lookups."""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from flows.directory.entries import Resource, SynonymGroup
from flows.directory.hours import Hours

TOKEN = re.compile(r"[a-z0-9]+")
_STOP = "de la le les des du un une et ou pour en au aux the of for and or in to an on at avec sur"
STOPWORDS = frozenset((_STOP + " dans est with sans without").split())
NAME, ORGANIZATION, CATEGORY, DESCRIPTION = 3.0, 2.0, 2.0, 1.0
EXACT, PREFIX, FUZZY = 1.0, 0.9, 0.75


def fold(text: str) -> str:
    """Lowercase without accents: 'Itinérance' -> 'itinerance'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def tokens(text: str) -> list[str]:
    return [w for w in TOKEN.findall(fold(text)) if len(w) > 1 and w not in STOPWORDS]


class Index:
    """Postings (folded token -> position -> weight), a sorted vocabulary for prefixes and
    fuzzy matching, and per-category position lists."""

    def __init__(self, resources: tuple[Resource, ...], synonyms: tuple[SynonymGroup, ...]) -> None:
        self.resources = resources
        self.postings: dict[str, dict[int, float]] = {}
        self.by_category: dict[str, list[int]] = {}
        self.expansions: dict[str, frozenset[str]] = {}
        category_words: dict[str, set[str]] = {}
        for group in synonyms:
            group_tokens = frozenset(t for w in group.words for t in tokens(w))
            for cat in group.categories:
                category_words.setdefault(cat, set()).update(group_tokens)
            for token in group_tokens:
                self.expansions[token] = self.expansions.get(token, frozenset()) | group_tokens
        for pos, r in enumerate(self.resources):
            weights: dict[str, float] = {}
            self._add(weights, tokens(r.name.fr + " " + r.name.en), NAME)
            self._add(weights, tokens(r.organization), ORGANIZATION)
            cat_tokens: list[str] = []
            for cat in r.categories:
                cat_tokens += tokens(cat.replace("_", " "))
                cat_tokens += category_words.get(cat, ())
            for served in r.served:
                cat_tokens += category_words.get(served.value, ())
            self._add(weights, cat_tokens, CATEGORY)
            self._add(weights, tokens(r.description.fr + " " + r.description.en), DESCRIPTION)
            for token, weight in weights.items():
                self.postings.setdefault(token, {})[pos] = weight
            keys = set(r.categories) | {c.value for c in r.served}
            for key in keys:
                self.by_category.setdefault(key, []).append(pos)
        self.vocabulary = sorted(self.postings)
        self._matches: dict[str, list[tuple[str, float]]] = {}
        # opening hours by pattern (the loader interns them; others get their own)
        self.hours_of: dict[int, Hours] = {}
        self.pattern_of: list[int] = []
        for pos, r in enumerate(self.resources):
            key = r.hours.pattern if r.hours.pattern >= 0 else -1 - pos
            self.hours_of.setdefault(key, r.hours)
            self.pattern_of.append(key)

    def open_flags(self, positions: list[int], now: datetime) -> list[bool]:
        """Open now, for each position: is_open runs once per distinct opening-hours pattern
        among them (a directory has few), the rest is lookups."""
        patterns = list(map(self.pattern_of.__getitem__, positions))
        state = {key: self.hours_of[key].is_open(now) for key in set(patterns)}
        return list(map(state.__getitem__, patterns))

    @staticmethod
    def _add(weights: dict[str, float], words: Iterable[str], weight: float) -> None:
        for w in words:
            if weights.get(w, 0.0) < weight:
                weights[w] = weight

    def matches(self, token: str) -> list[tuple[str, float]]:
        """Vocabulary tokens this query token stands for, with a quality: exact, prefix,
        or within one or two edits (rapidfuzz), plus the synonyms of each."""
        cached = self._matches.get(token)
        if cached is not None:
            return cached
        found: dict[str, float] = {}
        if token in self.postings:
            found[token] = EXACT
        if len(token) >= 3:
            start = bisect.bisect_left(self.vocabulary, token)
            for word in self.vocabulary[start : start + 50]:
                if not word.startswith(token):
                    break
                found.setdefault(word, PREFIX)
        edits = 0 if len(token) <= 3 else 1 if len(token) <= 5 else 2
        if edits:
            for word, _dist, _ in process.extract(
                token,
                self.vocabulary,
                scorer=Levenshtein.distance,
                score_cutoff=edits,
                limit=8,
            ):
                found.setdefault(word, FUZZY)
        for word, quality in list(found.items()):
            for synonym in self.expansions.get(word, ()):
                if synonym in self.postings and found.get(synonym, 0.0) < quality * 0.9:
                    found[synonym] = quality * 0.9
        result = sorted(found.items(), key=lambda item: -item[1])
        if len(self._matches) > 10_000:
            self._matches.clear()
        self._matches[token] = result
        return result

    def scores(self, words: str) -> dict[int, float]:
        """Position -> rank for every entry matching any token: 1000 per query token
        matched plus the weighted quality of the matches (so more tokens always win)."""
        result: dict[int, float] = {}
        for token in dict.fromkeys(tokens(words)):
            best: dict[int, float] = {}
            for word, quality in self.matches(token):
                postings = self.postings[word]
                if not best:
                    best = {pos: quality * weight for pos, weight in postings.items()}
                    continue
                for pos, weight in postings.items():
                    value = quality * weight
                    if best.get(pos, 0.0) < value:
                        best[pos] = value
            get = result.get
            for pos, value in best.items():
                result[pos] = get(pos, 0.0) + 1000.0 + value
        return result
