"""Benchmark of the directory: generate 10,000 entries, time load-and-validate (and the
search index), then the p50 / p99 of 1,000 varied searches (text with typos, category,
open now, nearest). Prints figures; asserts nothing. Run: python bench/directory.py"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows.directory import CATEGORIES, Query, load_path, search

ENTRIES = 10_000
SEARCHES = 1_000
WORDS_FR = [
    "refuge",
    "hébergement",
    "urgence",
    "repas",
    "écoute",
    "crise",
    "jeunesse",
    "aînés",
    "femmes",
    "hommes",
    "famille",
    "santé",
    "mentale",
    "dépendance",
    "sevrage",
    "alimentation",
    "juridique",
    "victimes",
    "deuil",
    "quartier",
    "soutien",
    "accueil",
    "nuit",
    "jour",
    "intervention",
    "psychosociale",
    "clinique",
    "centre",
    "maison",
    "halte",
    "travail",
    "rue",
]
WORDS_EN = [
    "shelter",
    "housing",
    "emergency",
    "meals",
    "listening",
    "crisis",
    "youth",
    "seniors",
    "women",
    "men",
    "family",
    "mental",
    "health",
    "addiction",
    "withdrawal",
    "food",
    "legal",
    "victims",
    "grief",
    "neighbourhood",
    "support",
    "welcome",
    "night",
    "day",
    "intervention",
    "psychosocial",
    "clinic",
    "centre",
    "house",
    "drop-in",
    "street",
    "outreach",
]
HOURS = (
    '"24/7"',
    "\n      weekdays: 09:00-17:00",
    "\n      daily: 22:00-06:00",
    "\n      mon: [08:00-12:00, 13:00-17:00]\n      sat: 10:00-14:00",
    "\n      fri: 18:00-02:00\n      sat: 18:00-02:00",
)


def generate(n: int, rng: random.Random) -> str:
    out = [
        "schema_version: 1\ntimezone: America/Montreal\nsynonyms:\n"
        "  - words: [itinérant, homeless, sans-abri]\n    categories: [shelter, homelessness]\n"
        "  - words: [suicidaire, suicidal]\n    categories: [crisis_line, suicide_risk]\n"
        "services:\n"
    ]
    for i in range(n):
        fr = " ".join(rng.sample(WORDS_FR, 3)).capitalize()
        en = " ".join(rng.sample(WORDS_EN, 3)).capitalize()
        cats = ", ".join(rng.sample(CATEGORIES, rng.randint(1, 3)))
        lat, lon = 45.40 + rng.random() * 0.3, -73.95 + rng.random() * 0.5
        closures = (
            "\n    closures:\n      - {from: 2026-12-24, to: 2026-12-26, note: Fêtes}"
            if i % 7 == 0
            else ""
        )
        out.append(
            f"""  - id: svc-{i:05d}
    organization: Organisme {i}
    name:
      fr: {fr} {i}
      en: {en} {i}
    description:
      fr: {" ".join(rng.sample(WORDS_FR, 8))}
      en: {" ".join(rng.sample(WORDS_EN, 8))}
    categories: [{cats}]
    phone: 514-555-{i % 10000:04d}
    website: https://example.org/{i}
    location:
      address: {i} rue Exemple, Montréal
      latitude: {lat:.5f}
      longitude: {lon:.5f}
    hours: {rng.choice(HOURS)}{closures}
    languages: [fr, en]
    eligibility: {{min_age: {rng.choice([0, 12, 18])}}}
    referral: [walk_in, police_referral]
    last_verified: 2026-0{rng.randint(1, 9)}-15
    verified_by: Bench
"""
        )
    return "".join(out)


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1 :]  # one letter dropped


def queries(rng: random.Random) -> list[Query]:
    made: list[Query] = []
    for i in range(SEARCHES):
        kind = i % 5
        near = (45.4 + rng.random() * 0.3, -73.9 + rng.random() * 0.4)
        if kind == 0:
            made.append(Query(words=" ".join(rng.sample(WORDS_FR + WORDS_EN, 2))))
        elif kind == 1:
            made.append(Query(words=typo(rng.choice(WORDS_FR + WORDS_EN), rng)))
        elif kind == 2:
            made.append(Query(category=rng.choice(CATEGORIES), open_now=True))
        elif kind == 3:
            made.append(Query(category=rng.choice(CATEGORIES), near=near))
        else:
            made.append(Query(words=rng.choice(WORDS_FR), open_now=True, near=near, ages=(30, 30)))
    return made


def main() -> None:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "directory.yaml"
        path.write_text(generate(ENTRIES, rng))
        size = path.stat().st_size
        start = time.perf_counter()
        directory, report = load_path(path, datetime.now(UTC).date())
        loaded = time.perf_counter() - start
    assert report.ok, report.text(5)
    start = time.perf_counter()
    _ = directory.index
    indexed = time.perf_counter() - start
    now = datetime(2026, 11, 23, 15, tzinfo=UTC)
    timings: list[float] = []
    for i, query in enumerate(queries(rng)):
        moment = now + timedelta(minutes=37 * i)
        t0 = time.perf_counter()
        search(directory, query, moment)
        timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    p50 = statistics.median(timings)
    p99 = timings[int(len(timings) * 0.99) - 1]
    print(f"entries: {len(directory.resources)}  file: {size / 1e6:.1f} MB")
    print(f"load + validate: {loaded:.2f} s (target < 2 s)")
    print(f"search index build: {indexed:.2f} s (once per load)")
    print(f"{SEARCHES} searches: p50 {p50:.2f} ms, p99 {p99:.2f} ms (target p99 < 5 ms)")


if __name__ == "__main__":
    main()
