"""Resource categories: the consultation categories of the product (flows.vocabulary) plus
finer ones a directory needs, each finer one tied to the consultation category it serves,
so "the top three for this consultation" is a lookup, not a guess."""

from __future__ import annotations

from flows.vocabulary import Category

# finer category -> the consultation category it serves
FINE: dict[str, Category] = {
    "crisis_line": Category.SUICIDE_RISK,
    "mental_health_clinic": Category.MENTAL_HEALTH,
    "hospital": Category.MENTAL_HEALTH,
    "detox": Category.SUBSTANCE,
    "harm_reduction": Category.SUBSTANCE,
    "shelter": Category.HOMELESSNESS,
    "food": Category.HOMELESSNESS,
    "women_shelter": Category.DOMESTIC_VIOLENCE,
    "victim_assistance": Category.VICTIM_SUPPORT,
    "sexual_assault": Category.VICTIM_SUPPORT,
    "bereavement": Category.VICTIM_SUPPORT,
    "youth_protection": Category.YOUTH,
    "youth_shelter": Category.YOUTH,
    "elder_abuse": Category.ELDER,
    "legal_aid": Category.OTHER,
    "info_line": Category.OTHER,
}

CONSULTATION: tuple[str, ...] = tuple(c.value for c in Category)
ALL: tuple[str, ...] = CONSULTATION + tuple(FINE)


def consultation_category(category: str) -> Category:
    """The consultation category a (possibly finer) resource category belongs to."""
    return FINE[category] if category in FINE else Category(category)


def is_known(category: str) -> bool:
    return category in FINE or category in CONSULTATION
