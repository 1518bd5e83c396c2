"""Search the directory: accent- and case-insensitive, typo-tolerant, both languages at
once, with the synonym table of the data (all three through the index, index.py); filters
for category, open now, language, eligibility (ages, gender); open services before closed
ones, then nearest first with km (or best match); paging."""

from __future__ import annotations

import bisect
import math
import operator
from dataclasses import dataclass
from datetime import datetime
from itertools import compress

from flows.directory import categories
from flows.directory.entries import Resource
from flows.directory.index import Index
from flows.directory.model import Directory

PAGE = 5
EARTH_KM = 6371.0088


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Query:
    words: str = ""
    category: str | None = None  # a consultation category or a finer one
    open_now: bool = False
    language: str | None = None
    ages: tuple[int, int] | None = None  # the person's age (17, 17), or a range (0, 17)
    gender: str | None = None  # "women" or "men": services for the other one drop
    near: tuple[float, float] | None = None


@dataclass(frozen=True)
class Hit:
    resource: Resource
    position: int
    open_now: bool
    distance_km: float | None = None


@dataclass(frozen=True)
class Page:
    hits: list[Hit]
    total: int
    offset: int

    @property
    def more(self) -> bool:
        return self.offset + len(self.hits) < self.total


def search(
    directory: Directory, query: Query, now: datetime, offset: int = 0, limit: int = PAGE
) -> Page:
    """One page of results. Filters first (category, language, eligibility, open now if
    asked); then open now before closed; within that, nearest first when a location is
    given (strong text matches only), else best text match first (or the file's order)."""
    index = directory.index
    resources = index.resources
    ranked: list[int]
    scored: dict[int, float] = {}
    if query.words.strip():
        scored = index.scores(query.words)
        ranked = sorted(scored, key=scored.__getitem__, reverse=True)
        if query.near is not None and ranked:
            # nearest first must not promote weak matches: keep the good ones only
            top = scored[ranked[0]]
            floor = (top // 1000) * 1000 + (top % 1000) / 2
            ranked = [p for p in ranked if scored[p] >= floor]
    elif query.category:
        ranked = list(index.by_category.get(query.category, ()))
    else:
        ranked = list(range(len(resources)))
    ranked = _filtered(index, ranked, query)
    is_open = index.open_flags(ranked, now)
    if query.open_now:
        ranked = list(compress(ranked, is_open))
        is_open = [True] * len(ranked)
    if query.near is not None:
        ranked = _nearest(resources, ranked, is_open, query.near)
    else:
        ranked = _open_first(ranked, is_open, scored)
    hits = [
        Hit(resources[p], p, resources[p].hours.is_open(now), _exact_km(resources[p], query.near))
        for p in ranked[offset : offset + limit]
    ]
    return Page(hits, len(ranked), offset)


def _open_first(ranked: list[int], is_open: list[bool], scored: dict[int, float]) -> list[int]:
    """Without a location: as many words matched first (runs of the score order: 1000 a
    word); within each run, open ones then closed ones, each in score order. A category (no
    scores) is one run in the file's order. Built with C-level tools (compress, bisect): a
    broad search ranks thousands of entries."""
    values = list(map(scored.__getitem__, ranked)) if scored else []
    result: list[int] = []
    start = 0
    while start < len(ranked):
        end = len(ranked)
        if values:
            floor = (values[start] // 1000) * 1000
            end = bisect.bisect_right(values, -floor, lo=start, key=operator.neg)
        run, flags = ranked[start:end], is_open[start:end]
        result += compress(run, flags)
        result += compress(run, map(operator.not_, flags))
        start = end
    return result


def _filtered(index: Index, ranked: list[int], query: Query) -> list[int]:
    """Drop what the query excludes: another category, language, eligibility (ages,
    gender)."""
    resources = index.resources
    if query.category and query.words.strip():
        allowed = set(index.by_category.get(query.category, ()))
        ranked = [p for p in ranked if p in allowed]
    if query.language:
        ranked = [p for p in ranked if query.language in resources[p].languages]
    if query.ages is not None:
        low, high = query.ages
        ranked = [p for p in ranked if resources[p].accepts_ages(low, high)]
    if query.gender is not None:
        gender = query.gender
        ranked = [p for p in ranked if resources[p].accepts_gender(gender)]
    return ranked


def _nearest(
    resources: tuple[Resource, ...],
    ranked: list[int],
    is_open: list[bool],
    near: tuple[float, float],
) -> list[int]:
    """Open before closed, then by distance (a flat-earth approximation, exact enough to
    order within a city); entries without coordinates (phone lines) after the located ones
    of their group; equal keys keep their previous (text) order."""
    lat0, lon0 = near
    scale = math.cos(math.radians(lat0))
    keyed: list[tuple[bool, float, int, int]] = []
    for rank, (p, open_now) in enumerate(zip(ranked, is_open, strict=True)):
        r = resources[p]
        if r.latitude is None or r.longitude is None:
            d = math.inf
        else:
            dx = (r.longitude - lon0) * scale
            dy = r.latitude - lat0
            d = dx * dx + dy * dy
        keyed.append((not open_now, d, rank, p))
    keyed.sort()
    return [k[3] for k in keyed]


def _exact_km(resource: Resource, near: tuple[float, float] | None) -> float | None:
    if near is None or resource.latitude is None or resource.longitude is None:
        return None
    return distance_km(near[0], near[1], resource.latitude, resource.longitude)


def top_for_category(
    directory: Directory,
    category: str,
    now: datetime,
    near: tuple[float, float] | None = None,
    limit: int = 3,
) -> list[Hit]:
    """What an officer gets the moment a consultation goes out: open now, for its category,
    nearest first when a location was shared, else in the file's order of priority."""
    return search(directory, Query(category=category, open_now=True, near=near), now, 0, limit).hits


@dataclass(frozen=True)
class Fallback:
    lines: list[Resource]  # 24/7 crisis lines
    services: list[Hit]  # open now for the category, nearest first when located


def fallback_resources(
    directory: Directory,
    category: str | None,
    now: datetime,
    near: tuple[float, float] | None = None,
) -> Fallback:
    """When nobody accepted: the 24/7 crisis lines (two at most) and up to two services of
    the category open now, so the officer's last message stays short and useful."""
    lines = [
        r
        for r in directory.resources
        if "crisis_line" in r.categories and r.hours.always and r.hours.is_open(now)
    ][:2]
    services: list[Hit] = []
    if category:
        taken = {r.id for r in lines}
        services = [
            h
            for h in top_for_category(directory, category, now, near, limit=4)
            if h.resource.id not in taken
        ][:2]
    return Fallback(lines, services)


def category_keys() -> tuple[str, ...]:
    """The categories one can browse by, consultation ones first (stable order: buttons)."""
    return categories.ALL
