"""The stable identifiers of the product's vocabulary (DESIGN.md): categories,
urgencies, outcomes and roles. Labels live in the translation catalogs; these ids never change."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OFFICER = "officer"
    WORKER = "worker"
    SUPERVISOR = "supervisor"


class Category(StrEnum):
    SUICIDE_RISK = "suicide_risk"
    MENTAL_HEALTH = "mental_health"
    SUBSTANCE = "substance"
    HOMELESSNESS = "homelessness"
    DOMESTIC_VIOLENCE = "domestic_violence"
    VICTIM_SUPPORT = "victim_support"
    YOUTH = "youth"
    ELDER = "elder"
    OTHER = "other"


class Urgency(StrEnum):
    IMMEDIATE = "immediate"
    URGENT = "urgent"
    ADVICE = "advice"


class Outcome(StrEnum):
    RESOLVED_ON_SCENE = "resolved_on_scene"
    REFERRED = "referred"
    VOLUNTARY_HOSPITAL = "voluntary_hospital"
    INVOLUNTARY_P38 = "involuntary_p38"
    HANDED_TO_FAMILY = "handed_to_family"
    JUDICIAL = "judicial"
    NO_ACTION = "no_action"
    OTHER = "other"


LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"


def language_from_code(language_code: str | None) -> str:
    """Telegram's language_code (e.g. 'en-CA') to one of the catalogs' languages."""
    if language_code and language_code.lower().startswith("en"):
        return "en"
    return (
        DEFAULT_LANGUAGE
        if not language_code
        else ("fr" if language_code.lower().startswith("fr") else "en")
    )
