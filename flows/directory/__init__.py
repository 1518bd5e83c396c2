"""The community-resource directory: load and validate the YAML file, search it, tell what
is open now. Domain only: no Telegram here."""

from flows.directory.categories import ALL as CATEGORIES
from flows.directory.categories import consultation_category
from flows.directory.entries import Resource
from flows.directory.holder import DirectoryHolder, Reload
from flows.directory.index import fold
from flows.directory.intent import read_query
from flows.directory.loader import DirectoryError, load_path, load_text
from flows.directory.model import Directory, Finding, Problem, Report, Severity
from flows.directory.search import (
    Fallback,
    Hit,
    Page,
    Query,
    distance_km,
    fallback_resources,
    search,
    top_for_category,
)

__all__ = [
    "CATEGORIES",
    "Directory",
    "DirectoryError",
    "DirectoryHolder",
    "Fallback",
    "Finding",
    "Hit",
    "Page",
    "Problem",
    "Query",
    "Reload",
    "Report",
    "Resource",
    "Severity",
    "consultation_category",
    "distance_km",
    "fallback_resources",
    "fold",
    "load_path",
    "load_text",
    "read_query",
    "search",
    "top_for_category",
]
